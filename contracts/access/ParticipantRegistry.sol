// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {IParticipantRegistry} from "./IParticipantRegistry.sol";
import {Roles} from "./Roles.sol";

/// @title ParticipantRegistry
/// @notice See {IParticipantRegistry}.
contract ParticipantRegistry is IParticipantRegistry, AccessControl {
    /// @notice The role of the CCP's operations desk: admits participants and changes their status.
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;
    /// @notice Records defaults and ends them (the DefaultManager).
    bytes32 public constant DEFAULT_MANAGER_ROLE = Roles.DEFAULT_MANAGER;

    mapping(address account => Participant) private _participants;
    address[] private _accounts;

    /// @param admin receives the admin role (grants and revokes roles) and the CCP operator role.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
    }

    // ---------------------------------------------------------------- admission

    /// @inheritdoc IParticipantRegistry
    function admit(address account, Kind kind, bytes32 name) external onlyRole(Roles.CCP_OPERATOR) {
        if (kind == Kind.None || kind == Kind.Client) revert ParticipantKindInvalid(account, kind);
        if (kind == Kind.SystemContract && account.code.length == 0) {
            revert ParticipantKindInvalid(account, kind);
        }
        _admit(account, kind, name, address(0), AccountType.None);
    }

    /// @inheritdoc IParticipantRegistry
    function admitClient(address account, bytes32 name, address clearingMember, AccountType accountType)
        external
        onlyRole(Roles.CCP_OPERATOR)
    {
        Participant storage member = _participants[clearingMember];
        if (member.kind != Kind.ClearingMember || member.status != Status.Active) {
            revert ParticipantClearingMemberInvalid(account, clearingMember);
        }
        if (accountType == AccountType.None) revert ParticipantAccountTypeInvalid(account, accountType);
        _admit(account, Kind.Client, name, clearingMember, accountType);
    }

    // ---------------------------------------------------------------- status

    /// @inheritdoc IParticipantRegistry
    function suspend(address account, bytes32 reason) external onlyRole(Roles.CCP_OPERATOR) {
        _setStatus(account, Status.Suspended, reason);
    }

    /// @inheritdoc IParticipantRegistry
    function reinstate(address account, bytes32 reason) external onlyRole(Roles.CCP_OPERATOR) {
        _setStatus(account, Status.Active, reason);
    }

    /// @inheritdoc IParticipantRegistry
    function declareDefault(address account, bytes32 reason) external onlyRole(Roles.DEFAULT_MANAGER) {
        _setStatus(account, Status.Defaulted, reason);
    }

    /// @inheritdoc IParticipantRegistry
    function endDefault(address account, Status restored, bytes32 reason) external onlyRole(Roles.DEFAULT_MANAGER) {
        Status current = _participants[account].status;
        if (current != Status.Defaulted || (restored != Status.Active && restored != Status.Suspended)) {
            revert ParticipantStatusTransitionInvalid(account, current, restored);
        }
        _setStatus(account, restored, reason);
    }

    /// @inheritdoc IParticipantRegistry
    function transferClient(address client, address member) external onlyRole(Roles.DEFAULT_MANAGER) {
        Participant storage c = _participants[client];
        if (c.kind != Kind.Client) revert ParticipantUnknown(client);
        Participant storage m = _participants[member];
        if (m.kind != Kind.ClearingMember || m.status != Status.Active) {
            revert ParticipantClearingMemberInvalid(client, member);
        }
        address previous = c.clearingMember;
        c.clearingMember = member;
        emit ClientTransferred(client, previous, member, _msgSender());
    }

    /// @inheritdoc IParticipantRegistry
    function setStatus(address account, Status status, bytes32 reason) external onlyRole(Roles.CCP_OPERATOR) {
        _setStatus(account, status, reason);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IParticipantRegistry
    function participant(address account) external view returns (Participant memory) {
        return _participants[account];
    }

    /// @inheritdoc IParticipantRegistry
    function statusOf(address account) external view returns (Status) {
        return _participants[account].status;
    }

    /// @inheritdoc IParticipantRegistry
    function isActive(address account) external view returns (bool) {
        return _participants[account].status == Status.Active;
    }

    /// @inheritdoc IParticipantRegistry
    function requireActive(address a, address b) external view {
        if (a != address(0)) _requireActive(a);
        if (b != address(0)) _requireActive(b);
    }

    /// @inheritdoc IParticipantRegistry
    function participantCount() external view returns (uint256) {
        return _accounts.length;
    }

    /// @inheritdoc IParticipantRegistry
    function participantAt(uint256 index) external view returns (address) {
        return _accounts[index];
    }

    // ---------------------------------------------------------------- internals

    function _admit(address account, Kind kind, bytes32 name, address clearingMember, AccountType accountType) private {
        if (account == address(0) || name == bytes32(0)) revert ParticipantIdentityInvalid(account, name);
        Participant storage p = _participants[account];
        if (p.kind != Kind.None) revert ParticipantAlreadyRegistered(account, p.kind);
        p.kind = kind;
        p.status = Status.Active;
        p.accountType = accountType;
        p.clearingMember = clearingMember;
        p.name = name;
        _accounts.push(account);
        emit ParticipantAdmitted(account, kind, name, clearingMember, accountType, _msgSender());
    }

    function _setStatus(address account, Status requested, bytes32 reason) private {
        Participant storage p = _participants[account];
        Status current = p.status;
        if (current == Status.None) revert ParticipantUnknown(account);
        // Into or out of default only through the default process, which freezes and seizes as it goes.
        if (
            (requested == Status.Defaulted || current == Status.Defaulted)
                && !hasRole(Roles.DEFAULT_MANAGER, _msgSender())
        ) {
            revert ParticipantDefaultManaged(account, current, requested);
        }
        if (!_transitionAllowed(current, requested)) {
            revert ParticipantStatusTransitionInvalid(account, current, requested);
        }
        p.status = requested;
        emit ParticipantStatusChanged(account, current, requested, reason, _msgSender());
    }

    /// @dev Active -> Suspended | Defaulted; Suspended -> Active | Defaulted; Defaulted -> Active | Suspended.
    function _transitionAllowed(Status current, Status requested) private pure returns (bool) {
        if (requested == Status.Active) return current == Status.Suspended || current == Status.Defaulted;
        if (requested == Status.Suspended) return current == Status.Active || current == Status.Defaulted;
        if (requested == Status.Defaulted) return current == Status.Active || current == Status.Suspended;
        return false;
    }

    function _requireActive(address account) private view {
        Status status = _participants[account].status;
        if (status == Status.Active) return;
        if (status == Status.None) revert ParticipantUnknown(account);
        revert ParticipantNotActive(account, status);
    }
}
