"""The CCP's controls: the ledger checked against itself, each check a typed result.

A clearing house reconciles its books every day; on a shared ledger the same controls can be run
by anyone, at any block:

* `supply_against_register`: only registered participants can hold tokens, so every asset's
  total supply equals the sum of the register's holdings (the vault included);
* `vault_against_accounts`: the vault holds exactly the tokens its accounts say it does;
* `omnibus_sub_ledgers`: each omnibus account's beneficial-owner sub-ledger totals its holdings
  (from the vault's public views);
* `values_against_model`: every account's value on chain equals pyclient's own valuation of it
  (`pyclient.valuation`), an independent check of the contracts' arithmetic;
* `substitutions_against_legs`: every substitution's own record (`Substituted`) against the
  vault's record of its legs in the same transaction (`CollateralWithdrawn` for each leg out,
  `CollateralDeposited` for each leg in), so the summary a reconciler reads can be trusted;
* `jdr_trusts_backed`: every JDR series' supply is backed at its ratio, and its trust holds the
  cash it owes holders;
* `goods_in_custody`: each goods pool's units equal the goods of the receipts it holds, and the
  delivery settlement holds exactly the yen and goods tokens its open pairs have not passed on;
* `etf_settlement_held`: the ETF settlement holds, of every asset, exactly what its days say
  they hold for their books (delivered and not yet handed on, yen paid in and not yet paid out);
* `requirements_against`: requirements on chain equal what the margin engine computed.

`reconcile(d)` runs all but the last; `kabuto reconcile` prints them and exits non-zero on a break.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .collateral.vault import AccountKind, purpose_of, split_account_id
from .deployment import Deployment
from .errors import KabutoError
from .events import DecodedEvent
from .goods.model import DocumentKind
from .oracle.market_data import Quote
from .valuation import account_value
from .views import balance_sheet, head


@dataclass(frozen=True)
class Line:
    """One thing compared: what it should be against what it is, in `unit`."""

    subject: str
    expected: Decimal
    actual: Decimal
    unit: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


@dataclass(frozen=True)
class Check:
    """One control over the ledger: a line per subject compared."""

    name: str
    title: str
    expected_label: str  # what `expected` is, in a report's column header
    actual_label: str
    lines: tuple[Line, ...]

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)

    @property
    def breaks(self) -> list[Line]:
        return [line for line in self.lines if not line.ok]


@dataclass(frozen=True)
class Reconciliation:
    """Every control run at `block`."""

    block: int
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def supply_against_register(d: Deployment) -> Check:
    """Per asset: total supply against the sum of every registered participant's balance."""
    sheet = balance_sheet(d)
    lines = []
    for a in d.assets.values():
        held = [sheet.of(address, a.symbol) for _, address in sheet.holders]
        holders = sum(1 for h in held if h)
        lines.append(
            Line(a.symbol, a.whole(sheet.supply[a.symbol]), a.whole(sum(held)), a.symbol,
                 _count(holders, "holder"))
        )  # fmt: skip
    return Check(
        "supply",
        "Token supply against holdings in the register",
        "total supply",
        "sum of holdings",
        tuple(lines),
    )


def vault_against_accounts(d: Deployment) -> Check:
    """Per asset: the vault's token balance against the sum of its accounts' holdings."""
    accounts = d.vault.account_ids()
    fns = d.vault.contract.functions
    assets = list(d.assets.values())
    reads = [d.token(a).contract.functions.balanceOf(d.vault.address) for a in assets]
    reads += [fns.holding(acct, a.address) for a in assets for acct in accounts]
    raw = [int(v) for v in d.chain.read_many(reads)]
    balances, holdings = raw[: len(assets)], raw[len(assets) :]
    lines = []
    for i, a in enumerate(assets):
        parts = holdings[i * len(accounts) : (i + 1) * len(accounts)]
        n = sum(1 for p in parts if p)
        lines.append(
            Line(a.symbol, a.whole(balances[i]), a.whole(sum(parts)), a.symbol,
                 f"{_count(n, 'account')} of {len(accounts)}")
        )  # fmt: skip
    return Check(
        "vault",
        "The vault's tokens against its accounts' holdings",
        "vault's token balance",
        "sum of account holdings",
        tuple(lines),
    )


def omnibus_sub_ledgers(d: Deployment) -> Check:
    """Per omnibus account and asset: sub-ledger total against the holding."""
    lines = []
    for acct in d.vault.account_ids():
        if split_account_id(acct)[1] is not AccountKind.OMNIBUS:  # the id says its kind
            continue
        label = d.vault_account(acct)
        held = d.vault.holdings(acct)
        ledger = d.vault.sub_ledger(acct)
        for symbol in sorted(set(held) | {s for rows in ledger.values() for s in rows}):
            total = sum((rows.get(symbol, Decimal(0)) for rows in ledger.values()), Decimal(0))
            lines.append(
                Line(f"{label} / {symbol}", held.get(symbol, Decimal(0)), total, symbol,
                     _count(sum(1 for rows in ledger.values() if rows.get(symbol)), "client"))
            )  # fmt: skip
    return Check(
        "omnibus",
        "Omnibus sub-ledgers against omnibus holdings",
        "holding",
        "sub-ledger total",
        tuple(lines),
    )


