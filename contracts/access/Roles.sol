// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Roles
/// @notice The AccessControl roles of every Kabuto contract, named once. Each value is the hash of the
/// name its contracts publish as a `*_ROLE()` getter, so `CCP_OPERATOR` is keccak256("CCP_OPERATOR_ROLE").
/// @dev Each contract grants its roles to its deployer's key; deployment (`pyclient.deploy`, `Duties`)
/// then hands each duty to its own key and the admin (OpenZeppelin's `DEFAULT_ADMIN_ROLE`, admin of
/// every role here) to a key that holds no duty, so that no duty can grant itself another.
/// `pyclient/artifacts/access.json` and `docs/access.md` are generated from this file and the
/// `onlyRole` guards (`make compile`).
library Roles {
    /// @dev Admits participants and suspends or reinstates them, opens vault accounts, and declares and
    /// withdraws defaults (through the DefaultManager).
    /// @custom:holder The CCP's operator key (`Duties.register`), on the registry, the vault and the
    /// DefaultManager.
    bytes32 internal constant CCP_OPERATOR = keccak256("CCP_OPERATOR_ROLE");

    /// @dev Posts margin requirements to vault accounts, issues margin calls and marks them overdue.
    /// @custom:holder The margin engine's key (`Duties.margin`).
    bytes32 internal constant MARGIN_ENGINE = keccak256("MARGIN_ENGINE_ROLE");

    /// @dev Lists assets for pricing and publishes prices, FX rates, risk parameters and the maximum
    /// price age.
    /// @custom:holder The market-data provider (`Duties.oracle`).
    bytes32 internal constant ORACLE = keccak256("ORACLE_ROLE");

    /// @dev Mints an asset against off-chain deposits and burns it on withdrawal.
    /// @custom:holder The asset's issuer or custodian (`Duties.issuer`).
    bytes32 internal constant ISSUER = keccak256("ISSUER_ROLE");

    /// @dev Freezes accounts and tokens of an asset and makes forced transfers of it.
    /// @custom:holder The CCP's token agent (`Duties.agent`). Its powers stop at custody: nothing held
    /// by the vault can be burnt, force-moved or frozen.
    bytes32 internal constant AGENT = keccak256("AGENT_ROLE");

    /// @dev Runs the default process: records a member's default in the register (the only way a
    /// participant becomes defaulted or leaves that status), and freezes, seizes and moves collateral in
    /// the vault under a default case.
    /// @custom:holder The DefaultManager contract, on the registry and the vault.
    bytes32 internal constant DEFAULT_MANAGER = keccak256("DEFAULT_MANAGER_ROLE");

    /// @dev Exchanges collateral in a vault account in one step, legs out against legs in, once the
    /// substitution's rule on the final state and its authorisation (the account's owner, or a signed
    /// offer) have been checked. As sensitive as the default manager's: its holder names who pays the
    /// legs in, and so can pull from anyone who approved the vault (standing instructions approve
    /// without limit); it must only ever be the contract that checks the payer's consent.
    /// @custom:holder The CollateralSubstitution contract, on the vault.
    bytes32 internal constant SUBSTITUTION = keccak256("SUBSTITUTION_ROLE");

    /// @dev Pauses and resumes ordinary transfers of an asset.
    /// @custom:holder The CCP's token agent (`Duties.agent`).
    bytes32 internal constant PAUSER = keccak256("PAUSER_ROLE");

    /// @dev Runs a JDR trust as its trustee: approves or rejects creations, changes the ratio, names
    /// authorised participants and holders who may cancel in kind, suspends and resumes, announces
    /// record dates and declares distributions, discloses, terminates and records the liquidation.
    /// @custom:holder The trust bank named in the trust deed, on its JdrTrust.
    bytes32 internal constant TRUSTEE = keccak256("TRUSTEE_ROLE");

    /// @dev Buys JDRs back from holders, delivery versus payment (creating is open to it too).
    /// @custom:holder The settlor (the ETF manager) named in the trust deed, on its JdrTrust.
    bytes32 internal constant SETTLOR = keccak256("SETTLOR_ROLE");

    /// @dev Records obligations of novated ETF creations and redemptions in the settlement books.
    /// @custom:holder The EtfApplications contract, on EtfSettlement.
    bytes32 internal constant NOVATOR = keccak256("NOVATOR_ROLE");
}
