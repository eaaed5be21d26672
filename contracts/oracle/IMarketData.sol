// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IMarketData
/// @notice The on-chain shared store of market data that collateral is valued with: price of each
/// asset in its own currency, FX rate of each currency to JPY, haircut, eligibility per purpose,
/// concentration limit, and how old a price may be. The oracle publishes in batches.
/// @dev Prices and FX rates are fixed point with 18 decimals (`priceE18` is the price of one whole
/// token, `rateE18` the JPY for one unit of the currency); haircuts and limits are in basis points.
/// JPY's rate to itself is fixed at 1e18 and never stale.
interface IMarketData {
    /// @notice What collateral is posted for; eligibility is set per purpose.
    enum Purpose {
        InitialMargin,
        ClearingFund
    }

    /// @param haircutBps Share of value not counted, 0..9999.
    /// @param concentrationBps Largest share of an account's margin requirement this asset may meet,
    /// 1..10000 (10000 = no limit); see `Valuation.concentrationCapped`.
    /// @param eligibility Bit `1 << uint8(purpose)` set when eligible for that purpose.
    struct RiskParameters {
        uint16 haircutBps;
        uint16 concentrationBps;
        uint8 eligibility;
    }

    /// @notice Everything needed to value a quantity of one asset, as of now.
    struct Quote {
        uint256 priceE18;
        uint256 fxE18;
        uint16 haircutBps;
        uint16 concentrationBps;
        uint8 decimals;
        uint8 eligibility;
    }

    // ---------------------------------------------------------------- errors

    /// @notice `asset` is not listed in the market data.
    error MarketDataAssetUnlisted(address asset);
    /// @notice `asset` is already listed.
    error MarketDataAssetListed(address asset);
    /// @notice No price has been published for `asset`.
    error MarketDataPriceMissing(address asset);
    /// @notice The price of `asset` dates from `asOf`, older than the maximum age `maxAge` seconds.
    error MarketDataPriceStale(address asset, uint64 asOf, uint64 maxAge);
    /// @notice No FX rate to JPY has been published for `currency`.
    error MarketDataFxRateMissing(bytes3 currency);
    /// @notice The FX rate of `currency` dates from `asOf`, older than the maximum age `maxAge` seconds.
    error MarketDataFxRateStale(bytes3 currency, uint64 asOf, uint64 maxAge);
    /// @notice A batch has `expected` entries in one list and `actual` in another.
    error MarketDataBatchLengthMismatch(uint256 expected, uint256 actual);
    /// @notice A price or rate must be positive; `asset` got zero.
    error MarketDataPriceInvalid(address asset);
    /// @notice An FX rate must be positive and fit 192 bits; `currency` got `rateE18`.
    error MarketDataFxRateInvalid(bytes3 currency, uint256 rateE18);
    /// @notice Observations cannot be dated `asOf`, after the current block time.
    error MarketDataAsOfInFuture(uint64 asOf);
    /// @notice Haircut `haircutBps` or concentration limit `concentrationBps` is out of range for `asset`.
    error MarketDataParametersInvalid(address asset, uint16 haircutBps, uint16 concentrationBps);
    /// @notice `asset` is a JDR and its haircut `haircutBps` is under the floor `floorBps` (its collateral
    /// value may be at most 70% of market value for derivatives margin: listing guidebook §8-2).
    error MarketDataHaircutBelowFloor(address asset, uint16 haircutBps, uint16 floorBps);

    // ---------------------------------------------------------------- events

    /// @notice `asset` is priced in `currency` and counts `decimals` decimals.
    event AssetListed(address indexed asset, bytes3 currency, uint8 decimals, address indexed oracle);
    /// @notice One whole `asset` was worth `priceE18` of its currency at `asOf`.
    event PricePublished(address indexed asset, uint256 priceE18, uint64 asOf, address indexed oracle);
    /// @notice One unit of `currency` was worth `rateE18` JPY at `asOf`.
    event FxRatePublished(bytes3 indexed currency, uint256 rateE18, uint64 asOf, address indexed oracle);
    /// @notice New haircut, concentration limit and eligibility for `asset`.
    event RiskParametersSet(
        address indexed asset, uint16 haircutBps, uint16 concentrationBps, uint8 eligibility, address indexed oracle
    );
    /// @notice Prices and rates older than `maxAge` seconds are stale from now on.
    event MaxPriceAgeSet(uint64 maxAge, address indexed oracle);
    /// @notice A price of `asset` observed at `asOf` was not published: the one in force, observed at
    /// `currentAsOf`, is newer.
    event PriceIgnored(address indexed asset, uint64 asOf, uint64 currentAsOf, address indexed oracle);
    /// @notice A rate of `currency` observed at `asOf` was not published: the one in force, observed at
    /// `currentAsOf`, is newer.
    event FxRateIgnored(bytes3 indexed currency, uint64 asOf, uint64 currentAsOf, address indexed oracle);

    // ---------------------------------------------------------------- publishing (ORACLE_ROLE)

