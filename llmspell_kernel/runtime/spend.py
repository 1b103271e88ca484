"""Token and cost budgets: for the session, for a spell run and for an agent.

Before a model call is sent, every budget that applies is asked whether the call fits: its prompt
tokens are estimated (litellm's `token_counter` when litellm is already loaded, else characters / 4)
and priced with `litellm.model_cost` where litellm knows the model (else the estimate costs nothing).
A call that would pass a budget is refused with a BudgetError and never sent. After the call, its
real usage is charged to each budget; one that is now overspent stops the spell with a BudgetError.
Each charge is a `budget.spend` event, each refusal or overspend a `budget.exceeded` event.
"""

from __future__ import annotations

import contextvars
import json
import operator
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, BudgetError
from .events import EventBus

if TYPE_CHECKING:
    from .llm.base import Usage

LIMIT_KEYS = ("tokens", "cost")


@dataclass
class SpendLimit:
    """One budget and what has been spent against it."""

    scope: str  # "session", "run" or "agent:<name>"
    tokens: int | None = None
    cost: float | None = None
    spent_tokens: int = 0
    spent_cost: float = 0.0

    def refusal(self, tokens: int, cost: float) -> str | None:
        """Why a call estimated at `tokens` and `cost` does not fit, or None."""
        if self.tokens is not None and self.spent_tokens + tokens > self.tokens:
            return (f"{self.scope} budget: this call needs about {tokens} prompt tokens and "
                    f"{self.spent_tokens} of {self.tokens} tokens are spent; refused before sending")
        if self.cost is not None and self.spent_cost + cost > self.cost:
            spent, limit = usd(self.spent_cost, self.cost), usd(self.cost, self.cost)
            return (f"{self.scope} budget: this call costs about {usd(cost, self.cost)} and {spent} of {limit} "
                    "is spent; refused before sending")
        return None

    def overspent(self, reaching: bool = False) -> str | None:
        """Why this budget is spent: passed (or, with `reaching`, reached, as a batch stops), else None."""
        over = operator.ge if reaching else operator.gt
        if self.tokens is not None and over(self.spent_tokens, self.tokens):
            return f"{self.scope} budget exceeded: spent {self.spent_tokens} of {self.tokens} tokens"
        if self.cost is not None and over(self.spent_cost, self.cost):
            spent, limit = usd(self.spent_cost, self.cost), usd(self.cost, self.cost)
            return f"{self.scope} budget exceeded: spent {spent} of {limit}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "tokens": self.tokens, "cost": self.cost,
                "spent_tokens": self.spent_tokens, "spent_cost": round(self.spent_cost, 6)}


def usd(amount: float, scale: float) -> str:
    """Dollars to cents, or to millionths when the budget is under 10 cents (a small test budget)."""
    return f"${amount:.{2 if scale >= 0.1 else 6}f}"


def parse_limits(value: Any, what: str) -> tuple[int | None, float | None]:
    """`{tokens = N, cost = USD}` checked: tokens a positive whole number, cost a non-negative number."""
    if value in (None, [], {}):
        return None, None
    if not isinstance(value, dict):
        raise ApiError(f"{what}: a budget is a map with tokens and/or cost, not {type(value).__name__}")
    unknown = set(value) - set(LIMIT_KEYS)
    if unknown:
        raise ApiError(f"{what}: unknown budget key(s) {', '.join(sorted(map(str, unknown)))}; known: tokens, cost")
    return check_tokens(value.get("tokens"), what), check_cost(value.get("cost"), what)


def parse_budget_text(text: str | None) -> dict[str, int | float]:
    """`tokens=N,cost=USD` (the --budget option of `llmspell run` and `batch`, `%spell batch`) as a budget map."""
    limits: dict[str, int | float] = {}
    for part in text.split(",") if text else ():
        key, sep, value = part.strip().partition("=")
        try:
            if key in LIMIT_KEYS and sep and float(value) >= 0:
                limits[key] = int(value) if key == "tokens" else float(value)
                continue
        except ValueError:
            pass
        raise ApiError(f"expected tokens=N and/or cost=USD, got {part.strip()!r}")
    return limits


def check_tokens(tokens: Any, what: str) -> int | None:
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, (int, float))
                               or tokens != int(tokens) or tokens <= 0):
        raise ApiError(f"{what}: tokens must be a positive whole number, not {tokens!r}")
    return None if tokens is None else int(tokens)


