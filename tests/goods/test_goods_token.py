"""Goods tokens (issue 10, part 1): delivery orders and warehouse receipts under register rules.

One ERC-721 code, two deployments (`deployment.delivery_orders`, `deployment.warehouse_receipts`),
ids counting from 1 in each. Only a warehouse active in the register issues, each token naming on
chain what it is title to; holders move tokens under the rules every Kabuto token keeps (both
parties and any operator active and not frozen, the token neither frozen nor presented, the
contract not paused); the agent freezes and forces transfers but stops at custody; a holder
presents a token and its issuing warehouse releases the goods by burning it, for good.

Every refusal is typed and changes nothing: every token's goods, status, holder, freeze and
approved spender, every wallet's count, freeze, operators and outstanding count, the last id and
the pause, in both kinds of document; and no block is mined (the SDK estimates first, so a refused
call is never sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from support import Market, World

from pyclient import Admission, Kind, Status, artifacts, errors
from pyclient.clock import from_unix
from pyclient.contracts.goods import GoodsTokenClient
from pyclient.errors import InputError
from pyclient.events import describe, known_events
from pyclient.goods.model import DocumentKind, Goods, GoodsStatus
from pyclient.roles import Role, Warehouse
from pyclient.roles.receipts import ReceiptHolder
from pyclient.units import to_bytes32

DO, WR = DocumentKind.DELIVERY_ORDER, DocumentKind.WAREHOUSE_RECEIPT
ZERO = "0x" + "00" * 20
RUBBER = Goods("RSS3", "RSS3", 5_000, "kg", lots="lots 101-104", location="Yokohama shed 3")
GOLD = Goods("GOLD", "TANAKA 999.9", 1_000, "g", lots="bar 7731", location="Koto vault")


def goods_for(kind: DocumentKind) -> Goods:
    return RUBBER if kind is DO else GOLD


# ---------------------------------------------------------------------- the refusal check


def picture(w: World) -> dict[DocumentKind, Any]:
    """Everything a goods call could change, in both kinds of document (operators: of the
    members' and clients' tokens, the only holders these tests have)."""
    d = w.deployment
    who = [k.address for k in w.keys] + [
        d.vault.address,
        d.delivery.address,
        d.pool("GOLD").address,
    ]
    holders = [k.address for k in w.keys[2:6]]  # the members and clients: who hold tokens here
    out = {}
    for kind in DocumentKind:
        docs = d.goods_documents(kind)
        f = docs.contract.functions
        tokens = docs.tokens()
        live = [t.token_id for t in tokens if t.status is not GoodsStatus.RELEASED]
        reads = (
            [f.getApproved(i) for i in live]
            + [f.balanceOf(a) for a in who]
            + [f.isFrozen(a) for a in who]
            + [f.outstandingOf(a) for a in who]
            + [f.isApprovedForAll(a, b) for a in holders for b in who]
            + [f.paused(), f.lastTokenId()]
        )
        out[kind] = (tokens, w.chain.read_many(reads))
    return out


def refused(w: World, call: Callable[[], Any], error: type[Exception]) -> Any:
    """Run `call`, expect `error`, and check that no goods state changed and nothing was sent."""
    before = picture(w)
    block = w.chain.w3.eth.block_number
    with pytest.raises(error) as info:
        call()
    assert w.chain.w3.eth.block_number == block, "a refused call must not be sent"
    assert picture(w) == before
    return info.value


# ---------------------------------------------------------------------- the cast


@dataclass
class Cast:
    """The `cast` fixture: the market's world, its warehouse ("warehouse", key 10), a second
    warehouse ("warehouse-2", key 11), delivery order #1 (rubber) held by member-a and warehouse
    receipt #1 (gold) held by member-b, both issued by the first warehouse."""

    market: Market
    warehouse: Warehouse
    warehouse_2: Warehouse

    @property
    def w(self) -> World:
        return self.market.world

    @property
    def orders(self) -> GoodsTokenClient:
        return self.w.deployment.delivery_orders

    @property
    def receipts(self) -> GoodsTokenClient:
        return self.w.deployment.warehouse_receipts

    def addr(self, who: Any) -> str:
        return self.w.deployment.address_of(who)

    def agent(self, call: Any) -> Any:
        """Send `call` as the CCP: deploy() leaves the agent and pauser roles with it."""
        return self.w.ccp.send(call)

    def refused(self, call: Callable[[], Any], error: type[Exception]) -> Any:
        return refused(self.w, call, error)

    def sentences(self, *outcomes: Any) -> list[str]:
        return [describe(e, self.w.deployment) for o in outcomes for e in o.events]


@pytest.fixture
def cast(market: Market, warehouse: Warehouse) -> Cast:
    w = market.world
    w.ccp.register.admit_many([Admission(w.keys[11].address, Kind.WAREHOUSE, "warehouse-2")])
    assert warehouse.issue_delivery_order("member-a", RUBBER).value == 1
    assert warehouse.issue_receipt("member-b", GOLD).value == 1
    return Cast(market, warehouse, Warehouse(w.deployment, w.keys[11]))


