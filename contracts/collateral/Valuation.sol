// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IMarketData} from "../oracle/IMarketData.sol";

/// @title Valuation
/// @notice Collateral arithmetic: haircut value of a holding in JPY, the quantity that covers a
/// JPY amount, and concentration limits. Every rounding goes the CCP's way: values down,
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

    /// @notice Sum of `values`, each counted only up to `limitsBps` of the uncapped total.
    function concentrationCapped(uint256[] memory values, uint16[] memory limitsBps)
        internal
        pure
        returns (uint256 counted)
    {
        uint256 total;
        for (uint256 i; i < values.length; ++i) {
            total += values[i];
        }
        for (uint256 i; i < values.length; ++i) {
            uint256 cap = Math.mulDiv(total, limitsBps[i], BPS);
            counted += values[i] < cap ? values[i] : cap;
        }
    }
}
