"""Run a spell once per input on a Dask cluster: the client side.

Each input is one Dask task (`worker.run_item`), so a lost worker's items are re-run elsewhere by Dask itself;
only this client writes the results, one line per id. Model calls overlap inside a worker through its threads:
a local cluster gets `concurrency` threads per worker; a remote one has the threads its workers were started with.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ApiError, BudgetError
from ..runtime.spend import SpendLimit, parse_limits, usd
from .items import ResultsFile, read_inputs, with_ids
from .worker import SpellJob, error_record, run_item

LOCAL, DEFAULT_CONCURRENCY = "local", 4


@dataclass
class Progress:
    """How far a batch is: what a progress bar shows, after every finished input."""

    total: int
    skipped: int = 0  # done in an earlier run of the same results file
    done: int = 0  # finished in this run, ok or failed
    failed: int = 0
    tokens: int = 0
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)
    budget: SpendLimit | None = None  # the batch's budget, charged with every finished input's spend

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """Inputs finished per second in this run."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the first input finishes)."""
        left = self.total - self.skipped - self.done
        return left / self.rate if self.rate else None

    def line(self) -> str:
        """`done/total, failed, rate, ETA, spend`: the CLI's progress line and the notebook bar's label."""
        eta = f"{self.eta:.0f} s" if self.eta is not None else "?"
        budget = self.budget or SpendLimit("batch")
        tokens = f"{self.tokens} of {budget.tokens}" if budget.tokens is not None else str(self.tokens)
        cost = f"${self.cost:.4f}" + (f" of {usd(budget.cost, budget.cost)}" if budget.cost is not None else "")
        return (f"{self.skipped + self.done}/{self.total} done, {self.failed} failed, {self.rate:.1f}/s, ETA {eta}, "
                f"{tokens} tokens, {cost}")

    def add(self, record: dict[str, Any]) -> None:
        self.done += 1
        self.failed += not record["ok"]
        self.tokens += record.get("tokens", 0)
        self.cost += record.get("cost", 0.0)
        if self.budget is not None:
            self.budget.spent_tokens, self.budget.spent_cost = self.tokens, self.cost


@dataclass
class BatchResult:
    """Every input's record, in input order (those of an earlier run included), and how the run went."""

    records: list[dict[str, Any]]
    progress: Progress
    cancelled: bool = False
    over_budget: str | None = None  # why the batch stopped on its budget ("batch budget exceeded: …"), if it did

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if not r["ok"]]

    def __repr__(self) -> str:
        return f"<BatchResult {self.summary()}>"

    def summary(self) -> dict[str, Any]:
        p = self.progress
        return {"inputs": p.total, "ok": sum(r["ok"] for r in self.records), "failed": len(self.failed),
                "skipped": p.skipped, "missing": p.total - len(self.records), "cancelled": self.cancelled,
                "over_budget": self.over_budget is not None, "tokens": p.tokens, "cost": round(p.cost, 6)}


def run_batch(spell: str | Path, inputs: str | Path | Iterable[dict[str, Any]], *, engine: str | None = None,
              source: str | None = None, cluster: Any = LOCAL, store: str | None = None, session: str | None = None,
              out: str | Path | None = None, concurrency: int | None = None, retries: int = 0,
              settings: dict[str, Any] | None = None, on_progress: Callable[[Progress], None] | None = None,
              stop: threading.Event | None = None, budget: dict[str, Any] | None = None) -> BatchResult:
    """Run the spell file `spell` once per input, each input a map bound as `Spell.params`, each in its own
    session (sharing `store`, e.g. a redis:// URL, under the name `session`). `cluster` is `local`, `local:N`,
    a scheduler address (`tcp://host:8786`) or a `distributed.Client`. With `out`, ids already done there are
    skipped and every result is written there. Ctrl-C, or setting `stop`, cancels and keeps what finished.
    `budget` ({tokens = N, cost = USD}) covers the whole run: each input's session has it as its session budget,
    and once the finished inputs' spend reaches it, the unfinished inputs are cancelled and recorded as BudgetError
    (a resume with the same `out` runs them)."""
    from ..engines import find_engine

    if retries < 0 or (concurrency is not None and concurrency < 1):
        raise ApiError("retries must be >= 0 and concurrency >= 1")
    path = Path(spell)
    if source is None:
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ApiError(f"cannot read the spell {path}: {exc.strerror or exc}") from None
    tokens, cost = parse_limits(budget, "budget")
    limit = SpendLimit("batch", tokens, cost) if tokens is not None or cost is not None else None
    per_input = {"budget_tokens": tokens, "budget_cost": cost} if limit is not None else {}
    # no store given: each input's session in memory, whatever LLMSPELL_STORE/SESSION say where the workers run
    job = SpellJob(source, str(path), engine or find_engine(path=path, code=source),
                   {**(settings or {}), **per_input, "store": store or "memory", "session": session}, retries)
    pairs = with_ids(read_inputs(inputs) if isinstance(inputs, (str, Path)) else inputs)
    results = ResultsFile(out) if out is not None else None
    done = results.done if results is not None else set()
    progress = Progress(total=len(pairs), skipped=sum(item_id in done for item_id, _ in pairs), budget=limit)
    todo = [(item_id, params) for item_id, params in pairs if item_id not in done]
    records: dict[Any, dict[str, Any]] = dict(results.records) if results is not None else {}
    cancelled, over_budget = False, None
    try:
        if todo:
            with _client(cluster, concurrency) as client:
                cancelled, over_budget = _run(client, job, todo, records, results, progress, on_progress, stop)
    except KeyboardInterrupt:
        cancelled = True
    finally:
        if results is not None:
            results.finish([item_id for item_id, _ in pairs])
    ordered = [records[item_id] for item_id, _ in pairs if item_id in records]
    return BatchResult(ordered, progress, cancelled, over_budget)