def check_cost(cost: Any, what: str) -> float | None:
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float)) or not cost >= 0):
        raise ApiError(f"{what}: cost must be a non-negative number of US dollars, not {cost!r}")
    return None if cost is None else float(cost)


_charging: contextvars.ContextVar[tuple[SpendLimit, ...]] = contextvars.ContextVar("llmspell_charging",
                                                                                  default=())


@contextmanager
def charging(limit: SpendLimit | None) -> Iterator[None]:
    """Charge the model calls of a block (an agent's run) to `limit` too."""
    if limit is None:
        yield
        return
    token = _charging.set((*_charging.get(), limit))
    try:
        yield
    finally:
        _charging.reset(token)


def estimate_tokens(model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
    """The prompt's tokens: litellm's count when litellm is loaded, else about one token per 4 characters."""
    litellm = sys.modules.get("litellm")
    if litellm is not None and not model.startswith("mock/"):
        try:
            return int(litellm.token_counter(model=model, messages=messages, tools=tools or None))
        except Exception:  # an unknown model or message shape: the plain estimate below
            pass
    text = json.dumps([messages, tools], default=str, ensure_ascii=False)
    return max(1, len(text) // 4)


def estimate_cost(model: str, tokens: int) -> float:
    """The price of `tokens` prompt tokens, where litellm (already loaded) knows the model; else 0."""
    litellm = sys.modules.get("litellm")
    prices = getattr(litellm, "model_cost", None) or {}
    entry = prices.get(model) or prices.get(model.split("/", 1)[-1]) or {}
    return tokens * float(entry.get("input_cost_per_token") or 0.0)


class Spending:
    """The budgets of one session: its own, the running spell's (`Spell.budget`), and agents' (`charging`)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.session = SpendLimit("session")
        self.run: SpendLimit | None = None
        self._lock = threading.Lock()

    def set_session(self, tokens: Any, cost: Any) -> None:
        """The budget_tokens / budget_cost settings; what was spent stays spent."""
        tokens, cost = check_tokens(tokens, "budget_tokens"), check_cost(cost, "budget_cost")
        if (tokens, cost) != (self.session.tokens, self.session.cost):
            self.session.tokens, self.session.cost = tokens, cost
            if tokens is not None or cost is not None:
                self.bus.emit("budget.set", self.session.to_dict(), source="budget")

    def set_run(self, limits: Any) -> SpendLimit:
        """`Spell.budget{...}`: a budget for the rest of the running spell (its cell or file)."""
        tokens, cost = parse_limits(limits, "Spell.budget")
        self.run = SpendLimit("run", tokens, cost)
        self.bus.emit("budget.set", self.run.to_dict(), source="budget")
        return self.run

    def end_run(self) -> None:
        self.run = None

    def active(self) -> list[SpendLimit]:
        limits = [self.session] if self.session.tokens is not None or self.session.cost is not None else []
        if self.run is not None:
            limits.append(self.run)
        return limits + list(_charging.get())

    def before(self, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[SpendLimit]:
        """The budgets this call is charged to; a BudgetError (and no call) if it does not fit one."""
        limits = self.active()
        if not limits:
            return limits
        tokens = estimate_tokens(model, messages, tools)
        cost = estimate_cost(model, tokens)
        with self._lock:
            for limit in limits:
                reason = limit.refusal(tokens, cost)
                if reason is not None:
                    self._exceeded(limit, reason, model, "before", tokens, cost)
        return limits

    def after(self, limits: list[SpendLimit], model: str, usage: Usage) -> None:
        """Charge a finished call; a BudgetError if a budget is now overspent."""
        tokens, cost = usage.total_tokens, usage.cost
        over: tuple[SpendLimit, str] | None = None
        with self._lock:
            for limit in limits:
                limit.spent_tokens += tokens
                limit.spent_cost += cost
                self.bus.emit("budget.spend", {**limit.to_dict(), "model": model, "call_tokens": tokens,
                                               "call_cost": cost}, source="budget")
                reason = limit.overspent()
                if reason is not None and over is None:
                    over = (limit, reason)
            if over is not None:
                self._exceeded(*over, model, "after", tokens, cost, usage)

    def _exceeded(self, limit: SpendLimit, reason: str, model: str, when: str, tokens: int, cost: float,
                  usage: Usage | None = None) -> None:
        self.bus.emit("budget.exceeded", {**limit.to_dict(), "model": model, "when": when, "call_tokens": tokens,
                                          "call_cost": cost, "error": reason}, source="budget")
        error = BudgetError(reason)
        error.usage = usage
        raise error