# ---------------------------------------------------------------------- issue


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_a_warehouse_issues_a_token_whose_goods_read_back_exactly(
    market: Market, warehouse: Warehouse, kind: DocumentKind
) -> None:
    d = warehouse.deployment
    docs = d.goods_documents(kind)
    assert docs.document_kind() is kind
    assert docs.contract.functions.registry().call() == d.registry.address
    issue = warehouse.issue_delivery_order if kind is DO else warehouse.issue_receipt
    outcome = issue("member-a", goods_for(kind))
    assert outcome.value == 1
    block_time = int(d.chain.w3.eth.get_block(outcome.block_number)["timestamp"])
    sent = goods_for(kind)
    assert docs.goods(1) == Goods(
        sent.commodity, sent.brand, sent.quantity, sent.unit, lots=sent.lots,
        location=sent.location, warehouse=warehouse.address, issued_at=from_unix(block_time),
    )  # fmt: skip
    # The raw struct too, field by field: nothing is lost or padded differently on the way.
    raw = docs.contract.functions.goods(1).call()
    assert tuple(raw) == (
        warehouse.address, to_bytes32(sent.commodity), to_bytes32(sent.brand), sent.quantity,
        sent.unit.encode().ljust(8, b"\0"), block_time, sent.lots, sent.location,
    )  # fmt: skip
    assert docs.status(1) is GoodsStatus.LIVE
    assert (
        docs.holder(1) == docs.contract.functions.ownerOf(1).call() == market.world.member_a.address
    )
    assert docs.balance_of("member-a") == 1
    assert docs.last_token_id() == 1 and docs.outstanding_count(warehouse) == 1
    (ev,) = outcome.named("GoodsIssued")
    assert (ev["tokenId"], ev["warehouse"], ev["to"], ev["quantity"]) == (
        1, warehouse.address, market.world.member_a.address, sent.quantity,
    )  # fmt: skip
    assert (ev["commodity"], ev["brand"]) == (to_bytes32(sent.commodity), to_bytes32(sent.brand))
    (minted,) = outcome.named("Transfer")
    assert (minted["from"], minted["to"], minted["tokenId"]) == (ZERO, ev["to"], 1)


def test_ids_count_from_one_in_each_kind_of_document(market: Market, warehouse: Warehouse) -> None:
    d = warehouse.deployment
    assert (d.delivery_orders.last_token_id(), d.warehouse_receipts.last_token_id()) == (0, 0)
    assert warehouse.issue_delivery_order("member-a", RUBBER).value == 1
    assert warehouse.issue_receipt("member-a", GOLD).value == 1
    assert warehouse.issue_delivery_order("member-b", RUBBER).value == 2
    assert warehouse.issue_many(WR, [("member-b", GOLD), ("client-seg", GOLD)]).value == [2, 3]
    assert (d.delivery_orders.last_token_id(), d.warehouse_receipts.last_token_id()) == (2, 3)
    holders = [t.holder for t in d.warehouse_receipts.tokens()]
    assert holders == [d.address_of(n) for n in ("member-a", "member-b", "client-seg")]
    assert d.delivery_orders.status(3) is GoodsStatus.NONE


@pytest.mark.parametrize("issuer", ["member", "ccp", "token issuer", "outsider", "suspended"])
def test_only_a_warehouse_active_in_the_register_issues(
    market: Market, warehouse: Warehouse, issuer: str
) -> None:
    w = market.world
    d = w.deployment
    who: Role = {
        "member": w.member_a,
        "ccp": w.ccp,
        "token issuer": w.issuer,
        "outsider": Role(d, w.outsider),
        "suspended": warehouse,
    }[issuer]
    if issuer == "suspended":
        w.ccp.register.suspend("warehouse", "licence under review")
    for kind in DocumentKind:
        call = d.goods_documents(kind).issue("member-b", goods_for(kind))
        err = refused(w, lambda c=call: who.send(c), errors.GoodsIssuerNotWarehouse)
        assert err.account == who.address


def test_a_reinstated_warehouse_issues_again(market: Market, warehouse: Warehouse) -> None:
    w = market.world
    w.ccp.register.suspend("warehouse", "licence under review")
    w.ccp.register.reinstate("warehouse", "licence renewed")
    assert warehouse.issue_delivery_order("member-b", RUBBER).value == 1


@pytest.mark.parametrize("receiver", ["unregistered", "suspended", "defaulted", "frozen"])
def test_a_token_is_issued_only_to_an_active_unfrozen_holder(
    market: Market, warehouse: Warehouse, receiver: str
) -> None:
    w = market.world
    d = w.deployment
    to = w.outsider.address if receiver == "unregistered" else w.member_b.address
    if receiver == "suspended":
        w.ccp.register.suspend("member-b", "late report")
    elif receiver == "defaulted":
        w.ccp.default.declare_member("member-b", "insolvency")
    elif receiver == "frozen":
        w.ccp.send(d.delivery_orders.set_frozen("member-b", True, reason="inquiry"))
    error = {
        "unregistered": errors.ParticipantUnknown,
        "suspended": errors.ParticipantNotActive,
        "defaulted": errors.ParticipantNotActive,
        "frozen": errors.GoodsAccountFrozen,
    }[receiver]
    err = refused(w, lambda: warehouse.issue_delivery_order(to, RUBBER), error)
    assert err.account == to
    if receiver == "frozen":  # the freeze is of delivery orders only
        assert warehouse.issue_receipt("member-b", GOLD).value == 1


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"commodity": ""}, "commodity"),
        ({"unit": ""}, "unit"),
        ({"unit": "kilograms"}, "unit"),
        ({"quantity": 0}, "positive"),
        ({"quantity": -5_000}, "positive"),
        ({"quantity": 2**64}, "positive"),
        ({"quantity": 5_000.0}, "whole number"),
        ({"quantity": True}, "whole number"),
        ({"commodity": "R" * 33}, "commodity"),
        ({"brand": "B" * 33}, "brand"),
    ],
)
def test_goods_that_cannot_be_right_are_refused_in_python(
    fields: dict[str, Any], words: str
) -> None:
    kwargs = {"commodity": "RSS3", "brand": "RSS3", "quantity": 5_000, "unit": "kg"} | fields
    with pytest.raises(InputError, match=words):
        Goods(**kwargs)


def test_the_largest_description_there_is_room_for_reads_back_exactly(
    market: Market, warehouse: Warehouse
) -> None:
    """The bounds Python checks are the chain's: 2^64 - 1 units, an 8-byte unit, 32-byte words."""
    big = Goods("C" * 32, "B" * 32, 2**64 - 1, "kilogram", lots="L" * 500, location="東京都江東区")
    assert warehouse.issue_receipt("member-a", big).value == 1
    got = warehouse.deployment.warehouse_receipts.goods(1)
    assert (got.commodity, got.brand, got.quantity, got.unit, got.lots, got.location) == (
        big.commodity, big.brand, big.quantity, big.unit, big.lots, big.location,
    )  # fmt: skip