def values_against_model(d: Deployment) -> Check:
    """Per account holding collateral: the chain's `collateralValue` against pyclient's valuation
    of the same holdings with the same quotes. An account that cannot be valued now (a stale
    price) is reported as such, not as a break: neither side can value it."""
    ids = d.vault.account_ids()
    held = d.vault.raw_holdings_of(ids)
    ids = [i for i in ids if any(held[i].values())]
    fns = d.vault.contract.functions
    values = d.chain.read_many([fns.collateralValue(i) for i in ids],
                               context=d.errors_for(d.vault.label), keep_errors=True)  # fmt: skip
    requirements = {a.id: a.requirement_jpy for a in d.vault.accounts(ids)}
    symbols = sorted({s for i in ids for s, q in held[i].items() if q})
    quotes = dict(zip(symbols, _quotes(d, symbols), strict=True))
    lines = []
    for acct, on_chain in zip(ids, values, strict=True):
        label = d.vault_account(acct)
        if isinstance(on_chain, KabutoError):
            lines.append(Line(label, Decimal(0), Decimal(0), "JPY",
                              f"not valued now: {type(on_chain).__name__}"))  # fmt: skip
            continue
        purpose = purpose_of(split_account_id(acct)[1])
        model = account_value(held[acct], {s: quotes[s] for s in held[acct] if held[acct][s]},
                              purpose, requirements[acct])  # fmt: skip
        lines.append(Line(label, Decimal(model), Decimal(int(on_chain)), "JPY"))
    return Check(
        "values",
        "Account values on chain against pyclient's valuation",
        "pyclient valuation",
        "collateralValue on chain",
        tuple(lines),
    )


def substitutions_against_legs(d: Deployment) -> Check:
    """Per substitution and leg: what `Substituted` states against what the vault moved for that
    account and asset in the same transaction, between the previous substitution's event (if the
    transaction held several) and its own: the vault books every leg before the summary."""
    legs_by_tx: dict[str, list[DecodedEvent]] = defaultdict(list)
    for e in d.vault.history():
        if e.name in ("CollateralDeposited", "CollateralWithdrawn"):
            legs_by_tx[e.tx_hash].append(e)
    lines = []
    after: dict[str, int] = {}  # per transaction, the log index of the last summary seen
    for e in d.substitution.history("Substituted"):
        account, since = int(e["account"]), after.get(e.tx_hash, -1)
        mine = [v for v in legs_by_tx[e.tx_hash] if since < v.log_index < e.log_index]
        after[e.tx_hash] = e.log_index
        for direction, legs, name in (
            ("out", e["out"], "CollateralWithdrawn"),
            ("in", e["into"], "CollateralDeposited"),
        ):
            for asset, units in legs:
                a = d.asset(asset)
                vault = sum(
                    int(v["amount"])
                    for v in mine
                    if v.name == name and int(v["account"]) == account and v["asset"] == a.address
                )
                subject = f"{d.vault_account(account)} {direction} {a.symbol} ({e.tx_hash[:10]})"
                lines.append(Line(subject, a.whole(int(units)), a.whole(vault), a.symbol))
    return Check(
        "substitutions",
        "Substitutions against the vault's legs",
        "substitution states",
        "vault moved",
        tuple(lines),
    )


def jdr_trusts_backed(d: Deployment) -> Check:
    """Per JDR series: the ETF units the supply needs at the ratio against what the trust holds
    (until its liquidation), its custody of the ETF against held plus pending creations, and its
    JPY against what it owes holders (distributions and termination proceeds not yet claimed)."""
    lines = []
    for symbol, trust in d.jdrs().items():
        deed, termination = trust.deed(), trust.termination()
        etf, cash = d.asset(deed.underlying), d.asset(deed.cash)
        supply, held, _ = trust.invariant()
        _, pending, _ = trust.pending_creations()
        custody = d.token(etf).balances([trust.address])[trust.address]
        owed = sum(x.net_jpy - x.paid_jpy for x in trust.distributions() if x.declared)
        owed += termination.proceeds_jpy - termination.paid_jpy
        jpy = d.token(cash).balances([trust.address])[trust.address]
        if not termination.liquidated:
            needed = Fraction(supply) / trust.ratio() / 10**etf.decimals
            lines.append(
                Line(f"{symbol} {etf.symbol} backing {supply:,} units",
                     Decimal(needed.numerator) / needed.denominator, etf.whole(held), etf.symbol,
                     f"ratio {trust.ratio()}")
            )  # fmt: skip
        lines.append(
            Line(f"{symbol} {etf.symbol} in custody", etf.whole(held + pending),
                 etf.whole(custody), etf.symbol, f"{etf.whole(pending)} pending")
        )  # fmt: skip
        lines.append(
            Line(f"{symbol} JPY owed to holders", cash.whole(owed), cash.whole(jpy), "JPY")
        )
    return Check(
        "jdr",
        "JDR trusts: units backed, custody and cash owed",
        "required",
        "held by the trust",
        tuple(lines),
    )


