"""Margin calls that no account can block, fair under requirement changes, reaching omnibus clients.

Batches skip what no longer fits (with an event saying why) and process the rest; a requirement
change re-evaluates open calls at once; a raised requirement is called as its own amount; an
omnibus call passed on gives each client a share of its own that its deposits count toward; and
valuation never stalls on collateral that counts for nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from support import FX, PRICES, Market

from pyclient import (
    AccountKind,
    AccountType,
    CallStatus,
    CallType,
    Client,
    RiskParameters,
    Status,
    errors,
)
from pyclient.chain import devnet
from pyclient.clock import from_unix, to_unix
from pyclient.collateral import ShareStatus, Skipped, SkipReason
from pyclient.default import Origin
from pyclient.events import describe

# ---------------------------------------------------------------- batches that hold under races


def test_a_top_up_racing_the_batch_is_skipped_and_the_other_member_is_still_called(
    market: Market,
) -> None:
    """The engine read both members short; member-a paid a moment before the batch landed."""
    w, vault = market.world, market.world.deployment.vault
    w.ccp.margin.post_requirements({market.house_a: 300_000, market.house_b: 200_000}, run_id="r")
    batch = vault.issue_margin_calls([market.house_a, market.house_b], CallType.REGULAR)
    w.member_a.deposit("JPY", 300_000)  # lands first
    outcome = w.ccp.send(batch)
    (call,) = outcome.value.calls
    assert (call.account, call.shortfall_jpy) == (market.house_b, 200_000)
    assert outcome.value.skipped == (Skipped(market.house_a, SkipReason.NO_SHORTFALL),)
    (skip,) = outcome.named("AccountSkipped")
    assert describe(skip, w.deployment) == "member-a house account skipped: it is covered"


def test_marking_overdue_skips_a_call_met_meanwhile_and_marks_the_rest(market: Market) -> None:
    w = market.world
    w.ccp.margin.post_requirements({market.house_a: 300_000, market.house_b: 200_000}, run_id="r")
    a, b = w.ccp.margin.issue_margin_calls(
        [market.house_a, market.house_b], CallType.REGULAR
    ).value.calls
    w.member_a.deposit("JPY", 300_000)
    market.warp_and_reprice(3 * 24 * 3600)
    marked = w.ccp.margin.mark_overdue([a.id, b.id]).value
    assert marked.skipped == (Skipped(a.id, SkipReason.CALL_NOT_OPEN),)
    assert [(c.id, c.status) for c in marked.calls] == [(b.id, CallStatus.OVERDUE)]


def test_what_the_caller_controls_still_refuses_the_whole_batch(market: Market) -> None:
    w = market.world
    market.refused(lambda: w.ccp.margin.issue_margin_calls([], CallType.REGULAR),
                  errors.InputError)  # fmt: skip
    market.refused(lambda: w.ccp.margin.post_requirements({}, run_id="r"), errors.InputError)
    market.refused(lambda: w.ccp.margin.mark_overdue([]), errors.InputError)
    market.refused(lambda: w.ccp.margin.mark_overdue([999]), errors.VaultMarginCallUnknown)
    market.refused(
        lambda: w.ccp.margin.issue_margin_calls([market.house_a + 1], CallType.REGULAR),
        errors.VaultAccountUnknown,
    )


# ---------------------------------------------------------------- requirement changes


def test_a_lowered_requirement_the_collateral_covers_meets_the_call_at_once(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JPY", 600_000)
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    lowered = w.ccp.margin.post_requirements({market.house_a: 550_000}, run_id="intraday")
    (met,) = lowered.named("MarginCallMet")
    assert (met["callId"], met["valueJpy"], met["requirementJpy"]) == (call.id, 600_000, 550_000)
    assert lowered.value.met == (call.id,) and lowered.value.skipped == ()
    assert w.deployment.vault.open_calls(market.house_a) == []


def test_a_raise_is_called_as_its_own_amount_and_paying_the_first_call_meets_it(
    market: Market,
) -> None:
    w, vault = market.world, market.world.deployment.vault
    w.member_a.deposit("JPY", 300_000)
    w.ccp.margin.post_requirements({market.house_a: 700_000}, run_id="eod")
    (first,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    w.ccp.margin.post_requirements({market.house_a: 900_000}, run_id="intraday")
    assert vault.margin_call(first.id).shortfall_jpy == 400_000  # the first call is unchanged
    (increase,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    assert (increase.shortfall_jpy, increase.requirement_jpy) == (200_000, 900_000)
    assert increase.previous_open == first.id
    assert [c.id for c in vault.open_calls(market.house_a)] == [increase.id, first.id]

    paid = w.member_a.deposit("JPY", 400_000)  # exactly what the first call asked for
    assert [e.name for e in paid.events if e.contract == "collateral vault"] == [
        "CollateralDeposited",
        "MarginCallMet",
    ]  # fmt: skip: the increase is paid only from what lies above the first call's requirement
    assert vault.margin_call(first.id).status is CallStatus.MET
    assert vault.margin_call(increase.id).status is CallStatus.ISSUED
    (part,) = w.member_a.deposit("JPY", 50_000).named("MarginCallPartiallyMet")
    assert (part["callId"], part["remainingJpy"]) == (increase.id, 150_000)
    w.member_a.deposit("JPY", 150_000)
    assert vault.margin_call(increase.id).status is CallStatus.MET
    assert vault.open_calls(market.house_a) == []


def test_an_unpaid_call_is_overdue_for_what_it_asked_not_for_a_later_raise(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JPY", 600_000)
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    w.ccp.margin.post_requirements({market.house_a: 1_500_000}, run_id="intraday")
    market.warp_and_reprice(3 * 24 * 3600)
    marked = w.ccp.margin.mark_overdue([call.id])
    (overdue,) = marked.named("MarginCallOverdue")
    assert overdue["remainingJpy"] == 400_000  # not 900,000: the raise was never called here


def test_a_price_rise_meets_an_open_call_before_anything_more_is_asked(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JGB374", 20)  # 20 x 49,250 x 0.99 = 975,150
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    market.oracle.publish_prices({"JGB374": 51_000})  # 20 x 51,000 x 0.99 = 1,009,800
    again = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR)
    assert again.value.skipped == (Skipped(market.house_a, SkipReason.NO_SHORTFALL),)
    assert [e["callId"] for e in again.named("MarginCallMet")] == [call.id]


# ---------------------------------------------------------------- the omnibus cascade


@pytest.fixture
def omnibus(market: Market) -> tuple[Market, Client]:
    """member-a's omnibus account short by 300,000 JPY with its call open, and a second client."""
    w = market.world
    k = w.keys[8]
    w.ccp.register.admit_client(k.address, "client-omni2", "member-a", AccountType.OMNIBUS)
    w.issuer.issue("JPY", "client-omni2", 1_000_000, ref="opening")
    w.member_a.deposit_for("client-omni", "JPY", 100_000)
    w.ccp.margin.post_requirements({market.omnibus_a: 400_000}, run_id="eod")
    return market, Client(w.deployment, k)


