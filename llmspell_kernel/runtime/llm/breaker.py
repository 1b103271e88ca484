"""A circuit breaker per provider: after N consecutive failed calls, fail fast for a cool-down.

A provider that is down costs every caller its full retry budget; the breaker
turns that into an immediate, explained error. After the cool-down one call is
let through (half-open): success closes the circuit, failure opens it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None


class CircuitBreaker:
    def __init__(self, threshold: int = 5, cooldown: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold, self.cooldown, self.clock = threshold, cooldown, clock
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()

    def blocked_for(self, key: str) -> float:
        """Seconds left before `key` may be called again (0: go ahead)."""
        with self._lock:
            circuit = self._circuits.get(key)
            if circuit is None or circuit.opened_at is None:
                return 0.0
            left = circuit.opened_at + self.cooldown - self.clock()
            if left > 0:
                return left
            circuit.opened_at = None  # half-open: this call is the trial
            return 0.0

    def failures(self, key: str) -> int:
        with self._lock:
            circuit = self._circuits.get(key)
            return circuit.failures if circuit else 0

    def record_failure(self, key: str) -> bool:
        """Count a failed call; True when this failure opens the circuit."""
        if self.threshold <= 0:
            return False
        with self._lock:
            circuit = self._circuits.setdefault(key, _Circuit())
            circuit.failures += 1
            if circuit.failures >= self.threshold and circuit.opened_at is None:
                circuit.opened_at = self.clock()
                return True
            return False

    def record_success(self, key: str) -> bool:
        """Reset the count; True when the circuit had failures to forget (it closes)."""
        with self._lock:
            circuit = self._circuits.pop(key, None)
            return circuit is not None and circuit.failures >= self.threshold