@pytest.mark.parametrize("missing", ["quantity", "commodity", "unit"])
def test_an_incomplete_description_is_refused_on_chain_too(
    market: Market, warehouse: Warehouse, missing: str
) -> None:
    """Python refuses such goods first; the raw escape hatch reaches the contract's own check."""
    d = warehouse.deployment
    raw = list(RUBBER.to_chain())
    raw[{"commodity": 1, "quantity": 3, "unit": 4}[missing]] = (
        0 if missing == "quantity" else bytes(32 if missing == "commodity" else 8)
    )
    call = d.delivery_orders.call("issue", market.world.member_a.address, tuple(raw))
    refused(market.world, lambda: warehouse.send(call), errors.GoodsDescriptionIncomplete)
    # A brand, lots and location may be empty: the description is complete without them.
    raw = list(RUBBER.to_chain())
    raw[2], raw[6], raw[7] = bytes(32), "", ""
    warehouse.send(d.delivery_orders.call("issue", market.world.member_a.address, tuple(raw)))
    assert d.delivery_orders.goods(1).brand == ""


@pytest.mark.parametrize("token_id", [0, -1, True, 1.0, "1"])
def test_token_ids_that_cannot_be_right_are_refused_in_python(cast: Cast, token_id: Any) -> None:
    orders = cast.orders
    for build in (
        lambda: orders.goods(token_id),
        lambda: cast.w.member_a.present_goods(DO, token_id),
        lambda: cast.w.member_a.transfer_goods(DO, "member-b", token_id),
        lambda: cast.warehouse.release(DO, token_id),
        lambda: cast.agent(orders.forced_transfer(token_id, "member-b", reason="x")),
    ):
        cast.refused(build, InputError)


def test_an_id_never_issued_is_refused_by_name(cast: Cast) -> None:
    err = cast.refused(lambda: cast.orders.goods(2), errors.GoodsUnknownToken)
    assert err.tokenId == 2
    assert cast.orders.status(2) is GoodsStatus.NONE
    for call in (
        lambda: cast.w.member_a.present_goods(DO, 2),
        lambda: cast.warehouse.release(DO, 2),
        lambda: cast.agent(cast.orders.forced_transfer(2, "member-b", reason="x")),
        lambda: cast.agent(cast.orders.set_token_frozen(2, True, reason="x")),
    ):
        assert cast.refused(call, errors.GoodsUnknownToken).tokenId == 2
    moved = cast.refused(
        lambda: cast.w.member_a.transfer_goods(DO, "member-b", 2), errors.GoodsUnknownToken
    )
    assert moved.tokenId == 2


def test_each_warehouse_counts_and_lists_what_it_has_outstanding(cast: Cast) -> None:
    wh, wh2 = cast.warehouse, cast.warehouse_2
    assert wh2.issue_delivery_order("member-b", RUBBER).value == 2
    assert wh.issue_delivery_order("client-seg", RUBBER).value == 3
    assert [(k, t.token_id) for k, t in wh.outstanding()] == [(DO, 1), (DO, 3), (WR, 1)]
    assert [(k, t.token_id) for k, t in wh2.outstanding()] == [(DO, 2)]
    assert [t.token_id for _, t in wh.outstanding(WR)] == [1]
    assert (cast.orders.outstanding_count(wh), cast.orders.outstanding_count(wh2)) == (2, 1)
    assert cast.receipts.outstanding_count(wh) == 1 and cast.receipts.outstanding_count(wh2) == 0
    (_, order), *_ = wh.outstanding()
    assert (order.goods, order.status, order.holder, order.frozen) == (
        cast.orders.goods(1), GoodsStatus.LIVE, cast.addr("member-a"), False,
    )  # fmt: skip
    # A presented token is still outstanding; a released one is not.
    cast.w.member_a.present_goods(DO, 1)
    assert [(k, t.token_id, t.status) for k, t in wh.outstanding(DO)] == [
        (DO, 1, GoodsStatus.PRESENTED), (DO, 3, GoodsStatus.LIVE),
    ]  # fmt: skip
    wh.release(DO, 1, ref="gate pass 88")
    assert [(k, t.token_id) for k, t in wh.outstanding()] == [(DO, 3), (WR, 1)]
    assert cast.orders.outstanding_count(wh) == 1
    assert cast.orders.outstanding_count(wh2) == 1  # the other warehouse's count is its own


def test_holders_read_what_they_hold(cast: Cast) -> None:
    a, b = cast.w.member_a, cast.w.member_b
    cast.warehouse.issue_delivery_order("member-a", RUBBER)
    assert [t.token_id for t in a.goods_held(DO)] == [1, 2]
    assert a.goods_held(WR) == []
    assert [t.token_id for t in b.goods_held(WR)] == [1]
    a.transfer_goods(DO, "member-b", 1)
    assert [t.token_id for t in a.goods_held(DO)] == [2]
    assert [t.token_id for t in b.goods_held(DO)] == [1]
    assert (cast.orders.balance_of(a), cast.orders.balance_of(b)) == (1, 1)


# ---------------------------------------------------------------------- transfers


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_a_holder_hands_a_token_to_an_active_participant(cast: Cast, kind: DocumentKind) -> None:
    giver = cast.w.member_a if kind is DO else cast.w.member_b
    outcome = giver.transfer_goods(kind, "client-seg", 1)
    docs = cast.w.deployment.goods_documents(kind)
    assert docs.holder(1) == cast.addr("client-seg")
    assert docs.status(1) is GoodsStatus.LIVE
    assert (docs.balance_of(giver), docs.balance_of("client-seg")) == (0, 1)
    (ev,) = outcome.named("Transfer")
    assert (ev["from"], ev["to"], ev["tokenId"]) == (giver.address, cast.addr("client-seg"), 1)
    # The new holder moves it on: title passes with the token.
    cast.w.client_seg.transfer_goods(kind, "member-a" if kind is WR else "member-b", 1)


