"""Every way a Kabuto call can fail, as a typed Python exception.

Two families sit under `KabutoError`:

* `InputError`: bad input caught in Python before anything is sent (an unknown participant, a
  negative or fractional amount, more decimals than the asset has).
* `ContractError`: a revert decoded from the chain. There is one subclass per custom error in
  every ABI under `pyclient/artifacts/`, generated when this module is imported and named exactly
  like the Solidity error (`errors.TokenAccountFrozen`, `errors.ERC20InsufficientBalance`...).
  Each carries the decoded arguments in `.args_by_name`; its message comes from the error's
  NatSpec `@notice`, with participants and assets written out by name, vault accounts by label
  (`member-a house account`), amounts with thousands separators and their asset once
  (`1,600,000 JPY`), and times as Tokyo times.

A user of `pyclient` never sees a bare web3 `ContractLogicError` or a hex blob.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector

from . import artifacts
from .abi import abi_type, bytes_word, typed_arguments


class KabutoError(Exception):
    """Base of every error `pyclient` raises on purpose."""


class InputError(KabutoError, ValueError):
    """Refused in Python before anything was sent to the chain."""


class AllocationInfeasible(KabutoError):
    """No allocation of a member's holdings covers every account it was asked to (the collateral
    optimiser, `pyclient.collateral.optimiser`): the message names the account and what binds."""


class ParticipantNotFound(InputError):
    """No participant by that name or address is known to this deployment."""


class ParticipantNameTaken(InputError):
    """The register already has a participant by that name: names stand for participants
    everywhere in the SDK and the command line, so each is given once."""


class AccountNotFound(InputError):
    """No vault account is what was asked for: an id that is no account's, a label whose kind the
    owner cannot have (`client-x house`), or a participant with no account of its own (a trust
    bank); the message names what was asked and what is accepted."""


class AssetNotFound(InputError):
    """No asset by that symbol or address is part of this deployment."""


class InvalidAmount(InputError):
    """An amount that is negative, zero where zero means nothing, a float, or too precise."""


class HistoryRefused(InputError):
    """A history a JDR monitor cannot read (`pyclient.jdr`): days out of order or repeated, a day
    the exchange is closed, a month missing from a monthly series; the message names the day."""


class UnknownRating(InputError):
    """A credit rating that is not on the S&P/Fitch scale (AAA, AA+ ... C, D)."""


class AmountNotExact(InputError):
    """An amount that does not convert exactly at a JDR trust's ratio; names the nearest ones."""


class RatioRefused(InputError):
    """A JDR ratio that cannot be a trust deed's: a float, not positive, or too large."""


class RecordDateRefused(InputError):
    """A JDR record date the exchange would refuse: not a business day, or notified less than two
    weeks ahead (`pyclient.jdr.schedule`); the message names the earliest valid record date."""


class ChainUnavailable(KabutoError):
    """The chain could not be started or reached."""


class DeploymentMismatch(KabutoError):
    """A deployment manifest does not describe the chain it is being attached to."""


class TransactionFailed(KabutoError):
    """A transaction reverted without a reason `pyclient` can decode (out of gas, say)."""


class GasLimitExceeded(TransactionFailed):
    """A call needs more gas than the node allows in one transaction: split the batch."""


class SignerUnavailable(KabutoError):
    """No key to sign with: dev keys exist only on the local chain."""


class Formatter(Protocol):
    """Writes addresses and amounts out in business words (a deployment knows the names)."""

    def address(self, address: str) -> str: ...

    def amount(self, value: int, asset: str | None) -> str: ...

    def vault_account(self, account_id: int) -> str: ...


class _PlainFormatter:
    def address(self, address: str) -> str:
        return address

    def amount(self, value: int, asset: str | None) -> str:
        return f"{value:,}"

    def vault_account(self, account_id: int) -> str:
        return f"account 0x{account_id:x}"


