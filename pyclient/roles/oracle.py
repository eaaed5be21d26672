"""The market-data oracle: prices, FX rates and risk parameters, published in batches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..contracts.base import Outcome
from ..oracle.market_data import RiskParameters
from .base import Role


class Oracle(Role):
    """The oracle (ORACLE_ROLE on market data; the operator keeps it unless handed over)."""

    def publish_prices(
        self, prices: Mapping[str, Any], *, as_of: int | None = None
    ) -> Outcome[None]:
        """Prices per whole token in each asset's own currency, `{"JGB374": Decimal("98.5")}`,
        observed at `as_of` (default: the chain's clock)."""
        return self.send(self.deployment.market_data.publish_prices(prices, as_of=as_of))

    def publish_fx_rates(
        self, rates: Mapping[str, Any], *, as_of: int | None = None
    ) -> Outcome[None]:
        """JPY per unit of each currency, `{"USD": Decimal("151.20")}`."""
        return self.send(self.deployment.market_data.publish_fx_rates(rates, as_of=as_of))

    def list_asset(self, asset: Any) -> Outcome[None]:
        """List an asset created after deployment (a JDR series, say) for pricing."""
        return self.send(self.deployment.market_data.list_assets([self.deployment.asset(asset)]))

    def set_risk_parameters(self, parameters: Mapping[str, RiskParameters]) -> Outcome[None]:
        """Haircut, concentration limit and eligibility per asset."""
        return self.send(self.deployment.market_data.set_risk_parameters(parameters))

    def set_max_price_age(self, seconds: int) -> Outcome[None]:
        """How old a price may be (seconds) before valuing with it is refused."""
        return self.send(self.deployment.market_data.set_max_price_age(seconds))