@pytest.mark.parametrize("receiver", ["unregistered", "suspended", "defaulted"])
def test_a_transfer_to_a_receiver_outside_the_register_rules_is_refused(
    cast: Cast, receiver: str
) -> None:
    w = cast.w
    to = w.outsider.address if receiver == "unregistered" else w.member_b.address
    if receiver == "suspended":
        w.ccp.register.suspend("member-b", "late report")
    elif receiver == "defaulted":
        w.ccp.default.declare_member("member-b", "insolvency")
    error = errors.ParticipantUnknown if receiver == "unregistered" else errors.ParticipantNotActive
    err = cast.refused(lambda: w.member_a.transfer_goods(DO, to, 1), error)
    assert err.account == to
    if receiver != "unregistered":
        assert err.status is (Status.SUSPENDED if receiver == "suspended" else Status.DEFAULTED)


@pytest.mark.parametrize("status", [Status.SUSPENDED, Status.DEFAULTED])
def test_a_holder_suspended_or_defaulted_cannot_move_its_token(cast: Cast, status: Status) -> None:
    w = cast.w
    if status is Status.SUSPENDED:
        w.ccp.register.suspend("member-b", "late report")
    else:
        w.ccp.default.declare_member("member-b", "insolvency")
    err = cast.refused(
        lambda: w.member_b.transfer_goods(WR, "member-a", 1), errors.ParticipantNotActive
    )
    assert (err.account, err.status) == (w.member_b.address, status)


@pytest.mark.parametrize("side", ["sender", "receiver"])
def test_a_frozen_account_can_neither_send_nor_receive(cast: Cast, side: str) -> None:
    w = cast.w
    frozen = w.member_a if side == "sender" else w.member_b
    cast.agent(cast.orders.set_frozen(frozen, True, reason="inquiry"))
    assert cast.orders.is_frozen(frozen) and not cast.receipts.is_frozen(frozen)
    err = cast.refused(
        lambda: w.member_a.transfer_goods(DO, "member-b", 1), errors.GoodsAccountFrozen
    )
    assert err.account == frozen.address
    # A freeze is per kind of document: member-b's receipt still moves, and comes back.
    w.member_b.transfer_goods(WR, "member-a", 1)
    w.member_a.transfer_goods(WR, "member-b", 1)
    cast.agent(cast.orders.set_frozen(frozen, False, reason="cleared"))
    w.member_a.transfer_goods(DO, "member-b", 1)
    assert cast.orders.holder(1) == w.member_b.address


def test_a_frozen_token_cannot_move_but_its_holders_other_tokens_can(cast: Cast) -> None:
    w = cast.w
    cast.warehouse.issue_delivery_order("member-a", RUBBER)
    cast.agent(cast.orders.set_token_frozen(1, True, reason="weight disputed"))
    assert cast.orders.is_token_frozen(1) and not cast.orders.is_token_frozen(2)
    assert cast.orders.token(1).frozen
    err = cast.refused(
        lambda: w.member_a.transfer_goods(DO, "member-b", 1), errors.GoodsTokenFrozen
    )
    assert err.tokenId == 1
    w.member_a.transfer_goods(DO, "member-b", 2)
    assert not cast.receipts.is_token_frozen(1)  # receipt #1 is another token
    cast.agent(cast.orders.set_token_frozen(1, False, reason="reweighed"))
    w.member_a.transfer_goods(DO, "member-b", 1)
    assert [t.token_id for t in w.member_b.goods_held(DO)] == [1, 2]


def test_a_pause_halts_transfers_while_issues_releases_and_forced_transfers_go_on(
    cast: Cast,
) -> None:
    w = cast.w
    cast.agent(cast.orders.pause())
    assert cast.orders.paused() and not cast.receipts.paused()
    cast.refused(lambda: w.member_a.transfer_goods(DO, "member-b", 1), errors.EnforcedPause)
    w.member_b.transfer_goods(WR, "member-a", 1)  # receipts are another contract
    assert cast.warehouse.issue_delivery_order("member-b", RUBBER).value == 2
    w.member_b.present_goods(DO, 2)
    cast.warehouse.release(DO, 2, ref="gate pass 1")
    assert cast.orders.status(2) is GoodsStatus.RELEASED
    cast.agent(cast.orders.forced_transfer(1, "member-b", reason="error fix"))
    assert cast.orders.holder(1) == w.member_b.address
    cast.refused(lambda: w.member_b.transfer_goods(DO, "member-a", 1), errors.EnforcedPause)
    cast.agent(cast.orders.unpause())
    w.member_b.transfer_goods(DO, "member-a", 1)
    assert cast.orders.holder(1) == w.member_a.address


@pytest.mark.parametrize("operator", ["suspended", "defaulted", "frozen", "unregistered"])
def test_an_approved_operator_moves_a_token_only_while_active_and_not_frozen(
    cast: Cast, operator: str
) -> None:
    w = cast.w
    d = w.deployment
    op = Role(d, w.outsider) if operator == "unregistered" else w.member_b
    w.member_a.send(cast.orders.set_approval_for_all(op.address))
    assert cast.orders.is_approved("member-a", op.address)
    if operator == "suspended":
        w.ccp.register.suspend("member-b", "late report")
    elif operator == "defaulted":
        w.ccp.default.declare_member("member-b", "insolvency")
    elif operator == "frozen":
        cast.agent(cast.orders.set_frozen("member-b", True, reason="inquiry"))
    error = {
        "suspended": errors.ParticipantNotActive,
        "defaulted": errors.ParticipantNotActive,
        "frozen": errors.GoodsAccountFrozen,
        "unregistered": errors.ParticipantUnknown,
    }[operator]
    move = cast.orders.transfer("member-a", "client-seg", 1)  # both parties active
    err = cast.refused(lambda: op.send(move), error)
    assert err.account == op.address