# Argument names that hold token amounts in the smallest unit of some asset.
_AMOUNT_ARGS = frozenset(
    {"amount", "balance", "needed", "frozen", "freeBalance", "value", "allowance", "totalFrozen"}
)
# Argument names that hold amounts of the asset or token the error names, when it names one.
_NAMED_ASSET_AMOUNTS = frozenset({"held", "owed", "due", "quantity"})
# Argument names that hold a collateral-vault account id.
_ACCOUNT_ARGS = frozenset({"account", "fromAccount", "toAccount"})
# Argument names that say which asset the amounts are in, when the error names one.
_ASSET_ARGS = ("asset", "token")
# Argument names of numbers that identify something (calls, cases, tokens, nonces): written as
# they are, without thousands separators.
_ID_ARGS = frozenset({"id", "index", "currentNonce", "bits", "decimals"})
# "account `account`": the label says "account" itself ("member-a house account").
_ACCOUNT_WORD = re.compile(r"(?:\b[Oo]mnibus )?\b[Aa]ccount (`(\w+)`)")
# "`held` of `asset`": an amount written with its asset's symbol names the asset already.
_OF_ASSET = re.compile(r"`(\w+)` of `(asset|token)`")
# "`balance` free JDR units", "`frozen` tokens": the words after it say what it counts.
_COUNTED = re.compile(r"`(\w+)`(?= (?:\w+ )?(?:JDR )?(?:units|tokens)\b)")


class ContractError(KabutoError):
    """A decoded custom-error revert. Subclasses are generated, one per Solidity error."""

    error_name: ClassVar[str] = ""
    signature: ClassVar[str] = ""
    selector: ClassVar[bytes] = b""
    inputs: ClassVar[tuple[dict[str, Any], ...]] = ()
    notice: ClassVar[str | None] = None

    def __init__(
        self,
        args_by_name: Mapping[str, Any],
        *,
        contract: str | None = None,
        formatter: Formatter | None = None,
        context_asset: str | None = None,
    ) -> None:
        self.args_by_name = dict(args_by_name)
        self.contract = contract
        self.text = self._render(formatter or _PlainFormatter(), context_asset)  # no name
        where = f" in {contract}" if contract else ""
        super().__init__(f"{self.error_name}{where}: {self.text}")

    def __getattr__(self, item: str) -> Any:
        # Decoded arguments read as attributes: `err.account`, `err.needed`.
        args = self.__dict__.get("args_by_name", {})
        if item in args:
            return args[item]
        raise AttributeError(item)

    def _render(self, fmt: Formatter, context_asset: str | None) -> str:
        named = next((a for a in _ASSET_ARGS if isinstance(self.args_by_name.get(a), str)), None)
        asset = self.args_by_name[named] if named else context_asset
        types = {i["name"]: i["type"] for i in self.inputs}
        words = {
            name: _moment(name, types.get(name), value)
            or self._word(name, value, fmt, asset, named=named is not None)
            for name, value in self.args_by_name.items()
        }
        if not self.notice:
            return ", ".join(f"{k}={v}" for k, v in words.items()) or "reverted"
        # An amount written with its asset's symbol ("1,000 JPY"), not as a bare number.
        symbolled = {
            name
            for name, value in self.args_by_name.items()
            if (name in _AMOUNT_ARGS or name in _NAMED_ASSET_AMOUNTS)
            and isinstance(value, int) and words[name] != _number(value)
            and not words[name].endswith(" units")
        }  # fmt: skip
        # "account `account`" would read "account member-a house account".
        ids = {n for n in _ACCOUNT_ARGS if isinstance(self.args_by_name.get(n), int)}
        notice = _ACCOUNT_WORD.sub(
            lambda m: m.group(1) if m.group(2) in ids else m.group(0), self.notice
        )
        # "1,000 JPY of JPY token (…)" names the asset twice: the amount names it already.
        notice = _OF_ASSET.sub(
            lambda m: f"`{m.group(1)}`" if m.group(1) in symbolled else m.group(0), notice
        )
        # "1,000 SPY-JDR free JDR units": the words after it say what it counts.
        for m in _COUNTED.finditer(notice):
            if m.group(1) in symbolled:
                words[m.group(1)] = words[m.group(1)].rsplit(" ", 1)[0]
        return re.sub(r"`(\w+)`", lambda m: words.get(m.group(1), m.group(1)), notice)

    @staticmethod
    def _word(
        name: str, value: Any, fmt: Formatter, asset: str | None, *, named: bool = False
    ) -> str:
        if isinstance(value, enum.Enum):
            return value.name
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            return fmt.address(value)
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int) and name.endswith("Jpy"):
            return f"{value:,}"  # every notice says "JPY" after a yen amount
        if isinstance(value, int) and name in _ACCOUNT_ARGS:
            return fmt.vault_account(value)
        if isinstance(value, int) and (
            name in _AMOUNT_ARGS or (named and name in _NAMED_ASSET_AMOUNTS)
        ):
            return fmt.amount(value, asset)
        if isinstance(value, int) and not (name in _ID_ARGS or name.endswith("Id")):
            return _number(value)  # a count, a quantity, a bound: as people write numbers
        if isinstance(value, bytes):
            return bytes_word(value)
        return str(value)


