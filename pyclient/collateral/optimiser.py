"""The collateral optimiser: the cheapest whole-unit holdings that cover a member's accounts, and
the moves that get there.

Where it sits: `ClearingMember.optimise` reads the member's inventory from the chain (free wallet
balances, what each vault account holds and must cover, the quotes) and calls `optimise` here,
which is pure; `ClearingMember.execute` carries the `Plan` out with deposits, one atomic
substitution per account and withdrawals, in the order `Plan.steps` gives.

The model is a mixed-integer linear programme solved by HiGHS (`scipy.optimize.milp`): for each
account and asset, how many whole units to hold; each account's value (haircut value per asset,
each capped at its concentration limit of the requirement, ineligible assets counting nothing)
at least its target; per asset, no more posted than the member has; the cheapest such holdings
by annual funding cost, and among the cheapest, the fewest yen moved. Decisions the rules leave
to us:

* **Cost.** The funding cost of an asset is what it costs to have it posted, `costs_bps` a year of
  its market value before haircut (a repo rate forgone, a cash rate, the member's own figure).
  What sits in the wallet costs nothing here: it is free to be used elsewhere. Collateral posted
  but no longer eligible still costs, so the optimiser takes it out (it counts for nothing).
* **Whole units.** Legs move whole units (`Inventory.units_per_whole`, by default one token:
  `10 ** decimals` smallest units). A holding that is not a whole number of units keeps its
  fraction unless the asset leaves the account entirely, so only such a leg carries a fraction.
* **Rounding.** The chain floors three times in a haircut value and once in a cap; the linear
  model over-estimates each asset by less than a yen (and quantities solved in lots, see `SCALE`,
  are rounded down). Every proposal is valued exactly with `pyclient.valuation.account_value`,
  and an account found short is solved again with its target raised by the shortfall. No state
  the chain would refuse is ever proposed; when the start state already covers every target and
  costs no more, it is kept as it is.
* **Order.** Moves between a member's accounts go out of one before into the other: an account's
  legs in must be in the wallet when its turn comes. The plan fixes an order in which that holds
  (every order is tried when the cheapest holdings need one: at most 24 for four accounts), and
  within an account, deposits, the substitution and withdrawals are arranged so that every
  intermediate state covers the requirement (see `AccountPlan.steps`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ..errors import AllocationInfeasible, InputError
from ..oracle.market_data import BPS, Purpose, Quote
from ..units import from_units
from ..valuation import ONE, account_value, concentration_cap, haircut_value, market_value
from .substitution import MAX_LEGS
from .vault import AccountKind, purpose_of

ALL_ORDERS_UP_TO = 4  # accounts for which every execution order is tried (4! = 24 solves)
TIME_LIMIT_S = 10.0  # per HiGHS solve; the problems here solve in milliseconds
# The solver stops within a millionth of the optimum's cost (HiGHS's default is 1e-4): closer
# than a yen a year on a million yen of funding cost, and whole-unit rounding (a knapsack over
# billions of units) makes the last millionth slow to prove.
MIP_GAP = 1e-6
# Figures in the model stay within about a million: values in units of a millionth of the largest
# target, quantities in lots of a millionth of what the member has. An asset the member has more
# than a million whole units of (yen, dollars) is solved in lots as a real number and rounded
# down to whole units: a double cannot tell 300,000,000,000 from 300,000,000,000.000001, so asking
# HiGHS to prove integrality there only makes it fail; a unit's worth is what the next round's
# raised target is for.
SCALE = 1e6
_ROUNDS = 12  # re-solves with raised targets before giving up on rounding


def account_name(kind: AccountKind) -> str:
    """`clearing fund account`."""
    return f"{kind.name.lower().replace('_', ' ')} account"


# ---------------------------------------------------------------------- what goes in


@dataclass(frozen=True)
class AccountHoldings:
    """A vault account as the optimiser sees it: what it holds (smallest units by symbol) and
    must cover. A frozen account (in default management) cannot move and is taken as it is."""

    account: int
    kind: AccountKind
    requirement_jpy: int
    holdings: Mapping[str, int]
    frozen: bool = False

    @property
    def purpose(self) -> Purpose:
        return purpose_of(self.kind)


@dataclass(frozen=True)
class Inventory:
    """A member's collateral: free wallet balances and vault accounts (smallest units by symbol),
    the quotes to value them with (`MarketDataClient.quotes`), and optionally the size of a whole
    unit per asset in smallest units (default one token, `10 ** decimals`)."""

    wallet: Mapping[str, int]
    accounts: Sequence[AccountHoldings]
    quotes: Mapping[str, Quote]
    units_per_whole: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "accounts", tuple(self.accounts))
        if not self.accounts:
            raise InputError("an inventory needs at least one vault account")
        ids = [a.account for a in self.accounts]
        if len(set(ids)) != len(ids):
            raise InputError(f"vault accounts repeat: {ids}")
        for a in self.accounts:
            _natural(a.requirement_jpy, f"{account_name(a.kind)} requirement")
        for where, rows in self._quantities():
            for symbol, units in rows.items():
                _natural(units, f"{where} {symbol}")
        missing = sorted(s for s in self.symbols if s not in self.quotes)
        if missing:
            raise InputError(f"no quote for {', '.join(missing)}: every asset held needs one")
        for symbol, unit in self.units_per_whole.items():
            if isinstance(unit, bool) or not isinstance(unit, int) or unit <= 0:
                raise InputError(f"{symbol}: a whole unit of {unit!r} smallest units")

    def _quantities(self) -> list[tuple[str, Mapping[str, int]]]:
        return [("wallet", self.wallet)] + [
            (account_name(a.kind), a.holdings) for a in self.accounts
        ]

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every asset the member has some of, in the wallet or an account, sorted."""
        return tuple(sorted({s for _, rows in self._quantities() for s, u in rows.items() if u}))

    def unit(self, symbol: str) -> int:
        """Smallest units in one whole unit of `symbol`: what legs are multiples of."""
        return self.units_per_whole.get(symbol, 10 ** self.quotes[symbol].decimals)