def test_an_active_operator_moves_a_token_and_a_single_approval_lasts_one_move(
    cast: Cast,
) -> None:
    w = cast.w
    orders = cast.orders
    # Neither approved nor holder: refused by ERC-721's own check.
    err = cast.refused(
        lambda: w.member_b.send(orders.transfer("member-a", "member-b", 1)),
        errors.ERC721InsufficientApproval,
    )
    assert (err.operator, err.tokenId) == (w.member_b.address, 1)
    w.member_a.send(orders.approve("member-b", 1))
    assert orders.contract.functions.getApproved(1).call() == w.member_b.address
    w.member_b.send(orders.transfer("member-a", "client-seg", 1))
    assert orders.holder(1) == cast.addr("client-seg")
    assert orders.contract.functions.getApproved(1).call() == ZERO  # cleared by the move
    # Approval for all: every token of the holder, until withdrawn.
    w.client_seg.send(orders.set_approval_for_all("member-b"))
    w.member_b.send(orders.transfer("client-seg", "member-a", 1))
    w.member_a.transfer_goods(DO, "client-seg", 1)
    w.member_b.send(orders.transfer("client-seg", "member-b", 1))
    w.member_b.transfer_goods(DO, "client-seg", 1)
    w.client_seg.send(orders.set_approval_for_all("member-b", False))
    cast.refused(
        lambda: w.member_b.send(orders.transfer("client-seg", "member-b", 1)),
        errors.ERC721InsufficientApproval,
    )


# ---------------------------------------------------------------------- the agent


@pytest.mark.parametrize("status", [Status.SUSPENDED, Status.DEFAULTED])
def test_the_agent_forces_a_frozen_token_of_a_frozen_inactive_holder_to_an_active_participant(
    cast: Cast, status: Status
) -> None:
    w = cast.w
    orders = cast.orders
    cast.agent(orders.set_frozen("member-a", True, reason="inquiry"))
    cast.agent(orders.set_token_frozen(1, True, reason="title disputed"))
    if status is Status.SUSPENDED:
        w.ccp.register.suspend("member-a", "late report")
    else:
        w.ccp.default.declare_member("member-a", "insolvency")
    outcome = cast.agent(orders.forced_transfer(1, "ccp-default-mgmt", reason="default 1"))
    to = cast.addr("ccp-default-mgmt")
    assert orders.holder(1) == to and orders.status(1) is GoodsStatus.LIVE
    assert (orders.balance_of("member-a"), orders.balance_of(to)) == (0, 1)
    (forced,) = outcome.named("GoodsForcedTransfer")
    assert (forced["from"], forced["to"], forced["tokenId"], forced["agent"]) == (
        w.member_a.address, to, 1, w.ccp.address,
    )  # fmt: skip
    assert forced["reason"] == to_bytes32("default 1")
    (moved,) = outcome.named("Transfer")
    assert (moved["from"], moved["to"], moved["tokenId"]) == (w.member_a.address, to, 1)
    # The token's freeze travels with it (it is about the token, not its holder): the new
    # holder moves it once the agent lifts the freeze.
    assert orders.is_token_frozen(1)
    cast.refused(
        lambda: w.default_account.transfer_goods(DO, "member-b", 1), errors.GoodsTokenFrozen
    )
    cast.agent(orders.set_token_frozen(1, False, reason="resolved"))
    w.default_account.transfer_goods(DO, "member-b", 1)


@pytest.mark.parametrize("receiver", ["unregistered", "suspended", "frozen"])
def test_a_forced_transfer_needs_an_active_unfrozen_receiver(cast: Cast, receiver: str) -> None:
    w = cast.w
    to = w.outsider.address if receiver == "unregistered" else w.member_b.address
    if receiver == "suspended":
        w.ccp.register.suspend("member-b", "late report")
    elif receiver == "frozen":
        cast.agent(cast.orders.set_frozen("member-b", True, reason="inquiry"))
    error = {
        "unregistered": errors.ParticipantUnknown,
        "suspended": errors.ParticipantNotActive,
        "frozen": errors.GoodsAccountFrozen,
    }[receiver]
    err = cast.refused(lambda: cast.agent(cast.orders.forced_transfer(1, to, reason="x")), error)
    assert err.account == to


def test_a_forced_transfer_ends_a_presentation_without_waiting_for_the_warehouse(
    cast: Cast,
) -> None:
    cast.w.member_a.present_goods(DO, 1)
    moved = cast.agent(cast.orders.forced_transfer(1, "member-b", reason="default"))
    ended = moved.named("PresentationWithdrawn")[0]
    assert (ended["tokenId"], ended["holder"], ended["by"]) == (
        1, cast.w.member_a.address, cast.w.ccp.address,
    )  # fmt: skip
    assert cast.orders.status(1) is GoodsStatus.LIVE
    assert cast.orders.holder(1) == cast.w.member_b.address
    err = cast.refused(lambda: cast.warehouse.release(DO, 1), errors.GoodsWrongStatus)
    assert (err.status, err.required) == (GoodsStatus.LIVE, GoodsStatus.PRESENTED)


@pytest.mark.parametrize("who", ["member", "warehouse"])
def test_only_the_agent_freezes_forces_and_pauses(cast: Cast, who: str) -> None:
    caller: Role = cast.w.member_a if who == "member" else cast.warehouse
    orders = cast.orders
    for call in (
        orders.forced_transfer(1, "member-b", reason="x"),
        orders.set_frozen("member-b", True, reason="x"),
        orders.set_token_frozen(1, True, reason="x"),
        orders.pause(),
    ):
        err = cast.refused(lambda c=call: caller.send(c), errors.AccessControlUnauthorizedAccount)
        assert err.account == caller.address


def test_a_freeze_that_changes_nothing_is_refused(cast: Cast) -> None:
    orders = cast.orders
    err = cast.refused(
        lambda: cast.agent(orders.set_frozen("member-a", False, reason="x")),
        errors.GoodsFreezeUnchanged,
    )
    assert (err.account, err.tokenId, err.frozen) == (cast.addr("member-a"), 0, False)
    cast.agent(orders.set_token_frozen(1, True, reason="x"))
    err = cast.refused(
        lambda: cast.agent(orders.set_token_frozen(1, True, reason="again")),
        errors.GoodsFreezeUnchanged,
    )
    assert (err.account, err.tokenId, err.frozen) == (cast.addr("member-a"), 1, True)


