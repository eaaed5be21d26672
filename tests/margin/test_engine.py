"""The margin engine on chain: compute, post, call the short accounts, follow the calls."""

from __future__ import annotations

from decimal import Decimal

from support import PRICES, Market

from pyclient import AccountKind, CallStatus, CallType, MarginEngine, Portfolio, Position
from pyclient.chain import devnet
from pyclient.margin import ADD_ON_CAPITAL_THRESHOLD, initial_margin

# A futures book: two years of a price that drifts and jumps, in JPY per contract.
HISTORY = {
    "JGB-FUT": [
        Decimal(145_000 + (i * 37) % 900 - (3_000 if i % 50 == 0 else 0)) for i in range(260)
    ],
    "NK-FUT": [Decimal(38_000 + (i * 53) % 1_500) for i in range(260)],
}
NOW = {"JGB-FUT": Decimal(144_000), "NK-FUT": Decimal(38_500)}
TRADED = {"JGB-FUT": Decimal(145_500), "NK-FUT": Decimal(38_000)}


def portfolios(m: Market) -> list[Portfolio]:
    big = ADD_ON_CAPITAL_THRESHOLD * 10
    return [
        Portfolio(m.house_a, [Position("JGB-FUT", 10)], TRADED, big),
        Portfolio(m.house_b, [Position("JGB-FUT", -5), Position("NK-FUT", 20)], TRADED, 1),
        Portfolio(m.segregated, [Position("NK-FUT", 3)], TRADED, big),
    ]


def test_run_posts_what_the_risk_model_computes(market: Market) -> None:
    engine = MarginEngine(market.world.ccp)
    results = engine.run(portfolios(market), current_prices=NOW, history=HISTORY, run_id="eod-1")
    expected = initial_margin(
        [Position("JGB-FUT", -5), Position("NK-FUT", 20)],
        trade_prices=TRADED,
        current_prices=NOW,
        history=HISTORY,
        net_capital=1,
    )
    assert results[market.house_b] == expected
    assert expected.add_on > 0  # member-b is under JPY 2bn of net capital
    assert results[market.house_a].add_on == 0
    states = {s.id: s for s in engine.states()}
    assert states[market.house_b].requirement_jpy == int(expected.total)
    assert all(s.value_jpy == 0 for s in states.values())


def test_only_short_accounts_without_an_open_call_are_called(market: Market) -> None:
    w = market.world
    engine = MarginEngine(w.ccp)
    results = engine.run(portfolios(market), current_prices=NOW, history=HISTORY, run_id="eod-1")
    w.member_a.deposit("JPY", int(results[market.house_a].total))  # fully covered
    outcome = engine.issue_calls(CallType.REGULAR)
    assert len(outcome) == 1 and len(outcome.named("MarginCallIssued")) == 2
    calls = outcome.value.calls
    assert {c.account for c in calls} == {market.house_b, market.segregated}
    again = engine.issue_calls(CallType.REGULAR)  # calls already open: none twice, no tx
    assert (len(again), again.value.calls, again.value.skipped) == (0, (), ())
    assert {c.id for c in engine.open_calls()} == {c.id for c in calls}


def test_overdue_calls_are_marked_on_the_chains_clock(market: Market) -> None:
    w = market.world
    engine = MarginEngine(w.ccp)
    engine.run(portfolios(market), current_prices=NOW, history=HISTORY, run_id="eod-1")
    calls = engine.issue_calls(CallType.REGULAR).value.calls
    assert engine.mark_overdue().value.calls == ()  # not due yet
    w.client_seg.deposit("JPY", 50_000_000)  # the segregated client pays in time
    devnet.increase_time(w.chain, 3 * 24 * 3600)
    market.oracle.publish_fx_rates({"USD": "150"})
    market.oracle.publish_prices(PRICES)
    overdue = engine.mark_overdue().value.calls
    assert {c.account for c in overdue} == {market.house_a, market.house_b}
    assert all(c.status is CallStatus.OVERDUE for c in overdue)
    statuses = {c.account: c.status for c in engine.report() if c.id in {x.id for x in calls}}
    assert statuses == {
        market.house_a: CallStatus.OVERDUE,
        market.house_b: CallStatus.OVERDUE,
        market.segregated: CallStatus.MET,
    }


def test_clearing_fund_shares_become_requirements_with_the_minimum(market: Market) -> None:
    engine = MarginEngine(market.world.ccp)
    market.world.ccp.margin.open_account("member-b", AccountKind.CLEARING_FUND)
    shares = engine.post_clearing_fund(
        {"member-a": 900_000_000, "member-b": 1_000_000}, fund_size=100_000_000, run_id="cf-1"
    )
    assert shares["member-b"] == 10_000_000  # the floor
    # The plain formula, not rescaled: 100m × 900/901 = 99,889,012.2, rounded up.
    assert shares["member-a"] == 99_889_013 and sum(shares.values()) == 109_889_013
    fund = market.world.member_b.vault_account(AccountKind.CLEARING_FUND)
    assert fund.requirement_jpy == 10_000_000
    assert market.world.member_a.vault_account(AccountKind.CLEARING_FUND).requirement_jpy == (
        99_889_013
    )


