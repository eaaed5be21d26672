"""Read models: the ledger as a person reads it, assembled once for the CLI, demos and dashboards.

Each view is a frozen snapshot read from the chain in as few round trips as the node allows
(JSON-RPC batches): a vault account with its holdings and value against its requirement, the
balance sheet of every participant in every asset, the market data collateral is valued with,
the chain's head (the block every read stands at, and the time contracts judge by), and what a
default seized. `pyclient.tables` renders them; a dashboard would serialise them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from .clock import from_unix
from .collateral.vault import AccountKind, MarginCall, VaultAccount, split_account_id
from .deployment import Deployment
from .errors import KabutoError
from .events import DecodedEvent
from .oracle.market_data import RiskParameters, price_from_chain
from .tokens.asset import Asset
from .valuation import haircut_value, market_value, quantity_for

# ---------------------------------------------------------------------- the chain's head


@dataclass(frozen=True)
class Head:
    """The latest block: what a read now sees, and the clock deadlines and prices are judged by."""

    block: int
    timestamp: int  # unix seconds

    @property
    def time(self) -> dt.datetime:
        """The block's time in Tokyo."""
        return from_unix(self.timestamp)


def head(d: Deployment) -> Head:
    """The chain's latest block, read in one call (its number and time agree)."""
    block = d.chain.w3.eth.get_block("latest")
    return Head(int(block["number"]), int(block["timestamp"]))


# ---------------------------------------------------------------------- vault accounts


@dataclass(frozen=True)
class AccountView:
    """One vault account: its record, what it holds, and its value against its requirement."""

    account: VaultAccount
    label: str  # "member-a house account"
    holdings: dict[str, Decimal]  # asset symbol -> whole units (held assets only)
    value_jpy: int | None  # None: it cannot be valued now (a price missing or stale)
    unvalued: KabutoError | None = None  # why not, when it cannot
    open_call: MarginCall | None = None

    @property
    def id(self) -> int:
        return self.account.id

    @property
    def kind(self) -> AccountKind:
        return self.account.kind

    @property
    def requirement_jpy(self) -> int:
        return self.account.requirement_jpy

    @property
    def excess_jpy(self) -> int | None:
        """Value above the requirement (negative when short); None when it cannot be valued."""
        return None if self.value_jpy is None else self.value_jpy - self.requirement_jpy

    @property
    def shortfall_jpy(self) -> int:
        """How far the value falls short of the requirement (0 when covered or not valued)."""
        excess = self.excess_jpy
        return 0 if excess is None else max(0, -excess)

    @property
    def uncalled_jpy(self) -> int:
        """What a new call would ask for now: the shortfall not already asked for by the open
        call (a raised requirement is called for its increase; 0 when nothing more is due)."""
        if self.open_call is None:
            return self.shortfall_jpy
        if self.value_jpy is None or self.value_jpy >= self.requirement_jpy:
            return 0
        return max(0, self.requirement_jpy - max(self.value_jpy, self.open_call.requirement_jpy))


def account_views(
    d: Deployment, accounts: Iterable[Any] | None = None, *, strict: bool = False
) -> list[AccountView]:
    """The accounts given (default: every account ever opened), read in a few batches; each by
    id, label (`"member-a house"`) or participant (`Deployment.account_id`).

    With `strict`, an account that cannot be valued raises the typed error (what a margin run
    wants); otherwise its value is None and `unvalued` says why (what a report wants).
    """
    ids = d.vault.account_ids() if accounts is None else d.vault.resolve_all(accounts)
    fns = d.vault.contract.functions
    vault_accounts = d.vault.accounts(ids)
    values = d.chain.read_many(
        [fns.collateralValue(i) for i in ids],
        context=d.errors_for(d.vault.label),
        keep_errors=not strict,
    )
    calls = {
        c.id: c for c in d.vault.margin_calls([a.open_call for a in vault_accounts if a.open_call])
    }
    held = d.vault.raw_holdings_of(ids)
    out = []
    for account, value in zip(vault_accounts, values, strict=True):
        failed = isinstance(value, KabutoError)
        out.append(
            AccountView(
                account=account,
                label=d.vault_account(account.id),
                holdings={s: d.asset(s).whole(u) for s, u in held[account.id].items() if u},
                value_jpy=None if failed else int(value),
                unvalued=value if failed else None,
                open_call=calls.get(account.open_call) if account.open_call else None,
            )
        )
    return out


def account_view(d: Deployment, account: Any, *, strict: bool = False) -> AccountView:
    """One account, by id, label or participant (see `account_views`)."""
    (view,) = account_views(d, [account], strict=strict)
    return view


def clearing_members_of(d: Deployment, accounts: Iterable[Any]) -> dict[int, str]:
    """The clearing member responsible for each vault account (by id, label or participant), by
    name and keyed by account id: the one that owns it, or the one a client clears through (read
    from the register in two batches). What the CCP groups accounts by, to stress a member's
    whole book or share out the clearing fund."""
    register = {p.address: p for p in d.participants()}
    out = {}
    for account in d.vault.resolve_all(accounts):
        owner = register[split_account_id(account)[0]]
        member = owner.clearing_member
        out[account] = register[member].name if member else owner.name
    return out


# ---------------------------------------------------------------------- balances