def _number(value: int) -> str:
    """A whole number as people write it: `1,600,000`."""
    return f"{value:,}"


# Arguments that hold a unix time (cut-offs, deadlines, observation times, the moment of the
# call) or a Tokyo calendar day (days since 1970-01-01, as the trading calendar and ETF clearing
# count them).
_TIME_ARGS = frozenset(
    {"cutoff", "at", "deadline", "callDeadline", "expiry", "asOf", "lastAsOf", "recordTime",
     "terminatedAt", "listingDate", "earliest", "timepoint", "clock"}
)  # fmt: skip
_TIME_TYPES = frozenset({"uint48", "uint64", "uint256"})
_DAY_ARGS = frozenset(
    {"day", "earliest", "lastTradingDay", "today", "first", "last", "from", "through"}
)


def _moment(name: str, abi_type: str | None, value: Any) -> str | None:
    """A time or day argument as people read it: `2027-01-08 13:00:00 Tokyo`, `2027-01-08`."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if abi_type in _TIME_TYPES and name in _TIME_ARGS and 0 < value < 2**40:
        return f"{_TOKYO_EPOCH + dt.timedelta(seconds=value):%Y-%m-%d %H:%M:%S} Tokyo"
    if abi_type == "uint32" and name in _DAY_ARGS and value:
        return f"{dt.date(1970, 1, 1) + dt.timedelta(days=value):%Y-%m-%d}"
    return None


class ContractPanic(KabutoError):
    """The contract hit a Solidity panic (arithmetic overflow, bad array index...): a bug."""

    def __init__(self, code: int, contract: str | None = None) -> None:
        self.code = code
        super().__init__(f"panic 0x{code:02x}{f' in {contract}' if contract else ''}")


class ContractRevert(KabutoError):
    """A revert with a plain reason string (only third-party code uses them)."""


# OpenZeppelin documents its errors with @dev only; these stand in for the missing @notice.
_THIRD_PARTY_NOTICES = {
    "ERC20InsufficientBalance": "`sender` holds `balance`; `needed` was needed.",
    "ERC20InsufficientAllowance": "`spender` may spend `allowance`; `needed` was needed.",
    "ERC20InvalidSender": "`sender` cannot send tokens (the zero address).",
    "ERC20InvalidReceiver": "`receiver` cannot receive tokens (the zero address, or a goods"
    " pool's own units).",
    "ERC20InvalidApprover": "`approver` cannot approve (the zero address).",
    "ERC20InvalidSpender": "`spender` cannot be approved (the zero address).",
    "ERC721InvalidOwner": "`owner` cannot own tokens (the zero address).",
    "ERC721NonexistentToken": "no token `tokenId` exists (never issued, or released and burnt).",
    "ERC721IncorrectOwner": "`sender` does not hold token `tokenId`; `owner` does.",
    "ERC721InvalidSender": "`sender` cannot send tokens (the zero address).",
    "ERC721InvalidReceiver": "`receiver` cannot receive tokens (the zero address).",
    "ERC721InsufficientApproval": "`operator` is not approved to move token `tokenId`.",
    "ERC721InvalidApprover": "`approver` cannot approve (it does not hold the token).",
    "ERC721InvalidOperator": "`operator` cannot be approved (the zero address).",
    "AccessControlUnauthorizedAccount": "`account` lacks the role `neededRole`.",
    "AccessControlBadConfirmation": "only the account itself may renounce its role.",
    "EnforcedPause": "the asset is paused: ordinary transfers are halted.",
    "ExpectedPause": "the asset is not paused.",
    "SafeCastOverflowedUintDowncast": "`value` does not fit in `bits` bits.",
    "SafeCastOverflowedUintToInt": "`value` is too large for a signed 256-bit amount.",
    "SafeERC20FailedOperation": "the transfer of `token` failed.",
    "ReentrancyGuardReentrantCall": "the call re-entered the contract.",
    "InvalidAccountNonce": "`account`'s next nonce is `currentNonce`: an offer or message with"
    " another one was already used, cancelled, or is not next on its key.",
    "InvalidShortString": "a short string read from storage is malformed.",
    "StringTooLong": "`str` is longer than 31 bytes.",
    "CheckpointUnorderedInsertion": "a balance checkpoint was written before the latest one.",
}

_TOKYO_EPOCH = dt.datetime(1970, 1, 1, 9)  # unix zero, read on a Tokyo clock (UTC+9 all year)

_BY_SELECTOR: dict[bytes, type[ContractError]] = {}
_PANIC_SELECTOR = function_signature_to_4byte_selector("Panic(uint256)")
_ERROR_SELECTOR = function_signature_to_4byte_selector("Error(string)")


def _generate() -> dict[str, type[ContractError]]:
    classes: dict[str, type[ContractError]] = {}
    for contract_name in artifacts.names():
        art = artifacts.load(contract_name)
        notices = art.userdoc.get("errors", {})
        for item in art.abi:
            if item["type"] != "error":
                continue
            signature = f"{item['name']}({','.join(abi_type(i) for i in item['inputs'])})"
            selector = function_signature_to_4byte_selector(signature)
            if selector in _BY_SELECTOR:
                continue
            name = item["name"]
            if name in classes or name in globals():
                name = f"{name}_{selector.hex()}"
            notice = next(
                (n.get("notice") for n in notices.get(signature, []) if "notice" in n),
                _THIRD_PARTY_NOTICES.get(item["name"]),
            )
            cls = type(
                name,
                (ContractError,),
                {
                    "__doc__": notice or f"Solidity error {signature}.",
                    "__module__": __name__,
                    "error_name": item["name"],
                    "signature": signature,
                    "selector": selector,
                    "inputs": tuple(item["inputs"]),
                    "notice": notice,
                },
            )
            _BY_SELECTOR[selector] = cls
            classes[name] = cls
    return classes


_GENERATED = _generate()
globals().update(_GENERATED)


def contract_error_classes() -> dict[str, type[ContractError]]:
    """Every generated error class, by name."""
    return dict(_GENERATED)


def decode_revert(
    data: str | bytes | None,
    *,
    contract: str | None = None,
    formatter: Formatter | None = None,
    context_asset: str | None = None,
) -> KabutoError:
    """Turn revert data into the matching typed exception (not raised, returned)."""
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x")) if data.startswith("0x") else b""
    if not data:
        return TransactionFailed(
            f"reverted without a reason{f' in {contract}' if contract else ''}"
        )
    selector, payload = data[:4], data[4:]
    if selector == _PANIC_SELECTOR:
        return ContractPanic(abi_decode(["uint256"], payload)[0], contract)
    if selector == _ERROR_SELECTOR:
        return ContractRevert(
            f"{contract or 'contract'} reverted: {abi_decode(['string'], payload)[0]}"
        )
    cls = _BY_SELECTOR.get(selector)
    if cls is None:
        return TransactionFailed(
            f"unknown custom error 0x{data.hex()} from {contract or 'contract'}"
        )
    values = abi_decode([abi_type(i) for i in cls.inputs], payload)
    args = typed_arguments(cls.inputs, values)
    return cls(args, contract=contract, formatter=formatter, context_asset=context_asset)
