"""Kabuto delivery demo (`make demo`): a rubber futures delivery day through the CCP, then a gold
warehouse receipt posted as margin and taken home.

On a fresh embedded chain a warehouse issues rubber delivery orders to three shorts; the CCP opens
the delivery and allocates them to two longs; shorts deliver, longs pay (one short), the CCP
settles every pair delivery versus payment in one batch and, after the payment cut-off, closes:
the late payer's unpaid order goes back, its unspent yen too. A long takes its rubber out. Then a
gold receipt is posted as margin through the GOLD pool, swapped for yen, redeemed and released.
Scenario and words: delivery.toml next to this file.
`.venv/bin/python scripts/demos/delivery.py [--full]` exits 0 when every expectation held; `--full`
adds every detail (gas, the close's events, the pairs and holdings through the day).
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

from pyclient import (
    AccountKind,
    Admission,
    Chain,
    Deployment,
    Kind,
    RiskParameters,
    deploy,
    errors,
    goods_tables,
    reconcile,
    tables,
)
from pyclient.chain import devnet
from pyclient.clock import TOKYO, to_unix
from pyclient.goods.delivery import (
    Allocation,
    Pair,
    PairModel,
    allocated_lots,
    invoice_jpy,
    lots_of,
    price_per_lot,
)
from pyclient.goods.model import DocumentKind, Goods, GoodsStatus
from pyclient.narration import Checks, Refusals, Show, arguments, run
from pyclient.roles import Ccp, ClearingMember, Oracle, TokenIssuer, Warehouse
from pyclient.valuation import haircut_value

SCENARIO = tomllib.loads(Path(__file__).with_suffix(".toml").read_text(encoding="utf-8"))
PEOPLE: dict[str, dict[str, str]] = SCENARIO["participants"]
EXPECTED: dict[str, str] = SCENARIO["expected"]
GOLD: dict[str, Any] = SCENARIO["gold"]
RUBBER, GRADES, LATE = SCENARIO["rubber"], SCENARIO["grades"], SCENARIO["late"]
ID, LOT = SCENARIO["delivery_id"], SCENARIO["lot_kg"]
PER_LOT = price_per_lot(SCENARIO["price_jpy_per_kg"], LOT)
ORDERS, RECEIPTS = DocumentKind.DELIVERY_ORDER, DocumentKind.WAREHOUSE_RECEIPT
HOUSE = AccountKind.HOUSE


def tokyo(key: str) -> dt.datetime:
    """The story's clock at `key` of [clock], in Tokyo."""
    return SCENARIO["clock"][key].replace(tzinfo=TOKYO)


def main(console: Console | None = None, *, full: bool = False) -> int:
    start = tokyo("opening") - dt.timedelta(minutes=30)  # the suite is deployed before the day
    return run(console, SCENARIO["narration"], lambda show, c: Delivery.start(show, c).tell(),
               full=full, genesis_timestamp=to_unix(start))  # fmt: skip


n = tables.number


