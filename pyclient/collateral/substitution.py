"""Atomic collateral substitution: legs, signed offers, and what a substitution did.

A substitution takes legs out of a vault account and puts legs in, in one transaction, with the
valuation rule checked once on the final state (`contracts/collateral/ICollateralSubstitution.sol`):
value after >= requirement, or, for an account already short, value after >= value before. So
nothing needs pre-funding ("double-stacking"), across currencies and asset classes.

An `Offer` is a counterparty's proposal, signed off chain with EIP-712: "I deliver these legs into
your account and take these out". It travels as JSON (`to_json` / `from_json`) and the account's
owner accepts it on chain. `typed_data` is the message exactly as the contract hashes it, so any
EIP-712 implementation (eth-account here, ethers in the tests) signs and verifies the same digest.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from ..clock import from_unix, to_unix
from ..errors import InputError

MAX_LEGS = 8

# The EIP-712 types, as `CollateralSubstitution.OFFER_TYPEHASH` spells them.
OFFER_TYPES: dict[str, list[dict[str, str]]] = {
    "Leg": [{"name": "asset", "type": "address"}, {"name": "amount", "type": "uint256"}],
    "Offer": [
        {"name": "account", "type": "uint256"},
        {"name": "client", "type": "address"},
        {"name": "deliver", "type": "Leg[]"},
        {"name": "take", "type": "Leg[]"},
        {"name": "counterparty", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "expiry", "type": "uint64"},
    ],
}
DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class Leg:
    """`units` smallest units of the asset at `asset` (an address): a leg as the chain sees it."""

    asset: str
    units: int

    def to_chain(self) -> tuple[str, int]:
        return (self.asset, self.units)


def new_nonce() -> int:
    """A fresh keyed nonce (OpenZeppelin `NoncesKeyed`): a random 192-bit key, sequence 0, so
    offers signed with different nonces are independent of each other."""
    return secrets.randbits(192) << 64


@dataclass(frozen=True)
class Domain:
    """The EIP-712 domain of a `CollateralSubstitution` contract (its `eip712Domain()`)."""

    name: str
    version: str
    chain_id: int
    verifying_contract: str

    def to_typed(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


@dataclass(frozen=True)
class Offer:
    """A counterparty's offer: it delivers `deliver` into `account` (`client`'s sub-ledger when
    omnibus) and takes `take` out, if accepted by `expiry`. `signature` is empty until signed."""

    account: int
    deliver: tuple[Leg, ...]
    take: tuple[Leg, ...]
    counterparty: str
    nonce: int
    expiry: int  # unix seconds
    client: str = ZERO_ADDRESS
    signature: bytes = field(default=b"", repr=False)

    @property
    def expires_at(self) -> dt.datetime:
        return from_unix(self.expiry)

    @property
    def signed(self) -> bool:
        return bool(self.signature)

    def message(self) -> dict[str, Any]:
        """The EIP-712 message (`Offer` struct) as the contract hashes it."""
        return {
            "account": self.account,
            "client": self.client,
            "deliver": [{"asset": leg.asset, "amount": leg.units} for leg in self.deliver],
            "take": [{"asset": leg.asset, "amount": leg.units} for leg in self.take],
            "counterparty": self.counterparty,
            "nonce": self.nonce,
            "expiry": self.expiry,
        }

    def typed_data(self, domain: Domain) -> dict[str, Any]:
        """The full EIP-712 typed data (`eth_signTypedData_v4`) for this offer under `domain`."""
        return {
            "types": {"EIP712Domain": DOMAIN_TYPE, **OFFER_TYPES},
            "primaryType": "Offer",
            "domain": domain.to_typed(),
            "message": self.message(),
        }

    def sign(self, signer: LocalAccount, domain: Domain) -> Offer:
        """This offer signed by `signer`, who must be its counterparty."""
        if to_checksum_address(signer.address) != self.counterparty:
            raise InputError(f"the offer is {self.counterparty}'s to sign, not {signer.address}'s")
        signable = encode_typed_data(full_message=self.typed_data(domain))
        return replace(self, signature=bytes(signer.sign_message(signable).signature))

    def signer(self, domain: Domain) -> str:
        """Who signed this offer (recovered from the signature: a key, not a contract wallet)."""
        signable = encode_typed_data(full_message=self.typed_data(domain))
        return str(Account.recover_message(signable, signature=self.signature))

    def to_chain(self) -> tuple[Any, ...]:
        return (
            self.account,
            self.client,
            [leg.to_chain() for leg in self.deliver],
            [leg.to_chain() for leg in self.take],
            self.counterparty,
            self.nonce,
            self.expiry,
        )

    def to_json(self) -> str:
        """The offer, signature included, as JSON: what travels from counterparty to owner."""
        return json.dumps(
            {
                **self.message(),
                "account": str(self.account),
                "nonce": str(self.nonce),
                "deliver": [{"asset": leg.asset, "amount": str(leg.units)} for leg in self.deliver],
                "take": [{"asset": leg.asset, "amount": str(leg.units)} for leg in self.take],
                "signature": "0x" + self.signature.hex(),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Offer:
        try:
            raw = json.loads(text)
            return cls(
                account=int(raw["account"]),
                client=to_checksum_address(raw["client"]),
                deliver=tuple(_leg(x) for x in raw["deliver"]),
                take=tuple(_leg(x) for x in raw["take"]),
                counterparty=to_checksum_address(raw["counterparty"]),
                nonce=int(raw["nonce"]),
                expiry=int(raw["expiry"]),
                signature=bytes.fromhex(str(raw.get("signature", "")).removeprefix("0x")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not an offer: {exc}") from None


def _leg(raw: Mapping[str, Any]) -> Leg:
    return Leg(to_checksum_address(raw["asset"]), int(raw["amount"]))


def check_legs(out: Sequence[Any], into: Sequence[Any]) -> None:
    """The contract's rules on legs, checked before anything is sent: 1 to 8 each way, no asset
    twice (out or in); amounts are checked when converted to units."""
    if not out or not into or len(out) > MAX_LEGS or len(into) > MAX_LEGS:
        raise InputError(
            f"a substitution takes 1 to {MAX_LEGS} legs out and 1 to {MAX_LEGS} in; "
            f"{len(out)} out and {len(into)} in were given"
        )
    seen: set[str] = set()
    for leg in (*out, *into):
        if leg.asset in seen:
            raise InputError(f"asset {leg.asset} appears in more than one leg")
        seen.add(leg.asset)


@dataclass(frozen=True)
class Substitution:
    """What one substitution did, from its `Substituted` event: legs in whole units by symbol."""

    account: int
    caller: str
    client: str | None
    out: dict[str, Decimal]
    into: dict[str, Decimal]
    value_before_jpy: int
    value_after_jpy: int
    requirement_jpy: int
    counterparty: str | None
    nonce: int
    tx_hash: str = ""

    @property
    def covered(self) -> bool:
        return self.value_after_jpy >= self.requirement_jpy


def substitution_from_event(event: Mapping[str, Any], whole: Any) -> Substitution:
    """A `Substitution` from a decoded `Substituted` event; `whole(asset_address, units)` converts
    a leg to (symbol, whole units)."""

    def legs(raw: Iterable[Any]) -> dict[str, Decimal]:
        return dict(whole(leg[0], int(leg[1])) for leg in raw)

    client = event["client"]
    counterparty = event["counterparty"]
    return Substitution(
        account=int(event["account"]),
        caller=event["caller"],
        client=None if client == ZERO_ADDRESS else client,
        out=legs(event["out"]),
        into=legs(event["into"]),
        value_before_jpy=int(event["valueBeforeJpy"]),
        value_after_jpy=int(event["valueAfterJpy"]),
        requirement_jpy=int(event["requirementJpy"]),
        counterparty=None if counterparty == ZERO_ADDRESS else counterparty,
        nonce=int(event["nonce"]),
    )


def expiry_in(now: int, valid_for: dt.timedelta) -> int:
    """Unix expiry `valid_for` after chain time `now`."""
    if valid_for <= dt.timedelta(0):
        raise InputError(f"an offer must be valid for some time, not {valid_for}")
    return to_unix(from_unix(now) + valid_for)
