"""The token issuer (custodian): mints against off-chain deposits and burns on withdrawal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..contracts.base import BatchOutcome, BatchProgress, Outcome
from ..tokens.asset import Asset
from ..units import Amount
from .base import Role


class TokenIssuer(Role):
    """The token issuer: the only one who creates and destroys tokens (ISSUER_ROLE)."""

    def issue(self, asset: str | Asset, to: Any, amount: Amount, *, ref: str = "") -> Outcome[None]:
        """Create `amount` of `asset` for `to` against an off-chain deposit identified by `ref`."""
        return self.send(self.deployment.token(asset).mint(to, amount, ref=ref))

    def issue_many(
        self,
        deposits: Iterable[tuple[str | Asset, Any, Amount, str]],
        *,
        progress: BatchProgress | None = None,
    ) -> BatchOutcome[list[None]]:
        """Tokenize many deposits, `(asset, holder, amount, ref)` each, pipelined."""
        calls = [self.deployment.token(a).mint(to, amt, ref=ref) for a, to, amt, ref in deposits]
        return self.send_all(calls, progress=progress)

    def redeem(
        self, asset: str | Asset, holder: Any, amount: Amount, *, ref: str = ""
    ) -> Outcome[None]:
        """Destroy `amount` of `holder`'s `asset` as it is paid out off-chain under `ref`."""
        return self.send(self.deployment.token(asset).burn(holder, amount, ref=ref))