# ---------------------------------------------------------------------- what comes out


@dataclass(frozen=True)
class Step:
    """One transaction of a plan on one account: a deposit (one leg in), a withdrawal (one leg
    out) or a substitution (up to `MAX_LEGS` each way); legs in whole tokens by symbol."""

    account: int
    kind: AccountKind
    out: Mapping[str, Decimal]
    into: Mapping[str, Decimal]

    @property
    def action(self) -> str:
        if self.out and self.into:
            return "substitute"
        return "deposit" if self.into else "withdraw"


@dataclass(frozen=True)
class AccountPlan:
    """One account before and after: holdings and legs in whole tokens by symbol, values (JPY,
    after haircuts and concentration limits, exactly as the vault computes them) and annual
    funding costs (JPY a year). `target_jpy` is the requirement plus the buffer, rounded up."""

    account: int
    kind: AccountKind
    requirement_jpy: int
    target_jpy: int
    value_before_jpy: int
    value_after_jpy: int
    before: Mapping[str, Decimal]
    after: Mapping[str, Decimal]
    out: Mapping[str, Decimal]
    into: Mapping[str, Decimal]
    cost_before_jpy: Decimal = Decimal(0)
    cost_after_jpy: Decimal = Decimal(0)

    @property
    def purpose(self) -> Purpose:
        return purpose_of(self.kind)

    @property
    def covered(self) -> bool:
        return self.value_after_jpy >= self.target_jpy

    @property
    def moves(self) -> bool:
        return bool(self.out or self.into)

    def steps(self) -> tuple[Step, ...]:
        """The transactions that move this account, in an order the vault accepts each of.

        Legs both ways go in one substitution, checked on its final state. Beyond `MAX_LEGS` legs
        in, the rest are deposited first (a deposit is not checked and never lowers a value);
        beyond `MAX_LEGS` out, the rest are withdrawn last, each withdrawal leaving more than the
        final holdings, which cover the target. Legs only in are deposits, only out withdrawals
        (the same argument: each leaves more than the final holdings)."""
        out, into = list(self.out.items()), list(self.into.items())

        def step(o: list[tuple[str, Decimal]], i: list[tuple[str, Decimal]]) -> Step:
            return Step(self.account, self.kind, dict(o), dict(i))

        if out and into:
            return (
                *(step([], [leg]) for leg in into[MAX_LEGS:]),
                step(out[:MAX_LEGS], into[:MAX_LEGS]),
                *(step([leg], []) for leg in out[MAX_LEGS:]),
            )
        return (*(step([], [leg]) for leg in into), *(step([leg], []) for leg in out))


