// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IParticipantRegistry
/// @notice The clearing house's register of who may hold and move Kabuto assets: clearing members,
/// their clients, trust banks, ETF managers, token issuers, oracles, warehouses, and the system
/// contracts (vaults, settlement engines) that hold assets on their behalf. Every permissioned
/// token asks this registry, once per transfer, whether both parties are active.
/// @dev Only holders of `CCP_OPERATOR_ROLE` change the register. Every change emits an event so
/// that anyone can rebuild the register from the log alone.
interface IParticipantRegistry {
    /// @notice What a participant is. `SystemContract` marks a Kabuto contract that holds assets.
    enum Kind {
        None,
        Ccp,
        ClearingMember,
        Client,
        TrustBank,
        EtfManager,
        TokenIssuer,
        Oracle,
        Warehouse,
        SystemContract
    }

    /// @notice Only `Active` participants may send or receive assets.
    enum Status {
        None,
        Active,
        Suspended,
        Defaulted
    }

    /// @notice How the CCP sees a client: by name (`Segregated`) or inside its member's omnibus total.
    enum AccountType {
        None,
        Segregated,
        Omnibus
    }

    /// @dev Packed so that `kind`, `status`, `accountType` and `clearingMember` share one slot: an
    /// eligibility check costs one storage read per party.
    struct Participant {
        Kind kind;
        Status status;
        AccountType accountType;
        address clearingMember;
        bytes32 name;
    }

    // ---------------------------------------------------------------- errors

    /// @notice `account` is not in the register.
    error ParticipantUnknown(address account);
    /// @notice `account` is already registered, as `kind`.
    error ParticipantAlreadyRegistered(address account, Kind kind);
    /// @notice `account` is registered but its status is `status`, not `Active`.
    error ParticipantNotActive(address account, Status status);
    /// @notice Moving `account` from `current` to `requested` is the default process's alone: a default is
    /// declared, and withdrawn, through the DefaultManager, which freezes and seizes as it goes.
    error ParticipantDefaultManaged(address account, Status current, Status requested);
    /// @notice `kind` cannot be admitted this way (clients go through `admitClient`; system
    /// contracts must be contracts).
    error ParticipantKindInvalid(address account, Kind kind);
    /// @notice A client must name an active clearing member; `clearingMember` is not one.
    error ParticipantClearingMemberInvalid(address client, address clearingMember);
    /// @notice A client must be `Segregated` or `Omnibus`.
    error ParticipantAccountTypeInvalid(address client, AccountType accountType);
    /// @notice The register does not allow moving `account` from `current` to `requested`.
    error ParticipantStatusTransitionInvalid(address account, Status current, Status requested);
    /// @notice A participant needs a non-zero address and a non-empty name.
    error ParticipantIdentityInvalid(address account, bytes32 name);

    // ---------------------------------------------------------------- events

    /// @notice `account` joined the register as `kind`, by `operator`. For a client,
    /// `clearingMember` and `accountType` say where its positions and collateral sit.
    event ParticipantAdmitted(
        address indexed account,
        Kind indexed kind,
        bytes32 name,
        address indexed clearingMember,
        AccountType accountType,
        address operator
    );

    /// @notice `account` moved from `previous` to `current` status for `reason`, by `operator`.
    event ParticipantStatusChanged(
        address indexed account, Status previous, Status current, bytes32 reason, address indexed operator
    );
    /// @notice Client `client` now clears through `to` (ported from `from` when `from` defaulted).
    event ClientTransferred(address indexed client, address indexed from, address indexed to, address operator);

    // ---------------------------------------------------------------- admission

    /// @notice Admits a participant that is not a client, active at once.
    /// @dev CCP operator only. `kind` may not be `None` or `Client`; a `SystemContract` must have code.
    function admit(address account, Kind kind, bytes32 name) external;

    /// @notice Admits a client under an active clearing member, in a segregated or omnibus account.
    /// @dev CCP operator only.
    function admitClient(address account, bytes32 name, address clearingMember, AccountType accountType) external;

    // ---------------------------------------------------------------- status

    /// @notice Suspends an active participant: it can neither send nor receive assets.
    /// @dev CCP operator only. Allowed from `Active`.
    function suspend(address account, bytes32 reason) external;

    /// @notice Returns a suspended participant to `Active`.
    /// @dev CCP operator only. Allowed from `Suspended` (a defaulted one returns through `endDefault`).
    function reinstate(address account, bytes32 reason) external;

    /// @notice Records a participant's default, as the default process declares it.
    /// @dev `DEFAULT_MANAGER_ROLE` only (the DefaultManager, which freezes and seizes in the same
    /// transaction). Allowed from `Active` or `Suspended`.
    function declareDefault(address account, bytes32 reason) external;

    /// @notice Returns a defaulted participant to the status it had before (`restored`: `Active` or
    /// `Suspended`) when its default is withdrawn.
    /// @dev `DEFAULT_MANAGER_ROLE` only. Allowed from `Defaulted`.
    function endDefault(address account, Status restored, bytes32 reason) external;

    /// @notice Makes `client` clear through `member` instead: the default process ports a defaulted
    /// member's clients this way.
    /// @dev `DEFAULT_MANAGER_ROLE` only. `member` must be an active clearing member.
    function transferClient(address client, address member) external;

    /// @notice Moves a participant to any status the transition rules allow, except into or out of
    /// `Defaulted`, which only the default process does.
    /// @dev CCP operator only. The named functions above are this call with a fixed target.
    function setStatus(address account, Status status, bytes32 reason) external;

    // ---------------------------------------------------------------- views

    /// @notice The full record of `account` (all zero when unknown).
    function participant(address account) external view returns (Participant memory);

    /// @notice The status of `account` (`None` when unknown).
    function statusOf(address account) external view returns (Status);

    /// @notice True when `account` is registered and active.
    function isActive(address account) external view returns (bool);

    /// @notice Reverts unless every non-zero address given is registered and active. The zero
    /// address is skipped so that a token can pass mint and burn legs unchanged.
    function requireActive(address a, address b) external view;

    /// @notice How many participants have ever been admitted.
    function participantCount() external view returns (uint256);

    /// @notice The `index`-th admitted participant's address, in admission order.
    function participantAt(uint256 index) external view returns (address);
}