    /// @notice Lists assets with their pricing currency and decimals; they start unpriced and ineligible.
    function listAssets(address[] calldata assets, bytes3[] calldata currencies, uint8[] calldata decimals) external;

    /// @notice Publishes one price per asset, all observed at `asOf`; a price already in force that was
    /// observed later stays (`PriceIgnored`), so a delayed batch never overwrites a newer one.
    function publishPrices(address[] calldata assets, uint256[] calldata pricesE18, uint64 asOf) external;

    /// @notice Publishes one FX rate to JPY per currency, all observed at `asOf` (a newer rate in force
    /// stays, as for prices).
    function publishFxRates(bytes3[] calldata currencies, uint256[] calldata ratesE18, uint64 asOf) external;

    /// @notice Sets haircut, concentration limit and eligibility per asset.
    /// @dev A JDR eligible for any purpose needs a haircut of at least `JDR_HAIRCUT_FLOOR_BPS` (30%).
    function setRiskParameters(address[] calldata assets, RiskParameters[] calldata parameters) external;

    /// @notice Sets how old a price or rate may be before valuing with it is refused.
    function setMaxPriceAge(uint64 maxAge) external;

    /// @notice Least haircut, in basis points, of a JDR eligible as collateral.
    function JDR_HAIRCUT_FLOOR_BPS() external view returns (uint16);

    // ---------------------------------------------------------------- reading

    /// @notice The quote to value `asset` with now; reverts when its price or FX rate is missing or stale.
    function quote(address asset) external view returns (Quote memory);

    /// @notice True when `asset` is listed and eligible for `purpose`.
    function isEligible(address asset, Purpose purpose) external view returns (bool);

    /// @notice Whether `asset` is eligible for `purpose` and, if so, the quote to value it with now
    /// (reverting as `quote` does when its price or rate is missing or stale). Collateral that is not
    /// eligible needs no price: `eligible` is false and the quote empty.
    function quoteFor(address asset, Purpose purpose) external view returns (Quote memory q, bool eligible);

    /// @notice Whether `asset` is listed, eligible for `purpose`, and can be valued at all: it has had a
    /// price, and a rate for its currency unless that is JPY (either may be stale now).
    function collateralStatus(address asset, Purpose purpose) external view returns (bool eligible, bool priced);

    /// @notice Haircut JPY value of `quantity` smallest units of `asset`, rounded down; reverts when stale.
    function valueOf(address asset, uint256 quantity) external view returns (uint256 valueJpy);

    /// @notice Collateral value in JPY of an account holding `quantities` of `assets` for `purpose`
    /// against a requirement of `requirementJpy`: each eligible holding at its haircut value, counted
    /// up to its concentration limit of the requirement (`Valuation.concentrationCapped`); holdings
    /// that are zero or not eligible count for nothing and need no price. `valued` is false (and the
    /// value 0) when a holding that counts has no current price or rate, or, when `strict`, the call
    /// reverts with the error `quote` gives for it (which names the asset or currency).
    function valueCollateral(
        address[] calldata assets,
        uint256[] calldata quantities,
        Purpose purpose,
        uint256 requirementJpy,
        bool strict
    ) external view returns (bool valued, uint256 valueJpy);

    /// @notice The value a deadline is judged by, which a lapsed price never blocks: as `valueCollateral`,
    /// except that a holding that counts but has no current price or rate counts for nothing (`unpriced`
    /// says how many did). What a CCP does with collateral it cannot value: it does not rely on it. Equal
    /// to `valueCollateral`'s value whenever every holding that counts is priced.
    function valueCollateralPrudently(
        address[] calldata assets,
        uint256[] calldata quantities,
        Purpose purpose,
        uint256 requirementJpy
    ) external view returns (uint256 valueJpy, uint256 unpriced);

    /// @notice The smallest quantity of `asset` that adds at least `valueJpy` to an account already
    /// holding `heldQuantity` of it against a requirement of `requirementJpy`
    /// (`Valuation.quantityFor`): for an asset with a concentration limit, only the room left under
    /// its cap (limit x requirement) counts, so `valueJpy` is cut to that room. `priced` is false
    /// (and the quantity 0) when `asset` is not eligible for `purpose`, has no current price or
    /// rate, or is already at its cap. Never reverts.
    function quantityToCover(
        address asset,
        Purpose purpose,
        uint256 valueJpy,
        uint256 heldQuantity,
        uint256 requirementJpy
    ) external view returns (bool priced, uint256 quantity);

    /// @notice The last published price of `asset` and its date, stale or not.
    function priceOf(address asset) external view returns (uint256 priceE18, uint64 asOf);

    /// @notice The last published FX rate of `currency` and its date, stale or not.
    function fxRateOf(bytes3 currency) external view returns (uint256 rateE18, uint64 asOf);

    /// @notice Risk parameters of `asset`.
    function riskParameters(address asset) external view returns (RiskParameters memory);

    /// @notice Maximum age of prices and rates, in seconds.
    function maxPriceAge() external view returns (uint64);
}