def test_a_frozen_account_is_still_valued_at_what_it_holds(market: Market) -> None:
    w = market.world
    w.client_seg.deposit("JPY", 1_000)
    engine = MarginEngine(w.ccp)
    engine.post({market.segregated: 5_000}, run_id="eod-1")
    (call,) = engine.issue_calls(CallType.REGULAR).value.calls
    devnet.increase_time(w.chain, 3 * 24 * 3600)
    market.oracle.publish_prices(PRICES)
    w.ccp.default.declare(call.id, "missed")
    (state,) = engine.states()
    assert state.account.frozen
    assert (state.value_jpy, state.shortfall_jpy) == (1_000, 4_000)


def test_the_engines_batch_can_be_built_unsent_and_a_member_paying_meanwhile_is_skipped(
    market: Market,
) -> None:
    w = market.world
    engine = MarginEngine(w.ccp)
    engine.post({market.house_a: 300_000, market.house_b: 200_000}, run_id="eod")
    assert [v.id for v in engine.short_accounts()] == [market.house_a, market.house_b]
    block = w.chain.w3.eth.block_number
    (batch,) = engine.calls_due(CallType.REGULAR)
    assert w.chain.w3.eth.block_number == block  # built, not sent
    w.member_a.deposit("JPY", 300_000)
    issued = w.ccp.send(batch).value
    assert [c.account for c in issued.calls] == [market.house_b]
    assert [s.id for s in issued.skipped] == [market.house_a]
    assert engine.calls_due(CallType.REGULAR) == []  # one covered, one called


def test_the_engine_splits_a_large_batch_into_transactions_the_node_accepts(
    market: Market,
) -> None:
    w = market.world
    engine = MarginEngine(w.ccp, calls_per_tx=1, requirements_per_tx=1)
    posted = engine.post({market.house_a: 300_000, market.house_b: 200_000}, run_id="eod")
    assert len(posted.outcomes) == 2  # one requirement per transaction
    assert len(engine.calls_due(CallType.REGULAR)) == 2  # one account each
    issued = engine.issue_calls(CallType.REGULAR)
    assert len(issued.outcomes) == 2
    assert sorted(c.account for c in issued.value.calls) == [market.house_a, market.house_b]


def test_a_run_keeps_the_outcome_of_its_posting(market: Market) -> None:
    engine = MarginEngine(market.world.ccp)
    results = engine.run(portfolios(market), current_prices=NOW, history=HISTORY, run_id="eod-1")
    assert engine.last_posted is not None and len(engine.last_posted) == 1
    posted = {
        e["account"]: e["requirementJpy"] for e in engine.last_posted.named("RequirementPosted")
    }
    assert posted == {acct: int(r.total) for acct, r in results.items()}


def test_a_fresh_engine_calls_what_another_posted_read_from_the_chain(market: Market) -> None:
    """Another process, or a restart: a new engine knows nothing in memory, and still calls every
    short account with a requirement, whoever posted it."""
    w = market.world
    MarginEngine(w.ccp).post({market.house_a: 300_000}, run_id="eod")  # then the engine stops
    w.ccp.margin.post_requirements({market.segregated: 50_000}, run_id="desk")  # not an engine
    w.member_a.deposit("JPY", 100_000)  # short by 200,000
    fresh = MarginEngine(w.ccp)
    assert fresh.accounts == [] and fresh.managed() == [market.house_a, market.segregated]
    assert [(s.id, s.shortfall_jpy) for s in fresh.short_accounts()] == [
        (market.house_a, 200_000), (market.segregated, 50_000),
    ]  # fmt: skip
    issued = fresh.issue_calls(CallType.REGULAR)
    assert [(c.account, c.shortfall_jpy) for c in issued.value.calls] == [
        (market.house_a, 200_000), (market.segregated, 50_000),
    ]  # fmt: skip
    assert MarginEngine(w.ccp).calls_due(CallType.REGULAR) == []  # called once, by any engine


def test_portfolios_and_postings_name_accounts_by_label_or_owner(market: Market) -> None:
    w = market.world
    engine = MarginEngine(w.ccp)
    big = ADD_ON_CAPITAL_THRESHOLD * 10
    results = engine.run(
        [Portfolio("member-a", [Position("JGB-FUT", 10)], TRADED, big),
         Portfolio("client-seg segregated", [Position("NK-FUT", 3)], TRADED, big)],
        current_prices=NOW, history=HISTORY, run_id="eod",
    )  # fmt: skip
    assert list(results) == [market.house_a, market.segregated]
    assert engine.member_books([Portfolio("client-seg", [Position("NK-FUT", 3)], TRADED, big)]) == {
        "member-b": [Position("NK-FUT", 3)]
    }
    engine.post({"member-b house": 1_000}, run_id="eod-2")
    assert w.deployment.vault.account("member-b").requirement_jpy == 1_000
    (state,) = engine.states(accounts=["member-b"])
    assert state.id == market.house_b
    issued = engine.issue_calls(CallType.REGULAR, accounts=["member-b house"]).value.calls
    assert [c.account for c in issued] == [market.house_b]