@dataclass(frozen=True)
class Plan:
    """The optimiser's proposal: every account before and after, in the order `execute` takes
    them; the annual funding cost of what is posted before and after (market value before
    haircut x bps / 10,000, JPY a year); and the solver's status message."""

    accounts: tuple[AccountPlan, ...]
    cost_before_jpy: Decimal
    cost_after_jpy: Decimal
    status: str
    buffer: Decimal = Decimal(0)

    @property
    def saving_jpy(self) -> Decimal:
        return self.cost_before_jpy - self.cost_after_jpy

    @property
    def moves(self) -> bool:
        return any(a.moves for a in self.accounts)

    def account(self, which: int | AccountKind) -> AccountPlan:
        """The plan of one account, by id or kind."""
        for a in self.accounts:
            if (a.kind if isinstance(which, AccountKind) else a.account) == which:
                return a
        raise InputError(f"the plan has no account {which!r}")

    def steps(self) -> tuple[Step, ...]:
        """Every transaction of the plan, in order (see `AccountPlan.steps`)."""
        return tuple(s for a in self.accounts for s in a.steps())

    def __str__(self) -> str:
        lines = [
            f"Collateral plan ({self.status}): funding cost {self.cost_before_jpy:,.0f} -> "
            f"{self.cost_after_jpy:,.0f} JPY a year (saves {self.saving_jpy:,.0f})"
        ]
        for a in self.accounts:
            lines.append(
                f"{account_name(a.kind)}: requirement {a.requirement_jpy:,} JPY, target "
                f"{a.target_jpy:,}; value {a.value_before_jpy:,} -> {a.value_after_jpy:,}"
            )
            if not a.moves:
                lines.append("  no change")
            for label, legs in (("out", a.out), ("in", a.into)):
                if legs:
                    lines.append(f"  {label}: " + ", ".join(f"{q:,f} {s}" for s, q in legs.items()))
        return "\n".join(lines)


# ---------------------------------------------------------------------- the optimiser


def optimise(
    inventory: Inventory,
    *,
    costs_bps: Mapping[str, int | Decimal],
    buffer: Decimal = Decimal(0),
) -> Plan:
    """The cheapest whole-unit holdings that cover each account's requirement plus `buffer` (a
    fraction of it: 0.05 covers 105%), as a `Plan` of legs from today's holdings.

    `costs_bps` is each asset's funding cost in basis points a year (int or Decimal), needed for
    every asset the member holds or could post. Refused with `AllocationInfeasible`, naming the
    account and the constraint that binds, when no allocation the chain would accept covers
    every account; with `InputError` for bad input."""
    return _Problem(inventory, _costs(inventory, costs_bps), _buffer(buffer)).solve()


def _natural(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{what} {value!r} must be a whole number of smallest units, 0 or more")


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool | float):
        raise InputError(f"{what} {value!r} is a {type(value).__name__}: pass an int or Decimal")
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InputError(f"{what} {value!r} is not a number") from None
    if not d.is_finite() or d < 0:
        raise InputError(f"{what} {value} must be 0 or more")
    return d


def _buffer(buffer: Any) -> Decimal:
    return _decimal(buffer, "buffer")


