// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {IGoodsToken} from "./IGoodsToken.sol";

/// @title GoodsToken
/// @notice See {IGoodsToken}. One contract, two instances: delivery orders and warehouse receipts.
contract GoodsToken is IGoodsToken, ERC721, AccessControl, Pausable {
    /// @notice Freezes accounts and tokens and makes forced transfers (the CCP's default desk).
    bytes32 public constant AGENT_ROLE = Roles.AGENT;
    /// @notice Pauses and unpauses ordinary transfers.
    bytes32 public constant PAUSER_ROLE = Roles.PAUSER;

    IParticipantRegistry private immutable _registry;
    DocumentKind private immutable _documentKind;

    mapping(uint256 tokenId => Goods) private _goods;
    mapping(uint256 tokenId => Status) private _status;
    mapping(uint256 tokenId => bool) private _tokenFrozen;
    mapping(address account => bool) private _accountFrozen;
    mapping(address warehouse => uint256) private _outstanding;
    uint256 private _lastTokenId;

    /// @dev Set only for the duration of {forcedTransfer}, so that {_update} applies the forced rules.
    bool private transient _forcing;
    /// @dev Set only for the duration of {release}: the burn of a presented token.
    bool private transient _releasing;

    /// @param admin receives the admin role and, until it hands them out, the agent and pauser roles.
    constructor(
        string memory name_,
        string memory symbol_,
        DocumentKind kind,
        IParticipantRegistry registry_,
        address admin
    ) ERC721(name_, symbol_) {
        _registry = registry_;
        _documentKind = kind;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.AGENT, admin);
        _grantRole(Roles.PAUSER, admin);
    }

    // ---------------------------------------------------------------- warehouse

    /// @inheritdoc IGoodsToken
    function issue(address to, Goods calldata goods_) external returns (uint256 tokenId) {
        address warehouse = _msgSender();
        IParticipantRegistry.Participant memory p = _registry.participant(warehouse);
        if (p.kind != IParticipantRegistry.Kind.Warehouse || p.status != IParticipantRegistry.Status.Active) {
            revert GoodsIssuerNotWarehouse(warehouse);
        }
        if (goods_.quantity == 0 || goods_.commodity == bytes32(0) || goods_.unit == bytes8(0)) {
            revert GoodsDescriptionIncomplete();
        }
        tokenId = ++_lastTokenId;
        Goods storage g = _goods[tokenId];
        g.warehouse = warehouse;
        g.commodity = goods_.commodity;
        g.brand = goods_.brand;
        g.quantity = goods_.quantity;
        g.unit = goods_.unit;
        g.issuedAt = uint64(block.timestamp);
        g.lots = goods_.lots;
        g.location = goods_.location;
        _status[tokenId] = Status.Live;
        ++_outstanding[warehouse];
        _mint(to, tokenId);
        emit GoodsIssued(tokenId, warehouse, to, goods_.commodity, goods_.brand, goods_.quantity, goods_.unit);
    }

    /// @inheritdoc IGoodsToken
    function release(uint256 tokenId, bytes32 ref) external {
        address warehouse = _requireItsWarehouse(tokenId);
        _requireStatus(tokenId, Status.Presented);
        address holder = _ownerOf(tokenId);
        // A freeze or a default that came after the presentation stops the release: the agent may
        // still take the token (a forced transfer withdraws the presentation).
        _registry.requireActive(holder, address(0));
        if (_accountFrozen[holder]) revert GoodsAccountFrozen(holder);
        if (_tokenFrozen[tokenId]) revert GoodsTokenFrozen(tokenId);
        _status[tokenId] = Status.Released;
        --_outstanding[warehouse];
        _releasing = true;
        _burn(tokenId);
        _releasing = false;
        emit GoodsReleased(tokenId, holder, warehouse, ref);
    }

    /// @inheritdoc IGoodsToken
    function refuse(uint256 tokenId, bytes32 reason) external {
        address warehouse = _requireItsWarehouse(tokenId);
        _requireStatus(tokenId, Status.Presented);
        _status[tokenId] = Status.Live;
        emit PresentationWithdrawn(tokenId, _ownerOf(tokenId), warehouse, reason);
    }

    // ---------------------------------------------------------------- holder

    /// @inheritdoc IGoodsToken
    function present(uint256 tokenId) external {
        address holder = _requireHolder(tokenId);
        _requireStatus(tokenId, Status.Live);
        _requireNotCustodian(holder);
        _registry.requireActive(holder, address(0));
        if (_accountFrozen[holder]) revert GoodsAccountFrozen(holder);
        if (_tokenFrozen[tokenId]) revert GoodsTokenFrozen(tokenId);
        _status[tokenId] = Status.Presented;
        emit GoodsPresented(tokenId, holder, _goods[tokenId].warehouse);
    }

    /// @inheritdoc IGoodsToken
    function withdrawPresentation(uint256 tokenId) external {
        _requireStatus(tokenId, Status.Presented);
        address holder = _requireHolder(tokenId);
        _status[tokenId] = Status.Live;
        emit PresentationWithdrawn(tokenId, holder, holder, "withdrawn by holder");
    }

    // ---------------------------------------------------------------- agent

    /// @inheritdoc IGoodsToken
    function setAccountFrozen(address account, bool frozen, bytes32 reason) external onlyRole(Roles.AGENT) {
        _requireNotCustodian(account);
        if (_accountFrozen[account] == frozen) revert GoodsFreezeUnchanged(account, 0, frozen);
        _accountFrozen[account] = frozen;
        emit AccountFreezeChanged(account, frozen, reason, _msgSender());
    }

    /// @inheritdoc IGoodsToken
    function setTokenFrozen(uint256 tokenId, bool frozen, bytes32 reason) external onlyRole(Roles.AGENT) {
        address holder = _holderOf(tokenId);
        _requireNotCustodian(holder);
        if (_tokenFrozen[tokenId] == frozen) revert GoodsFreezeUnchanged(holder, tokenId, frozen);
        _tokenFrozen[tokenId] = frozen;
        emit TokenFreezeChanged(tokenId, frozen, reason, _msgSender());
    }

    /// @inheritdoc IGoodsToken
    function forcedTransfer(uint256 tokenId, address to, bytes32 reason) external onlyRole(Roles.AGENT) {
        address from = _holderOf(tokenId);
        _requireNotCustodian(from);
        _requireNotCustodian(to);
        if (_status[tokenId] == Status.Presented) {
            // Default management does not wait on the warehouse: the presentation ends here.
            _status[tokenId] = Status.Live;
            emit PresentationWithdrawn(tokenId, from, _msgSender(), reason);
        }
        _forcing = true;
        _transfer(from, to, tokenId);
        _forcing = false;
        emit GoodsForcedTransfer(from, to, tokenId, reason, _msgSender());
    }

    // ---------------------------------------------------------------- pause

    /// @inheritdoc IGoodsToken
    function pause() external onlyRole(Roles.PAUSER) {
        _pause();
    }

    /// @inheritdoc IGoodsToken
    function unpause() external onlyRole(Roles.PAUSER) {
        _unpause();
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IGoodsToken
    function documentKind() external view returns (DocumentKind) {
        return _documentKind;
    }

    /// @inheritdoc IGoodsToken
    function registry() external view returns (IParticipantRegistry) {
        return _registry;
    }

    /// @inheritdoc IGoodsToken
    function goods(uint256 tokenId) external view returns (Goods memory) {
        if (_status[tokenId] == Status.None) revert GoodsUnknownToken(tokenId);
        return _goods[tokenId];
    }

    /// @inheritdoc IGoodsToken
    function statusOf(uint256 tokenId) external view returns (Status) {
        return _status[tokenId];
    }

    /// @inheritdoc IGoodsToken
    function lastTokenId() external view returns (uint256) {
        return _lastTokenId;
    }

    /// @inheritdoc IGoodsToken
    function isFrozen(address account) external view returns (bool) {
        return _accountFrozen[account];
    }

    /// @inheritdoc IGoodsToken
    function isTokenFrozen(uint256 tokenId) external view returns (bool) {
        return _tokenFrozen[tokenId];
    }

    /// @inheritdoc IGoodsToken
    function outstandingOf(address warehouse) external view returns (uint256) {
        return _outstanding[warehouse];
    }

    // ---------------------------------------------------------------- the one restriction point

    /// @dev Every move passes here: issues (from zero), transfers, forced transfers and releases (to
    /// zero). See the rules in {IGoodsToken}. `auth` is the spender ERC721 checked (zero for issues,
    /// releases and forced transfers); it must be active and not frozen as a party would be.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = _ownerOf(tokenId);
        if (_forcing) {
            _registry.requireActive(address(0), to);
            if (_accountFrozen[to]) revert GoodsAccountFrozen(to);
        } else if (!_releasing) {
            // An ordinary transfer or an issue (a burn happens only through a release).
            // Issue sets the status Live before minting; a released token is never Live again.
            Status status = _status[tokenId];
            if (status == Status.None) revert GoodsUnknownToken(tokenId);
            if (status != Status.Live) revert GoodsWrongStatus(tokenId, status, Status.Live);
            if (from != address(0)) {
                _requireNotPaused();
                if (_tokenFrozen[tokenId]) revert GoodsTokenFrozen(tokenId);
                if (_accountFrozen[from]) revert GoodsAccountFrozen(from);
            }
            _registry.requireActive(from, to);
            if (_accountFrozen[to]) revert GoodsAccountFrozen(to);
            // Custody takes tokens in only by pulling them itself (a pledge, a delivery), so that
            // its ledger records every token it holds: nothing is issued or sent into it.
            if (auth != to && _isCustodian(to)) revert GoodsCustodyProtected(to);
            if (auth != address(0) && auth != from) {
                _registry.requireActive(auth, address(0));
                if (_accountFrozen[auth]) revert GoodsAccountFrozen(auth);
            }
        }
        return super._update(to, tokenId, auth);
    }

    /// @dev The holder of a token that exists and is not released.
    function _holderOf(uint256 tokenId) private view returns (address holder) {
        Status status = _status[tokenId];
        if (status == Status.None) revert GoodsUnknownToken(tokenId);
        if (status == Status.Released) revert GoodsWrongStatus(tokenId, status, Status.Live);
        holder = _ownerOf(tokenId);
    }

    /// @dev The caller, when it holds `tokenId`.
    function _requireHolder(uint256 tokenId) private view returns (address holder) {
        holder = _holderOf(tokenId);
        if (_msgSender() != holder) revert GoodsNotHolder(tokenId, holder, _msgSender());
    }

    function _requireItsWarehouse(uint256 tokenId) private view returns (address warehouse) {
        if (_status[tokenId] == Status.None) revert GoodsUnknownToken(tokenId);
        warehouse = _goods[tokenId].warehouse;
        if (_msgSender() != warehouse) revert GoodsNotItsWarehouse(tokenId, warehouse, _msgSender());
    }

    function _requireStatus(uint256 tokenId, Status required) private view {
        Status status = _status[tokenId];
        if (status != required) revert GoodsWrongStatus(tokenId, status, required);
    }

    function _requireNotCustodian(address account) private view {
        if (_isCustodian(account)) revert GoodsCustodyProtected(account);
    }

    function _isCustodian(address account) private view returns (bool) {
        return _registry.participant(account).kind == IParticipantRegistry.Kind.SystemContract;
    }

    /// @dev AccessControl and ERC721 both answer ERC-165.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        virtual
        override(ERC721, AccessControl, IERC165)
        returns (bool)
    {
        return interfaceId == type(IGoodsToken).interfaceId || super.supportsInterface(interfaceId);
    }
}
