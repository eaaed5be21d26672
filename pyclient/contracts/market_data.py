"""The market-data store's client: what collateral is valued with, and the oracle's batches.

Prices are `Decimal` of an asset's own currency per whole token, FX rates `Decimal` JPY per unit of
a currency; both are 18-decimal fixed point on chain. A quote that is missing or stale is refused
with the typed error naming the asset, exactly as the vault would refuse to value with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..errors import InputError
from ..oracle.market_data import Purpose, Quote, RiskParameters, price_from_chain, price_to_chain
from ..tokens.asset import Asset
from .base import Call, ContractClient


class MarketDataClient(ContractClient):
    artifact = "MarketData"
    prefix = "oracle"

    # ------------------------------------------------------------------ reads

    def quote(self, asset: Any) -> Quote:
        """What `asset` is valued with now; a missing or stale price or rate is a typed error."""
        a = self.suite.asset(asset)
        return Quote.from_chain(self._read(self.contract.functions.quote(a.address), asset=a))

    def quotes(self, assets: Iterable[Any]) -> dict[str, Quote]:
        """Quotes of many assets by symbol, read in one batch."""
        listed = [self.suite.asset(a) for a in assets]
        raw = self._read_many([self.contract.functions.quote(a.address) for a in listed])
        return {a.symbol: Quote.from_chain(r) for a, r in zip(listed, raw, strict=True)}

    def price(self, asset: Any) -> tuple[Decimal, int]:
        """The last published price of `asset` (its currency per whole token) and when, stale or
        not."""
        a = self.suite.asset(asset)
        price, as_of = self._read(self.contract.functions.priceOf(a.address))
        return price_from_chain(price), int(as_of)

    def fx_rate(self, currency: str) -> tuple[Decimal, int]:
        """The last published JPY rate of `currency` and when, stale or not."""
        rate, as_of = self._read(self.contract.functions.fxRateOf(_currency(currency)))
        return price_from_chain(rate), int(as_of)

    def risk_parameters(self, asset: Any) -> RiskParameters:
        a = self.suite.asset(asset)
        return RiskParameters.from_chain(
            self._read(self.contract.functions.riskParameters(a.address))
        )

    def is_eligible(self, asset: Any, purpose: Purpose) -> bool:
        a = self.suite.asset(asset)
        return bool(self._read(self.contract.functions.isEligible(a.address, int(purpose))))

    def max_price_age(self) -> int:
        return int(self._read(self.contract.functions.maxPriceAge()))

    def value_of(self, asset: Any, quantity: Any) -> int:
        """Haircut JPY value of `quantity` whole units of `asset`, as the chain computes it."""
        a = self.suite.asset(asset)
        fn = self.contract.functions.valueOf(a.address, a.units(quantity, allow_zero=True))
        return int(self._read(fn, asset=a))

    # ------------------------------------------------------------------ the oracle's batches

    def list_assets(self, assets: Iterable[Asset]) -> Call[None]:
        """List assets for pricing with their currency and decimals (done once, at deployment)."""
        listed = list(assets)
        fn = self.contract.functions.listAssets(
            [a.address for a in listed],
            [a.spec.currency.encode() for a in listed],
            [a.spec.decimals for a in listed],
        )
        return self._call(fn, "listAssets")

    def publish_prices(self, prices: Mapping[Any, Any], *, as_of: int | None = None) -> Call[None]:
        """Prices per whole token in each asset's own currency, `{"JGB374": Decimal("98.5")}`."""
        assets = [self.suite.asset(symbol) for symbol in prices]
        values = [
            price_to_chain(p, what=f"{a.symbol} price")
            for a, p in zip(assets, prices.values(), strict=True)
        ]
        fn = self.contract.functions.publishPrices(
            [a.address for a in assets], values, self._as_of(as_of)
        )
        return self._call(fn, "publishPrices")

    def publish_fx_rates(self, rates: Mapping[str, Any], *, as_of: int | None = None) -> Call[None]:
        """JPY per unit of each currency, `{"USD": Decimal("151.20")}` (the yen itself is 1 by
        definition: a rate for JPY is refused, as the contract never reads one)."""
        if "JPY" in rates:
            raise InputError("JPY is the base currency, 1 by definition: publish rates to it")
        currencies = [_currency(c) for c in rates]
        values = [price_to_chain(r, what=f"{c} rate") for c, r in rates.items()]
        fn = self.contract.functions.publishFxRates(currencies, values, self._as_of(as_of))
        return self._call(fn, "publishFxRates")

    def set_risk_parameters(self, parameters: Mapping[Any, RiskParameters]) -> Call[None]:
        """Haircut, concentration limit and eligibility per asset."""
        assets = [self.suite.asset(symbol) for symbol in parameters]
        fn = self.contract.functions.setRiskParameters(
            [a.address for a in assets], [p.to_chain() for p in parameters.values()]
        )
        return self._call(fn, "setRiskParameters")

    def set_max_price_age(self, seconds: int) -> Call[None]:
        """How old a price or rate may be before valuing with it is refused."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise InputError(f"maximum price age {seconds!r} must be a positive number of seconds")
        return self._call(self.contract.functions.setMaxPriceAge(seconds), "setMaxPriceAge")

    def _as_of(self, as_of: int | None) -> int:
        return as_of if as_of is not None else self.suite.chain_time()


def _currency(code: str) -> bytes:
    if not isinstance(code, str) or len(code) != 3 or not code.isalpha() or not code.isupper():
        raise InputError(f"{code!r} is not an ISO 4217 currency code")
    return code.encode()