@dataclass(frozen=True)
class BalanceSheet:
    """Balances of a set of holders in every asset, and each asset's supply, in smallest units."""

    holders: tuple[tuple[str, str], ...]  # (label, address), in display order
    units: dict[tuple[str, str], int]  # (address, asset symbol) -> smallest units
    supply: dict[str, int]  # asset symbol -> smallest units

    def of(self, address: str, symbol: str) -> int:
        return self.units[(address, symbol)]

    def changes(self, before: BalanceSheet) -> dict[tuple[str, str], int]:
        """What moved since `before`, per (address, symbol) both sheets know; zeros left out."""
        return {
            key: units - before.units[key]
            for key, units in self.units.items()
            if key in before.units and units != before.units[key]
        }


def balance_sheet(
    d: Deployment, holders: Mapping[str, str] | None = None, *, participants: bool = True
) -> BalanceSheet:
    """Every registered participant's (with `participants`) and every extra holder's
    (label -> address) balance of every asset, with supplies, in two JSON-RPC batches."""
    rows = [(p.name, p.address) for p in d.participants()] if participants else []
    rows += list((holders or {}).items())
    keys = [(address, symbol) for _, address in rows for symbol in d.assets]
    fns = [d.token(symbol).contract.functions.balanceOf(address) for address, symbol in keys]
    balances = d.chain.read_many(fns)
    supplies = d.chain.read_many(
        [d.token(symbol).contract.functions.totalSupply() for symbol in d.assets]
    )
    return BalanceSheet(
        holders=tuple(rows),
        units={k: int(v) for k, v in zip(keys, balances, strict=True)},
        supply={s: int(v) for s, v in zip(d.assets, supplies, strict=True)},
    )


# ---------------------------------------------------------------------- market data


@dataclass(frozen=True)
class MarketRow:
    """What one asset is valued with: last price and rate (stale or not) and risk parameters."""

    asset: Asset
    price: Decimal  # asset currency per whole token (0 if never published)
    as_of: int
    fx_rate: Decimal  # JPY per unit of the asset's currency (1 for JPY; 0 if never published)
    parameters: RiskParameters

    @property
    def jpy_per_token(self) -> Decimal:
        """Market value of one whole token in JPY, before haircut."""
        return self.price * self.fx_rate

    @property
    def counted_per_token(self) -> Decimal:
        """What one whole token counts for as collateral after haircut (before any limit)."""
        return self.jpy_per_token * (1 - Decimal(self.parameters.haircut_bps) / 10_000)


def market_rows(d: Deployment) -> list[MarketRow]:
    """Every asset's market data, read in one batch."""
    fns = d.market_data.contract.functions
    assets = list(d.assets.values())
    currencies = sorted({a.spec.currency for a in assets})
    reads = [fns.priceOf(a.address) for a in assets] + [
        fns.riskParameters(a.address) for a in assets
    ]
    reads += [fns.fxRateOf(c.encode()) for c in currencies]
    raw = d.chain.read_many(reads, context=d.errors_for(d.market_data.label))
    n = len(assets)
    rates = {c: price_from_chain(r[0]) for c, r in zip(currencies, raw[2 * n :], strict=True)}
    return [
        MarketRow(
            asset=a,
            price=price_from_chain(price[0]),
            as_of=int(price[1]),
            fx_rate=rates[a.spec.currency],
            parameters=RiskParameters.from_chain(params),
        )
        for a, price, params in zip(assets, raw[:n], raw[n : 2 * n], strict=True)
    ]


def quantity_worth(d: Deployment, asset: str, value_jpy: Decimal | int, *, lot: int = 1) -> Decimal:
    """Whole tokens of `asset` that count for at least `value_jpy` as collateral at its quote on
    chain now (haircut included, before any concentration limit), in lots of `lot` whole tokens:
    what to deposit to cover a shortfall (`valuation.quantity_for`, from the yen rounded up)."""
    a = d.asset(asset)
    value = int(Decimal(value_jpy).to_integral(ROUND_CEILING))
    return a.whole(quantity_for(value, d.market_data.quote(a.symbol), lot=a.units(lot)))


# ---------------------------------------------------------------------- a default


@dataclass(frozen=True)
class Seizure:
    """Collateral a default took from one account (a `CollateralSeized` event), valued now."""

    account: int  # the defaulter's vault account it was taken from
    asset: Asset
    units: int  # smallest units
    market_jpy: int  # before haircut, whole JPY rounded down
    counted_jpy: int  # after haircut: what it counts for as collateral

    @property
    def quantity(self) -> Decimal:
        return self.asset.whole(self.units)


def seizures(d: Deployment, events: Sequence[DecodedEvent]) -> list[Seizure]:
    """What the `CollateralSeized` events among `events` (a default's outcome's, say) took, in
    order, each valued at the quotes on chain now (read in one batch) as `pyclient.valuation`
    values it."""
    seized = [e for e in events if e.name == "CollateralSeized"]
    quotes = d.market_data.quotes(dict.fromkeys(d.asset(e["asset"]).symbol for e in seized))
    out = []
    for e in seized:
        asset = d.asset(e["asset"])
        quote = quotes[asset.symbol]
        out.append(
            Seizure(
                account=e["fromAccount"],
                asset=asset,
                units=e["amount"],
                market_jpy=market_value(e["amount"], quote),
                counted_jpy=haircut_value(e["amount"], quote),
            )
        )
    return out
