// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {Roles} from "../access/Roles.sol";
import {Valuation} from "../collateral/Valuation.sol";
import {IPermissionedToken} from "../tokens/IPermissionedToken.sol";
import {IMarketData} from "./IMarketData.sol";

/// @title MarketData
/// @notice See {IMarketData}.
contract MarketData is IMarketData, AccessControl {
    /// @notice Publishes prices, FX rates and risk parameters.
    bytes32 public constant ORACLE_ROLE = Roles.ORACLE;

    bytes3 private constant JPY = "JPY";
    /// @notice Least haircut of a JDR eligible as collateral: every purpose of the vault is derivatives
    /// margin (initial margin, clearing fund), where a JDR counts at most 70% of its value (listing
    /// guidebook §8-2; margin trading's 80% cap is looser and not a purpose here).
    uint16 public constant JDR_HAIRCUT_FLOOR_BPS = 3000;
    uint256 private constant ONE = 1e18;

    /// @dev Price and its date share a slot with the static facts, so a quote reads two slots.
    struct AssetData {
        uint256 priceE18;
        uint64 asOf;
        bytes3 currency;
        uint8 decimals;
        bool listed;
        uint16 haircutBps;
        uint16 concentrationBps;
        uint8 eligibility;
    }

    struct FxRate {
        uint192 rateE18;
        uint64 asOf;
    }

    mapping(address asset => AssetData) private _assets;
    mapping(bytes3 currency => FxRate) private _fx;
    uint64 private _maxPriceAge;

    /// @param admin receives the admin and oracle roles.
    /// @param maxAge initial maximum age of prices and rates, in seconds.
    constructor(address admin, uint64 maxAge) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.ORACLE, admin);
        _maxPriceAge = maxAge;
        emit MaxPriceAgeSet(maxAge, admin);
    }

    // ---------------------------------------------------------------- publishing

    /// @inheritdoc IMarketData
    function listAssets(address[] calldata assets, bytes3[] calldata currencies, uint8[] calldata decimals)
        external
        onlyRole(Roles.ORACLE)
    {
        _sameLength(assets.length, currencies.length);
        _sameLength(assets.length, decimals.length);
        for (uint256 i; i < assets.length; ++i) {
            AssetData storage a = _assets[assets[i]];
            if (a.listed) revert MarketDataAssetListed(assets[i]);
            a.listed = true;
            a.currency = currencies[i];
            a.decimals = decimals[i];
            a.concentrationBps = uint16(Valuation.BPS);
            emit AssetListed(assets[i], currencies[i], decimals[i], _msgSender());
        }
    }

    /// @inheritdoc IMarketData
    function publishPrices(address[] calldata assets, uint256[] calldata pricesE18, uint64 asOf)
        external
        onlyRole(Roles.ORACLE)
    {
        _sameLength(assets.length, pricesE18.length);
        _notInFuture(asOf);
        for (uint256 i; i < assets.length; ++i) {
            AssetData storage a = _listed(assets[i]);
            if (pricesE18[i] == 0) revert MarketDataPriceInvalid(assets[i]);
            if (asOf < a.asOf) {
                emit PriceIgnored(assets[i], asOf, a.asOf, _msgSender());
                continue;
            }
            a.priceE18 = pricesE18[i];
            a.asOf = asOf;
            emit PricePublished(assets[i], pricesE18[i], asOf, _msgSender());
        }
    }

    /// @inheritdoc IMarketData
    function publishFxRates(bytes3[] calldata currencies, uint256[] calldata ratesE18, uint64 asOf)
        external
        onlyRole(Roles.ORACLE)
    {
        _sameLength(currencies.length, ratesE18.length);
        _notInFuture(asOf);
        for (uint256 i; i < currencies.length; ++i) {
            if (ratesE18[i] == 0 || ratesE18[i] > type(uint192).max) {
                revert MarketDataFxRateInvalid(currencies[i], ratesE18[i]);
            }
            uint64 current = _fx[currencies[i]].asOf;
            if (asOf < current) {
                emit FxRateIgnored(currencies[i], asOf, current, _msgSender());
                continue;
            }
            _fx[currencies[i]] = FxRate(uint192(ratesE18[i]), asOf);
            emit FxRatePublished(currencies[i], ratesE18[i], asOf, _msgSender());
        }
    }

    /// @inheritdoc IMarketData
    function setRiskParameters(address[] calldata assets, RiskParameters[] calldata parameters)
        external
        onlyRole(Roles.ORACLE)
    {
        _sameLength(assets.length, parameters.length);
        for (uint256 i; i < assets.length; ++i) {
            RiskParameters calldata p = parameters[i];
            if (p.haircutBps >= Valuation.BPS || p.concentrationBps == 0 || p.concentrationBps > Valuation.BPS) {
                revert MarketDataParametersInvalid(assets[i], p.haircutBps, p.concentrationBps);
            }
            AssetData storage a = _listed(assets[i]);
            if (p.eligibility != 0 && p.haircutBps < JDR_HAIRCUT_FLOOR_BPS && _isJdr(assets[i])) {
                revert MarketDataHaircutBelowFloor(assets[i], p.haircutBps, JDR_HAIRCUT_FLOOR_BPS);
            }
            a.haircutBps = p.haircutBps;
            a.concentrationBps = p.concentrationBps;
            a.eligibility = p.eligibility;
            emit RiskParametersSet(assets[i], p.haircutBps, p.concentrationBps, p.eligibility, _msgSender());
        }
    }

    /// @inheritdoc IMarketData
    function setMaxPriceAge(uint64 maxAge) external onlyRole(Roles.ORACLE) {
        _maxPriceAge = maxAge;
        emit MaxPriceAgeSet(maxAge, _msgSender());
    }

    // ---------------------------------------------------------------- reading

    /// @inheritdoc IMarketData
    function quote(address asset) public view returns (Quote memory q) {
        (, q) = _quote(asset, true);
    }

    function isEligible(address asset, Purpose purpose) external view returns (bool) {
        AssetData storage a = _assets[asset];
        return _eligible(a, purpose);
    }

    /// @inheritdoc IMarketData
    function quoteFor(address asset, Purpose purpose) external view returns (Quote memory q, bool eligible) {
        AssetData storage a = _assets[asset];
        eligible = _eligible(a, purpose);
        if (eligible) q = quote(asset);
    }

    /// @inheritdoc IMarketData
    function collateralStatus(address asset, Purpose purpose) external view returns (bool eligible, bool priced) {
        AssetData storage a = _assets[asset];
        eligible = _eligible(a, purpose);
        priced = a.priceE18 != 0 && (a.currency == JPY || _fx[a.currency].rateE18 != 0);
    }

    /// @inheritdoc IMarketData
    function valueCollateral(
        address[] calldata assets,
        uint256[] calldata quantities,
        Purpose purpose,
        uint256 requirementJpy,
        bool strict
    ) external view returns (bool, uint256) {
        (uint256 value, uint256 unpriced) = _value(assets, quantities, purpose, requirementJpy, strict);
        return unpriced == 0 ? (true, value) : (false, 0);
    }

    /// @inheritdoc IMarketData
    function valueCollateralPrudently(
        address[] calldata assets,
        uint256[] calldata quantities,
        Purpose purpose,
        uint256 requirementJpy
    ) external view returns (uint256, uint256) {
        return _value(assets, quantities, purpose, requirementJpy, false);
    }

    /// @dev The capped value of the holdings that can be valued now, and how many that count could not
    /// (with `strict`, the first of those reverts instead).
    function _value(
        address[] calldata assets,
        uint256[] calldata quantities,
        Purpose purpose,
        uint256 requirementJpy,
        bool strict
    ) private view returns (uint256, uint256 unpriced) {
        _sameLength(assets.length, quantities.length);
        uint256[] memory values = new uint256[](assets.length);
        uint16[] memory limits = new uint16[](assets.length);
        for (uint256 i; i < assets.length; ++i) {
            limits[i] = uint16(Valuation.BPS);
            AssetData storage a = _assets[assets[i]];
            // Collateral that is no longer eligible counts for nothing and needs no price.
            if (quantities[i] == 0 || !_eligible(a, purpose)) continue;
            (bool priced, Quote memory q) = _quote(assets[i], strict);
            if (!priced) {
                ++unpriced;
                continue;
            }
            limits[i] = q.concentrationBps;
            values[i] = Valuation.haircutValue(quantities[i], q);
        }
        return (Valuation.concentrationCapped(values, limits, requirementJpy), unpriced);
    }

    /// @inheritdoc IMarketData
    function quantityToCover(
        address asset,
        Purpose purpose,
        uint256 valueJpy,
        uint256 heldQuantity,
        uint256 requirementJpy
    ) external view returns (bool, uint256) {
        if (!_eligible(_assets[asset], purpose)) return (false, 0);
        (bool priced, Quote memory q) = _quote(asset, false);
        if (!priced) return (false, 0);
        if (q.concentrationBps < Valuation.BPS) {
            // Only the room left under the asset's cap adds value: past it, more adds nothing.
            uint256 cap = Math.mulDiv(requirementJpy, q.concentrationBps, Valuation.BPS);
            uint256 counted = Valuation.haircutValue(heldQuantity, q);
            if (counted >= cap) return (false, 0);
            if (valueJpy > cap - counted) valueJpy = cap - counted;
        }
        return (true, Valuation.quantityFor(valueJpy, q));
    }

    /// @inheritdoc IMarketData
    function valueOf(address asset, uint256 quantity) external view returns (uint256) {
        return Valuation.haircutValue(quantity, quote(asset));
    }

    /// @inheritdoc IMarketData
    function priceOf(address asset) external view returns (uint256, uint64) {
        AssetData storage a = _listed(asset);
        return (a.priceE18, a.asOf);
    }

    /// @inheritdoc IMarketData
    function fxRateOf(bytes3 currency) external view returns (uint256, uint64) {
        if (currency == JPY) return (ONE, uint64(block.timestamp));
        FxRate memory fx = _fx[currency];
        return (fx.rateE18, fx.asOf);
    }

    /// @inheritdoc IMarketData
    function riskParameters(address asset) external view returns (RiskParameters memory) {
        AssetData storage a = _listed(asset);
        return RiskParameters(a.haircutBps, a.concentrationBps, a.eligibility);
    }

    /// @inheritdoc IMarketData
    function maxPriceAge() external view returns (uint64) {
        return _maxPriceAge;
    }

    // ---------------------------------------------------------------- internals

    /// @dev The quote of `asset` now, and whether it has one: a missing or stale price or rate makes it
    /// `(false, empty)`, or, when `strict`, reverts naming the asset or currency.
    function _quote(address asset, bool strict) private view returns (bool, Quote memory q) {
        AssetData storage a = _listed(asset);
        uint64 maxAge = _maxPriceAge;
        if (a.priceE18 == 0) {
            if (strict) revert MarketDataPriceMissing(asset);
            return (false, q);
        }
        if (_stale(a.asOf, maxAge)) {
            if (strict) revert MarketDataPriceStale(asset, a.asOf, maxAge);
            return (false, q);
        }
        q.priceE18 = a.priceE18;
        q.haircutBps = a.haircutBps;
        q.concentrationBps = a.concentrationBps;
        q.decimals = a.decimals;
        q.eligibility = a.eligibility;
        bytes3 currency = a.currency;
        if (currency == JPY) {
            q.fxE18 = ONE;
            return (true, q);
        }
        FxRate memory fx = _fx[currency];
        if (fx.rateE18 == 0) {
            if (strict) revert MarketDataFxRateMissing(currency);
            return (false, q);
        }
        if (_stale(fx.asOf, maxAge)) {
            if (strict) revert MarketDataFxRateStale(currency, fx.asOf, maxAge);
            return (false, q);
        }
        q.fxE18 = fx.rateE18;
        return (true, q);
    }

    function _eligible(AssetData storage a, Purpose purpose) private view returns (bool) {
        return a.listed && (a.eligibility & (uint8(1) << uint8(purpose))) != 0;
    }

    /// @dev Whether `asset` says it is a JDR; an asset without code or without `assetInfo` is not.
    function _isJdr(address asset) private view returns (bool) {
        if (asset.code.length == 0) return false; // a call to it could not even be caught
        try IPermissionedToken(asset).assetInfo() returns (IPermissionedToken.AssetInfo memory info) {
            return info.assetClass == IPermissionedToken.AssetClass.Jdr;
        } catch {
            return false;
        }
    }

    function _listed(address asset) private view returns (AssetData storage a) {
        a = _assets[asset];
        if (!a.listed) revert MarketDataAssetUnlisted(asset);
    }

    function _stale(uint64 asOf, uint64 maxAge) private view returns (bool) {
        return uint256(asOf) + maxAge < block.timestamp;
    }

    function _notInFuture(uint64 asOf) private view {
        if (asOf > block.timestamp) revert MarketDataAsOfInFuture(asOf);
    }

    function _sameLength(uint256 expected, uint256 actual) private pure {
        if (expected != actual) revert MarketDataBatchLengthMismatch(expected, actual);
    }
}
