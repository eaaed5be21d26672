"""Market data: prices, FX rates and risk parameters published on chain by the oracle."""

from .market_data import Purpose, Quote, RiskParameters, price_from_chain, price_to_chain

__all__ = ["Purpose", "Quote", "RiskParameters", "price_from_chain", "price_to_chain"]
