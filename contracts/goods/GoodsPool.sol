// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {PermissionedToken} from "../tokens/PermissionedToken.sol";
import {IGoodsPool} from "./IGoodsPool.sol";
import {IGoodsToken} from "./IGoodsToken.sol";

/// @title GoodsPool
/// @notice See {IGoodsPool}. A permissioned token whose units are minted by pledging a warehouse
/// receipt of the pool's commodity and burnt by redeeming one: deployed once per commodity, admitted
/// to the register as a `SystemContract`, and listed in the market data under the commodity's price
/// per unit of goods (one smallest unit of the token per unit of goods: deploy it with 0 decimals
/// when the goods count whole grams).
contract GoodsPool is IGoodsPool, PermissionedToken {
    using EnumerableSet for EnumerableSet.UintSet;

    IGoodsToken private immutable _receipts;
    bytes32 private immutable _commodity;
    bytes8 private immutable _unit;
    IParticipantRegistry private immutable _register;

    EnumerableSet.UintSet private _held;
    uint256 private _heldQuantity;

    /// @param admin the role admin, and the agent and pauser until it hands those roles out; never
    /// the issuer (see {grantRole}).
    /// @param receipts_ the warehouse receipts this pool takes.
    /// @param commodity_ the commodity it takes (`"GOLD"`), as the receipts name it.
    /// @param unit_ the unit one pool unit is (`"g"`): receipts counting in another are refused.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IParticipantRegistry registry_,
        AssetInfo memory info,
        address admin,
        IGoodsToken receipts_,
        bytes32 commodity_,
        bytes8 unit_
    ) PermissionedToken(name_, symbol_, decimals_, registry_, info, admin) {
        _receipts = receipts_;
        _commodity = commodity_;
        _unit = unit_;
        _register = registry_;
        // The constructor above made `admin` the issuer, as on every asset; here pledges mint and
        // redemptions burn, and nobody else does.
        _revokeRole(Roles.ISSUER, admin);
    }

    /// @notice Grant a role other than the issuer's: units are minted only against receipts pledged,
    /// so the role admin cannot make anyone their issuer.
    function grantRole(bytes32 role, address account) public override {
        if (role == Roles.ISSUER) revert GoodsPoolIssuerIsPool();
        super.grantRole(role, account);
    }

    // ---------------------------------------------------------------- holder

    /// @inheritdoc IGoodsPool
    function pledge(uint256 tokenId) external returns (uint256 quantity) {
        address holder = _msgSender();
        IGoodsToken.Goods memory goods = _receipts.goods(tokenId);
        if (goods.commodity != _commodity) revert GoodsPoolWrongCommodity(tokenId, goods.commodity, _commodity);
        if (goods.unit != _unit) revert GoodsPoolWrongUnit(tokenId, goods.unit, _unit);
        if (!_register.isActive(goods.warehouse)) revert GoodsPoolWarehouseNotActive(tokenId, goods.warehouse);
        quantity = goods.quantity;
        // slither-disable-next-line unused-return: the token was just pledged in, so never already held
        _held.add(tokenId);
        _heldQuantity += quantity;
        _mint(holder, quantity);
        emit ReceiptPledged(tokenId, holder, quantity);
        // The receipts' own rules judge the rest: the caller holds it and approved the pool, it is
        // live and not frozen, both parties active, transfers not paused. A plain transfer: the
        // receipts contract is fixed at deployment, and nothing calls back into the pool.
        _receipts.transferFrom(holder, address(this), tokenId);
    }

    /// @inheritdoc IGoodsPool
    function redeem(uint256 tokenId) external returns (uint256 quantity) {
        if (!_held.remove(tokenId)) revert GoodsPoolReceiptNotHeld(tokenId);
        address holder = _msgSender();
        quantity = _receipts.goods(tokenId).quantity;
        _heldQuantity -= quantity;
        // A burn under the token's rules: the holder active and not frozen, its free units enough.
        _burn(holder, quantity);
        emit ReceiptRedeemed(tokenId, holder, quantity);
        _receipts.transferFrom(address(this), holder, tokenId);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IGoodsPool
    function receipts() external view returns (IGoodsToken) {
        return _receipts;
    }

    /// @inheritdoc IGoodsPool
    function commodity() external view returns (bytes32) {
        return _commodity;
    }

    /// @inheritdoc IGoodsPool
    function unit() external view returns (bytes8) {
        return _unit;
    }

    /// @inheritdoc IGoodsPool
    function heldQuantity() external view returns (uint256) {
        return _heldQuantity;
    }

    /// @inheritdoc IGoodsPool
    function heldCount() external view returns (uint256) {
        return _held.length();
    }

    /// @inheritdoc IGoodsPool
    function heldAt(uint256 index) external view returns (uint256 tokenId) {
        return _held.at(index);
    }

    // ---------------------------------------------------------------- the one restriction point

    /// @dev The permissioned token's rules, and units never sent to the pool itself: nothing there
    /// could ever redeem them, and the receipts behind them would be stuck for good.
    function _update(address from, address to, uint256 value) internal override {
        if (to == address(this)) revert ERC20InvalidReceiver(to);
        super._update(from, to, value);
    }

    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IGoodsPool).interfaceId || super.supportsInterface(interfaceId);
    }
}