@pytest.mark.parametrize("custodian", ["vault", "delivery", "pool"])
def test_the_agent_cannot_freeze_a_custodian_or_force_a_token_into_one(
    cast: Cast, custodian: str
) -> None:
    d = cast.w.deployment
    address = {
        "vault": d.vault.address, "delivery": d.delivery.address, "pool": d.pool("GOLD").address,
    }[custodian]  # fmt: skip
    assert d.participant(address).kind is Kind.SYSTEM_CONTRACT
    for kind in DocumentKind:
        docs = d.goods_documents(kind)
        for call in (
            docs.forced_transfer(1, address, reason="x"),
            docs.set_frozen(address, True, reason="x"),
        ):
            err = cast.refused(lambda c=call: cast.agent(c), errors.GoodsCustodyProtected)
            assert err.custodian == address


def test_a_receipt_in_custody_cannot_be_forced_out_frozen_or_presented(cast: Cast) -> None:
    """Receipt #1 pledged into the GOLD pool: the pool's ledger must keep matching what it holds,
    and goods pledged cannot be released from under it."""
    d = cast.w.deployment
    pool = d.pool("GOLD")
    ReceiptHolder(d, cast.w.keys[3]).pledge_receipt(1)  # member-b's
    assert cast.receipts.holder(1) == pool.address
    receipts = cast.receipts
    for call in (
        lambda: cast.agent(receipts.forced_transfer(1, "member-a", reason="x")),
        lambda: cast.agent(receipts.set_token_frozen(1, True, reason="x")),
        lambda: receipts.present(1).estimate(pool.address),  # as if the pool itself presented
    ):
        assert cast.refused(call, errors.GoodsCustodyProtected).custodian == pool.address
    # Nobody else presents it either: the pool is its holder.
    err = cast.refused(lambda: cast.w.member_b.present_goods(WR, 1), errors.GoodsNotHolder)
    assert (err.holder, err.caller) == (pool.address, cast.w.member_b.address)


@pytest.mark.parametrize("custodian", ["vault", "delivery", "pool"])
@pytest.mark.parametrize("how", ["transfer", "issue"])
def test_a_token_enters_custody_only_when_the_custodian_takes_it(
    cast: Cast, custodian: str, how: str
) -> None:
    d = cast.w.deployment
    address = {
        "vault": d.vault.address, "delivery": d.delivery.address, "pool": d.pool("GOLD").address,
    }[custodian]  # fmt: skip
    if how == "transfer":
        call = lambda: cast.w.member_b.transfer_goods(WR, address, 1)  # noqa: E731
    else:
        call = lambda: cast.warehouse.issue_receipt(address, GOLD)  # noqa: E731
    assert cast.refused(call, errors.GoodsCustodyProtected).custodian == address


# ---------------------------------------------------------------------- presentation


def test_only_the_holder_presents(cast: Cast) -> None:
    for caller in (cast.w.member_b, cast.warehouse, cast.w.ccp):
        err = cast.refused(lambda c=caller: c.present_goods(DO, 1), errors.GoodsNotHolder)
        assert (err.tokenId, err.holder, err.caller) == (1, cast.addr("member-a"), caller.address)


def test_a_presented_token_cannot_move_until_the_holder_withdraws(cast: Cast) -> None:
    w = cast.w
    outcome = w.member_a.present_goods(DO, 1)
    (ev,) = outcome.named("GoodsPresented")
    assert (ev["tokenId"], ev["holder"], ev["warehouse"]) == (
        1, w.member_a.address, cast.warehouse.address,
    )  # fmt: skip
    assert cast.orders.status(1) is GoodsStatus.PRESENTED
    assert cast.orders.holder(1) == w.member_a.address  # still the holder's
    err = cast.refused(
        lambda: w.member_a.transfer_goods(DO, "member-b", 1), errors.GoodsWrongStatus
    )
    assert (err.tokenId, err.status, err.required) == (1, GoodsStatus.PRESENTED, GoodsStatus.LIVE)
    w.member_a.send(cast.orders.set_approval_for_all("member-b"))
    cast.refused(
        lambda: w.member_b.send(cast.orders.transfer("member-a", "member-b", 1)),
        errors.GoodsWrongStatus,
    )
    err = cast.refused(lambda: w.member_a.present_goods(DO, 1), errors.GoodsWrongStatus)
    assert (err.status, err.required) == (GoodsStatus.PRESENTED, GoodsStatus.LIVE)
    # Only the holder withdraws, and only a presentation.
    err = cast.refused(lambda: w.member_b.withdraw_presentation(DO, 1), errors.GoodsNotHolder)
    assert err.caller == w.member_b.address
    cast.refused(lambda: w.member_b.withdraw_presentation(WR, 1), errors.GoodsWrongStatus)
    withdrawn = w.member_a.withdraw_presentation(DO, 1)
    (ev,) = withdrawn.named("PresentationWithdrawn")
    assert (ev["tokenId"], ev["holder"], ev["by"]) == (1, w.member_a.address, w.member_a.address)
    assert cast.orders.status(1) is GoodsStatus.LIVE
    w.member_a.transfer_goods(DO, "member-b", 1)
    assert cast.orders.holder(1) == w.member_b.address


@pytest.mark.parametrize("why", ["holder frozen", "token frozen", "holder suspended"])
def test_a_holder_presents_only_while_active_and_unfrozen(cast: Cast, why: str) -> None:
    w = cast.w
    if why == "holder frozen":
        cast.agent(cast.orders.set_frozen("member-a", True, reason="inquiry"))
        error: type[Exception] = errors.GoodsAccountFrozen
    elif why == "token frozen":
        cast.agent(cast.orders.set_token_frozen(1, True, reason="weight disputed"))
        error = errors.GoodsTokenFrozen
    else:
        w.ccp.register.suspend("member-a", "late report")
        error = errors.ParticipantNotActive
    cast.refused(lambda: w.member_a.present_goods(DO, 1), error)


