"""Batches: a spell run once per input on a Dask cluster (`llmspell batch`, `%spell batch`, `run_batch`).

Above the runtime: it composes sessions, one per input. Dask is imported only here, when a batch runs.
"""

from .runner import BatchResult, Progress, run_batch

__all__ = ["BatchResult", "Progress", "run_batch"]