def _costs(inventory: Inventory, costs_bps: Mapping[str, Any]) -> dict[str, Decimal]:
    costs = {s: _decimal(c, f"{s} funding cost (bps)") for s, c in costs_bps.items()}
    purposes = {a.purpose for a in inventory.accounts}
    needed = [
        s
        for s in inventory.symbols
        if any(a.holdings.get(s) for a in inventory.accounts)
        or any(inventory.quotes[s].eligible_for(p) for p in purposes)
    ]
    missing = [s for s in needed if s not in costs]
    if missing:
        raise InputError(
            f"no funding cost for {', '.join(missing)}: give costs_bps for every asset the member "
            "holds or could post"
        )
    return costs


def _target(requirement_jpy: int, buffer: Decimal) -> int:
    return int((Decimal(requirement_jpy) * (1 + buffer)).to_integral_value(ROUND_CEILING))


def _cost(units: int, q: Quote, bps: Decimal) -> Decimal:
    return (Decimal(market_value(units, q)) * bps).scaleb(-4)


@dataclass
class _Solution:
    after: dict[int, dict[str, int]]  # account -> symbol -> smallest units (movable accounts)
    objective: float
    message: str


@dataclass
class _Var:
    """Where one account's holding of one asset sits in the model."""

    k: int  # column of its whole units, in lots
    z: int | None  # column of "keeps its fraction" (None: no fraction)
    terms: dict[int, float]  # the whole units held after, as columns and their coefficients
    size: float  # whole units in a lot
    into: int | None  # column of what comes in, in lots (None: it cannot grow)
    out: int | None  # column of what goes out, in lots (None: nothing held)


