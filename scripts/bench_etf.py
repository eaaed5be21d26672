"""The chain work of the bench's ETF clearing section (`bench.py --only etf`): the ETF's assets, its
cast, and one clearing day from application to settlement (domain §5; reference 004 articles 46-2,
47 and 50).

The bench deploys Kabuto without the ETF's assets (adding them to the deployment would move the
addresses of contracts other sections measure), so the section deploys the four tokens itself
(Toyota and Sony shares, the in-kind ETF1306 and the cash ETF2558, as `pyclient.deploy` would) and
wires them as the suite does. A day: at T 10:00 Tokyo the applicants apply, the ETF special
participant draws up each statement, the trust bank approves it (T becomes its statement date) and
the CCP novates them in the SDK's batches; the day's trades (pairs of members, one trading
TYO7203 with the other) are recorded for S = T+2 and the netting closed; on S by 13:00 each member
delivers and pays what its book owes and the trust bank creates the units; at 14:00 the CCP
collects every member book (`collect_many`). Members are generated keys (fixed seeds, so the same
addresses every run) with gas money; each holds some of every asset of the day before it, so
every receipt lands in a non-zero balance, and has approved the settlement without limit (set-up:
no allowance is rewritten by a measured call).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from pyclient import DEFAULT_ASSETS, Admission, Asset, ClearingMember, Kind, Settlor, TrustBank
from pyclient.chain import devnet
from pyclient.clock import TOKYO, from_unix, to_unix
from pyclient.contracts.token import TokenClient
from pyclient.etf.clearing import ApplicationStatus, book_id
from pyclient.etf.model import ApplicationKind, EtfType, settlement_date, sub_business_days
from pyclient.etf.netting import NettingReport, Side, Stream, Trade
from pyclient.margin.calendar import is_business_day, next_business_day

__all__ = [
    "DVP_PRICES",
    "ETF_ASSETS",
    "Day",
    "EtfCast",
    "add_etf_assets",
    "etf_cast",
    "first_day",
    "run_day",
]

Say = Callable[[str], None]

ETF_ASSETS = ("TYO7203", "TYO6758", "ETF1306", "ETF2558")  # deployed by the section, in order
CU_1306, BASKET_1306, CASH_1306 = 1_000, {"TYO7203": 600, "TYO6758": 300}, 50_000
CU_2558 = 100
DVP_PRICES = {"TYO7203": 3_000, "TYO6758": 3_500, "ETF1306": 2_900, "ETF2558": 30_000}
CASH_2558 = CU_2558 * DVP_PRICES["ETF2558"]  # the cash creation's statement, a creation unit
TRADED, TRADE_QUANTITY = "TYO7203", 600  # each pair's trade: the in-kind basket's Toyota shares
TRADE_PRICE = DVP_PRICES[TRADED]  # at the DvP price: no book pre-funds
HOLDINGS = {"JPY": 10_000_000, "TYO7203": 1_000, "TYO6758": 1_000, "ETF1306": 1, "ETF2558": 1}
APPROVED = ("JPY", "TYO7203", "TYO6758")  # what a member may owe the settlement
GAS_MONEY = 10**20
ISSUE_BATCH = 250
BANK, MANAGER = "bench-etf-trustee", "bench-etf-sp"  # the JDR section's names are taken


def _key(seed: str) -> LocalAccount:
    return Account.from_key(keccak(text=f"kabuto-bench-etf-{seed}"))


def add_etf_assets(b: Any) -> None:
    """Deploy the ETF's four tokens from the operator and wire them as `pyclient.deploy` does:
    listed for pricing, the settlement the ETF units' issuer (creation and cancellation), the
    bench's issuer holding the issuer role in the operator's place."""
    d, chain, operator = b.kabuto, b.chain, b.ccp.signer
    specs = [next(a for a in DEFAULT_ASSETS if a.symbol == s) for s in ETF_ASSETS]
    sent = [
        (spec, chain.send_deploy(TokenClient.artifact, [
            spec.name, spec.symbol, spec.decimals, d.registry.address, spec.constructor_info(),
            operator.address,
        ], operator))
        for spec in specs
    ]  # fmt: skip
    for spec, tx in sent:
        d.assets[spec.symbol] = Asset(str(chain.wait(tx).contract_address), spec)
    d._decoder = None  # decode the new tokens' events too
    added = [d.asset(s) for s in ETF_ASSETS]
    calls = [d.market_data.list_assets(added)]
    for a in added:
        token = d.token(a)
        if a.spec.symbol.startswith("ETF"):
            calls.append(token.grant_role("ISSUER_ROLE", d.etf_settlement.address))
        calls += [token.grant_role("ISSUER_ROLE", b.issuer.address),
                  token.revoke_role("ISSUER_ROLE", operator.address)]  # fmt: skip
    b.ccp.send_all(calls)


@dataclass
class EtfCast:
    bank: TrustBank
    manager: Settlor
    groups: dict[int, list[ClearingMember]]  # the members of each day, by its size


def etf_cast(b: Any, sizes: Sequence[int], say: Say) -> EtfCast:
    """The trust bank, the ETF special participant and one group of `n` clearing members for each
    `n` in `sizes` (disjoint: every day's books are its members' first), admitted, funded, holding
    `HOLDINGS` and with the settlement approved; the trust bank registered and both ETFs notified
    (listed 30 business days before `first_day`)."""
    d, ccp = b.kabuto, b.ccp
    bank_key, manager_key = _key("trust-bank"), _key("manager")
    names = [f"bench-etf-{n}-{i:03d}" for n in sizes for i in range(n)]
    keys = {name: _key(name) for name in names}
    say(f"  {len(names)} members: keys, gas money, admission")
    for k in (bank_key, manager_key, *keys.values()):
        devnet.set_balance(b.chain, k.address, GAS_MONEY)
    ccp.register.admit_many([
        Admission(bank_key.address, Kind.TRUST_BANK, BANK),
        Admission(manager_key.address, Kind.ETF_MANAGER, MANAGER),
        *(Admission(k.address, Kind.CLEARING_MEMBER, n) for n, k in keys.items()),
    ])  # fmt: skip
    listing = sub_business_days(first_day(b), 30)
    ccp.etf.register_trust_bank(BANK)
    ccp.etf.notify(
        "1306", unit="ETF1306", trust_bank=BANK, manager=MANAGER, listing_date=listing,
        etf_type=EtfType.IN_KIND, creation_unit=CU_1306, basket=BASKET_1306,
        cash_per_creation_unit=CASH_1306,
    )  # fmt: skip
    ccp.etf.notify(
        "2558", unit="ETF2558", trust_bank=BANK, manager=MANAGER, listing_date=listing,
        etf_type=EtfType.CASH, creation_unit=CU_2558,
    )  # fmt: skip
    say(f"  {len(names)} members: holdings issued")
    issues = [(s, keys[n].address, q, "bench etf") for n in names for s, q in HOLDINGS.items()]
    for i in range(0, len(issues), ISSUE_BATCH):  # pipelined, in batches the node keeps up with
        b.issuer.issue_many(issues[i : i + ISSUE_BATCH])
    members = {n: ClearingMember(d, k) for n, k in keys.items()}
    say(f"  {len(names)} members: the settlement approved")
    settlement = d.etf_settlement.address
    for m in members.values():
        m.send_all([d.token(s).approve(settlement) for s in APPROVED])
    groups, it = {}, iter(names)
    for n in sizes:
        groups[n] = [members[next(it)] for _ in range(n)]
    return EtfCast(TrustBank(d, bank_key), Settlor(d, manager_key), groups)


def first_day(b: Any) -> date:
    """The first XTKS business day two days or more after the chain's date."""
    day = from_unix(b.kabuto.chain_time()).date() + timedelta(days=2)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def at(b: Any, day: date, hh: int, mm: int = 0) -> None:
    """Move the chain clock to `day` hh:mm Tokyo (a block is mined at that time)."""
    devnet.set_next_timestamp(b.chain, to_unix(datetime.combine(day, time(hh, mm), TOKYO)))
    devnet.mine(b.chain)


