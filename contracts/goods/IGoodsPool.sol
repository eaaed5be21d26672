// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPermissionedToken} from "../tokens/IPermissionedToken.sol";
import {IGoodsToken} from "./IGoodsToken.sol";

/// @title IGoodsPool
/// @notice Warehouse receipts of one commodity as fungible collateral. A holder pledges a receipt
/// into the pool and receives pool units, one per unit of the receipt's goods (a gram of gold);
/// whoever returns a receipt's quantity of units takes that receipt back out. The units are a
/// permissioned token like every other asset, listed in the market data under the commodity's
/// price per unit, so the collateral vault deposits, values (quantity x price x FX x (1 - haircut)),
/// limits, substitutes and seizes receipts exactly as it does fungible collateral, and its entry
/// points do not change.
/// @dev Invariant, checkable by anyone: `totalSupply() == heldQuantity()`, the sum of the
/// quantities of the receipts the pool holds. The pool is a `SystemContract` of the registry: the
/// agent cannot force a receipt out of it and nothing it holds can be presented to the warehouse,
/// so a receipt pledged as margin is released only after it is withdrawn and redeemed. Units are
/// minted only by pledges and burnt only by redemptions: nobody holds (or can be granted) the issuer
/// role. Receipts in the pool are interchangeable: units are a claim on goods of the commodity, not
/// on one bar, as delivery under an exchange's good-delivery rules treats bars of one commodity.
interface IGoodsPool is IPermissionedToken {
    // ---------------------------------------------------------------- errors

    /// @notice Receipt `tokenId` is of `commodity`; this pool takes only `poolCommodity`.
    error GoodsPoolWrongCommodity(uint256 tokenId, bytes32 commodity, bytes32 poolCommodity);
    /// @notice Receipt `tokenId` counts its goods in `unit`; a unit of this pool is one `poolUnit`.
    error GoodsPoolWrongUnit(uint256 tokenId, bytes8 unit, bytes8 poolUnit);
    /// @notice Receipt `tokenId`'s warehouse `warehouse` is not active in the register: its receipts
    /// are not taken.
    error GoodsPoolWarehouseNotActive(uint256 tokenId, address warehouse);
    /// @notice Receipt `tokenId` is not in the pool.
    error GoodsPoolReceiptNotHeld(uint256 tokenId);
    /// @notice Nobody holds the issuer role of a pool's units: pledges mint them and redemptions burn them.
    error GoodsPoolIssuerIsPool();

    // ---------------------------------------------------------------- events

    /// @notice `holder` pledged receipt `tokenId` and received `quantity` units.
    event ReceiptPledged(uint256 indexed tokenId, address indexed holder, uint256 quantity);
    /// @notice `holder` returned `quantity` units and took receipt `tokenId` out.
    event ReceiptRedeemed(uint256 indexed tokenId, address indexed holder, uint256 quantity);

    // ---------------------------------------------------------------- holder

    /// @notice Moves receipt `tokenId` from the caller into the pool and mints its quantity of units
    /// to the caller. Returns the quantity.
    /// @dev The caller holds the receipt (and has approved the pool); the receipt is `Live`, not
    /// frozen, of the pool's commodity, counted in the pool's unit, and its warehouse is active.
    function pledge(uint256 tokenId) external returns (uint256 quantity);

    /// @notice Burns receipt `tokenId`'s quantity of the caller's units and hands the receipt to it.
    /// Returns the quantity.
    /// @dev Any receipt the pool holds; the caller needs that many free units.
    function redeem(uint256 tokenId) external returns (uint256 quantity);

    // ---------------------------------------------------------------- views

    /// @notice The warehouse receipts this pool takes.
    function receipts() external view returns (IGoodsToken);

    /// @notice The commodity this pool takes.
    function commodity() external view returns (bytes32);

    /// @notice The unit of goods one pool unit stands for (`"g"`).
    function unit() external view returns (bytes8);

    /// @notice The sum of the quantities of the receipts the pool holds (equal to `totalSupply()`).
    function heldQuantity() external view returns (uint256);

    /// @notice How many receipts the pool holds.
    function heldCount() external view returns (uint256);

    /// @notice The `index`th receipt the pool holds (any order).
    function heldAt(uint256 index) external view returns (uint256 tokenId);
}