class _Problem:
    """One optimisation: the inventory's figures, the model's columns and rows, and the rounds of
    solving, checking exactly and solving again."""

    def __init__(self, inventory: Inventory, costs: Mapping[str, Decimal], buffer: Decimal) -> None:
        self.inv = inventory
        self.costs = costs
        self.buffer = buffer
        self.quotes = inventory.quotes
        self.symbols = inventory.symbols
        self.targets = {a.account: _target(a.requirement_jpy, buffer) for a in inventory.accounts}
        self.movers = [a for a in inventory.accounts if not a.frozen]
        # What the movable accounts and the wallet hold between them: all the model may place.
        self.free_total = {
            s: inventory.wallet.get(s, 0) + sum(a.holdings.get(s, 0) for a in self.movers)
            for s in self.symbols
        }
        # Whole units of each asset a column counts (see SCALE): above one, solved as a real number.
        self.lot = {
            s: max(1.0, self.free_total[s] / inventory.unit(s) / SCALE) for s in self.symbols
        }
        self.message = "not solved"
        self.failure = ""  # the last solve's status when it stopped with no answer, not infeasible

    # ------------------------------------------------------------ figures

    def _per_unit(self, symbol: str, haircut: bool) -> float:
        """JPY per whole unit, before the chain's roundings (they only ever take value away)."""
        q, unit = self.quotes[symbol], self.inv.unit(symbol)
        keep = Fraction(BPS - q.haircut_bps, BPS) if haircut else 1
        return float(Fraction(unit * q.price_e18 * q.fx_e18, 10**q.decimals * ONE * ONE) * keep)

    def _cost_per_unit(self, symbol: str) -> float:
        return self._per_unit(symbol, False) * float(self.costs.get(symbol, 0)) / BPS

    def _cap(self, a: AccountHoldings, symbol: str) -> int | None:
        return concentration_cap(self.quotes[symbol].concentration_bps, a.requirement_jpy)

    def _value(self, a: AccountHoldings, holdings: Mapping[str, int]) -> int:
        return account_value(holdings, self.quotes, a.purpose, a.requirement_jpy)

    def _costed(self, holdings: Mapping[str, int]) -> Decimal:
        return sum(
            (_cost(u, self.quotes[s], self.costs.get(s, Decimal(0))) for s, u in holdings.items()),
            Decimal(0),
        )

    # ------------------------------------------------------------ solving

    def solve(self) -> Plan:
        self._refuse_what_no_allocation_covers()
        start = {a.account: dict(a.holdings) for a in self.movers}
        start_covers = all(self._value(a, a.holdings) >= self.targets[a.account]
                           for a in self.inv.accounts)  # fmt: skip
        found, order, reason = self._rounds()
        if start_covers and (
            found is None or self._total_cost(start) <= self._total_cost(found.after)
        ):
            status = found.message if found else f"{self.message}; today's holdings kept"
            return self._plan(start, [a.account for a in self.movers], status)
        if found is None or order is None:
            raise AllocationInfeasible(reason)
        return self._plan(found.after, order, found.message)

    def _total_cost(self, after: Mapping[int, Mapping[str, int]]) -> Decimal:
        return sum((self._costed(h) for h in after.values()), Decimal(0))

    def _rounds(self) -> tuple[_Solution | None, list[int] | None, str]:
        """Solve, value the proposal exactly, and solve again with the target of each account
        found short raised by its shortfall, until none is short."""
        margins = {a.account: 0 for a in self.movers}
        slack = len(self.symbols) + sum(
            math.ceil(self._per_unit(s, True)) for s in self.symbols if self.lot[s] > 1
        )
        closest: dict[int, int] = {}
        for _ in range(_ROUNDS):
            found, order, reason = self._cheapest(margins)
            if found is None or order is None:
                if closest:
                    a = next(a for a in self.movers if a.account in closest)
                    reason = (
                        f"{account_name(a.kind)} needs {self.targets[a.account]:,} JPY; the "
                        f"closest whole-unit allocation found counts for {closest[a.account]:,} "
                        "JPY once the chain's roundings are applied"
                    )
                return None, None, reason
            short = {}
            for a in self.movers:
                value = self._value(a, found.after[a.account])
                if value < self.targets[a.account]:
                    short[a.account] = self.targets[a.account] - value
                    closest[a.account] = value
            if not short:
                return found, order, ""
            # Raised by the shortfall and a unit of each asset rounded down, doubling if that is
            # not enough, so that a handful of rounds settle it.
            for account, gap in short.items():
                margins[account] = max(2 * margins[account], margins[account] + gap + slack)
        return None, None, "the solver's proposals kept falling short of the targets by rounding"

    def _cheapest(
        self, margins: Mapping[int, int]
    ) -> tuple[_Solution | None, list[int] | None, str]:
        """The cheapest holdings and an order that carries them out: first without regard to
        order (a bound), then, if no order carries that out, under each order in turn; then the
        fewest yen moved at that cost."""
        free = self._run(margins, None, None)
        if free is None:
            if self.failure:
                return None, None, f"the solver stopped without an answer: {self.failure}"
            return None, None, self._contended()
        order = self._order_for(free.after)
        best = free
        if order is None:
            ids = [a.account for a in self.movers]
            orders = (
                list(itertools.permutations(ids))
                if len(ids) <= ALL_ORDERS_UP_TO
                else [tuple(ids), tuple(reversed(ids))]
            )
            tried = [(s, list(o)) for o in orders if (s := self._run(margins, list(o), None))]
            tried = [(s, o) for s, o in tried if self._executable(o, s.after)]
            if not tried:
                return None, None, self._cycle(free.after)
            best, order = min(tried, key=lambda t: t[0].objective)
        cap = best.objective + max(abs(best.objective), 1.0) * 1e-9
        least_moved = self._run(margins, order, cap)
        if least_moved is not None and self._executable(order, least_moved.after):
            return least_moved, order, ""
        return best, order, ""

    def _order_for(self, after: Mapping[int, Mapping[str, int]]) -> list[int] | None:
        ids = [a.account for a in self.movers]
        if len(ids) > 6:
            return ids if self._executable(ids, after) else None
        for o in itertools.permutations(ids):
            if self._executable(list(o), after):
                return list(o)
        return None

    def _executable(self, order: Sequence[int], after: Mapping[int, Mapping[str, int]]) -> bool:
        """Whether each account's legs in are in the wallet when its turn comes in `order`."""
        wallet = {s: self.inv.wallet.get(s, 0) for s in self.symbols}
        held = {a.account: a.holdings for a in self.movers}
        for account in order:
            for s in self.symbols:
                if after[account].get(s, 0) - held[account].get(s, 0) > wallet[s]:
                    return False
            for s in self.symbols:
                wallet[s] += held[account].get(s, 0) - after[account].get(s, 0)
        return True

    def _run(
        self, margins: Mapping[int, int], order: list[int] | None, cost_cap: float | None
    ) -> _Solution | None:
        """One HiGHS solve: the cheapest holdings (or, with `cost_cap`, the fewest yen moved at
        no more than that cost), rounded to whole units; None when infeasible (`failure` says
        whether the solver stopped for another reason)."""
        import numpy as np  # scipy is heavy to import: only when optimising
        from scipy.optimize import Bounds, LinearConstraint, milp

        self.failure = ""

        # HiGHS judges feasibility to 1e-7 absolute, beyond what a double holds of a trillion yen:
        # values are counted in `yen` JPY and each asset's quantity in `lot[s]` whole units, so
        # that every row's figures stay within a few million.
        needs = {a.account: self.targets[a.account] + margins[a.account] for a in self.movers}
        yen = max(1.0, max(needs.values(), default=0) / SCALE)
        lot = self.lot
        lower: list[float] = []
        upper: list[float] = []
        integer: list[int] = []
        cost: list[float] = []  # funding cost a year, JPY
        moved: list[float] = []  # JPY moved
        rows: list[tuple[dict[int, float], float, float]] = []

        def column(lo: float, hi: float, *, whole: bool, c: float = 0.0, m: float = 0.0) -> int:
            lower.append(lo)
            upper.append(hi)
            integer.append(1 if whole else 0)
            cost.append(c)
            moved.append(m)
            return len(lower) - 1

        def row(terms: Mapping[int, float], lo: float, hi: float, scale: float = 1.0) -> None:
            rows.append(({j: t / scale for j, t in terms.items()}, lo / scale, hi / scale))

        grid: dict[tuple[int, str], _Var] = {}
        for a in self.movers:
            counted = []
            for s in self.symbols:
                held, unit = a.holdings.get(s, 0), self.inv.unit(s)
                whole, rest = divmod(held, unit)
                eligible = self.quotes[s].eligible_for(a.purpose)
                most = (self.free_total[s] - rest) // unit if eligible else whole
                if held == 0 and most == 0:
                    continue
                size, fraction = lot[s], rest / unit
                unit_cost, unit_value = self._cost_per_unit(s), self._per_unit(s, False)
                # Whole units held after: size x k (+ fraction x z when it keeps its fraction).
                k = column(0, most / size, whole=size == 1.0, c=unit_cost * size)
                terms = {k: size}
                z = None
                if rest:
                    z = column(0, 1, whole=True, c=unit_cost * fraction)
                    terms[z] = fraction
                    row({k: 1.0, z: -most / size}, -math.inf, 0.0)  # no fraction: none at all
                if eligible:
                    cap = self._cap(a, s)
                    c = column(0, math.inf if cap is None else cap / yen, whole=False)
                    v = self._per_unit(s, True)
                    row({c: 1.0, **{j: -v * t / yen for j, t in terms.items()}}, -math.inf, 0.0)
                    counted.append(c)
                into = out = None
                if most > whole:  # held after less what comes in: no more than held now
                    into = column(0, math.inf, whole=False, m=unit_value * size)
                    row({**terms, into: -size}, -math.inf, held / unit, size)
                if held:
                    out = column(0, math.inf, whole=False, m=unit_value * size)
                    row({**terms, out: size}, held / unit, math.inf, size)
                grid[a.account, s] = _Var(k, z, terms, size, into, out)
            row(dict.fromkeys(counted, 1.0), needs[a.account] / yen, math.inf)
        for s in self.symbols:
            terms = {}
            for a in self.movers:
                if (var := grid.get((a.account, s))) is not None:
                    terms.update(var.terms)
            row(terms, -math.inf, self.free_total[s] / self.inv.unit(s), lot[s])
        if order is not None:
            # Each account's legs in come from the wallet as the accounts before it left it.
            for p, account in enumerate(order):
                for s in self.symbols:
                    var = grid.get((account, s))
                    if var is None or var.into is None:
                        continue
                    terms = {var.into: var.size}
                    room = self.inv.wallet.get(s, 0)
                    for earlier in order[:p]:
                        if (prior := grid.get((earlier, s))) is not None:
                            terms.update(prior.terms)
                            room += self._held(earlier, s)
                    row(terms, -math.inf, room / self.inv.unit(s), var.size)
        objective = cost
        if cost_cap is not None:
            costly = {j: c for j, c in enumerate(cost) if c}
            row(costly, -math.inf, cost_cap, max(1.0, cost_cap))
            objective = moved
        if not lower:  # nothing held and nothing that could go in: the accounts stay empty
            if any(low > 0 for _, low, _ in rows):
                return None
            self.message = "nothing to decide"
            return _Solution({a.account: {} for a in self.movers}, 0.0, self.message)

        matrix = np.zeros((len(rows), len(lower)))
        for i, (terms, _, _) in enumerate(rows):
            for j, coefficient in terms.items():
                matrix[i, j] = coefficient
        result = milp(
            np.array(objective),
            integrality=np.array(integer),
            bounds=Bounds(np.array(lower), np.array(upper)),
            constraints=LinearConstraint(
                matrix, np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
            ),
            options={"time_limit": TIME_LIMIT_S, "mip_rel_gap": MIP_GAP},
        )
        self.message = str(result.message)
        if result.x is None:  # infeasible, or stopped (time limit, numerical trouble) empty-handed
            self.failure = "" if result.status in (2, 3) else self.message
            return None
        # Stopped at the time limit with an allocation in hand: it is checked like any other, and
        # the plan's status says the solver stopped early.
        x = result.x
        after: dict[int, dict[str, int]] = {a.account: {} for a in self.movers}
        for (account, s), var in grid.items():
            held, unit = self._held(account, s), self.inv.unit(s)
            keeps = var.z is None or round(float(x[var.z])) == 1
            # Rounding down keeps within what the member has and what the wallet holds at each
            # turn; a shortfall it causes is what the next round's raised target is for.
            k = float(x[var.k]) * var.size
            whole = round(k) if var.size == 1.0 else math.floor(k)
            units = max(whole, 0) * unit + (held % unit if keeps else 0)
            if units:
                after[account][s] = units
        if any(sum(h.get(s, 0) for h in after.values()) > self.free_total[s] for s in self.symbols):
            self.failure = "rounding its answer to whole units needed more than the member has"
            return None
        return _Solution(after, float(np.dot(cost, x)), self.message)

    def _held(self, account: int, symbol: str) -> int:
        return next(a.holdings.get(symbol, 0) for a in self.movers if a.account == account)

    # ------------------------------------------------------------ saying what binds

    def _most(self, a: AccountHoldings) -> dict[str, int]:
        """The most of each eligible asset account `a` could hold if it had everything the member
        has: whole units beside the fraction it holds today (legs move whole units)."""
        most = {}
        for s in self.symbols:
            if not self.quotes[s].eligible_for(a.purpose):
                continue
            unit, rest = self.inv.unit(s), a.holdings.get(s, 0) % self.inv.unit(s)
            most[s] = rest + (self.free_total[s] - rest) // unit * unit
        return most

    def _refuse_what_no_allocation_covers(self) -> None:
        for a in self.inv.accounts:
            target = self.targets[a.account]
            if a.frozen:
                value = self._value(a, a.holdings)
                if value < target:
                    raise AllocationInfeasible(
                        f"{account_name(a.kind)} is frozen at {value:,} JPY, short of {target:,} "
                        "JPY it needs: nothing can move in or out"
                    )
                continue
            most = self._most(a)
            best = self._value(a, most)
            if best >= target:
                continue
            need = f"{account_name(a.kind)} needs {target:,} JPY"
            if self.buffer:
                percent = (self.buffer * 100).normalize()
                need += f" ({a.requirement_jpy:,} requirement + {percent:f}% buffer)"
            if not most:
                raise AllocationInfeasible(
                    f"{need}; nothing the member holds is eligible for "
                    f"{a.purpose.name.lower().replace('_', ' ')}"
                )
            caps = []
            for s, units in most.items():
                cap = self._cap(a, s)
                if cap is not None and units and haircut_value(units, self.quotes[s]) > cap:
                    limit = Decimal(self.quotes[s].concentration_bps) / 100
                    caps.append(f"{s} counts at most {cap:,} JPY ({limit:f}% of the requirement)")
            raise AllocationInfeasible(
                f"{need}; everything eligible the member holds counts for {best:,} JPY after "
                "haircuts and concentration limits" + (": " + "; ".join(caps) if caps else "")
            )

    def _contended(self) -> str:
        names = [account_name(a.kind) for a in self.movers]
        needs = ", ".join(f"{self.targets[a.account]:,}" for a in self.movers)
        shared = [
            s
            for s in self.symbols
            if sum(self.quotes[s].eligible_for(a.purpose) for a in self.movers) > 1
        ]
        said = f"{' and '.join(names)} need {needs} JPY: each can be covered alone but not all "
        said += "at once from the member's holdings"
        return said + (f" (they draw on {', '.join(shared)})" if shared else "")

    def _cycle(self, after: Mapping[int, Mapping[str, int]]) -> str:
        moving = []
        for a in self.movers:
            out = [s for s in self.symbols if after[a.account].get(s, 0) < a.holdings.get(s, 0)]
            into = [s for s in self.symbols if after[a.account].get(s, 0) > a.holdings.get(s, 0)]
            if out or into:
                moving.append(
                    f"{', '.join(out) or 'nothing'} out of and {', '.join(into) or 'nothing'} into "
                    f"the {account_name(a.kind)}"
                )
        return (
            "covering every account needs collateral to move between them in a circle ("
            + "; ".join(moving)
            + ") and no order of moves gets there without an account falling short: free some "
            "of it in the wallet first"
        )

    # ------------------------------------------------------------ the plan

    def _plan(
        self, after: Mapping[int, Mapping[str, int]], order: Sequence[int], status: str
    ) -> Plan:
        by_id = {a.account: a for a in self.inv.accounts}
        ordered = [*order, *(a.account for a in self.inv.accounts if a.account not in order)]
        plans = []
        for account in ordered:
            a = by_id[account]
            now = {s: u for s, u in a.holdings.items() if u}
            then = {s: u for s, u in after.get(account, now).items() if u}
            symbols = sorted(set(now) | set(then))
            plans.append(
                AccountPlan(
                    account=account,
                    kind=a.kind,
                    requirement_jpy=a.requirement_jpy,
                    target_jpy=self.targets[account],
                    value_before_jpy=self._value(a, now),
                    value_after_jpy=self._value(a, then),
                    before={s: self._whole(s, u) for s, u in sorted(now.items())},
                    after={s: self._whole(s, u) for s, u in sorted(then.items())},
                    out={
                        s: self._whole(s, now.get(s, 0) - then.get(s, 0))
                        for s in symbols
                        if now.get(s, 0) > then.get(s, 0)
                    },
                    into={
                        s: self._whole(s, then.get(s, 0) - now.get(s, 0))
                        for s in symbols
                        if then.get(s, 0) > now.get(s, 0)
                    },
                    cost_before_jpy=self._costed(now),
                    cost_after_jpy=self._costed(then),
                )
            )
        return Plan(
            accounts=tuple(plans),
            cost_before_jpy=sum((p.cost_before_jpy for p in plans), Decimal(0)),
            cost_after_jpy=sum((p.cost_after_jpy for p in plans), Decimal(0)),
            status=status,
            buffer=self.buffer,
        )

    def _whole(self, symbol: str, units: int) -> Decimal:
        return from_units(units, self.quotes[symbol].decimals)