def goods_in_custody(d: Deployment) -> Check:
    """Goods and yen Kabuto's contracts hold for others. Per goods pool: its units outstanding
    against the quantities of the receipts the receipts token says it holds. For the delivery
    settlement: its yen against what its open pairs were paid and have not passed on, and the goods
    tokens it holds against those delivered into open pairs and not yet released."""
    lines = []
    for a in d.assets.values():
        if a.spec.pool_commodity is None:
            continue
        pool = d.pool(a.symbol)
        held = d.warehouse_receipts.held_by(pool.address)
        lines.append(
            Line(f"{a.symbol} units against receipts held", pool.total_supply(),
                 a.whole(sum(t.goods.quantity for t in held)), a.symbol,
                 _count(len(held), "receipt"))
        )  # fmt: skip
    delivery = d.delivery
    owed_jpy, tokens_due = 0, 0
    ids = sorted({int(e["deliveryId"]) for e in delivery.history("DeliveryOpened")})
    for delivery_id in ids:
        pairs = [p for p in delivery.pairs(delivery_id) if p.is_open]
        delivered = delivery.tokens_of_many(delivery_id, [p.index for p in pairs])
        owed_jpy += sum(p.held for p in pairs)
        tokens_due += sum(len(delivered[p.index]) - p.released for p in pairs)
    jpy = d.asset("JPY")
    cash = d.token(jpy).balances([delivery.address])[delivery.address]
    documents = sum(d.goods_documents(kind).balance_of(delivery.address) for kind in DocumentKind)
    lines.append(
        Line("delivery: yen paid, not yet passed on", jpy.whole(owed_jpy), jpy.whole(cash), "JPY",
             _count(len(ids), "delivery"))
    )  # fmt: skip
    lines.append(
        Line("delivery: goods tokens delivered, not yet released", Decimal(tokens_due),
             Decimal(documents), "tokens")
    )  # fmt: skip
    return Check(
        "goods",
        "Goods and yen in custody: pools and delivery settlement",
        "owed to others",
        "held",
        tuple(lines),
    )


def etf_settlement_held(d: Deployment) -> Check:
    """Per asset, the ETF settlement's balance against the sum over its settlement days of what
    each day holds for its books (`held(day, token)`): nothing in it belongs to no day. The
    rounding of late charges (payers rounded up, receivers down) stays held by its day."""
    settlement = d.etf_settlement
    days = sorted({int(e["day"]) for e in settlement.history("BookOpened")})
    assets = list(d.assets.values())
    balances = {a.symbol: d.token(a).balance_of(settlement.address) for a in assets}
    fns = settlement.contract.functions
    raw = d.chain.read_many([fns.held(day, a.address) for day in days for a in assets])
    held: dict[str, int] = defaultdict(int)
    for i, value in enumerate(raw):
        held[assets[i % len(assets)].symbol] += int(value)
    lines = tuple(
        Line(a.symbol, a.whole(held[a.symbol]), balances[a.symbol], a.symbol,
             _count(len(days), "settlement day"))
        for a in assets
        if held[a.symbol] or balances[a.symbol]
    )  # fmt: skip
    return Check("etf", "ETF settlement: what its days hold against its balances",
                 "days hold", "balance", lines)  # fmt: skip


def _quotes(d: Deployment, symbols: list[str]) -> list[Quote | None]:
    """Each asset's quote now, None where it cannot be had (a stale price)."""
    fns = d.market_data.contract.functions
    raw = d.chain.read_many([fns.quote(d.asset(s).address) for s in symbols], keep_errors=True)
    return [None if isinstance(r, KabutoError) else Quote.from_chain(r) for r in raw]


def requirements_against(d: Deployment, expected: Mapping[int, int]) -> Check:
    """Per account: the requirement on chain against `expected` (a margin run's results)."""
    records = d.vault.accounts(list(expected))
    lines = tuple(
        Line(d.vault_account(r.id), Decimal(int(expected[r.id])), Decimal(r.requirement_jpy), "JPY")
        for r in records
    )
    return Check("requirements", "Requirements on chain against the margin engine's run",
                 "engine computed", "on chain", lines)  # fmt: skip


def reconcile(d: Deployment) -> Reconciliation:
    """Every standing control, at the current block."""
    return Reconciliation(
        head(d).block,
        (
            supply_against_register(d),
            vault_against_accounts(d),
            omnibus_sub_ledgers(d),
            values_against_model(d),
            substitutions_against_legs(d),
            jdr_trusts_backed(d),
            goods_in_custody(d),
            etf_settlement_held(d),
        ),
    )


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{n} {plural}"