@dataclass
class Delivery:
    show: Show
    d: Deployment
    ccp: Ccp
    cast: dict[str, Any]  # name -> Warehouse or ClearingMember
    checks: Checks = field(default_factory=Checks)
    issued: dict[str, list[tuple[int, Goods]]] = field(default_factory=dict)  # short -> orders
    pairs: list[Pair] = field(default_factory=list)
    day: list[goods_tables.Holdings] = field(default_factory=list)
    pool_held: list[bool] = field(default_factory=list)  # the pool's invariant at each step
    receipt: int = 0  # the gold receipt's id
    refusals: Refusals = field(init=False)

    def __post_init__(self) -> None:
        self.refusals = Refusals(self.show, self.d)

    @classmethod
    def start(cls, show: Show, chain: Chain) -> Delivery:
        keys = chain.dev_accounts(2 + len(PEOPLE))
        d = deploy(chain, keys[0], issuer=keys[1].address)
        ccp, people = Ccp(d, keys[0]), list(zip(PEOPLE.items(), keys[2:], strict=True))
        ccp.register.admit_many([Admission(keys[1].address, Kind.TOKEN_ISSUER, "issuer")] + [
            Admission(k.address, Kind[p["kind"]], name) for (name, p), k in people])  # fmt: skip
        role = {"WAREHOUSE": Warehouse, "CLEARING_MEMBER": ClearingMember}
        cast = {name: role[p["kind"]](d, k) for (name, p), k in people}
        opening = SCENARIO["opening_jpy"].items()
        TokenIssuer(d, keys[1]).issue_many([("JPY", who, q, "opening") for who, q in opening])
        return cls(show, d, ccp, cast)

    def tell(self) -> bool:
        for step in (self.orders, self.allocation, self.delivery, self.settlement, self.close,
                     self.release, self.pledge, self.substitute):  # fmt: skip
            step()
        return self.reconcile()

    # ------------------------------------------------------------------ helpers

    def expect(self, key: str, ok: bool, observed: str) -> None:
        self.checks.check(EXPECTED[key], ok, observed)

    def table(self, render: Any, *args: Any, detail: bool = False, **kwargs: Any) -> None:
        """A table that carries the story, or with `detail` one told in full only."""
        made = render(*args, narrow=self.show.narrow, **kwargs)
        self.show.detail(made) if detail else self.show.table(made)

    def move(self, key: str) -> str:
        """The chain's clock to `key` of [clock]; returns the time, for the story."""
        devnet.set_next_timestamp(self.d.chain, to_unix(tokyo(key)))
        return f"{tokyo(key):%H:%M}"

    def hold(self, moment: int) -> None:
        """What the parties and the settlement hold now: yen, delivery orders and their rubber."""
        d, settlement = self.d, self.d.delivery.address
        parties = [self.cast[m].address for m in (*SCENARIO["shorts"], *SCENARIO["longs"])]
        yen = d.token("JPY").balances([*parties, settlement])
        held = [t for t in d.delivery_orders.tokens() if t.holder in (*parties, settlement)]
        at = sum(t.holder == settlement for t in held)
        self.day.append(goods_tables.Holdings(
            self.show.words("moments")[moment], sum(yen[p] for p in parties), yen[settlement],
            len(held) - at, at, sum(t.goods.quantity for t in held), "kg"))  # fmt: skip

    def delivered(self) -> dict[int, list[int]]:
        return self.d.delivery.tokens_of_many(ID, [p.index for p in self.pairs])

    def covered(self) -> bool:
        """Each pair's long holds only tokens its yen paid for: the invoices of the tokens released
        to it are what the short was paid, no more than the long paid."""
        tokens, ok = self.delivered(), True
        for p in self.ccp.delivery.pairs(ID):
            released = tokens[p.index][: p.released]
            invoices = self.d.delivery.invoices_of(ID, released) if released else []
            holders = {t.holder for t in self.d.delivery_orders.tokens(released)}
            ok &= sum(i.amount_jpy for i in invoices) == p.settled <= p.paid
            ok &= holders <= {p.long, ""}  # "": taken out of the warehouse since
        return ok

    def pool(self) -> None:
        self.pool_held.append(self.d.pool(GOLD["symbol"]).invariant()[2])

    # ------------------------------------------------------------------ the delivery day

    def orders(self) -> None:
        show, d = self.show, self.d
        show.step("orders", day=f"{tokyo('opening'):%a %d %b %Y}")
        entries = [(short, Goods(RUBBER["commodity"], grade, kg, "kg", lots, RUBBER["location"]))
                   for short, orders in SCENARIO["orders"].items()
                   for kg, grade, lots in orders]  # fmt: skip
        done = self.cast["rubber-warehouse"].issue_many(ORDERS, entries)
        for (short, goods), token_id in zip(entries, done.value, strict=True):
            self.issued.setdefault(short, []).append((token_id, goods))
        kg = n(sum(g.quantity for _, g in entries))
        self.show.txs("issued", done.outcomes, orders=len(entries), kg=kg)
        tokens = d.delivery_orders.tokens(done.value)
        self.table(goods_tables.goods_table, d, tokens, title=show.words("table"))
        self.hold(0)

    def allocation(self) -> None:
        show, d, desk = self.show, self.d, self.ccp.delivery
        show.step("allocation", per_kg=SCENARIO["price_jpy_per_kg"], per_lot=n(PER_LOT), lot=n(LOT),
                  grades=", ".join(f"{g} {v:+,}" for g, v in GRADES.items()))  # fmt: skip
        self.move("opening")
        cutoffs = {f"{k}_cutoff": tokyo(f"{k}_cutoff") for k in ("delivery", "payment")}
        opened = desk.open_delivery(ID, goods=d.delivery_orders, commodity=RUBBER["commodity"],
                                    lot_quantity=LOT, price_jpy_per_lot=PER_LOT, grades=GRADES,
                                    **cutoffs)  # fmt: skip
        show.tx("opened", opened, id=ID, **{k: f"{t:%H:%M}" for k, t in cutoffs.items()})
        shorts, longs = SCENARIO["shorts"], SCENARIO["longs"]
        allocated = desk.allocate(ID, shorts=shorts, longs=longs)
        self.pairs = allocated.value
        self.show.txs("allocated", allocated.outcomes, shorts=len(shorts), longs=len(longs),
                 pairs=len(self.pairs))  # fmt: skip
        self.table(goods_tables.allocation_table, d, self.pairs, price_jpy_per_lot=PER_LOT,
                   title=show.words("table"))  # fmt: skip
        lots = allocated_lots(Allocation(p.short, p.long, p.lots) for p in self.pairs)
        named = tuple({d.name(a): v for a, v in side.items()} for side in lots)
        ok = named == (shorts, longs) and len(self.pairs) <= len(shorts) + len(longs) - 1
        self.expect("allocated", ok, f"{sum(shorts.values())} lots, {len(self.pairs)} pairs")

    def delivery(self) -> None:
        show, d, desk = self.show, self.d, self.ccp.delivery
        show.step("delivery")
        time = self.move("delivered")
        for short, orders in self.issued.items():  # each pair its allocation, orders in turn
            queue = list(orders)
            for pair in (p for p in self.pairs if d.name(p.short) == short):
                ids: list[int] = []
                while sum(lots_of(g.quantity, LOT) for t, g in orders if t in ids) < pair.lots:
                    ids.append(queue.pop(0)[0])
                done = self.cast[short].deliver(ID, pair.index, ids)
                show.tx("delivered", done, time=time, short=short, pair=pair.index,
                        ids=", ".join(f"#{i}" for i in ids), kg=n(pair.lots * LOT))  # fmt: skip
        self.hold(1)
        time = self.move("paid")
        for p in desk.pairs(ID):
            long, short = d.name(p.long), d.name(p.short)
            late = (long, short) == (LATE["long"], LATE["short"])
            unpaid = int(Decimal(LATE["unpaid_lots"]) * PER_LOT) if late else 0
            done = self.cast[long].pay(ID, p.index, p.invoiced - unpaid)
            show.tx("short_paid" if late else "paid", done, time=time, long=long, pair=p.index,
                    jpy=n(p.invoiced - unpaid), unpaid=n(unpaid))  # fmt: skip
        self.hold(2)
        goods = {t: g for orders in self.issued.values() for t, g in orders}
        tokens, pairs = self.delivered(), desk.pairs(ID)
        model = {p.index: sum(invoice_jpy(lots_of(goods[t].quantity, LOT), PER_LOT,
                                          GRADES[goods[t].brand]) for t in tokens[p.index])
                 for p in pairs}  # fmt: skip
        ok = all(p.invoiced == model[p.index] and p.delivered_lots == p.lots for p in pairs)
        report = desk.report(ID)
        self.table(goods_tables.pairs_table, report, title=show.words("table"), detail=True)
        self.expect("invoiced", ok, f"JPY {n(sum(model.values()))} invoiced")

    def settlement(self) -> None:
        show, desk = self.show, self.ccp.delivery
        show.step("settlement")
        before, time = desk.report(ID), self.move("settled")
        settled = desk.settle(ID)
        run = settled.value
        show.tx("settled", settled.outcomes[-1], time=time, pairs=len(run.settled),
                tokens=run.tokens_released, jpy=n(run.settled_jpy))  # fmt: skip
        self.table(goods_tables.pairs_table, desk.report(ID), before=before,
                   title=show.words("table"))  # fmt: skip
        self.hold(3)
        said = f"{run.tokens_released} orders against JPY {n(run.settled_jpy)}, 1 tx"
        self.expect("dvp", self.covered() and len(settled.outcomes) == 1, said)

    def close(self) -> None:
        show, d, desk = self.show, self.d, self.ccp.delivery
        show.step("close")
        late = next(p for p in desk.pairs(ID) if d.name(p.long) == LATE["long"] and p.unpaid)
        invoices = d.delivery.invoices_of(ID, self.delivered()[late.index])
        tokens = [(i.token_id, i.lots, i.amount_jpy) for i in invoices]
        model = PairModel(late.short, late.long, late.lots, tokens, late.paid, late.released,
                          late.settled).closing()  # fmt: skip
        time = self.move("late")
        attempt = {"time": time, "long": LATE["long"], "unpaid": n(late.unpaid)}
        with self.refusals.attempt("late", errors.DeliveryCutoffPassed, **attempt):
            self.cast[LATE["long"]].pay(ID, late.index, late.unpaid)
        time = self.move("closed")
        closed = desk.close(ID)
        run = closed.value
        show.tx("closed", closed.outcomes[-1], time=time, failed=len(run.payment_failed),
                refund=n(sum(run.refunded.values())))  # fmt: skip
        show.events(d, closed.outcomes[-1], show.words("events"),
                    said=("PaymentFailed", "PaymentRefunded"))  # fmt: skip
        self.hold(4)
        self.table(goods_tables.holdings_table, self.day, title=show.words("day"), detail=True)
        ids = [t for orders in self.issued.values() for t, _ in orders]
        self.table(goods_tables.goods_table, d, d.delivery_orders.tokens(ids),
                   title=show.words("orders"), detail=True)  # fmt: skip
        back = all(d.delivery_orders.holder(t) == late.short for t in model.returned)
        ok = run.payment_failed == {late.index: model.unpaid_jpy} and back and bool(model.returned)
        ok = ok and run.refunded == {late.index: model.refund_jpy} and self.covered()
        self.expect("late", ok and self.refusals.all_as_expected,
                    f"JPY {n(model.unpaid_jpy)} unpaid, {len(model.returned)} back, "
                    f"JPY {n(model.refund_jpy)} refunded")  # fmt: skip
        first, minted = self.day[0], sum(SCENARIO["opening_jpy"].values())
        same = len({(h.jpy, h.tokens, h.quantity) for h in self.day}) == 1 and first.jpy == minted
        said = f"JPY {n(first.jpy)}, {first.tokens} orders at {len(self.day)} moments"
        self.expect("conserved", same, said)

    def release(self) -> None:
        show, orders = self.show, self.d.delivery_orders
        show.step("release", time=self.move("released"))
        name, warehouse = SCENARIO["presented_by"], self.cast["rubber-warehouse"]
        holder = self.cast[name]
        token = holder.goods_held(ORDERS)[0]
        show.tx("presented", holder.present_goods(ORDERS, token.token_id), holder=name,
                id=token.token_id, goods=goods_tables.goods_text(token.goods))  # fmt: skip
        released = warehouse.release(ORDERS, token.token_id, ref=SCENARIO["release_ref"])
        show.tx("released", released, id=token.token_id)
        before, to = orders.tokens(), LATE["long"]
        with self.refusals.attempt("transfer", errors.GoodsWrongStatus, holder=name,
                                   id=token.token_id, to=to):  # fmt: skip
            holder.transfer_goods(ORDERS, to, token.token_id)
        burnt = orders.status(token.token_id) is GoodsStatus.RELEASED and orders.tokens() == before
        self.expect("released", burnt and self.refusals.all_as_expected,
                    f"#{token.token_id} released; GoodsWrongStatus")  # fmt: skip

    # ------------------------------------------------------------------ a gold receipt as margin

    def pledge(self) -> None:
        show, d, oracle = self.show, self.d, Oracle(self.d, self.ccp.signer)
        self.move("pledged")
        show.step("pledge", day=f"{tokyo('pledged'):%a %d %b %Y}")
        symbol, name = GOLD["symbol"], GOLD["owner"]
        owner, price, haircut = self.cast[name], GOLD["prices"][symbol], GOLD["risk_bps"][symbol]
        oracle.set_risk_parameters({s: RiskParameters(h) for s, h in GOLD["risk_bps"].items()})
        show.tx("priced", oracle.publish_prices(GOLD["prices"]), haircut=f"{haircut / 100:g}%",
                price=f"{Decimal(price):,f}")  # fmt: skip
        issued = self.cast["gold-vault"].issue_receipt(owner, Goods(*GOLD["goods"]))
        self.receipt = rid = issued.value
        receipt = d.warehouse_receipts.token(rid)
        show.tx("issued", issued, id=rid, owner=name, goods=goods_tables.goods_text(receipt.goods))
        self.pool()
        (house,) = self.ccp.margin.open_accounts([(owner, HOUSE)]).value
        posted = owner.deposit_receipt(rid)
        show.tx("posted", posted, owner=name, id=rid, units=f"{n(posted.value)} {symbol}")
        required = self.ccp.margin.post_requirements({house: GOLD["requirement_jpy"]}, run_id="eod")
        show.tx("requirement", required, owner=name, jpy=n(GOLD["requirement_jpy"]))
        self.pool()
        quote, on_chain = d.market_data.quote(symbol), owner.collateral_value(HOUSE)
        model = haircut_value(d.asset(symbol).units(posted.value), quote)
        by_hand = int(receipt.goods.quantity * Decimal(price) * (10_000 - haircut) / 10_000)
        self.table(goods_tables.receipt_value_table, d, receipt, symbol, quote, chain_jpy=on_chain,
                   model_jpy=model, title=show.words("table"))  # fmt: skip
        self.expect("valued", on_chain == model == by_hand, f"JPY {n(on_chain)}")
        with self.refusals.attempt("present", errors.GoodsNotHolder, owner=name, id=rid):
            owner.present_goods(RECEIPTS, rid)
        self.expect("pooled", self.refusals.all_as_expected and d.pool(symbol).holds(rid),
                    "GoodsNotHolder: the pool holds it")  # fmt: skip

    def substitute(self) -> None:
        show, d, rid = self.show, self.d, self.receipt
        time = self.move("substituted")
        show.step("substitute", day=f"{tokyo('substituted'):%a %d %b %Y}, {time}")
        symbol, name, jpy = GOLD["symbol"], GOLD["owner"], GOLD["substitute_jpy"]
        owner = self.cast[name]
        grams = owner.collateral(HOUSE)[symbol]
        units = f"{n(grams)} {symbol}"
        swapped = owner.substitute(out={symbol: grams}, into={"JPY": jpy})
        show.tx("swapped", swapped, owner=name, units=units, jpy=n(jpy))
        self.pool()
        s, held = swapped.value, owner.collateral(HOUSE)
        ok = s.covered and held == {"JPY": jpy} and owner.balance(symbol) == grams
        self.expect("substituted", ok, f"JPY {n(s.value_after_jpy)} for {n(s.requirement_jpy)}")
        show.tx("redeemed", owner.redeem_receipt(rid), owner=name, units=units, id=rid)
        self.pool()
        show.tx("presented", owner.present_goods(RECEIPTS, rid), owner=name, id=rid)
        show.tx("released", self.cast["gold-vault"].release(RECEIPTS, rid), id=rid)
        out = d.warehouse_receipts.status(rid) is GoodsStatus.RELEASED
        out = out and not d.pool(symbol).held_count() and owner.balance(symbol) == 0
        self.expect("redeemed", out, f"receipt #{rid} released")
        self.pool()
        self.expect("pool", all(self.pool_held), f"{sum(self.pool_held)} of {len(self.pool_held)}")

    def reconcile(self) -> bool:
        show, d = self.show, self.d
        show.step("reconcile")
        result = reconcile.reconcile(d)
        show.controls(result.checks, tabled=lambda c: c.name == "goods")  # full: goods in custody
        self.refusals.summary(show.words("refused"))
        self.expect("reconcile", result.ok, f"{len(result.checks)} controls, block {result.block}")
        show.outcomes(self.checks, show.words("checks"))
        return show.verdict(not self.checks.failed, txs=len(d.chain.gas_log))


if __name__ == "__main__":
    sys.exit(main(full=arguments(__doc__).parse_args().full))
