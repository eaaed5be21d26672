// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {IPermissionedToken} from "./IPermissionedToken.sol";

/// @title PermissionedToken
/// @notice See {IPermissionedToken}. One contract, many instances: each asset is a deployment of
/// this code with its own name, decimals and {AssetInfo}.
contract PermissionedToken is IPermissionedToken, ERC20, AccessControl, Pausable {
    /// @notice Mints against off-chain deposits and burns on withdrawal (the token issuer/custodian).
    bytes32 public constant ISSUER_ROLE = Roles.ISSUER;
    /// @notice Freezes accounts and tokens and makes forced transfers (the CCP's default desk).
    bytes32 public constant AGENT_ROLE = Roles.AGENT;
    /// @notice Pauses and unpauses ordinary transfers.
    bytes32 public constant PAUSER_ROLE = Roles.PAUSER;

    /// @dev One slot per holder: both freeze facts are read with a single storage access.
    struct FreezeState {
        bool frozen;
        uint248 frozenTokens;
    }

    IParticipantRegistry private immutable _registry;
    uint8 private immutable _decimals;
    AssetClass private immutable _assetClass;
    bytes3 private immutable _currency;
    bytes12 private immutable _isin;
    uint64 private immutable _maturity;
    uint256 private immutable _faceUnit;

    mapping(address account => FreezeState) private _freeze;

    /// @dev Set only for the duration of {forcedTransfer}, so that {_update} applies the forced rules.
    bool private transient _forcing;

    /// @param admin receives the admin role and, until it hands them out, every operating role.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IParticipantRegistry registry_,
        AssetInfo memory info,
        address admin
    ) ERC20(name_, symbol_) {
        _registry = registry_;
        _decimals = decimals_;
        _assetClass = info.assetClass;
        _currency = info.currency;
        _isin = info.isin;
        _maturity = info.maturity;
        _faceUnit = info.faceUnit;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.ISSUER, admin);
        _grantRole(Roles.AGENT, admin);
        _grantRole(Roles.PAUSER, admin);
    }

    // ---------------------------------------------------------------- issuer

    /// @inheritdoc IPermissionedToken
    function mint(address to, uint256 amount, bytes32 ref) external onlyRole(Roles.ISSUER) {
        if (amount == 0) revert TokenZeroAmount();
        _requireNotCustodian(to);
        _mint(to, amount);
        emit Issued(to, amount, ref, _msgSender());
    }

    /// @inheritdoc IPermissionedToken
    function burn(address from, uint256 amount, bytes32 ref) external onlyRole(Roles.ISSUER) {
        if (amount == 0) revert TokenZeroAmount();
        _requireNotCustodian(from);
        _burn(from, amount);
        emit Redeemed(from, amount, ref, _msgSender());
    }

    // ---------------------------------------------------------------- agent

    /// @inheritdoc IPermissionedToken
    function setAccountFrozen(address account, bool frozen, bytes32 reason) external onlyRole(Roles.AGENT) {
        _requireNotCustodian(account);
        FreezeState storage state = _freeze[account];
        if (state.frozen == frozen) revert TokenFreezeUnchanged(account, frozen);
        state.frozen = frozen;
        emit AccountFreezeChanged(account, frozen, reason, _msgSender());
    }

    /// @inheritdoc IPermissionedToken
    function freezeTokens(address account, uint256 amount, bytes32 reason) external onlyRole(Roles.AGENT) {
        if (amount == 0) revert TokenZeroAmount();
        _requireNotCustodian(account);
        FreezeState storage state = _freeze[account];
        uint256 balance = balanceOf(account);
        uint256 frozen = state.frozenTokens;
        if (amount > balance - frozen) revert TokenFreezeExceedsBalance(account, balance, frozen, amount);
        uint256 total = frozen + amount;
        state.frozenTokens = SafeCast.toUint248(total);
        emit TokensFrozen(account, amount, total, reason, _msgSender());
    }

    /// @inheritdoc IPermissionedToken
    function unfreezeTokens(address account, uint256 amount, bytes32 reason) external onlyRole(Roles.AGENT) {
        if (amount == 0) revert TokenZeroAmount();
        _release(account, amount, reason);
    }

    /// @inheritdoc IPermissionedToken
    function forcedTransfer(address from, address to, uint256 amount, bytes32 reason) external onlyRole(Roles.AGENT) {
        if (amount == 0) revert TokenZeroAmount();
        _requireNotCustodian(from);
        _requireNotCustodian(to);
        uint256 balance = balanceOf(from);
        uint256 frozen = _freeze[from].frozenTokens;
        // Release only what the amount needs; a shortfall beyond the whole balance is left to
        // ERC20's own insufficient-balance error.
        if (amount > balance - frozen && amount <= balance) {
            _release(from, amount - (balance - frozen), reason);
        }
        _forcing = true;
        _transfer(from, to, amount);
        _forcing = false;
        emit ForcedTransfer(from, to, amount, reason, _msgSender());
    }

    // ---------------------------------------------------------------- spenders

    /// @notice ERC-20 `transferFrom`, with the spender checked as a party to the transfer: active in
    /// the registry and not frozen (the owner and the receiver are checked in {_update}).
    function transferFrom(address from, address to, uint256 value) public override(ERC20, IERC20) returns (bool) {
        address spender = _msgSender();
        _registry.requireActive(spender, address(0));
        if (_freeze[spender].frozen) revert TokenAccountFrozen(spender);
        return super.transferFrom(from, to, value);
    }

    // ---------------------------------------------------------------- pause

    /// @inheritdoc IPermissionedToken
    function pause() external onlyRole(Roles.PAUSER) {
        _pause();
    }

    /// @inheritdoc IPermissionedToken
    function unpause() external onlyRole(Roles.PAUSER) {
        _unpause();
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ERC20
    function decimals() public view override(ERC20, IERC20Metadata) returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc IPermissionedToken
    function registry() external view returns (IParticipantRegistry) {
        return _registry;
    }

    /// @inheritdoc IPermissionedToken
    function assetInfo() external view returns (AssetInfo memory) {
        return AssetInfo(_assetClass, _currency, _isin, _maturity, _faceUnit);
    }

    /// @inheritdoc IPermissionedToken
    function isFrozen(address account) external view returns (bool) {
        return _freeze[account].frozen;
    }

    /// @inheritdoc IPermissionedToken
    function frozenTokens(address account) external view returns (uint256) {
        return _freeze[account].frozenTokens;
    }

    /// @inheritdoc IPermissionedToken
    function freeBalanceOf(address account) external view returns (uint256) {
        FreezeState memory state = _freeze[account];
        if (state.frozen) return 0;
        return balanceOf(account) - state.frozenTokens;
    }

    // ---------------------------------------------------------------- the one restriction point

    /// @dev Every balance change passes here. See the rules in {IPermissionedToken}.
    function _update(address from, address to, uint256 value) internal virtual override {
        if (_forcing) {
            _registry.requireActive(address(0), to);
            if (_freeze[to].frozen) revert TokenAccountFrozen(to);
        } else {
            // Mints and burns are the issuer's and keep working through a pause.
            if (from != address(0) && to != address(0)) _requireNotPaused();
            _registry.requireActive(from, to);
            if (from != address(0)) {
                FreezeState memory state = _freeze[from];
                if (state.frozen) revert TokenAccountFrozen(from);
                if (state.frozenTokens != 0) {
                    uint256 free = balanceOf(from) - state.frozenTokens;
                    if (value > free) revert TokenInsufficientFreeBalance(from, free, value);
                }
            }
            if (to != address(0) && _freeze[to].frozen) revert TokenAccountFrozen(to);
        }
        super._update(from, to, value);
    }

    function _requireNotCustodian(address account) private view {
        if (_registry.participant(account).kind == IParticipantRegistry.Kind.SystemContract) {
            revert TokenCustodyProtected(account);
        }
    }

    function _release(address account, uint256 amount, bytes32 reason) private {
        FreezeState storage state = _freeze[account];
        uint256 frozen = state.frozenTokens;
        if (amount > frozen) revert TokenUnfreezeExceedsFrozen(account, frozen, amount);
        uint256 total = frozen - amount;
        state.frozenTokens = SafeCast.toUint248(total);
        emit TokensUnfrozen(account, amount, total, reason, _msgSender());
    }

    /// @dev AccessControl and the token interfaces both answer ERC-165.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IPermissionedToken).interfaceId || super.supportsInterface(interfaceId);
    }
}