def test_an_omnibus_call_passed_on_gives_each_client_its_share_and_counts_its_payments(
    omnibus: tuple[Market, Client],
) -> None:
    market, other = omnibus
    w = market.world
    (call,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    due = call.deadline - timedelta(hours=1)
    shares = w.member_a.pass_on_margin_call(
        call.id, {"client-omni": 200_000, "client-omni2": 100_000}, deadline=due
    ).value
    assert [(s.client, s.amount_jpy, s.paid_jpy, s.deadline) for s in shares] == [
        (w.client_omni.address, 200_000, 0, due),
        (other.address, 100_000, 0, due),
    ]
    paid = w.client_omni.deposit("JPY", 200_000)
    assert [describe(e, w.deployment) for e in paid.events if "Share" in e.name] == [
        f"client-omni paid JPY 200,000 toward its share of call #{call.id}: JPY 200,000 of "
        "JPY 200,000",
        f"client-omni has paid its whole share of call #{call.id}",
    ]
    seen = {s.client: s for s in w.member_a.client_shares(call.id)}
    assert seen[w.client_omni.address].met and not seen[other.address].met
    assert seen[other.address].remaining_jpy == 100_000
    assert w.deployment.vault.margin_call(call.id).status is CallStatus.PARTIALLY_MET
    market.warp_and_reprice(3 * 24 * 3600)
    overdue = w.ccp.margin.mark_overdue([call.id])
    assert overdue.named("MarginCallOverdue")[0]["remainingJpy"] == 100_000


def test_a_clients_standing_instruction_pays_its_share_as_the_call_is_passed_on(
    omnibus: tuple[Market, Client],
) -> None:
    market, other = omnibus
    w = market.world
    other.set_standing_instruction([("JPY", 500_000)])
    (call,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    passed = w.member_a.pass_on_margin_call(
        call.id, {"client-omni": 200_000, "client-omni2": 100_000}
    )
    assert {s.client: s.paid_jpy for s in passed.value} == {
        w.client_omni.address: 0, other.address: 100_000,
    }  # fmt: skip
    assert w.member_a.sub_ledger()["client-omni2"] == {"JPY": 100_000}
    (pull,) = [e for e in passed.named("CollateralDeposited") if e["automatic"]]
    assert describe(pull, w.deployment) == (
        "100,000 JPY pulled by standing instruction into member-a omnibus account for client-omni2"
    )


@pytest.mark.parametrize(
    ("shares", "deadline_shift", "error"),
    [
        ({"client-omni": 200_000}, 0, errors.VaultSharesMismatch),
        ({"client-omni": 300_001}, 0, errors.VaultSharesMismatch),
        ({"client-omni": 200_000, "client-omni2": 100_000}, 1, errors.VaultShareDeadlineInvalid),
        ({"client-omni": 300_000, "client-seg": 0}, 0, errors.InvalidAmount),
        ({"client-omni": 200_000, "client-seg": 100_000}, 0, errors.VaultBeneficialOwnerInvalid),
    ],
)
def test_shares_that_do_not_add_up_or_are_due_late_are_refused_and_change_nothing(
    omnibus: tuple[Market, Client], shares, deadline_shift: int, error: type[Exception]
) -> None:
    market, _ = omnibus
    w = market.world
    (call,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    deadline = call.deadline + timedelta(seconds=deadline_shift)
    market.refused(
        lambda: w.member_a.pass_on_margin_call(call.id, shares, deadline=deadline),
        error,
    )
    assert w.member_a.client_shares(call.id) == []


def test_a_call_is_passed_on_once_and_only_an_omnibus_call_is(
    omnibus: tuple[Market, Client],
) -> None:
    market, _ = omnibus
    w = market.world
    (call,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    w.member_a.pass_on_margin_call(call.id, {"client-omni": 150_000, "client-omni2": 150_000})
    market.refused(
        lambda: w.member_a.pass_on_margin_call(call.id, {"client-omni": 300_000}),
        errors.VaultCallAlreadyPassedOn,
    )
    w.ccp.margin.post_requirements({market.house_a: 10}, run_id="house")
    (house,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    market.refused(
        lambda: w.member_a.pass_on_margin_call(house.id, {"client-omni": 10}),
        errors.VaultNotOmnibus,
    )


# ---------------------------------------------------------------- valuation that does not stall


def test_collateral_that_counts_for_nothing_needs_no_price(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JPY", 100_000)
    w.member_a.deposit("TYO7203", 100)
    market.oracle.set_risk_parameters({"TYO7203": RiskParameters(3_000, eligible_for=frozenset())})
    devnet.increase_time(w.chain, 2 * 24 * 3600)
    market.oracle.publish_prices({"JPY": 1})  # TYO7203's price is now stale, and not needed
    w.ccp.margin.post_requirements({market.house_a: 150_000}, run_id="r")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    assert (call.shortfall_jpy, w.deployment.vault.collateral_value(market.house_a)) == (
        50_000, 100_000,
    )  # fmt: skip


def test_nothing_is_deposited_in_an_asset_that_has_no_price_yet(market: Market) -> None:
    w = market.world
    d = w.deployment
    new_asset = w.keys[11].address  # listed below, never priced
    md = d.market_data
    market.oracle.send(md.call("listAssets", [new_asset], [b"JPY"], [0]))
    market.oracle.send(md.call("setRiskParameters", [new_asset], [(0, 10_000, 1)]))
    err = market.refused(
        lambda: w.member_a.send(d.vault.call("deposit", market.house_a, new_asset, 1)),
        errors.VaultAssetUnpriced,
    )
    assert err.asset == new_asset


def test_an_older_price_never_overwrites_a_newer_one(market: Market) -> None:
    d = market.world.deployment
    now = d.chain_time()
    market.oracle.publish_prices({"JGB374": 50_000}, as_of=now)
    late = market.oracle.publish_prices({"JGB374": 48_000, "TYO7203": 2_900}, as_of=now - 60)
    assert d.market_data.price("JGB374") == (50_000, now)
    assert d.market_data.price("TYO7203")[0] == 3_000  # its price in force is newer too
    assert [e.name for e in late.events] == ["PriceIgnored", "PriceIgnored"]
    stale_fx = market.oracle.publish_fx_rates({"USD": "149"}, as_of=now - 3600)
    assert [e.name for e in stale_fx.events] == ["FxRateIgnored"]
    assert d.market_data.fx_rate("USD")[0] == 150


def test_a_pull_takes_the_free_balance_when_part_of_it_is_frozen(market: Market) -> None:
    """One frozen unit no longer cancels the whole pull: the pull takes what can move."""
    w = market.world
    w.member_b.set_standing_instruction([("JPY", 2_000_000)])
    w.ccp.agent.freeze_tokens("JPY", "member-b", 1, reason="hold")
    w.ccp.margin.post_requirements({market.house_b: 1_000_000}, run_id="r")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR).value.calls
    assert call.status is CallStatus.PARTIALLY_MET
    assert w.member_b.collateral_value(AccountKind.HOUSE) == 999_999


@pytest.mark.anvil_only("deploys a second suite on an embedded Anvil of its own")
def test_a_call_on_an_asset_with_a_tiny_price_and_18_decimals_stays_cheap() -> None:
    """The quantity that covers a shortfall is computed in closed form: no loop that grows with
    10^decimals / price (which used to run a call batch out of gas)."""
    from pyclient import (
        AssetClass,
        AssetSpec,
        Ccp,
        Chain,
        ClearingMember,
        Oracle,
        TokenIssuer,
        deploy,
    )

    dust = AssetSpec("DUST", "a token priced at 1e-15 JPY", 18, AssetClass.CASH, "JPY")
    with Chain.connect() as chain:
        keys = chain.dev_accounts(3)
        d = deploy(chain, keys[0], assets=[dust])
        ccp = Ccp(d, keys[0])
        ccp.register.admit_member(keys[1].address, "member")
        TokenIssuer(d, keys[0]).issue("DUST", "member", 10**16)
        Oracle(d, keys[0]).publish_prices({"DUST": "0.000000000000001"})
        Oracle(d, keys[0]).set_risk_parameters({"DUST": RiskParameters(100)})
        house = ccp.margin.open_account("member", AccountKind.HOUSE).value
        member = ClearingMember(d, keys[1])
        member.set_standing_instruction([("DUST", 10**16)])
        ccp.margin.post_requirements({house: 5}, run_id="r")
        issued = ccp.margin.issue_margin_calls([house], CallType.REGULAR)
        (call,) = issued.value.calls
        assert call.status is CallStatus.MET and issued.gas_used < 400_000
        assert d.vault.collateral_value(house) == 5


# ---------------------------------------------------------------- review regressions, one each


def test_an_increase_due_before_the_open_call_is_skipped_not_issued(market: Market) -> None:
    """Calls on an account stack: a newer one is never due before an older one, or paying the
    newer (smaller) one first would leave the older one overdue for the newer's money."""
    w, vault = market.world, market.world.deployment.vault
    w.ccp.margin.post_requirements({market.house_a: 700_000}, run_id="eod")
    (first,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    w.ccp.margin.post_requirements({market.house_a: 900_000}, run_id="intraday")
    early = w.ccp.send(
        vault.issue_margin_calls([market.house_a], CallType.INTRADAY,
                                 deadline=first.deadline - timedelta(minutes=1))
    ).value  # fmt: skip
    assert (early.calls, early.skipped) == (
        (), (Skipped(market.house_a, SkipReason.DEADLINE_BEFORE_OPEN_CALL),),
    )  # fmt: skip
    same = w.ccp.send(
        vault.issue_margin_calls([market.house_a], CallType.INTRADAY, deadline=first.deadline)
    ).value
    (increase,) = same.calls
    assert (increase.shortfall_jpy, increase.previous_open) == (200_000, first.id)


def test_a_lapsed_price_sets_an_account_aside_from_new_calls_but_never_holds_back_a_deadline(
    market: Market,
) -> None:
    """member-a's JGBs count, so valuing its account needs their price. With none, a batch of
    calls leaves the account out with the reason and does the rest; but at a passed deadline the
    JGBs count for nothing (a CCP does not rely on collateral it cannot price), so the call is
    overdue all the same, and the member is defaulted and its JGBs seized by quantity."""
    w = market.world
    w.member_a.deposit("JGB374", 10)  # 487,575 JPY
    w.member_b.deposit("JPY", 100_000)
    w.ccp.margin.post_requirements({market.house_a: 600_000, market.house_b: 200_000}, run_id="r")
    a, b = w.ccp.margin.issue_margin_calls(
        [market.house_a, market.house_b], CallType.REGULAR
    ).value.calls
    devnet.increase_time(w.chain, 3 * 24 * 3600)
    market.oracle.publish_fx_rates(FX)
    market.oracle.publish_prices({s: p for s, p in PRICES.items() if s != "JGB374"})

    marked = w.ccp.margin.mark_overdue([a.id, b.id])
    assert marked.value.skipped == ()
    assert [(c.id, c.status) for c in marked.value.calls] == [
        (a.id, CallStatus.OVERDUE),
        (b.id, CallStatus.OVERDUE),
    ]
    short = {e.args["callId"]: e.args["remainingJpy"] for e in marked.named("MarginCallOverdue")}
    assert short == {a.id: 600_000 - 0, b.id: 200_000 - 100_000}  # the JGBs counted nothing
    posted = w.ccp.margin.post_requirements({market.house_a: 700_000}, run_id="r2")
    assert posted.value.deferred == (market.house_a,)
    assert w.member_a.vault_account(AccountKind.HOUSE).requirement_jpy == 700_000
    issued = w.ccp.margin.issue_margin_calls([market.house_a, market.house_b], CallType.REGULAR)
    assert issued.value.skipped == (
        Skipped(market.house_a, SkipReason.VALUATION_UNAVAILABLE),
        Skipped(market.house_b, SkipReason.CALL_OPEN),
    )
    case = w.ccp.default.declare(a.id, "no price").value
    assert w.ccp.default.seized(case.id)["JGB374"][Origin.HOUSE_MARGIN] == 10
    assert w.deployment.vault.margin_call(a.id).status is CallStatus.DEFAULT_DECLARED


def test_collateral_priced_enough_still_meets_a_call_at_its_deadline_when_another_lapsed(
    market: Market,
) -> None:
    """Counting an unpriced holding as nothing never stops the priced collateral from meeting a
    call: dollars worth enough by the deadline (the rate rose) meet it though the JGBs' price
    lapsed."""
    w = market.world
    w.member_a.deposit("JGB374", 10)  # 487,575 JPY
    w.member_a.deposit("USD", "3000.00")  # 441,000 JPY at 150
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="r")
    (a,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    assert a.shortfall_jpy == 1_000_000 - 487_575 - 441_000
    devnet.increase_time(w.chain, 3 * 24 * 3600)
    market.oracle.publish_fx_rates({"USD": "350"})  # 1,029,000 JPY on their own
    market.oracle.publish_prices({s: p for s, p in PRICES.items() if s != "JGB374"})
    marked = w.ccp.margin.mark_overdue([a.id])
    assert marked.named("MarginCallOverdue") == []
    assert w.deployment.vault.margin_call(a.id).status is CallStatus.MET


def test_an_asset_whose_currency_has_no_rate_cannot_be_deposited(market: Market) -> None:
    w = market.world
    d = w.deployment
    new_asset = w.keys[10].address  # a EUR asset: priced, but no EUR/JPY rate was ever published
    md = d.market_data
    market.oracle.send(md.call("listAssets", [new_asset], [b"EUR"], [2]))
    market.oracle.send(md.call("setRiskParameters", [new_asset], [(0, 10_000, 1)]))
    market.oracle.send(md.call("publishPrices", [new_asset], [10**18], d.chain_time()))
    err = market.refused(
        lambda: w.member_a.send(d.vault.call("deposit", market.house_a, new_asset, 1)),
        errors.VaultAssetUnpriced,
    )
    assert err.asset == new_asset


@pytest.mark.parametrize("marked_first", [False, True])
def test_a_call_covered_by_a_price_rise_is_never_defaulted(
    market: Market, marked_first: bool
) -> None:
    """Overdue or not yet marked: the default re-values the account first, finds the call
    covered and refuses, with the call and the member as they were."""
    w = market.world
    w.member_a.deposit("JGB374", 10)  # 487,575 JPY
    w.ccp.margin.post_requirements({market.house_a: 500_000}, run_id="eod-1")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    market.warp_and_reprice(3 * 24 * 3600)
    if marked_first:
        w.ccp.margin.mark_overdue([call.id])
    before = w.deployment.vault.margin_call(call.id).status
    market.oracle.publish_prices({"JGB374": 52_000})  # 514,800 JPY
    err = market.refused(
        lambda: w.ccp.default.declare(call.id, "covered meanwhile"),
        errors.VaultMarginCallState,
    )
    assert CallStatus(err.status) is CallStatus.MET
    assert w.deployment.vault.margin_call(call.id).status is before
    assert w.deployment.participant("member-a").status is Status.ACTIVE


def test_a_standing_instruction_names_each_asset_once(market: Market) -> None:
    w = market.world
    market.refused(
        lambda: w.member_b.set_standing_instruction([("JPY", 100), ("USD", 1), ("JPY", 200)]),
        errors.VaultInstructionDuplicate,
    )
    assert w.deployment.vault.standing_instruction(market.house_b) == []


def test_a_client_sets_the_instruction_of_its_own_account_only(market: Market) -> None:
    w = market.world
    with pytest.raises(errors.InputError, match="omnibus client"):
        w.client_omni.set_standing_instruction([("JPY", 100)], kind=AccountKind.SEGREGATED)
    with pytest.raises(errors.InputError, match="segregated client"):
        w.client_seg.set_standing_instruction([("JPY", 100)], kind=AccountKind.OMNIBUS)


# ---------------------------------------------------------------- shares as the call moves


def test_a_clients_payment_pays_its_oldest_share_first_at_the_value_it_adds(
    omnibus: tuple[Market, Client],
) -> None:
    market, _ = omnibus
    w = market.world
    vault = w.deployment.vault
    (first,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    w.member_a.pass_on_margin_call(first.id, {"client-omni": 200_000, "client-omni2": 100_000})
    w.ccp.margin.post_requirements({market.omnibus_a: 500_000}, run_id="intraday")
    (second,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    assert second.shortfall_jpy == 100_000
    w.member_a.pass_on_margin_call(second.id, {"client-omni": 100_000})

    paid = w.client_omni.deposit("JPY", 250_000)
    credited = [(e["callId"], e["valueJpy"]) for e in paid.named("ClientSharePaid")]
    assert credited == [(first.id, 200_000), (second.id, 50_000)]  # the oldest share first
    before = vault.collateral_value(market.omnibus_a)
    usd = w.member_a.deposit_for("client-omni", "USD", "100.00")  # 100 x 150 x 98% = 14,700
    added = vault.collateral_value(market.omnibus_a) - before
    (part,) = usd.named("ClientSharePaid")
    assert (part["callId"], part["valueJpy"], added) == (second.id, 14_700, 14_700)
    shares = {s.client: s for s in w.member_a.client_shares(second.id)}
    assert shares[w.client_omni.address].paid_jpy == 64_700


def test_unpaid_shares_go_overdue_at_their_deadline_and_close_with_the_call(
    omnibus: tuple[Market, Client],
) -> None:
    market, other = omnibus
    w = market.world
    (call,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    due = call.deadline - timedelta(hours=1)
    w.member_a.pass_on_margin_call(
        call.id, {"client-omni": 200_000, "client-omni2": 100_000}, deadline=due
    )
    w.client_omni.deposit("JPY", 200_000)
    early = w.member_a.mark_shares_overdue(call.id)
    assert early.named("ClientShareOverdue") == []  # not due yet: nothing changes
    devnet.set_next_timestamp(w.chain, to_unix(due) + 1)
    late = w.member_a.mark_shares_overdue(call.id)
    (overdue,) = late.named("ClientShareOverdue")
    assert (overdue["client"], overdue["remainingJpy"]) == (other.address, 100_000)
    statuses = {s.client: s.status for s in late.value}
    assert statuses == {w.client_omni.address: ShareStatus.PAID, other.address: ShareStatus.OVERDUE}
    market.refused(lambda: w.member_b.mark_shares_overdue(call.id), errors.VaultNotAccountOwner)

    # client-omni pays more; its own share is paid already, so nothing is credited to a share,
    # but the call is met, and client-omni2's unpaid share closes with it. The clock may have
    # moved past a day since prices were published (a call issued after midnight Tokyo falls due
    # the next business day but one): the oracle publishes again, as it does every day.
    market.oracle.publish_fx_rates(FX)
    market.oracle.publish_prices(PRICES)
    met = w.client_omni.deposit("JPY", 100_000)
    assert [e.name for e in met.events if e.name.startswith(("MarginCall", "ClientShare"))] == [
        "MarginCallMet", "ClientShareClosed",
    ]  # fmt: skip
    (closed,) = met.named("ClientShareClosed")
    assert (closed["client"], CallStatus(closed["status"]), closed["paidJpy"]) == (
        other.address, CallStatus.MET, 0,
    )  # fmt: skip
    final = {s.client: s for s in w.member_a.client_shares(call.id)}
    assert final[other.address].status is ShareStatus.CLOSED
    assert not final[other.address].past_due(from_unix(w.deployment.chain_time()))


def test_a_default_closes_every_open_call_of_the_member_each_with_its_event(
    omnibus: tuple[Market, Client],
) -> None:
    market, other = omnibus
    w = market.world
    vault = w.deployment.vault
    (omni,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    w.member_a.pass_on_margin_call(omni.id, {"client-omni": 200_000, "client-omni2": 100_000})
    w.ccp.margin.post_requirements({market.house_a: 10}, run_id="house")
    (house,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    market.warp_and_reprice(3 * 24 * 3600)
    default = w.ccp.default.declare(house.id, "missed")
    case = default.value.id
    closed = {(e["callId"], e["account"], e["caseId"]) for e in default.named(
        "MarginCallDefaulted")}  # fmt: skip
    assert closed == {(house.id, market.house_a, case), (omni.id, market.omnibus_a, case)}
    assert {e["client"] for e in default.named("ClientShareClosed")} == {
        w.client_omni.address, other.address,
    }  # fmt: skip
    assert vault.margin_call(omni.id).status is CallStatus.DEFAULT_DECLARED
    assert vault.open_calls(market.omnibus_a) == []
    # A call closed by the default can no longer be passed on, and nothing is pulled for it.
    other.set_standing_instruction([("JPY", 500_000)])
    wallet = w.deployment.token("JPY").balance_of(other.address)
    market.refused(
        lambda: w.member_a.pass_on_margin_call(omni.id, {"client-omni2": 300_000}),
        errors.VaultMarginCallState,
    )
    assert w.deployment.token("JPY").balance_of(other.address) == wallet


def test_a_standing_instruction_pulls_a_limited_asset_only_up_to_its_cap(market: Market) -> None:
    """Under a 40% equity limit of a 1m requirement, 200 shares (420,000 after haircut) already
    meet their 400,000 cap: more shares would add nothing, so the pull skips to the yen (the
    review's proof pulled 48 shares for nothing). With room under the cap, only the room is
    pulled in shares."""
    w = market.world
    a = w.member_a
    a.deposit("TYO7203", 200)
    a.deposit("JPY", 500_000)
    a.set_standing_instruction([("TYO7203", 5_000), ("JPY", 1_000_000)])
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="r")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    assert call.status is CallStatus.MET
    assert a.collateral(AccountKind.HOUSE) == {"TYO7203": 200, "JPY": 600_000}

    w.ccp.margin.post_requirements({market.house_a: 1_200_000}, run_id="r2")  # cap 480,000
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    # Short 180,000: the shares have 60,000 of room under their cap, so 29 of them (60,900 after
    # haircut, 60,000 counted), then 120,000 yen.
    assert a.collateral(AccountKind.HOUSE) == {"TYO7203": 229, "JPY": 720_000}
    assert a.collateral_value(AccountKind.HOUSE) == 1_200_000
