// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IDefaultManager
/// @notice The default process, in one place whichever way it starts: a missed margin call
/// (`declareDefault`), or a decision of the CCP about a member (`declareMemberDefault`: insolvency,
/// a register decision, a suspension that turns into a default). Each declaration opens a default
/// case and, in the same transaction: records the default in the register (the only way a
/// participant becomes defaulted), closes every open margin call and freezes every account the
/// member answers for (house, clearing fund, omnibus, and its segregated clients'), and seizes its
/// house margin and clearing-fund contribution into this contract's default-management account in
/// the vault, keeping a ledger of what came from where. Client collateral (omnibus and segregated)
/// stays where it is, frozen, apart from the member's.
/// @dev The contract holds `DEFAULT_MANAGER_ROLE` on the registry and the vault. The seized
/// collateral sits in an account this contract owns: no key can withdraw it. Later steps of the
/// process (porting clients, closing out, the loss waterfall) act on the open case.
interface IDefaultManager {
    /// @notice A case is open from the declaration until it is withdrawn (or, later, settled).
    enum CaseStatus {
        None,
        Open,
        Withdrawn
    }

    /// @notice Where seized collateral came from: the member's house margin or its clearing-fund
    /// contribution; the loss waterfall uses them in that order.
    enum Origin {
        HouseMargin,
        ClearingFund
    }

    /// @notice A default case: the member, the call it missed (0 for a decision of the CCP), when and
    /// why it was declared, and its status.
    struct DefaultCase {
        address member;
        uint64 declaredAt;
        CaseStatus status;
        uint256 callId;
        bytes32 reason;
    }

    // ---------------------------------------------------------------- errors

    /// @notice `account` is not a clearing member, so it cannot be declared in default.
    error DefaultNotAClearingMember(address account);
    /// @notice `member` is already in default, under case `caseId`.
    error DefaultAlreadyDeclared(address member, uint256 caseId);
    /// @notice There is no default case `caseId`.
    error DefaultCaseUnknown(uint256 caseId);
    /// @notice Case `caseId` is `status`, not open.
    error DefaultCaseNotOpen(uint256 caseId, CaseStatus status);

    // ---------------------------------------------------------------- events

    /// @notice `member` was declared in default by `operator`, opening case `caseId`: over call
    /// `callId`, or by decision of the CCP when `callId` is 0.
    event DefaultDeclared(
        uint256 indexed caseId, address indexed member, uint256 indexed callId, bytes32 reason, address operator
    );
    /// @notice Case `caseId` took `amount` of `asset` from the member's `origin` into this contract's
    /// default-management account.
    event DefaultCollateralRecorded(uint256 indexed caseId, Origin origin, address indexed asset, uint256 amount);
    /// @notice The default of case `caseId` was withdrawn by `operator`: the seized collateral went back
    /// where it came from, the member's accounts were unfrozen and the member is active again.
    event DefaultWithdrawn(uint256 indexed caseId, address indexed member, bytes32 reason, address operator);

    // ---------------------------------------------------------------- declaring (CCP_OPERATOR_ROLE)

    /// @notice Declares the member answerable for call `callId` in default: the call is past its
    /// deadline and, re-valued now, still short (a call the collateral now covers is met instead and
    /// the declaration refused). Returns the case id.
    function declareDefault(uint256 callId, bytes32 reason) external returns (uint256 caseId);

    /// @notice Declares clearing member `member` in default by decision of the CCP (insolvency, a
    /// register decision), with or without a missed call. Returns the case id.
    function declareMemberDefault(address member, bytes32 reason) external returns (uint256 caseId);

    /// @notice Withdraws the default of open case `caseId` (declared in error, or cured before
    /// anything was done with the collateral): returns the seized collateral to the house and
    /// clearing-fund accounts, unfreezes every account of the member and makes it active again.
    function withdrawDefault(uint256 caseId, bytes32 reason) external;

    // ---------------------------------------------------------------- views

    function defaultCase(uint256 caseId) external view returns (DefaultCase memory);

    function caseCount() external view returns (uint256);

    /// @notice The open case of `member` (0: none).
    function openCaseOf(address member) external view returns (uint256);

    /// @notice The quantity of `asset` case `caseId` took from `origin`.
    function seized(uint256 caseId, Origin origin, address asset) external view returns (uint256);

    /// @notice The assets case `caseId` took.
    function seizedAssets(uint256 caseId) external view returns (address[] memory);

    /// @notice This contract's default-management account in the vault.
    function managementAccount() external view returns (uint256);
}
