"""Kernels through jupyter_client, the way a notebook server starts them: shared by the kernel and magic groups."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TIMEOUT = 60


@contextmanager
def kernel(name: str) -> Iterator[tuple[Any, Any]]:
    """A started kernel of the kernelspec `name` and its ready client, shut down afterwards."""
    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory() as cwd:
        manager = KernelManager(kernel_name=name)
        manager.start_kernel(cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=TIMEOUT)
            yield manager, client
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def first_result_ms(name: str, code: str) -> float:
    """Milliseconds from starting a kernel to the execute_result of its first cell, `code`."""
    began = time.perf_counter()
    with kernel(name) as (_, client):
        msg_id = client.execute(code)
        while True:
            msg = client.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "error":
                raise RuntimeError(f"{name}: {msg['content']['ename']}: {msg['content']['evalue']}")
            if msg["msg_type"] == "execute_result":
                return (time.perf_counter() - began) * 1e3


def run_cell(client: Any, code: str) -> float:
    """Run one cell; the milliseconds until its execute_reply. Then waits for the kernel to be idle again,
    untimed: ipykernel publishes `idle` only after a stream flush, which adds a wait but no work.
    A failed cell raises. (Blocking reads, not `execute_interactive`, whose polling adds to a cell.)"""
    began = time.perf_counter()
    msg_id = client.execute(code)
    while True:
        reply = client.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    took = (time.perf_counter() - began) * 1e3
    while True:
        msg = client.get_iopub_msg(timeout=TIMEOUT)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            break
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell {code!r} failed: {reply['content'].get('evalue')}")
    return took