def test_the_warehouse_refuses_a_presentation_and_the_token_is_live_again(cast: Cast) -> None:
    w = cast.w
    err = cast.refused(
        lambda: cast.warehouse.refuse(DO, 1, reason="x"), errors.GoodsWrongStatus
    )  # nothing presented yet
    assert (err.status, err.required) == (GoodsStatus.LIVE, GoodsStatus.PRESENTED)
    w.member_a.present_goods(DO, 1)
    for other in (cast.warehouse_2, w.member_a):
        err = cast.refused(
            lambda o=other: o.send(cast.orders.refuse(1, reason="x")), errors.GoodsNotItsWarehouse
        )
        assert (err.tokenId, err.warehouse, err.caller) == (
            1, cast.warehouse.address, other.address,
        )  # fmt: skip
    outcome = cast.warehouse.refuse(DO, 1, reason="lot 103 short")
    (ev,) = outcome.named("PresentationWithdrawn")
    assert (ev["holder"], ev["by"], ev["reason"]) == (
        w.member_a.address, cast.warehouse.address, to_bytes32("lot 103 short"),
    )  # fmt: skip
    assert cast.orders.status(1) is GoodsStatus.LIVE
    w.member_a.transfer_goods(DO, "member-b", 1)


# ---------------------------------------------------------------------- release


def test_only_its_warehouse_releases_and_only_a_presented_token(cast: Cast) -> None:
    err = cast.refused(lambda: cast.warehouse.release(DO, 1), errors.GoodsWrongStatus)
    assert (err.tokenId, err.status, err.required) == (1, GoodsStatus.LIVE, GoodsStatus.PRESENTED)
    cast.w.member_a.present_goods(DO, 1)
    for other in (cast.warehouse_2, cast.w.member_a, cast.w.ccp):
        err = cast.refused(
            lambda o=other: o.send(cast.orders.release(1, ref="x")), errors.GoodsNotItsWarehouse
        )
        assert (err.warehouse, err.caller) == (cast.warehouse.address, other.address)
        assert "issued by warehouse (0x" in str(err)  # the issuing warehouse, by name
    assert cast.orders.status(1) is GoodsStatus.PRESENTED
    cast.warehouse.release(DO, 1)
    assert cast.orders.status(1) is GoodsStatus.RELEASED


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_a_released_token_is_gone_for_good(cast: Cast, kind: DocumentKind) -> None:
    w = cast.w
    docs = w.deployment.goods_documents(kind)
    holder = w.member_a if kind is DO else w.member_b
    goods = docs.goods(1)
    holder.send(docs.approve("client-seg", 1))
    holder.present_goods(kind, 1)
    outcome = cast.warehouse.release(kind, 1, ref="gate pass 88")
    (ev,) = outcome.named("GoodsReleased")
    assert (ev["tokenId"], ev["holder"], ev["warehouse"], ev["ref"]) == (
        1, holder.address, cast.warehouse.address, to_bytes32("gate pass 88"),
    )  # fmt: skip
    (burnt,) = outcome.named("Transfer")
    assert (burnt["from"], burnt["to"], burnt["tokenId"]) == (holder.address, ZERO, 1)

    assert docs.status(1) is GoodsStatus.RELEASED
    assert docs.goods(1) == goods  # what it was title to stays on record
    assert docs.holder(1) == "" and docs.token(1).status is GoodsStatus.RELEASED
    assert docs.balance_of(holder) == 0 and docs.outstanding_count(cast.warehouse) == 0
    assert holder.goods_held(kind) == [] and cast.warehouse.outstanding(kind) == []
    assert docs.last_token_id() == 1  # its id is never issued again
    with pytest.raises(errors.ERC721NonexistentToken):
        docs._read(docs.contract.functions.ownerOf(1))

    released = (GoodsStatus.RELEASED, GoodsStatus.LIVE)
    for call, error, status in (
        (lambda: holder.transfer_goods(kind, "client-seg", 1), errors.GoodsWrongStatus, released),
        (lambda: w.client_seg.send(docs.transfer(holder, "client-seg", 1)),
         errors.GoodsWrongStatus, released),
        (lambda: holder.send(docs.approve("client-seg", 1)), errors.ERC721NonexistentToken, None),
        (lambda: cast.agent(docs.forced_transfer(1, "client-seg", reason="x")),
         errors.GoodsWrongStatus, released),
        (lambda: cast.agent(docs.set_token_frozen(1, True, reason="x")),
         errors.GoodsWrongStatus, released),
        (lambda: holder.present_goods(kind, 1), errors.GoodsWrongStatus, released),
        (lambda: holder.withdraw_presentation(kind, 1), errors.GoodsWrongStatus,
         (GoodsStatus.RELEASED, GoodsStatus.PRESENTED)),
        (lambda: cast.warehouse.release(kind, 1), errors.GoodsWrongStatus,
         (GoodsStatus.RELEASED, GoodsStatus.PRESENTED)),
        (lambda: cast.warehouse.refuse(kind, 1, reason="x"), errors.GoodsWrongStatus,
         (GoodsStatus.RELEASED, GoodsStatus.PRESENTED)),
    ):  # fmt: skip
        err = cast.refused(call, error)
        if status is not None:
            assert (err.tokenId, err.status, err.required) == (1, *status)
        else:
            assert err.tokenId == 1
    # The next token of its kind is #2, and lives its own life.
    issue = cast.warehouse.issue_delivery_order if kind is DO else cast.warehouse.issue_receipt
    assert issue(holder, goods_for(kind)).value == 2


@pytest.mark.parametrize("why", ["token frozen", "holder frozen", "holder defaulted"])
def test_goods_are_not_released_against_a_freeze_or_a_default_that_came_after_presenting(
    cast: Cast, why: str
) -> None:
    cast.w.member_a.present_goods(DO, 1)
    if why == "token frozen":
        cast.agent(cast.orders.set_token_frozen(1, True, reason="title disputed"))
        error: type[Exception] = errors.GoodsTokenFrozen
    elif why == "holder frozen":
        cast.agent(cast.orders.set_frozen("member-a", True, reason="inquiry"))
        error = errors.GoodsAccountFrozen
    else:
        cast.w.ccp.default.declare_member("member-a", "insolvency")
        error = errors.ParticipantNotActive
    cast.refused(lambda: cast.warehouse.release(DO, 1, ref="gate pass 88"), error)


