// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {ICollateralVault} from "../collateral/ICollateralVault.sol";
import {IDefaultManager} from "./IDefaultManager.sol";

/// @title DefaultManager
/// @notice See {IDefaultManager}.
contract DefaultManager is IDefaultManager, AccessControl, ReentrancyGuardTransient {
    /// @notice Declares and withdraws defaults (the CCP's default desk).
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;

    IParticipantRegistry private immutable _registry;
    ICollateralVault private immutable _vault;

    DefaultCase[] private _cases; // case id = index + 1
    mapping(address member => uint256 caseId) private _openCase;
    mapping(uint256 caseId => mapping(Origin origin => mapping(address asset => uint256))) private _seized;
    mapping(uint256 caseId => address[]) private _seizedAssets;

    /// @param admin receives the admin role and the CCP operator role.
    constructor(IParticipantRegistry registry_, ICollateralVault vault_, address admin) {
        _registry = registry_;
        _vault = vault_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
    }

    // ---------------------------------------------------------------- declaring

    /// @inheritdoc IDefaultManager
    function declareDefault(uint256 callId, bytes32 reason)
        external
        onlyRole(Roles.CCP_OPERATOR)
        nonReentrant
        returns (uint256)
    {
        return _declare(_vault.confirmMissedCall(callId), callId, reason);
    }

    /// @inheritdoc IDefaultManager
    function declareMemberDefault(address member, bytes32 reason)
        external
        onlyRole(Roles.CCP_OPERATOR)
        nonReentrant
        returns (uint256)
    {
        return _declare(member, 0, reason);
    }

    /// @inheritdoc IDefaultManager
    function withdrawDefault(uint256 caseId, bytes32 reason) external onlyRole(Roles.CCP_OPERATOR) nonReentrant {
        DefaultCase storage c = _case(caseId);
        if (c.status != CaseStatus.Open) revert DefaultCaseNotOpen(caseId, c.status);
        c.status = CaseStatus.Withdrawn;
        address member = c.member;
        delete _openCase[member];
        address[] storage assets = _seizedAssets[caseId];
        uint256 house = _vault.accountId(member, ICollateralVault.AccountKind.House);
        uint256 fund = _vault.accountId(member, ICollateralVault.AccountKind.ClearingFund);
        for (uint256 i; i < assets.length; ++i) {
            _giveBack(caseId, Origin.HouseMargin, house, assets[i]);
            _giveBack(caseId, Origin.ClearingFund, fund, assets[i]);
        }
        uint256[] memory accounts = _vault.accountsOf(member);
        for (uint256 i; i < accounts.length; ++i) {
            if (_vault.account(accounts[i]).frozen) _vault.unfreeze(accounts[i], caseId);
        }
        _registry.endDefault(member, reason);
        emit DefaultWithdrawn(caseId, member, reason, _msgSender());
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDefaultManager
    function defaultCase(uint256 caseId) external view returns (DefaultCase memory) {
        return _case(caseId);
    }

    /// @inheritdoc IDefaultManager
    function caseCount() external view returns (uint256) {
        return _cases.length;
    }

    /// @inheritdoc IDefaultManager
    function openCaseOf(address member) external view returns (uint256) {
        return _openCase[member];
    }

    /// @inheritdoc IDefaultManager
    function seized(uint256 caseId, Origin origin, address asset) external view returns (uint256) {
        return _seized[caseId][origin][asset];
    }

    /// @inheritdoc IDefaultManager
    function seizedAssets(uint256 caseId) external view returns (address[] memory) {
        return _seizedAssets[caseId];
    }

    /// @inheritdoc IDefaultManager
    function managementAccount() external view returns (uint256) {
        return _vault.defaultManagementAccount(address(this));
    }

    // ---------------------------------------------------------------- internals

    function _declare(address member, uint256 callId, bytes32 reason) private returns (uint256 caseId) {
        if (_registry.participant(member).kind != IParticipantRegistry.Kind.ClearingMember) {
            revert DefaultNotAClearingMember(member);
        }
        if (_openCase[member] != 0) revert DefaultAlreadyDeclared(member, _openCase[member]);
        _cases.push(DefaultCase(member, uint64(block.timestamp), CaseStatus.Open, callId, reason));
        caseId = _cases.length;
        _openCase[member] = caseId;
        _registry.declareDefault(member, reason);
        emit DefaultDeclared(caseId, member, callId, reason, _msgSender());

        _vault.freezeMember(member, caseId);
        _take(caseId, Origin.HouseMargin, _vault.accountId(member, ICollateralVault.AccountKind.House));
        _take(caseId, Origin.ClearingFund, _vault.accountId(member, ICollateralVault.AccountKind.ClearingFund));
    }

    /// @dev Seizes everything account `id` holds (nothing, if it was never opened) and records it under
    /// `origin`.
    function _take(uint256 caseId, Origin origin, uint256 id) private {
        (address[] memory assets, uint256[] memory amounts) = _vault.seize(id, caseId);
        for (uint256 i; i < assets.length; ++i) {
            if (amounts[i] == 0) continue;
            if (
                _seized[caseId][Origin.HouseMargin][assets[i]] == 0
                    && _seized[caseId][Origin.ClearingFund][assets[i]] == 0
            ) {
                _seizedAssets[caseId].push(assets[i]);
            }
            _seized[caseId][origin][assets[i]] += amounts[i];
            emit DefaultCollateralRecorded(caseId, origin, assets[i], amounts[i]);
        }
    }

    function _giveBack(uint256 caseId, Origin origin, uint256 to, address asset) private {
        uint256 amount = _seized[caseId][origin][asset]; // kept as the case's record
        if (amount == 0) return;
        _vault.transferCollateral(to, asset, amount, caseId);
    }

    function _case(uint256 caseId) private view returns (DefaultCase storage) {
        if (caseId == 0 || caseId > _cases.length) revert DefaultCaseUnknown(caseId);
        return _cases[caseId - 1];
    }
}
