"""The collateral optimiser: the cheapest whole-unit holdings that cover each account, and plans
the chain carries out without a revert.

First the model on hand-made inventories (no chain): the cheapest asset chosen, concentration caps
and the buffer, fractions, ineligible collateral, moves between accounts and their order, more legs
than one substitution takes, and clear refusals. Then plans executed on chain by member-a, the
last at random (hypothesis): whatever the inventory, the plan executes and covers the target.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from support import VAULT_ASSETS, Market

from pyclient import AccountKind, Purpose, Quote, errors
from pyclient.chain import devnet
from pyclient.collateral.optimiser import AccountHoldings, Inventory, Plan, optimise
from pyclient.collateral.substitution import MAX_LEGS
from pyclient.oracle import RiskParameters
from pyclient.tables import plan_table
from pyclient.valuation import account_value, concentration_cap, haircut_value, market_value

E18 = 10**18
BOTH = 0b11  # eligible for initial margin and the clearing fund
IM_ONLY = 0b01
HOUSE, FUND = AccountKind.HOUSE, AccountKind.CLEARING_FUND


def quote(
    price: int | str, *, fx: int = 1, haircut: int = 0, limit: int = 10_000, decimals: int = 0,
    eligibility: int = BOTH,
) -> Quote:  # fmt: skip
    return Quote(int(Decimal(price) * E18), fx * E18, haircut, limit, decimals, eligibility)


# The market of tests/support.py, by hand: per whole unit, JPY counts 1, USD 147 (150 less 2%),
# JGB 48,757.5 (49,250 less 1%), TYO 2,100 (3,000 less 30%) up to 40% of the requirement.
QUOTES = {
    "JPY": quote(1),
    "USD": quote(1, fx=150, haircut=200, decimals=2),
    "JGB": quote(49_250, haircut=100),
    "TYO": quote(3_000, haircut=3_000, limit=4_000),
}
WALLET = {"JPY": 2_000_000, "USD": 2_000_000, "JGB": 100, "TYO": 10_000}  # USD in cents
COSTS = {"JPY": 25, "USD": 10, "JGB": 40, "TYO": 50}  # bps a year


def house(requirement: int, **holdings: int) -> AccountHoldings:
    return AccountHoldings(1, HOUSE, requirement, holdings)


def inventory(*accounts: AccountHoldings, wallet: dict[str, int] = WALLET, **quotes: Quote):
    return Inventory(wallet=wallet, accounts=accounts, quotes={**QUOTES, **quotes})


def replay(plan: Plan, quotes: dict[str, Quote], account: int) -> dict[str, int]:
    """Carry out one account's steps in Python as the vault would judge each (smallest units),
    asserting every step passes its rule; the holdings at the end."""
    p = plan.account(account)
    units = {s: int(q.scaleb(quotes[s].decimals)) for s, q in p.before.items()}

    def value(h: dict[str, int]) -> int:
        return account_value(h, quotes, p.purpose, p.requirement_jpy)

    for step in p.steps():
        assert len(step.out) <= MAX_LEGS and len(step.into) <= MAX_LEGS
        before = value(units)
        for s, q in step.out.items():
            units[s] -= int(q.scaleb(quotes[s].decimals))
            assert units[s] >= 0
        for s, q in step.into.items():
            assert quotes[s].eligible_for(p.purpose), f"{s} may not go into the account"
            units[s] = units.get(s, 0) + int(q.scaleb(quotes[s].decimals))
        after = value(units)
        if step.action == "withdraw":
            assert after >= p.requirement_jpy
        elif step.action == "substitute":
            assert after >= p.requirement_jpy or after >= before
    return {s: u for s, u in units.items() if u}


# ---------------------------------------------------------------------- the model, by hand


def test_the_cheapest_asset_per_yen_counted_replaces_dearer_collateral() -> None:
    # Per yen counted, USD costs 10 / 0.98 = 10.2 bps, JPY 25, JGB 40.4: all 30 JGB out, USD in.
    plan = optimise(inventory(house(1_000_000, JGB=30)), costs_bps=COSTS)
    h = plan.account(HOUSE)
    assert (h.out, h.into) == ({"JGB": 30}, {"USD": Decimal("6803.00")})
    # 6,803 x 147 = 1,000,041; 6,802 dollars and 106 yen would cost 0.11 JPY a year more.
    assert (h.value_before_jpy, h.value_after_jpy, h.target_jpy) == (1_462_725, 1_000_041, 10**6)
    assert h.value_after_jpy == account_value(
        {"USD": 680_300}, QUOTES, Purpose.INITIAL_MARGIN, 10**6
    )
    assert plan.cost_before_jpy == Decimal(5_910)  # 1,477,500 at market x 40 bps
    assert plan.cost_after_jpy == Decimal("1020.45")  # 1,020,450 x 10 bps
    assert plan.saving_jpy == Decimal("4889.55")
    assert "Optimal" in plan.status


def test_the_cost_is_market_value_before_haircut_of_what_is_posted_and_nothing_in_the_wallet() -> (
    None
):
    plan = optimise(inventory(house(0, JPY=10_000, USD=12_345, JGB=3)), costs_bps=COSTS)
    expected = sum(
        Decimal(market_value(units, QUOTES[s])) * COSTS[s] / 10_000
        for s, units in {"JPY": 10_000, "USD": 12_345, "JGB": 3}.items()
    )
    assert plan.cost_before_jpy == expected
    # Nothing to cover: everything comes back to the wallet, where it costs nothing.
    assert plan.account(HOUSE).after == {} and plan.cost_after_jpy == 0


def test_a_concentration_cap_stops_the_cheapest_asset_at_its_share_of_the_requirement() -> None:
    # TYO is cheapest per yen counted (50 / 0.7 = 7.1 bps) but meets at most 40% of 1,050,000:
    # 420,000, exactly 200 shares; the other 630,000 from USD (4,286 dollars: 630,042).
    costs = {**COSTS, "TYO": 5}
    plan = optimise(inventory(house(1_050_000, JGB=30)), costs_bps=costs)
    h = plan.account(HOUSE)
    assert h.into == {"TYO": 200, "USD": Decimal("4286.00")} and h.out == {"JGB": 30}
    assert h.value_after_jpy == 1_050_042
    assert plan.cost_after_jpy == Decimal("942.90")  # 600,000 x 5 bps + 642,900 x 10 bps


def test_the_buffer_is_covered_while_caps_stay_shares_of_the_requirement() -> None:
    costs = {**COSTS, "TYO": 5}
    plan = optimise(inventory(house(1_050_000)), costs_bps=costs, buffer=Decimal("0.05"))
    h = plan.account(HOUSE)
    assert h.target_jpy == 1_102_500
    # The cap is still 40% of the requirement (420,000), not of the target: 682,500 from USD.
    assert h.into == {"TYO": 200, "USD": Decimal("4643.00")}
    assert h.value_after_jpy == 420_000 + 682_521 >= h.target_jpy
    plain = optimise(inventory(house(1_000_000)), costs_bps=COSTS, buffer=Decimal("0.05"))
    assert plain.account(HOUSE).into == {"USD": Decimal("7143.00")}  # 1,050,021 >= 1,050,000


def test_no_allocation_is_refused_naming_the_account_and_what_binds() -> None:
    short = inventory(house(1_000_000), wallet={"JPY": 100_000, "TYO": 10_000})
    with pytest.raises(errors.AllocationInfeasible) as info:
        optimise(short, costs_bps=COSTS, buffer=Decimal("0.1"))
    assert str(info.value) == (
        "house account needs 1,100,000 JPY (1,000,000 requirement + 10% buffer); everything "
        "eligible the member holds counts for 500,000 JPY after haircuts and concentration "
        "limits: TYO counts at most 400,000 JPY (40% of the requirement)"
    )
    nothing = inventory(house(1_000), wallet={"X": 5_000}, X=quote(1, eligibility=0))
    with pytest.raises(errors.AllocationInfeasible, match="nothing the member holds is eligible"):
        optimise(nothing, costs_bps={"X": 1})
    frozen = Inventory(
        wallet=WALLET, accounts=[AccountHoldings(1, HOUSE, 10**6, {"JPY": 5}, frozen=True)],
        quotes=QUOTES,
    )  # fmt: skip
    with pytest.raises(errors.AllocationInfeasible, match="frozen at 5 JPY, short of 1,000,000"):
        optimise(frozen, costs_bps=COSTS)


def test_holdings_already_the_cheapest_stay_as_they_are() -> None:
    plan = optimise(inventory(house(1_000_000, USD=680_300)), costs_bps=COSTS)
    assert not plan.moves and plan.saving_jpy == 0
    # With every asset free, nothing is worth a move either: the fewest yen moved wins.
    free = optimise(inventory(house(900_000, JGB=30)), costs_bps=dict.fromkeys(COSTS, 0))
    assert not free.moves and free.account(HOUSE).after == {"JGB": 30}


def test_a_fraction_of_a_unit_stays_unless_the_asset_leaves_entirely() -> None:
    held = house(100_000, USD=123_456)  # 1,234.56 USD
    dear_cash = optimise(inventory(held), costs_bps={**COSTS, "JPY": 100, "USD": 1})
    h = dear_cash.account(HOUSE)
    # Whole dollars out: 680.56 stay (100,042); 679.56 would count 99,895.
    assert h.out == {"USD": Decimal("554.00")} and h.after == {"USD": Decimal("680.56")}
    assert h.value_after_jpy == 100_042
    cheap_cash = optimise(inventory(held), costs_bps={**COSTS, "JPY": 1, "USD": 100})
    assert cheap_cash.account(HOUSE).out == {"USD": Decimal("1234.56")}  # the fraction goes too


def test_collateral_no_longer_eligible_counts_nothing_and_comes_out() -> None:
    inv = inventory(house(500_000, JPY=600_000, OLD=20), OLD=quote(10_000, eligibility=0))
    plan = optimise(inv, costs_bps={**COSTS, "JPY": 1, "OLD": 5})
    h = plan.account(HOUSE)
    assert h.value_before_jpy == 600_000  # OLD counts nothing
    assert h.out == {"JPY": 100_000, "OLD": 20} and h.into == {}
    # It cannot go in again: an account that needs more takes other collateral.
    more = optimise(inventory(house(700_000, OLD=20), OLD=quote(1, eligibility=0)),
                    costs_bps={**COSTS, "OLD": 0, "JPY": 1})  # fmt: skip
    assert "OLD" not in more.account(HOUSE).into and more.account(HOUSE).after["OLD"] == 20


def test_collateral_moves_out_of_one_account_before_it_goes_into_the_other() -> None:
    # X serves initial margin only: the fund must swap it for JPY, which the house has spare.
    quotes = {**QUOTES, "X": quote(1, eligibility=IM_ONLY)}
    accounts = (
        AccountHoldings(1, HOUSE, 1_000, {"JPY": 1_500}),
        AccountHoldings(2, FUND, 1_000, {"X": 1_000}),
    )
    inv = Inventory(wallet={"JPY": 500}, accounts=accounts, quotes=quotes)
    plan = optimise(inv, costs_bps={"JPY": 1, "X": 1})
    assert [p.kind for p in plan.accounts] == [HOUSE, FUND]
    assert [(s.action, s.kind) for s in plan.steps()] == [
        ("withdraw", HOUSE),
        ("substitute", FUND),
    ]
    assert plan.account(FUND).into == {"JPY": 1_000} and plan.account(FUND).out == {"X": 1_000}
    assert plan.account(HOUSE).out == {"JPY": 500}
    # With nothing spare anywhere, the house cannot let JPY go before X comes in, nor the fund
    # let X go before JPY comes in: no order works, and the refusal says so.
    stuck = Inventory(
        wallet={},
        accounts=(
            AccountHoldings(1, HOUSE, 1_000, {"JPY": 1_000}),
            AccountHoldings(2, FUND, 1_000, {"X": 1_000}),
        ),
        quotes=quotes,
    )
    with pytest.raises(errors.AllocationInfeasible, match=r"in a circle \(JPY out of and X into"):
        optimise(stuck, costs_bps={"JPY": 1, "X": 1})


def test_two_accounts_competing_for_the_same_collateral_are_refused_together() -> None:
    accounts = (AccountHoldings(1, HOUSE, 800, {}), AccountHoldings(2, FUND, 800, {}))
    inv = Inventory(wallet={"JPY": 1_000}, accounts=accounts, quotes=QUOTES)
    with pytest.raises(errors.AllocationInfeasible, match="house account and clearing fund"):
        optimise(inv, costs_bps=COSTS)


def test_more_legs_than_one_substitution_takes_are_split_so_every_step_passes() -> None:
    # Ten dear assets out, ten cheap ones in, each counting at most 10% of the requirement.
    capped = quote(1, limit=1_000)
    quotes = {**{f"A{i}": capped for i in range(10)}, **{f"B{i}": capped for i in range(10)}}
    inv = Inventory(
        wallet={f"B{i}": 200_000 for i in range(10)},
        accounts=[AccountHoldings(1, HOUSE, 1_000_000, {f"A{i}": 100_000 for i in range(10)})],
        quotes=quotes,
    )
    plan = optimise(inv, costs_bps={**{f"A{i}": 50 for i in range(10)},
                                    **{f"B{i}": 10 for i in range(10)}})  # fmt: skip
    h = plan.account(HOUSE)
    assert len(h.out) == len(h.into) == 10
    assert [s.action for s in h.steps()] == ["deposit"] * 2 + ["substitute"] + ["withdraw"] * 2
    final = replay(plan, quotes, 1)
    assert final == {s: int(q) for s, q in h.after.items()}
    assert account_value(final, quotes, Purpose.INITIAL_MARGIN, 10**6) == h.value_after_jpy == 10**6


def test_bad_input_is_refused_before_solving() -> None:
    inv = inventory(house(1_000))
    with pytest.raises(errors.InputError, match="no funding cost for JGB, TYO"):
        optimise(inv, costs_bps={"JPY": 1, "USD": 1})
    with pytest.raises(errors.InputError, match="float"):
        optimise(inv, costs_bps=COSTS, buffer=0.05)  # type: ignore[arg-type]
    with pytest.raises(errors.InputError, match="0 or more"):
        optimise(inv, costs_bps={**COSTS, "JPY": -1})
    with pytest.raises(errors.InputError, match="no quote for ZZZ"):
        Inventory(wallet={"ZZZ": 1}, accounts=[house(1)], quotes=QUOTES)
    with pytest.raises(errors.InputError, match="at least one vault account"):
        Inventory(wallet=WALLET, accounts=[], quotes=QUOTES)


def test_a_plan_prints_as_text_and_as_a_table() -> None:
    plan = optimise(inventory(house(1_000_000, JGB=30)), costs_bps=COSTS)
    text = str(plan)
    assert "funding cost 5,910 -> 1,020 JPY a year (saves 4,890)" in text
    assert "out: 30 JGB" in text and "in: 6,803.00 USD" in text
    console = Console(record=True, width=140, file=io.StringIO())
    console.print(plan_table(plan))
    rendered = console.export_text()
    assert "house" in rendered and "6,803.00 USD" in rendered and "1,000,041" in rendered
    assert "HiGHS: Optimal" in rendered


# ---------------------------------------------------------------------- on chain

CHAIN_COSTS = {"JPY": 25, "USD": 10, "JGB374": 40, "TYO7203": 50}


def _raw(market: Market, account: int) -> dict[str, int]:
    return {s: u for s, u in market.world.deployment.vault.raw_holdings(account).items() if u}


def test_a_member_executes_its_plan_in_one_substitution(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    a.deposit("JGB374", 30)
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    plan = a.optimise(CHAIN_COSTS)
    h = plan.account(HOUSE)
    assert (h.out, h.into) == ({"JGB374": 30}, {"USD": Decimal("6803.00")})
    outcomes = a.execute(plan)
    [done] = [o.value for o in outcomes if o.named("Substituted")]
    assert (done.value_before_jpy, done.value_after_jpy) == (1_462_725, 1_000_041)
    assert d.vault.collateral_value(market.house_a) == h.value_after_jpy
    assert _raw(market, market.house_a) == {"USD": 680_300}
    assert a.balance("JGB374") == 100 and a.balance("USD") == Decimal("3197.00")


def test_collateral_moves_from_the_clearing_fund_to_the_house_account(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    a.deposit("JPY", 1_000_000, kind=FUND)  # all of member-a's yen
    a.deposit("JGB374", 20)
    w.ccp.margin.post_requirements({market.house_a: 900_000, market.fund_a: 500_000}, run_id="eod")
    costs = {"JPY": 0, "USD": 30, "JGB374": 50, "TYO7203": 80}
    plan = a.optimise(costs, kinds=(HOUSE, FUND))
    # 1,400,000 yen must count in all: the million yen (free) and 2,722 dollars (400,134) are the
    # cheapest. Yen leaves the fund first, then goes into the house with the dollars, the fewest
    # yen moved: 499,866, so that the house ends at 900,000 exactly and the fund keeps 500,134.
    assert [p.kind for p in plan.accounts] == [FUND, HOUSE]
    assert plan.account(FUND).out == {"JPY": 499_866} and not plan.account(FUND).into
    assert plan.account(HOUSE).out == {"JGB374": 20}
    assert plan.account(HOUSE).into == {"JPY": 499_866, "USD": Decimal("2722.00")}
    assert [s.action for s in plan.steps()] == ["withdraw", "substitute"]
    a.execute(plan)
    assert d.vault.collateral_value(market.fund_a) == 500_134 == plan.account(FUND).value_after_jpy
    assert (
        d.vault.collateral_value(market.house_a) == 900_000 == plan.account(HOUSE).value_after_jpy
    )
    assert a.balance("JPY") == 0


def test_collateral_no_longer_eligible_is_taken_out_on_chain(market: Market) -> None:
    w = market.world
    a = w.member_a
    a.deposit("JGB374", 30)
    a.deposit("JPY", 1_000_000)
    w.ccp.margin.post_requirements({market.house_a: 900_000}, run_id="eod")
    market.oracle.set_risk_parameters({"JGB374": RiskParameters(100, eligible_for=frozenset())})
    plan = a.optimise({**CHAIN_COSTS, "JPY": 1})  # yen the cheapest: the spare 100,000 back
    assert plan.account(HOUSE).out == {"JGB374": 30, "JPY": 100_000}
    assert [s.action for s in plan.steps()] == ["withdraw", "withdraw"]
    a.execute(plan)
    assert _raw(market, market.house_a) == {"JPY": 900_000}


def test_a_plan_made_for_another_state_is_refused_and_nothing_is_sent(market: Market) -> None:
    w = market.world
    a = w.member_a
    a.deposit("JGB374", 30)
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    plan = a.optimise(CHAIN_COSTS)
    a.deposit("JPY", 1)
    market.refused(lambda: a.execute(plan), errors.InputError)
    plan = a.optimise(CHAIN_COSTS)
    w.ccp.margin.post_requirements({market.house_a: 1_000_001}, run_id="eod")
    market.refused(lambda: a.execute(plan), errors.InputError)
    # The dollar falls to 149 yen: the 6,803 dollars planned would count 993,344, short.
    plan = a.optimise(CHAIN_COSTS)
    assert plan.account(HOUSE).into == {"USD": Decimal("6803.00")}
    market.oracle.publish_fx_rates({"USD": "149"})
    err = market.refused(lambda: a.execute(plan), errors.InputError)
    assert "prices have moved" in str(err)


def test_a_requirement_beyond_everything_the_member_has_is_refused_clearly(market: Market) -> None:
    w = market.world
    w.ccp.margin.post_requirements({market.house_a: 20_000_000}, run_id="eod")
    with pytest.raises(errors.AllocationInfeasible) as info:
        w.member_a.optimise(CHAIN_COSTS)
    # 1,000,000 yen + 10,000 dollars at 147 + 100 JGBs at 48,757.5 + TYO capped at 8,000,000.
    assert str(info.value) == (
        "house account needs 20,000,000 JPY; everything eligible the member holds counts for "
        "15,345,750 JPY after haircuts and concentration limits: TYO7203 counts at most "
        "8,000,000 JPY (40% of the requirement)"
    )


def test_only_the_members_own_house_and_fund_accounts_are_optimised(market: Market) -> None:
    a = market.world.member_a
    with pytest.raises(errors.InputError, match="OMNIBUS"):
        a.optimise(CHAIN_COSTS, kinds=(AccountKind.OMNIBUS,))
    b_plan = market.world.member_b.optimise(CHAIN_COSTS)
    market.refused(lambda: a.execute(b_plan), errors.InputError)


# Up to 12m: past about 10.5m not even everything member-a has covers it (TYO counts 40% at most).
REQUIREMENT = st.builds(lambda m, y: m * 100_000 + y, st.integers(0, 119), st.integers(0, 99_999))
HELD = st.fixed_dictionaries(
    {
        "JPY": st.integers(0, 1_000_000),
        "USD": st.integers(0, 1_000_000),  # cents: fractions of a dollar included
        "JGB374": st.integers(0, 100),
        "TYO7203": st.integers(0, 10_000),
    }
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    held=HELD,
    requirement=REQUIREMENT,
    costs=st.fixed_dictionaries({s: st.integers(0, 100) for s in VAULT_ASSETS}),
    buffer=st.sampled_from([Decimal(0), Decimal("0.01"), Decimal("0.05"), Decimal("0.1")]),
)
def test_a_plan_for_any_inventory_executes_and_covers_the_target(
    market: Market, held, requirement, costs, buffer
) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    snapshot = devnet.snapshot(w.chain)
    try:
        for symbol, units in held.items():
            if units:
                a.deposit(symbol, d.asset(symbol).whole(units))
        w.ccp.margin.post_requirements({market.house_a: requirement}, run_id="random")
        target = int((requirement * (1 + buffer)).to_integral_value(rounding="ROUND_CEILING"))
        quotes = d.market_data.quotes(VAULT_ASSETS)
        try:
            plan = a.optimise(costs, buffer=buffer)
        except errors.AllocationInfeasible as refusal:
            # Then even everything the member has (legs in whole units) falls short.
            assert str(refusal).startswith(f"house account needs {target:,} JPY")
            most = {}
            for s in VAULT_ASSETS:
                unit, rest = 10 ** quotes[s].decimals, held[s] % 10 ** quotes[s].decimals
                total = d.asset(s).units(a.balance(s), allow_zero=True) + held[s]
                most[s] = rest + (total - rest) // unit * unit
            assert account_value(most, quotes, Purpose.INITIAL_MARGIN, requirement) < target + 4
            return
        h = plan.account(HOUSE)
        assert h.value_before_jpy == d.vault.collateral_value(market.house_a)
        a.execute(plan)
        value = d.vault.collateral_value(market.house_a)
        assert value == h.value_after_jpy >= h.target_jpy == target >= requirement
        assert {s: d.asset(s).whole(u) for s, u in _raw(market, market.house_a).items()} == h.after
        # A capped asset that costs something is never held a whole unit beyond its cap.
        for s, q in h.after.items():
            cap = concentration_cap(quotes[s].concentration_bps, requirement)
            if cap is not None and costs[s]:
                excess = haircut_value(d.asset(s).units(q), quotes[s]) - cap
                assert excess < haircut_value(10 ** quotes[s].decimals, quotes[s])
        if h.value_before_jpy >= target:
            assert plan.cost_after_jpy <= plan.cost_before_jpy
    finally:
        devnet.revert(w.chain, snapshot)
        d.forget_participants()
