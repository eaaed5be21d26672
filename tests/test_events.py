"""Event decoding and sentences: every event of every contract reads as business words."""

from __future__ import annotations

import re

import pytest
from support import Market, World

from pyclient import AccountKind, CallType, artifacts
from pyclient.deployment import SUITE
from pyclient.events import describe, known_events


def test_every_event_of_every_deployed_contract_has_a_sentence() -> None:
    deployed = {p.artifact for p in SUITE} | {"PermissionedToken", "JdrTrust", "JdrToken"}
    assert {"DefaultManager", "CollateralSubstitution"} <= deployed
    emitted = {i["name"] for n in deployed for i in artifacts.load(n).abi if i["type"] == "event"}
    assert emitted - known_events() == set()


def test_a_transactions_events_decode_in_order_with_their_contract(market: Market) -> None:
    w = market.world
    w.member_a.set_standing_instruction([("JPY", 500_000)])
    w.ccp.margin.post_requirements({market.house_a: 100_000}, run_id="eod-1")
    outcome = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR)
    sentences = [describe(e, w.deployment) for e in outcome.events]
    assert sentences[0].startswith(
        "call #1 (regular) on member-a house account: short JPY 100,000 (value JPY 0 vs "
        "requirement JPY 100,000), due "
    )
    assert sentences[1:] == [
        "100,000 JPY from member-a to collateral vault",
        "100,000 JPY pulled by standing instruction into member-a house account",
        "call #1 met: value JPY 100,000 ≥ requirement JPY 100,000",
    ]
    assert [e.log_index for e in outcome.events] == sorted(e.log_index for e in outcome.events)


def test_the_register_and_agent_powers_read_as_sentences(world: World) -> None:
    d = world.deployment
    said = [
        describe(e, d)
        for o in (
            world.ccp.register.suspend("client-seg", "late report"),
            world.ccp.agent.freeze_tokens("USD", "member-a", "12.50", reason="hold"),
            world.ccp.agent.forced_transfer("JPY", "member-a", "member-b", 5, reason="error fix"),
            world.issuer.issue("JGB374", "member-a", 2, ref="BOJ-NET 9"),
            world.issuer.issue("JGB374", "member-b", 1),
        )
        for e in o.events
    ]
    assert said == [
        "client-seg active → suspended: “late report”",
        "12.50 USD of member-a frozen (12.50 USD frozen in all): “hold”",
        "5 JPY from member-a to member-b",  # the Transfer, then the privileged event naming it
        "ccp moved 5 JPY from member-a to member-b without consent: “error fix”",
        "2 JGB374 created for member-a",
        "issuer issued 2 JGB374 to member-a against deposit “BOJ-NET 9”",
        "1 JGB374 created for member-b",  # no reference: not the empty bytes32's role name
        "issuer issued 1 JGB374 to member-b (no reference)",
    ]


def test_history_reads_one_contracts_events_back_from_the_chain(market: Market) -> None:
    d = market.world.deployment
    opened = d.vault.history("AccountOpened")
    assert [d.vault_account(e["account"]) for e in opened][-2:] == [
        "client-seg segregated account",
        "member-a clearing fund account",
    ]
    assert (d.vault_account(opened[0]["account"]), opened[0]["kind"]) == (
        "member-a house account", AccountKind.HOUSE,
    )  # fmt: skip
    everything = d.market_data.history()
    assert {e.name for e in everything} >= {"AssetListed", "PricePublished", "RiskParametersSet"}
    with pytest.raises(Exception, match="emits no event"):
        d.vault.history("Transfer")


def test_amounts_read_with_separators_and_their_currency_once(market: Market) -> None:
    """A rate names its pair already ("USD/JPY at 150", not "at 150 JPY"); a price its currency
    once; figures carry thousands separators; enums read as words, not codes."""
    d = market.world.deployment
    said = [describe(e, d) for e in d.market_data.history()]
    fx = next(s for s in said if s.startswith("USD/JPY at "))
    assert fx.startswith("USD/JPY at 150 as of ")
    assert "JGB374 token priced at 49,250 JPY as of " in " | ".join(said)
    w = market.world
    w.member_a.deposit("JPY", 600_000)
    w.ccp.margin.post_requirements({"member-a house": 2_000_000}, run_id="eod")
    issued = w.ccp.margin.issue_margin_calls(["member-a"], CallType.REGULAR)
    (sentence,) = [describe(e, d) for e in issued.named("MarginCallIssued")]
    assert sentence.startswith(
        "call #1 (regular) on member-a house account: short JPY 1,400,000 (value JPY 600,000 vs "
        "requirement JPY 2,000,000), due "
    )
    for text in [*said, sentence]:
        for currency in ("JPY", "USD"):
            assert f"{currency} {currency}" not in text and not re.search(
                rf"{currency} [\d,.]+ {currency}\b", text
            ), text
        figures = re.sub(r"\d{4}-\d\d-\d\d|#\d+|[A-Z]+\d+", "", text)  # dates, ids, symbols
        assert not re.search(r"\d{4,}", figures), text