@dataclass
class Day:
    """One clearing day's gas, per step; `steps[kind][step]` lists one figure per application."""

    t: date
    s: date
    members: int
    steps: dict[ApplicationKind, dict[str, list[int]]] = field(default_factory=dict)
    novate: dict[ApplicationKind, tuple[int, int, int]] = field(default_factory=dict)  # gas, n, txs
    record_trades: tuple[int, int] = (0, 0)  # gas, transactions
    close_netting: int = 0
    books: int = 0
    deliver: list[int] = field(default_factory=list)  # every member's deliveries, each
    pay_in: list[int] = field(default_factory=list)
    collect: tuple[int, int] = (0, 0)  # collect_many over the member books: gas, transactions
    create_units: int = 0
    collect_creations: int = 0
    report: NettingReport | None = None


def _kind(i: int) -> ApplicationKind | None:
    """Member `i`'s application, if any: a tenth of the members apply in kind, a tenth for cash,
    each a buyer of its pair (an in-kind applicant's Toyota purchase nets against its basket)."""
    return {1: ApplicationKind.CREATION_IN_KIND, 3: ApplicationKind.CREATION_CASH}.get(i % 10)


def run_day(b: Any, cast: EtfCast, n: int, t: date, say: Say) -> Day:
    """Clear and settle one day of group `n`, T = `t` (see the module's docstring)."""
    d, ccp = b.kabuto, b.ccp
    members, s = cast.groups[n], settlement_date(t)
    day = Day(t, s, n)
    at(b, t, 10)
    code = {ApplicationKind.CREATION_IN_KIND: "1306", ApplicationKind.CREATION_CASH: "2558"}
    cash = {ApplicationKind.CREATION_IN_KIND: None, ApplicationKind.CREATION_CASH: CASH_2558}
    applicants = {k: [m for i, m in enumerate(members) if _kind(i) is k] for k in code}
    ids: dict[ApplicationKind, list[int]] = {}
    for kind, who in applicants.items():
        applied = [m.apply_etf(code[kind], kind, 1) for m in who]
        ids[kind] = [o.value for o in applied]
        stated = [cast.manager.draw_up_statement(i, cash[kind]) for i in ids[kind]]
        approved = [cast.bank.approve_statement(i) for i in ids[kind]]
        day.steps[kind] = {
            "apply": [o.gas_used for o in applied],
            "statement": [o.gas_used for o in stated],
            "approve": [o.gas_used for o in approved],
        }
    for kind, chosen in ids.items():
        sent = ccp.send_all(d.etf_applications.novate_many(chosen))
        novated = {i for o in sent.outcomes for i in o.value.novated}
        refused = {i: e for o in sent.outcomes for i, e in o.value.refused.items()}
        _check(novated == set(chosen) and not refused, f"{kind.label}: every one novated")
        day.novate[kind] = (sent.gas_used, len(chosen), len(sent))
    apps = d.etf_applications.applications([i for v in ids.values() for i in v])
    _check(all(a.status is ApplicationStatus.NOVATED for a in apps), "novated")
    _check({a.settlement_date for a in apps} == {s}, "settling on T+2")

    trades = []
    for seller, buyer in zip(members[::2], members[1::2], strict=True):
        trades += [Trade(seller.name, TRADED, Side.SELL, TRADE_QUANTITY, TRADE_PRICE),
                   Trade(buyer.name, TRADED, Side.BUY, TRADE_QUANTITY, TRADE_PRICE)]  # fmt: skip
    recorded = ccp.etf.record_trades(s, trades)
    _check(sum(recorded.value) == n, f"{n} trades recorded")
    day.record_trades = (recorded.gas_used, len(recorded))
    at(b, sub_business_days(s, 1), 14, 46)  # the eve's fails roll in first
    closed = ccp.etf.close_netting(s)
    day.close_netting, day.books = closed.gas_used, closed.value
    _check(day.books == n + 1, f"{n} member books and the trust bank's creation book")
    ccp.etf.set_dvp_prices(s, DVP_PRICES)
    day.report = ccp.etf.netting_report(s)
    say(f"  N={n}: T {t}, S {s}: {sum(len(v) for v in ids.values())} applications novated, "
        f"{n} trades recorded, netting closed")  # fmt: skip

    at(b, s, 9)
    for i, m in enumerate(members):
        sent = m.settle_etf_deliveries(s)
        _check(all(o.gas_used for o in sent), "delivered and paid")
        seller, in_kind = i % 2 == 0, _kind(i) is ApplicationKind.CREATION_IN_KIND
        deliveries = 1 if seller or in_kind else 0  # a seller its Toyota shares, in kind its Sony
        _check(len(sent) == deliveries + (not seller), f"member {i}: {len(sent)} transactions")
        day.deliver += [o.gas_used for o in sent[:deliveries]]
        day.pay_in += [o.gas_used for o in sent[deliveries:]]
    day.create_units = cast.bank.create_units(s).gas_used
    at(b, s, 14)
    settlement = d.etf_settlement
    books = [book_id(s, m.address, Stream.MEMBER) for m in members]
    collected = ccp.send_all(settlement.collect_many(books))
    _check(not [x for o in collected.outcomes for x in o.value], "no book skipped")
    day.collect = (collected.gas_used, len(collected))
    day.collect_creations = cast.bank.collect_creations(s).gas_used
    _check(all(book.settled for book in settlement.books(s)), "every book settled")
    for symbol in ("JPY", *ETF_ASSETS):
        _check(d.token(symbol).balance_of(settlement) == 0, f"the settlement keeps no {symbol}")
    say(f"  N={n}: settled on {s}")
    return day


def next_day(s: date) -> date:
    """The statement date after a day settling on `s`: the next business day."""
    return next_business_day(s)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(f"benchmark precondition failed: etf: {message}")
