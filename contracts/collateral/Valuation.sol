// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IMarketData} from "../oracle/IMarketData.sol";

/// @title Valuation
/// @notice Collateral arithmetic: haircut value of a holding in JPY, the quantity that covers a
/// JPY amount, and concentration limits against the requirement. Every rounding goes the CCP's way: values down,
/// quantities needed up.
library Valuation {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant ONE = 1e18;

    /// @notice JPY value (whole yen, rounded down) of `quantity` smallest units after haircut:
    /// quantity / 10^decimals x price x FX x (1 - haircut).
    function haircutValue(uint256 quantity, IMarketData.Quote memory q) internal pure returns (uint256) {
        uint256 currencyE18 = Math.mulDiv(quantity, q.priceE18, 10 ** q.decimals);
        uint256 jpyE18 = Math.mulDiv(currencyE18, q.fxE18, ONE);
        return Math.mulDiv(jpyE18, BPS - q.haircutBps, BPS * ONE);
    }

    /// @notice The smallest quantity whose haircut value is at least `valueJpy`, in closed form: each
    /// of the three roundings down in {haircutValue} is undone by a ceiling in reverse order, since
    /// floor(x / d) >= c exactly when x >= c * d. Constant cost whatever the price or decimals.
    function quantityFor(uint256 valueJpy, IMarketData.Quote memory q) internal pure returns (uint256) {
        if (valueJpy == 0) return 0;
        uint256 jpyE18 = Math.mulDiv(valueJpy, BPS * ONE, BPS - q.haircutBps, Math.Rounding.Ceil);
        uint256 currencyE18 = Math.mulDiv(jpyE18, ONE, q.fxE18, Math.Rounding.Ceil);
        return Math.mulDiv(currencyE18, 10 ** q.decimals, q.priceE18, Math.Rounding.Ceil);
    }

    /// @notice Sum of `values`, each counted only up to its concentration limit: at most `limitsBps` of
    /// the account's requirement `requirementJpy` (rounded down), a limit of 100% meaning none. So no
    /// asset with a limit ever meets more than that share of the requirement, however much of it is
    /// held, and an account with no requirement counts only unlimited assets. This is how CME Clearing
    /// states its limits (Clearing Advisory 12-155: at most 40% of the core requirement from each of
    /// its category-2 and category-3 asset groups); a limit measured against the account's own total
    /// would let an asset exceed its share of what is counted.
    function concentrationCapped(uint256[] memory values, uint16[] memory limitsBps, uint256 requirementJpy)
        internal
        pure
        returns (uint256 counted)
    {
        for (uint256 i; i < values.length; ++i) {
            uint256 value = values[i];
            if (limitsBps[i] < BPS) {
                uint256 cap = Math.mulDiv(requirementJpy, limitsBps[i], BPS);
                if (value > cap) value = cap;
            }
            counted += value;
        }
    }
}
