"""Permissioned tokens: the assets Kabuto moves."""

from .asset import DEFAULT_ASSETS, Asset, AssetClass, AssetSpec

__all__ = ["DEFAULT_ASSETS", "Asset", "AssetClass", "AssetSpec"]
