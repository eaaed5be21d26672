"""The delivery tests' cast: a warehouse with rubber delivery orders in the shorts' hands, longs
with yen, and a delivery open on them (fixture `dv`, set up inside each test's snapshot), plus
the picture of everything a refused call must leave as it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from support import World

from pyclient import Admission, ClearingMember, Kind
from pyclient.chain import devnet
from pyclient.contracts.delivery import DeliverySettlementClient
from pyclient.contracts.goods import GoodsTokenClient
from pyclient.errors import KabutoError
from pyclient.goods.model import Goods
from pyclient.roles import Warehouse
from pyclient.roles.ccp.delivery import DeliveryDesk

LOT_KG = 5_000
PRICE = 300_000  # yen per lot: small, so the longs' yen goes a long way
PREMIUM = 20_000  # RSS1 over RSS3, per lot
DISCOUNT = -50_000  # RSS4 under RSS3, per lot
GRADES = {"RSS3": 0, "RSS1": PREMIUM, "RSS4": DISCOUNT}
DELIVERY = 7
DAY = 24 * 3600


def rss(kg: int = LOT_KG, grade: str = "RSS3", commodity: str = "RSS3") -> Goods:
    return Goods(commodity, grade, kg, "kg", lots="lot 101", location="Yokohama")


@dataclass
class DeliveryWorld:
    """A delivery (`DELIVERY`) open on rubber delivery orders, before any allocation: shorts
    member-a and member-c hold delivery orders, longs member-b and member-d hold yen."""

    world: World
    desk: DeliveryDesk
    warehouse: Warehouse
    parties: dict[str, ClearingMember]
    delivery_cutoff: int
    payment_cutoff: int
    tokens: dict[str, list[int]] = field(default_factory=dict)  # issued to each short

    @property
    def d(self) -> Any:
        return self.world.deployment

    @property
    def settlement(self) -> DeliverySettlementClient:
        return self.d.delivery  # type: ignore[no-any-return]

    @property
    def orders(self) -> GoodsTokenClient:
        return self.d.delivery_orders  # type: ignore[no-any-return]

    def issue(self, to: str, *goods: Goods) -> list[int]:
        out = self.warehouse.issue_many(self.orders.document_kind(), [(to, g) for g in goods]).value
        self.tokens.setdefault(to, []).extend(out)
        return list(out)

    def pairs(self) -> list[Any]:
        return self.settlement.pairs(DELIVERY)

    def yen(self) -> dict[str, int]:
        """Every party's yen and the settlement's, in smallest units."""
        holders = [*(p.address for p in self.parties.values()), self.settlement.address]
        return self.d.token("JPY").balances(holders)

    def owners(self) -> dict[int, str]:
        """The holder of every delivery order issued."""
        return {t.token_id: t.holder for t in self.orders.tokens()}

    def picture(self) -> tuple[Any, ...]:
        count = self.settlement.pair_count(DELIVERY)
        tokens = self.settlement.tokens_of_many(DELIVERY, list(range(count)))
        return self.pairs(), tokens, self.yen(), self.owners()

    def refused(self, call: Callable[[], Any], error: type[Exception]) -> Any:
        """Run `call`, expect `error`, and check that nothing moved and nothing was sent."""
        before = self.picture()
        block = self.world.chain.w3.eth.block_number
        with pytest.raises(error) as info:
            call()
        assert self.world.chain.w3.eth.block_number == block, "a refused call must not be sent"
        assert self.picture() == before
        return info.value

    def sent_at(self, timestamp: int, actor: Any, call: Any) -> bool:
        """Send `call` as `actor` in a block carrying exactly `timestamp`, unestimated (estimates
        judge at the latest block's time, not the next one's); whether it succeeded on chain."""
        devnet.rpc(self.world.chain, "evm_setNextBlockTimestamp", timestamp)
        try:
            call.send(actor.signer, gas=3_000_000)
            ok = True
        except KabutoError:
            ok = False
        assert self.world.chain.w3.eth.get_block("latest")["timestamp"] == timestamp
        return ok


def make_delivery_world(w: World) -> DeliveryWorld:
    d = w.deployment
    keys = w.keys
    w.ccp.register.admit_many(
        [
            Admission(keys[8].address, Kind.CLEARING_MEMBER, "member-c"),
            Admission(keys[9].address, Kind.CLEARING_MEMBER, "member-d"),
            Admission(keys[10].address, Kind.WAREHOUSE, "warehouse"),
        ]
    )
    w.issuer.issue_many([("JPY", who, 50_000_000, "opening") for who in ("member-b", "member-d")])
    parties = {
        "member-a": w.member_a,  # clearing members deliver and pay (DeliveryParty)
        "member-b": w.member_b,
        "member-c": ClearingMember(d, keys[8]),
        "member-d": ClearingMember(d, keys[9]),
    }
    now = d.chain_time()
    dv = DeliveryWorld(
        world=w,
        desk=w.ccp.delivery,
        warehouse=Warehouse(d, keys[10]),
        parties=parties,
        delivery_cutoff=now + DAY,
        payment_cutoff=now + 2 * DAY,
    )
    dv.desk.open_delivery(
        DELIVERY,
        goods=d.delivery_orders,
        commodity="RSS3",
        lot_quantity=LOT_KG,
        price_jpy_per_lot=PRICE,
        delivery_cutoff=dv.delivery_cutoff,
        payment_cutoff=dv.payment_cutoff,
        grades=GRADES,
    )
    return dv
