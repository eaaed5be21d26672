"""Enums print their names: what a participant sees of a status or a kind is a word, never a code,
while the chain still gets the number."""

from __future__ import annotations

import enum
import importlib
import pkgutil

import pytest
from eth_abi import encode
from support import Market

import pyclient
from pyclient import AccountKind, CallStatus, CallType, Kind
from pyclient.enums import ChainEnum
from pyclient.errors import InputError


def every_int_enum() -> list[type[enum.IntEnum]]:
    found = []
    for info in pkgutil.walk_packages(pyclient.__path__, "pyclient."):
        module = importlib.import_module(info.name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, enum.IntEnum)
            and value.__module__ == info.name and value is not ChainEnum
        ]  # fmt: skip
    return found


def test_every_int_enum_of_the_sdk_shares_the_base_that_prints_names() -> None:
    enums = every_int_enum()
    assert len(enums) >= 25 and {CallStatus, Kind, AccountKind} <= set(enums)
    assert [e.__name__ for e in enums if not issubclass(e, ChainEnum)] == []


def test_an_enum_prints_its_name_and_stays_a_number_for_the_chain() -> None:
    status = CallStatus.PARTIALLY_MET
    assert (str(status), f"{status}", f"[{status:>15}]") == (
        "PARTIALLY_MET", "PARTIALLY_MET", "[  PARTIALLY_MET]",
    )  # fmt: skip
    assert (f"{status:d}", f"{status:02x}", f"{status:,}", int(status)) == ("2", "02", "2", 2)
    assert status == 2 and CallStatus(2) is status and status < CallStatus.MET
    assert encode(["uint8"], [status]) == encode(["uint8"], [2])
    assert repr(status) == "<CallStatus.PARTIALLY_MET: 2>"


def test_an_enums_label_is_its_name_in_words() -> None:
    assert Kind.SYSTEM_CONTRACT.label == "system contract"
    assert Kind.ETF_MANAGER.label == "ETF manager" and Kind.CCP.label == "CCP"
    assert AccountKind.CLEARING_FUND.label == "clearing fund"
    assert CallStatus.PARTIALLY_MET.label == "partially met"


def test_a_calls_status_read_from_the_chain_prints_as_a_word(market: Market) -> None:
    w = market.world
    w.ccp.margin.post_requirements({market.house_a: 100_000}, run_id="eod")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    fresh = w.deployment.vault.margin_call(call.id)
    assert (str(fresh.status), f"{fresh.call_type}") == ("ISSUED", "REGULAR")


def test_a_member_by_number_name_or_label_is_accepted_and_anything_else_refused_typed() -> None:
    assert AccountKind.coerce(4) is AccountKind.CLEARING_FUND
    for text in ("clearing fund", "CLEARING_FUND", "clearing-fund", " Clearing Fund "):
        assert AccountKind.coerce(text) is AccountKind.CLEARING_FUND
    for bad in (9, -1, True, "vault", 1.0, None):
        with pytest.raises(InputError, match="is not one of: none, house, segregated"):
            AccountKind.coerce(bad)


def test_an_account_kind_out_of_range_is_refused_before_sending(market: Market) -> None:
    """A kind the contract's enum does not have reached the vault as a revert without a reason;
    it is refused in Python now, by name, with nothing sent."""
    w = market.world
    block = w.chain.w3.eth.block_number
    with pytest.raises(InputError, match="account kind 7 is not one of"):
        w.ccp.margin.open_account("member-b", 7)
    with pytest.raises(InputError, match="account kind 'vault'"):
        w.member_a.deposit("JPY", 1, kind="vault")
    assert w.chain.w3.eth.block_number == block
    assert w.member_a.deposit("JPY", 1, kind="house").value is None  # a name is a kind too
