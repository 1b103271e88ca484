"""EventTimeline: what a burst of 10,000 events costs the widget, and how many comm messages it sends.

The comm is replaced by one that counts what ipywidgets would send to a frontend (as tests/test_widgets.py
does). Applying is timed with the batch timer out of the way (one explicit flush); the message count lets
the timer cut batches as it does live (every 0.2 s, plus a trailing one).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from ..figures import Figure
from ..measure import Options, elapsed_ms, sample

EVENTS = 10_000
INTERVAL = 0.2


@contextlib.contextmanager
def _counting_comms() -> Iterator[list]:
    import comm
    from comm.base_comm import BaseComm

    class CountingComm(BaseComm):
        def __init__(self, **kwargs) -> None:
            self.sent: list[dict] = []
            super().__init__(**kwargs)

        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys) -> None:
            self.sent.append({"msg_type": msg_type, "data": data or {}})

    comms: list[CountingComm] = []
    original = comm.create_comm

    def create(*args, **kwargs) -> CountingComm:
        comms.append(CountingComm(**kwargs))
        return comms[-1]

    comm.create_comm = create
    try:
        yield comms
    finally:
        comm.create_comm = original


def _burst(session, count: int) -> None:
    for i in range(count):
        session.events.emit("burst", {"i": i}, source="user")


def _emit(count: int, with_widget: bool):
    def once() -> float:
        from llmspell_kernel.runtime.session import Session

        with Session(offline=True) as session:
            widget = session.events.widget("burst", interval=3600) if with_widget else None
            took = elapsed_ms(lambda: _burst(session, count))()
            if widget is not None:
                widget.close()
        return took
    return once


def _apply(count: int):
    def once() -> float:
        from llmspell_kernel.runtime.session import Session

        with Session(offline=True) as session:
            widget = session.events.widget("burst", interval=3600)  # no timer: one flush applies them all
            _burst(session, count)
            took = elapsed_ms(widget.flush)()
            assert widget.totals["events"] == count, widget.totals
            widget.close()
        return took
    return once


def _messages(comms: list, count: int):
    def once() -> float:
        from llmspell_kernel.runtime.session import Session

        with Session(offline=True) as session:
            widget = session.events.widget("burst", interval=INTERVAL)
            channel = next(c for c in comms if c.comm_id == widget.comm.comm_id)
            before = len(channel.sent)
            _burst(session, count)
            deadline = time.monotonic() + 30
            while widget.totals["events"] < count and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(INTERVAL + 0.1)  # the trailing batch
            updates = sum(1 for m in channel.sent[before:] if m["data"].get("method") == "update")
            widget.close()
        return updates
    return once


def run(options: Options) -> list[Figure]:
    count = options.n(EVENTS)
    label = f"{count:,} events"
    with _counting_comms() as comms:
        emit, emit_bare = sample(_emit(count, True), _emit(count, False), runs=options.runs(5))
        apply, = sample(_apply(count), runs=options.runs(5))
        messages, = sample(_messages(comms, count), runs=options.runs(5))
    return [
        Figure(f"emit {label} with a timeline open", "ms", emit, emit_bare, "no timeline open"),
        Figure(f"apply {label} to the timeline (one batch)", "ms", apply),
        Figure(f"comm messages for a burst of {label}", "", messages,
               note=f"batches every {INTERVAL:g} s, plus a trailing one"),
    ]
