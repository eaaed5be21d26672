"""A permissioned token's client: balances in whole units, and every move the rules allow.

One `TokenClient` per asset of the deployment (`deployment.token("JPY")`). Amounts go in and come
out in the asset's whole units (`Decimal`, `int` or `str`; floats are refused); the conversion to
smallest units happens here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from ..tokens.asset import Asset
from ..units import Amount, to_bytes32
from .base import Call, ContractClient

MAX_ALLOWANCE = 2**256 - 1


class TokenClient(ContractClient):
    artifact = "PermissionedToken"
    prefix = "token"

    def __init__(self, suite: Any, contract: Any, asset: Asset) -> None:
        super().__init__(suite, contract, f"{asset.symbol} token")
        self.asset = asset

    # ------------------------------------------------------------------ reads

    def balance_of(self, holder: Any) -> Decimal:
        """`holder`'s balance in whole units."""
        return self.asset.whole(self._units("balanceOf", holder))

    def free_balance_of(self, holder: Any) -> Decimal:
        """What `holder` can move now: the balance less frozen tokens (nothing if frozen)."""
        return self.asset.whole(self._units("freeBalanceOf", holder))

    def frozen_of(self, holder: Any) -> Decimal:
        """Tokens of `holder` frozen by the agent (a partial freeze)."""
        return self.asset.whole(self._units("frozenTokens", holder))

    def is_frozen(self, holder: Any) -> bool:
        return bool(self._read(self.contract.functions.isFrozen(self.suite.address_of(holder))))

    def total_supply(self) -> Decimal:
        return self.asset.whole(self._read(self.contract.functions.totalSupply()))

    def paused(self) -> bool:
        return bool(self._read(self.contract.functions.paused()))

    def allowance(self, owner: Any, spender: Any) -> int:
        """What `spender` may still draw from `owner`, in smallest units."""
        fn = self.contract.functions.allowance(
            self.suite.address_of(owner), self.suite.address_of(spender)
        )
        return int(self._read(fn))

    def balances(self, holders: Sequence[str]) -> dict[str, int]:
        """Balances of many addresses in smallest units, read in one batch."""
        fns = [self.contract.functions.balanceOf(h) for h in holders]
        return dict(zip(holders, (int(v) for v in self._read_many(fns)), strict=True))

    def _units(self, function: str, holder: Any) -> int:
        fn = getattr(self.contract.functions, function)(self.suite.address_of(holder))
        return int(self._read(fn, asset=self.asset))

    # ------------------------------------------------------------------ holders

    def transfer(self, to: Any, amount: Amount) -> Call[None]:
        """Move `amount` from the sender to `to` (a name, address or role)."""
        fn = self.contract.functions.transfer(self.suite.address_of(to), self.asset.units(amount))
        return self._call(fn, "transfer", asset=self.asset)

    def approve(self, spender: Any, amount: Amount | None = None) -> Call[None]:
        """Let `spender` draw `amount` from the sender (unlimited if omitted)."""
        units = MAX_ALLOWANCE if amount is None else self.asset.units(amount, allow_zero=True)
        fn = self.contract.functions.approve(self.suite.address_of(spender), units)
        return self._call(fn, "approve", asset=self.asset)

    # ------------------------------------------------------------------ issuer

    def mint(self, to: Any, amount: Amount, *, ref: str = "") -> Call[None]:
        """Create `amount` for `to` against an off-chain deposit identified by `ref`."""
        fn = self.contract.functions.mint(
            self.suite.address_of(to), self.asset.units(amount), to_bytes32(ref, what="reference")
        )
        return self._call(fn, "mint", asset=self.asset)

    def mint_many(self, entries: Iterable[tuple[Any, Amount, str]]) -> list[Call[None]]:
        """One mint per `(holder, amount, ref)` (send them with `send_all`)."""
        return [self.mint(to, amount, ref=ref) for to, amount, ref in entries]

    def burn(self, holder: Any, amount: Amount, *, ref: str = "") -> Call[None]:
        """Destroy `amount` of `holder`'s tokens as they are paid out off-chain under `ref`."""
        fn = self.contract.functions.burn(
            self.suite.address_of(holder),
            self.asset.units(amount),
            to_bytes32(ref, what="reference"),
        )
        return self._call(fn, "burn", asset=self.asset)

    # ------------------------------------------------------------------ agent and pauser

    def forced_transfer(
        self, source: Any, destination: Any, amount: Amount, *, reason: str
    ) -> Call[None]:
        """Move `amount` from `source` to `destination` without `source`'s consent."""
        fn = self.contract.functions.forcedTransfer(
            self.suite.address_of(source),
            self.suite.address_of(destination),
            self.asset.units(amount),
            to_bytes32(reason, what="reason"),
        )
        return self._call(fn, "forcedTransfer", asset=self.asset)

    def set_frozen(self, holder: Any, frozen: bool, *, reason: str) -> Call[None]:
        """Freeze (or unfreeze) `holder`'s whole holding: it can neither send nor receive."""
        fn = self.contract.functions.setAccountFrozen(
            self.suite.address_of(holder), frozen, to_bytes32(reason, what="reason")
        )
        return self._call(fn, "setAccountFrozen", asset=self.asset)

    def freeze_tokens(self, holder: Any, amount: Amount, *, reason: str) -> Call[None]:
        """Freeze part of `holder`'s holding; the rest keeps moving."""
        return self._partial("freezeTokens", holder, amount, reason)

    def unfreeze_tokens(self, holder: Any, amount: Amount, *, reason: str) -> Call[None]:
        return self._partial("unfreezeTokens", holder, amount, reason)

    def pause(self) -> Call[None]:
        """Halt ordinary transfers (the issuer and the agent keep working)."""
        return self._call(self.contract.functions.pause(), "pause", asset=self.asset)

    def unpause(self) -> Call[None]:
        return self._call(self.contract.functions.unpause(), "unpause", asset=self.asset)

    def _partial(self, action: str, holder: Any, amount: Amount, reason: str) -> Call[None]:
        fn = getattr(self.contract.functions, action)(
            self.suite.address_of(holder),
            self.asset.units(amount),
            to_bytes32(reason, what="reason"),
        )
        return self._call(fn, action, asset=self.asset)