def _run(client: Any, job: SpellJob, todo: list[tuple[Any, dict[str, Any]]], records: dict[Any, dict[str, Any]],
         results: ResultsFile | None, progress: Progress, on_progress: Callable[[Progress], None] | None,
         stop: threading.Event | None) -> tuple[bool, str | None]:
    """Submit every input, collect records as they finish; (stopped by the caller, why the budget stopped it)."""
    from distributed import wait

    def collect(record: dict[str, Any]) -> None:
        records[record["id"]] = record
        if results is not None:
            results.append(record)
        progress.add(record)

    run_id = uuid.uuid4().hex[:8]
    progress.started = time.monotonic()  # the rate counts from here, not from the cluster's start
    futures = {client.submit(run_item, job, item_id, params, key=f"llmspell-batch-{run_id}-{n}", pure=False,
                             priority=-n): item_id  # earlier inputs first
               for n, (item_id, params) in enumerate(todo)}
    pending = set(futures)
    try:
        while pending:
            if stop is not None and stop.is_set():
                return True, None
            try:  # in short waits, so that `stop` is seen soon
                finished, pending = wait(pending, timeout=0.25, return_when="FIRST_COMPLETED")
            except TimeoutError:
                continue
            for future in finished:
                collect(_record(future, futures[future]))
            over = progress.budget.overspent(reaching=True) if progress.budget is not None else None
            if over is not None and pending:
                # the rest is cancelled, each recorded as BudgetError (never dropped: a resume runs them);
                # one that finished meanwhile was paid for, so its own record is kept
                for future in sorted(pending, key=list(futures).index):
                    collect(_record(future, futures[future]) if future.status == "finished"
                            else _failed(futures[future], BudgetError(over)))
            if finished and on_progress is not None:
                on_progress(progress)
            if over is not None and pending:
                return False, over
        return False, None
    finally:
        if pending:
            client.cancel(list(pending))


def _record(future: Any, item_id: Any) -> dict[str, Any]:
    """The worker's record, or an error record when the task itself failed (e.g. it killed every worker it met)."""
    try:
        return future.result()
    except Exception as exc:
        return _failed(item_id, exc)


def _failed(item_id: Any, exc: BaseException) -> dict[str, Any]:
    """The record of an input that did not run to its end in a worker."""
    return {"id": item_id, "ok": False, "value": None, "error": error_record(exc), "duration": None,
            "tokens": 0, "cost": 0.0, "attempts": None, "worker": None}


@contextmanager
def _workers_ignore_ctrl_c():
    """Worker processes started in here inherit SIGINT ignored: Ctrl-C in a terminal reaches the whole process
    group, and only this client may act on it (cancel, keep what finished); a worker would die with a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _client(cluster: Any, concurrency: int | None):
    """A Dask client for `cluster`; a local cluster is started here and closed at the end."""
    from distributed import Client

    if not isinstance(cluster, str):  # a Client of the caller's: theirs to close
        yield cluster
        return
    if cluster == LOCAL or cluster.startswith(LOCAL + ":"):
        from distributed import LocalCluster

        count = cluster.partition(":")[2]
        if (count and not count.isdigit()) or count == "0":
            raise ApiError(f"--cluster local:N takes a number of workers, not {count!r}")
        workers = int(count) if count else min(os.cpu_count() or 1, 4)
        with _workers_ignore_ctrl_c():
            local = LocalCluster(n_workers=workers, threads_per_worker=concurrency or DEFAULT_CONCURRENCY,
                                 processes=True, dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
        with local, Client(local) as client:
            yield client
        return
    if "://" not in cluster:
        raise ApiError(f"--cluster takes local, local:N or a scheduler address such as tcp://host:8786, "
                       f"not {cluster!r}")
    if concurrency is not None:
        raise ApiError("with a scheduler address, the workers' threads set the concurrency: start them with "
                       "`dask worker SCHEDULER --nthreads K`")
    try:
        client = Client(cluster, timeout=30)
    except OSError as exc:
        raise ApiError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from None
    with client:
        yield client