@pytest.mark.parametrize("field", ["unit", "commodity"])
def test_a_token_whose_words_are_not_text_does_not_break_the_listings(
    cast: Cast, field: str
) -> None:
    raw = list(RUBBER.to_chain())
    if field == "unit":
        raw[4] = b"\xff" + bytes(7)  # the contract needs only a non-zero unit
    else:
        raw[1] = b"\xff" * 32
    cast.warehouse.send(cast.orders.call("issue", cast.addr("member-a"), tuple(raw)))
    assert [t.token_id for t in cast.orders.tokens()] == [1, 2]
    assert [t.token_id for t in cast.w.member_a.goods_held(DO)] == [1, 2]
    assert [t.token_id for _, t in cast.warehouse.outstanding(DO)] == [1, 2]
    assert cast.orders.goods(2).quantity == RUBBER.quantity


# ---------------------------------------------------------------------- sentences


def test_every_goods_token_event_has_a_sentence() -> None:
    emitted = {i["name"] for i in artifacts.load("GoodsToken").abi if i["type"] == "event"}
    assert {"GoodsIssued", "GoodsReleased", "Transfer", "ApprovalForAll"} <= emitted
    assert emitted - known_events() == set()


def test_a_delivery_orders_life_reads_as_sentences(cast: Cast) -> None:
    w = cast.w
    orders = cast.orders
    said = cast.sentences(
        cast.warehouse.issue_delivery_order("member-b", RUBBER),
        w.member_a.send(orders.approve("member-b", 1)),
        w.member_a.send(orders.set_approval_for_all("client-seg")),
        w.member_a.send(orders.set_approval_for_all("client-seg", False)),
        w.member_a.transfer_goods(DO, "member-b", 1),
        w.member_b.present_goods(DO, 1),
        w.member_b.withdraw_presentation(DO, 1),
        w.member_b.present_goods(DO, 1),
        cast.warehouse.refuse(DO, 1, reason="lot 103 short"),
        cast.agent(orders.set_frozen("member-b", True, reason="inquiry")),
        cast.agent(orders.set_token_frozen(1, True, reason="title disputed")),
        cast.agent(orders.forced_transfer(1, "ccp-default-mgmt", reason="default 1")),
        cast.agent(orders.set_token_frozen(1, False, reason="resolved")),
        cast.agent(orders.set_frozen("member-b", False, reason="cleared")),
        cast.agent(orders.pause()),
        cast.agent(orders.unpause()),
        w.member_b.present_goods(DO, 2),
        cast.warehouse.release(DO, 2, ref="gate pass 88"),
    )
    assert said == [
        "delivery order #2 issued to member-b",
        "warehouse issued delivery order #2 to member-b: 5,000 kg RSS3",
        "member-a lets member-b move delivery order #1",
        "member-a lets client-seg move its delivery orders",
        "member-a no longer lets client-seg move its delivery orders",
        "delivery order #1 from member-a to member-b",
        "member-b presented delivery order #1 to warehouse to take the goods out",
        "presentation of delivery order #1 by member-b withdrawn: “withdrawn by holder”",
        "member-b presented delivery order #1 to warehouse to take the goods out",
        "presentation of delivery order #1 by member-b refused by warehouse: “lot 103 short”",
        "member-b's delivery orders frozen by ccp: “inquiry”",
        "delivery order #1 frozen by ccp: “title disputed”",
        "delivery order #1 from member-b to ccp-default-mgmt",
        "ccp moved delivery order #1 from member-b to ccp-default-mgmt without consent: "
        "“default 1”",
        "delivery order #1 unfrozen by ccp: “resolved”",
        "member-b's delivery orders unfrozen by ccp: “cleared”",
        "delivery orders paused by ccp: ordinary transfers halt",
        "delivery orders unpaused by ccp",
        "member-b presented delivery order #2 to warehouse to take the goods out",
        "delivery order #2 of member-b burnt",
        "warehouse released the goods of delivery order #2 to member-b and burnt it: "
        "“gate pass 88”",
    ]


def test_warehouse_receipt_events_name_the_receipt(cast: Cast) -> None:
    w = cast.w
    receipts = cast.receipts
    said = cast.sentences(
        cast.warehouse.issue_receipt("member-a", GOLD),
        w.member_b.send(receipts.approve("member-a", 1)),
        w.member_b.send(receipts.set_approval_for_all("member-a")),
        w.member_b.send(receipts.set_approval_for_all("member-a", False)),
        w.member_b.transfer_goods(WR, "member-a", 1),
    )
    assert said == [
        "warehouse receipt #2 issued to member-a",
        "warehouse issued warehouse receipt #2 to member-a: 1,000 g GOLD (TANAKA 999.9)",
        "member-b lets member-a move warehouse receipt #1",
        "member-b lets member-a move its warehouse receipts",
        "member-b no longer lets member-a move its warehouse receipts",
        "warehouse receipt #1 from member-b to member-a",
    ]


def test_the_ccp_agent_desk_freezes_forces_and_pauses_goods_in_business_words(cast: Cast) -> None:
    agent, orders, a = cast.w.ccp.agent, cast.orders, cast.w.member_a
    agent.freeze_goods(DO, 1, reason="inquiry")
    assert orders.is_token_frozen(1)
    cast.refused(lambda: a.transfer_goods(DO, "member-b", 1), errors.GoodsTokenFrozen)
    forced = agent.force_goods(DO, 1, "member-b", reason="default")
    assert forced.named("GoodsForcedTransfer")[0]["tokenId"] == 1
    assert orders.holder(1) == cast.w.member_b.address
    agent.freeze_goods(DO, 1, False, reason="cleared")
    agent.freeze_goods_holder(DO, "member-b", reason="inquiry")
    assert orders.is_frozen("member-b")
    cast.refused(
        lambda: cast.w.member_b.transfer_goods(DO, "member-a", 1), errors.GoodsAccountFrozen
    )
    agent.freeze_goods_holder(DO, "member-b", False, reason="cleared")
    agent.pause_goods(DO)
    assert orders.paused() and not cast.receipts.paused()
    cast.refused(lambda: cast.w.member_b.transfer_goods(DO, "member-a", 1), errors.EnforcedPause)
    agent.pause_goods(DO, False)
    cast.w.member_b.transfer_goods(DO, "member-a", 1)
    assert orders.holder(1) == a.address
