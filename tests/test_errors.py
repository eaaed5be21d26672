"""Every failure reaches the user as a typed exception that says what was wrong.

Custom errors of every ABI decode into their own class with their arguments; bad input is caught
in Python before anything is sent.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from eth_abi import encode
from hypothesis import given
from hypothesis import strategies as st
from support import Market, World, refused

from pyclient import CallStatus, artifacts, errors
from pyclient.abi import abi_type
from pyclient.clock import TOKYO, to_unix
from pyclient.errors import decode_revert
from pyclient.units import from_units, to_bytes32, to_units

ALL_ABI_ERRORS = {
    item["name"]
    for name in artifacts.names()
    for item in artifacts.load(name).abi
    if item["type"] == "error"
}


def _sample(param: dict) -> object:
    t = param["type"]
    if t == "address":
        return "0x" + "12" * 20
    if t == "bool":
        return True
    if t.startswith("bytes"):
        return b"\x07" * int(t[5:] or 32)
    if t.startswith("uint"):
        return (
            1
            if param.get("internalType", "").startswith("enum")
            else min(123_456, 2 ** int(t[4:]) - 1)
        )
    if t.startswith("int"):
        return -5
    if t == "string":
        return "Kabuto Collateral Substitution, a name too long"
    raise AssertionError(f"add a sample for {t}")


def test_every_abi_error_has_its_own_class() -> None:
    classes = errors.contract_error_classes()
    assert {c.error_name for c in classes.values()} == ALL_ABI_ERRORS
    for cls in classes.values():
        assert issubclass(cls, errors.ContractError) and issubclass(cls, errors.KabutoError)
        assert getattr(errors, cls.__name__) is cls


@pytest.mark.parametrize("cls", list(errors.contract_error_classes().values()), ids=str)
def test_each_error_decodes_with_its_arguments_and_a_readable_message(cls) -> None:
    values = [_sample(p) for p in cls.inputs]
    data = cls.selector + encode([abi_type(p) for p in cls.inputs], values)
    err = decode_revert(data, contract="some contract")
    assert type(err) is cls
    for param, value in zip(cls.inputs, values, strict=True):
        got = err.args_by_name[param["name"]]
        got = got.value if hasattr(got, "value") else got
        if isinstance(value, str):  # addresses come back checksummed
            got, value = got.lower(), value.lower()
        assert got == value, param["name"]
    text = str(err)
    assert text.startswith(f"{cls.error_name} in some contract")
    assert "`" not in text, "every NatSpec placeholder must be filled in"


def test_every_error_carries_a_plain_message() -> None:
    """Ours from NatSpec @notice; OpenZeppelin's (which have only @dev) from pyclient's table."""
    classes = errors.contract_error_classes().values()
    assert all(c.notice for c in classes), [c.error_name for c in classes if not c.notice]


def test_panic_plain_revert_and_empty_revert_are_typed_too() -> None:
    panic = bytes.fromhex("4e487b71") + encode(["uint256"], [0x11])
    assert isinstance(decode_revert(panic), errors.ContractPanic)
    assert decode_revert(panic).code == 0x11
    plain = bytes.fromhex("08c379a0") + encode(["string"], ["nope"])
    assert "nope" in str(decode_revert(plain))
    assert isinstance(decode_revert(plain), errors.ContractRevert)
    assert isinstance(decode_revert(b""), errors.TransactionFailed)
    assert isinstance(decode_revert(b"\xde\xad\xbe\xef"), errors.TransactionFailed)


def test_a_real_revert_names_participants_and_amounts(world: World) -> None:
    err = refused(
        world,
        ("USD",),
        lambda: world.member_b.transfer("USD", "client-seg", "20000"),
        errors.ERC20InsufficientBalance,
    )
    assert "member-b" in str(err) and "10,000.00 USD" in str(err) and "20,000.00 USD" in str(err)
    assert not isinstance(err, errors.InputError)


# ---------------------------------------------------------------- caught before sending


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        (1.5, "float"),
        (True, "bool"),
        (-1, "negative"),
        (0, "greater than zero"),
        ("0.001", "more than 2 decimal places"),
        ("abc", "not a number"),
        (Decimal("NaN"), "not a number"),
        (None, "not a number"),
    ],
)
def test_bad_amounts_are_refused_before_sending(world: World, amount, fragment: str) -> None:
    err = refused(
        world,
        ("USD",),
        lambda: world.member_a.transfer("USD", "member-b", amount),
        errors.InvalidAmount,
    )
    assert fragment in str(err) and "USD" in str(err)


def test_unknown_participant_and_asset_names_are_refused_before_sending(world: World) -> None:
    err = refused(
        world,
        ("JPY",),
        lambda: world.member_a.transfer("JPY", "nobody", 1),
        errors.ParticipantNotFound,
    )
    assert "nobody" in str(err)
    err = refused(
        world, ("JPY",), lambda: world.member_a.transfer("EUR", "member-b", 1), errors.AssetNotFound
    )
    assert "EUR" in str(err) and "JPY" in str(err)


def test_texts_too_long_for_the_chain_are_refused_before_sending(world: World) -> None:
    refused(
        world,
        ("JPY",),
        lambda: world.ccp.register.suspend("member-a", "x" * 33),
        errors.InputError,
    )


def test_input_errors_are_value_errors_for_callers_that_expect_them() -> None:
    with pytest.raises(ValueError):
        to_units(-1, 0)


@given(st.integers(min_value=1, max_value=2**256 - 1), st.integers(min_value=0, max_value=18))
def test_units_round_trip_exactly(units: int, decimals: int) -> None:
    assert to_units(from_units(units, decimals), decimals) == units
    assert to_units(str(from_units(units, decimals)), decimals) == units


def test_an_amount_beyond_uint256_is_refused_in_python_not_by_the_abi_encoder(market) -> None:
    """2^256 smallest units or more is a typed `InvalidAmount` (web3's `MismatchedABI` before),
    and nothing is sent."""
    with pytest.raises(errors.InvalidAmount, match="more than any amount on chain"):
        to_units(2**256, 0)
    with pytest.raises(errors.InvalidAmount, match="more than any amount on chain"):
        to_units(f"{2**256 // 100}.{2**256 % 100:02d}", 2)  # exactly 2^256 cents
    assert to_units(2**256 - 1, 0) == 2**256 - 1
    w = market.world
    block = w.chain.w3.eth.block_number
    with pytest.raises(errors.InvalidAmount):
        w.issuer.issue("JPY", "member-a", 2**256)
    with pytest.raises(errors.InvalidAmount):
        w.member_a.transfer("USD", "member-b", str(2**256))
    assert w.chain.w3.eth.block_number == block


def test_bytes32_texts_round_trip() -> None:
    assert to_bytes32("default") == b"default" + b"\0" * 25
    with pytest.raises(errors.InputError):
        to_bytes32("日本語" * 4)  # 36 bytes of UTF-8


def test_a_yen_amount_in_a_message_reads_as_a_number_followed_by_jpy_once() -> None:
    """Every notice says JPY after a yen placeholder, and the placeholder is the bare figure."""
    for cls in errors.contract_error_classes().values():
        for param in cls.inputs:
            if param["name"].endswith("Jpy") and cls.notice:
                assert f"`{param['name']}` JPY" in cls.notice, cls.error_name
    err = errors.VaultWithdrawalExceedsExcess(
        {"account": 1, "asset": "0x" + "11" * 20, "amount": 1, "valueAfterJpy": 1_600_000,
         "requirementJpy": 2_000_000}
    )  # fmt: skip
    assert "worth 1,600,000 JPY, below its requirement of 2,000,000 JPY" in str(err)
    assert "JPY JPY" not in str(err)


def test_an_account_in_a_message_is_its_label_said_once(market: Market) -> None:
    """`Account `account` holds only `held` of `asset`` reads as people would say it: the account
    by its label (not "account member-a house account"), each amount with its asset once (not
    "500 JPY of JPY token (JPY deposit token) (0x…)")."""
    w = market.world
    w.member_a.deposit("JPY", 500)
    err = market.refused(lambda: w.member_a.withdraw("JPY", 1_000), errors.VaultInsufficientHolding)
    assert err.text == "member-a house account holds only 500 JPY; 1,000 JPY was asked for."
    frozen = errors.VaultAccountFrozen({"account": market.segregated}, formatter=w.deployment)
    assert frozen.text == "client-seg segregated account is frozen after a default."
    err = market.refused(lambda: w.member_a.withdraw_for("client-omni", "JPY", 5),
                         errors.VaultSubLedgerInsufficient)  # fmt: skip
    assert "has only 0 JPY in member-a omnibus account; 5 JPY was asked for" in str(err)
    assert "JPY token" not in str(err) and "account member-a" not in str(err)


def test_times_read_as_tokyo_times_and_counts_with_separators_but_ids_as_they_are() -> None:
    deadline = to_unix(datetime(2026, 11, 25, 11, tzinfo=TOKYO))
    due = errors.VaultDeadlineNotPassed({"callId": 12_345, "deadline": deadline})
    assert due.text == (
        "Margin call 12345 is due at 2026-11-25 11:00:00 Tokyo; that time has not passed."
    )
    batch = errors.VaultBatchLengthMismatch({"expected": 12_000, "actual": 1_500})
    assert batch.text == "A batch has 12,000 entries in one list and 1,500 in another."
    state = errors.VaultMarginCallState({"callId": 7, "status": CallStatus.PARTIALLY_MET})
    assert state.text == "Margin call 7 is PARTIALLY_MET; the operation needs another state."
