"""The CCP's JDR desk: listing a JDR series, so that its trust may hold assets and its JDRs be
cleared and pledged (CCP_OPERATOR_ROLE on the register)."""

from __future__ import annotations

from ...access.registry import Kind, Participant
from ...contracts.base import Outcome
from ...tokens.asset import Asset
from ..base import Actor


class JdrDesk(Actor):
    """Listing JDR series created by trust banks."""

    def list_series(self, jdr: str | Asset) -> Outcome[Participant]:
        """Admit the series' trust to the register (as a system contract keeping its own
        ledger), so that it can take ETF units and JPY and the JDRs can be created. Pricing and
        collateral eligibility are the oracle's (`Oracle.list_asset`, `set_risk_parameters`)."""
        trust = self.deployment.jdr(jdr)
        name = f"{trust.jdr.symbol.lower()}-trust"
        return self.send(self.deployment.registry.admit(trust.address, Kind.SYSTEM_CONTRACT, name))
