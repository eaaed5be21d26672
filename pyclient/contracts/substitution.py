"""The CollateralSubstitution contract's client: in-account swaps and counterparty offers.

`substitute` swaps collateral in a vault account with the caller's wallet; `accept_offer` takes a
counterparty's signed `Offer` (delivery versus delivery); `cancel_offer` lets a signer withdraw one.
Legs are `(asset, whole units)` pairs, as everywhere in pyclient; each call's value is the
`Substitution` its event records. See `pyclient.collateral.substitution` for the offer itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ..collateral.substitution import (
    ZERO_ADDRESS,
    Domain,
    Leg,
    Offer,
    Substitution,
    check_legs,
    expiry_in,
    new_nonce,
    substitution_from_event,
)
from ..units import Amount
from .base import Call, ContractClient, Outcome

LegsIn = Iterable[tuple[Any, Amount]] | dict[Any, Amount]


class SubstitutionClient(ContractClient):
    artifact = "CollateralSubstitution"
    prefix = "substitution"

    # ------------------------------------------------------------------ reads

    def domain(self) -> Domain:
        """The EIP-712 domain offers are signed under (read from the contract, ERC-5267)."""
        _, name, version, chain_id, contract, _, _ = self._read(
            self.contract.functions.eip712Domain()
        )
        return Domain(name, version, int(chain_id), contract)

    def next_nonce(self, counterparty: Any, key: int = 0) -> int:
        """The nonce `counterparty`'s next offer on `key` must carry (OZ `NoncesKeyed`)."""
        fn = self.contract.functions.nonces(self.suite.address_of(counterparty), key)
        return int(self._read(fn))

    def nonce_used(self, offer: Offer) -> bool:
        """Whether `offer`'s nonce has been used (accepted or cancelled)."""
        key, sequence = offer.nonce >> 64, offer.nonce & (2**64 - 1)
        return self.next_nonce(offer.counterparty, key) > (key << 64 | sequence)

    def offer_digest(self, offer: Offer) -> bytes:
        """The digest the contract checks the signature against."""
        return bytes(self._read(self.contract.functions.offerDigest(offer.to_chain())))

    def substitutions(self, account: int | None = None) -> list[Substitution]:
        """Every substitution recorded (of one account, if given), oldest first."""
        out = []
        for event in self.history("Substituted"):
            if account is None or int(event["account"]) == account:
                s = substitution_from_event(event, self._whole)
                out.append(replace(s, tx_hash=event.tx_hash))
        return out

    # ------------------------------------------------------------------ building

    def legs(self, legs: LegsIn) -> tuple[Leg, ...]:
        """`[("JGB374", 10), ("USD", "250000.00")]` (or a dict) as chain legs in smallest units."""
        pairs = legs.items() if isinstance(legs, dict) else legs
        out = []
        for asset, amount in pairs:
            a = self.suite.asset(asset)
            out.append(Leg(a.address, a.units(amount)))
        return tuple(out)

    def offer(
        self,
        account: int,
        counterparty: Any,
        *,
        deliver: LegsIn,
        take: LegsIn,
        client: Any = None,
        valid_for: dt.timedelta = dt.timedelta(hours=1),
        nonce: int | None = None,
    ) -> Offer:
        """An unsigned offer from `counterparty` on `account`: it delivers `deliver` and takes
        `take`, valid for `valid_for` of chain time, with a fresh independent nonce unless given."""
        deliver_legs, take_legs = self.legs(deliver), self.legs(take)
        check_legs(take_legs, deliver_legs)
        return Offer(
            account=account,
            client=ZERO_ADDRESS if client is None else self.suite.address_of(client),
            deliver=deliver_legs,
            take=take_legs,
            counterparty=self.suite.address_of(counterparty),
            nonce=new_nonce() if nonce is None else nonce,
            expiry=expiry_in(self.suite.chain_time(), valid_for),
        )

    # ------------------------------------------------------------------ calls

    def substitute(
        self, account: int, *, out: LegsIn, into: LegsIn, client: Any = None
    ) -> Call[Substitution]:
        """Swap `out` of `account` for `into` from the sender's wallet in one step (`client`'s
        sub-ledger of an omnibus account). Refused, nothing moved, unless the account ends at
        or above its requirement, or, already short, no lower than it was."""
        out_legs, in_legs = self.legs(out), self.legs(into)
        check_legs(out_legs, in_legs)
        fn = self.contract.functions.substitute(
            account,
            ZERO_ADDRESS if client is None else self.suite.address_of(client),
            [leg.to_chain() for leg in out_legs],
            [leg.to_chain() for leg in in_legs],
        )
        return self._call(fn, "substitute", result=self._substituted)

    def accept_offer(self, offer: Offer) -> Call[Substitution]:
        """Take a counterparty's signed offer on the sender's account (delivery versus delivery)."""
        fn = self.contract.functions.acceptOffer(offer.to_chain(), offer.signature)
        return self._call(fn, "acceptOffer", result=self._substituted)

    def cancel_offer(self, offer_or_nonce: Offer | int) -> Call[None]:
        """Cancel the sender's offer (or nonce): it can no longer be accepted."""
        nonce = offer_or_nonce.nonce if isinstance(offer_or_nonce, Offer) else offer_or_nonce
        return self._call(self.contract.functions.cancelOffer(nonce), "cancelOffer")

    # ------------------------------------------------------------------ helpers

    def _whole(self, address: str, units: int) -> tuple[str, Decimal]:
        a = self.suite.asset(address)
        return a.symbol, a.whole(units)

    def _substituted(self, outcome: Outcome[None]) -> Substitution:
        event = outcome.named("Substituted")[0]
        return replace(substitution_from_event(event, self._whole), tx_hash=outcome.tx_hash)
