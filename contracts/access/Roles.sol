// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Roles
/// @notice The AccessControl roles of every Kabuto contract, named once. Each value is the hash of the
/// name its contracts publish as a `*_ROLE()` getter, so `CCP_OPERATOR` is keccak256("CCP_OPERATOR_ROLE").
/// @dev Each contract grants its roles to its deployer's admin key; the admin (OpenZeppelin's
/// `DEFAULT_ADMIN_ROLE`, admin of every role here) hands them out. `pyclient/artifacts/access.json`
/// and `docs/access.md` are generated from this file and the `onlyRole` guards (`make compile`).
library Roles {
    /// @dev Admits participants and changes their status, opens vault accounts and declares defaults.
    /// @custom:holder The CCP's operator key, on the registry and the vault; on the registry also the vault,
    /// which records a member's default there.
    bytes32 internal constant CCP_OPERATOR = keccak256("CCP_OPERATOR_ROLE");

    /// @dev Posts margin requirements to vault accounts, issues margin calls and marks them overdue.
    /// @custom:holder The CCP's operator key, which runs the margin engine.
    bytes32 internal constant MARGIN_ENGINE = keccak256("MARGIN_ENGINE_ROLE");

    /// @dev Lists assets for pricing and publishes prices, FX rates, risk parameters and the maximum
    /// price age.
    /// @custom:holder The market-data provider (the CCP's operator key unless deployment hands it over).
    bytes32 internal constant ORACLE = keccak256("ORACLE_ROLE");

    /// @dev Mints an asset against off-chain deposits and burns it on withdrawal.
    /// @custom:holder The asset's issuer or custodian (the CCP's operator key unless deployment hands it
    /// over).
    bytes32 internal constant ISSUER = keccak256("ISSUER_ROLE");

    /// @dev Freezes accounts and tokens of an asset and makes forced transfers of it.
    /// @custom:holder The CCP's operator key, acting as default desk.
    bytes32 internal constant AGENT = keccak256("AGENT_ROLE");

    /// @dev Pauses and resumes ordinary transfers of an asset.
    /// @custom:holder The CCP's operator key.
    bytes32 internal constant PAUSER = keccak256("PAUSER_ROLE");
}
