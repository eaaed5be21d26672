// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {PermissionedToken} from "../tokens/PermissionedToken.sol";
import {IJdrToken} from "./IJdrToken.sol";

/// @title JdrToken
/// @notice See {IJdrToken}. Deployed for its trust (through the {JdrTokenDeployer}), which becomes
/// its only issuer.
contract JdrToken is IJdrToken, PermissionedToken {
    using Checkpoints for Checkpoints.Trace208;

    address private immutable _trust;
    IParticipantRegistry private immutable _register;

    mapping(address account => Checkpoints.Trace208) private _balanceHistory;
    Checkpoints.Trace208 private _supplyHistory;
    bool private _closed;

    /// @param trust_ the trust that mints and burns it.
    /// @param agent the CCP's token agent: freezes and forced transfers (and pauses, as `pauser`).
    /// @param admin the role admin, as on every asset.
    constructor(
        string memory name_,
        string memory symbol_,
        IParticipantRegistry registry_,
        bytes12 isin,
        address trust_,
        address agent,
        address pauser,
        address admin
    ) PermissionedToken(name_, symbol_, 0, registry_, AssetInfo(AssetClass.Jdr, "JPY", isin, 0, 0), admin) {
        // slither-disable-next-line missing-zero-check: the trust deploying its token passes itself
        _trust = trust_;
        _register = registry_;
        // The constructor above gave `admin` every operating role; the trust alone issues, and the
        // agent keeps the powers it has over every asset.
        _revokeRole(Roles.ISSUER, admin);
        _revokeRole(Roles.AGENT, admin);
        _revokeRole(Roles.PAUSER, admin);
        _grantRole(Roles.ISSUER, trust_);
        _grantRole(Roles.AGENT, agent);
        _grantRole(Roles.PAUSER, pauser);
    }

    /// @notice Grant a role other than the issuer's: only the trust mints and burns, and the role
    /// admin cannot make anyone else its issuer.
    function grantRole(bytes32 role, address account) public override {
        if (role == Roles.ISSUER) revert JdrTokenIssuerIsTrust();
        super.grantRole(role, account);
    }

    /// @notice Revoke a role other than the issuer's: the trust keeps minting and burning.
    function revokeRole(bytes32 role, address account) public override {
        if (role == Roles.ISSUER) revert JdrTokenIssuerIsTrust();
        super.revokeRole(role, account);
    }

    /// @inheritdoc IJdrToken
    function close() external onlyRole(Roles.ISSUER) {
        if (_closed) revert JdrTokenClosed();
        _closed = true;
        emit TokenClosed(uint64(block.timestamp), _msgSender());
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IJdrToken
    function trust() external view returns (address) {
        return _trust;
    }

    /// @inheritdoc IJdrToken
    function closed() external view returns (bool) {
        return _closed;
    }

    /// @inheritdoc IJdrToken
    function clock() public view returns (uint48) {
        return SafeCast.toUint48(block.timestamp);
    }

    /// @inheritdoc IJdrToken
    function balanceOfAt(address account, uint256 timepoint) external view returns (uint256) {
        return _balanceHistory[account].upperLookupRecent(_past(timepoint));
    }

    /// @inheritdoc IJdrToken
    function totalSupplyAt(uint256 timepoint) external view returns (uint256) {
        return _supplyHistory.upperLookupRecent(_past(timepoint));
    }

    // ---------------------------------------------------------------- the one restriction point

    /// @dev The permissioned token's rules, the closed token's (burns, and custody handing JDRs
    /// back), then the history.
    function _update(address from, address to, uint256 value) internal override {
        if (_closed && to != address(0) && !_isCustodian(from)) revert JdrTokenClosed();
        super._update(from, to, value);
        uint48 now_ = clock();
        // slither-disable-start unused-return: the previous and new values of a checkpoint are not needed
        if (from != address(0)) _balanceHistory[from].push(now_, SafeCast.toUint208(balanceOf(from)));
        if (to != address(0)) _balanceHistory[to].push(now_, SafeCast.toUint208(balanceOf(to)));
        if (from == address(0) || to == address(0)) _supplyHistory.push(now_, SafeCast.toUint208(totalSupply()));
        // slither-disable-end unused-return
    }

    function _isCustodian(address account) private view returns (bool) {
        return account != address(0) && _register.participant(account).kind == IParticipantRegistry.Kind.SystemContract;
    }

    function _past(uint256 timepoint) private view returns (uint48) {
        uint48 now_ = clock();
        if (timepoint >= now_) revert JdrTokenFutureLookup(timepoint, now_);
        return uint48(timepoint);
    }

    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IJdrToken).interfaceId || super.supportsInterface(interfaceId);
    }
}

/// @title JdrTokenDeployer
/// @notice Deploys a JDR token for the trust that asks. A contract of its own so that the factory's
/// code, which carries the trust's, stays under the 24,576-byte limit: the factory creates it once.
contract JdrTokenDeployer {
    /// @notice Deploy a JDR token whose issuer is the caller.
    function deploy(
        string calldata name,
        string calldata symbol,
        IParticipantRegistry registry,
        bytes12 isin,
        address agent,
        address pauser,
        address admin
    ) external returns (JdrToken) {
        return new JdrToken(name, symbol, registry, isin, msg.sender, agent, pauser, admin);
    }
}
