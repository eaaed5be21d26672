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
/// Until the case's porting deadline, a surviving clearing member may accept a client of the
/// defaulter (`acceptClient`) and the CCP then ports it (`portClient`): the register re-parents the
/// client, a segregated client's account moves to the new member and is unfrozen, an omnibus
/// client's collateral moves, client by client, into the new member's omnibus account under its
/// name. After the deadline the CCP closes out each client not ported (`closeOutClient`): the loss
/// of closing its positions is taken from its own collateral, at haircut value, and the rest is
/// returned to it; what its collateral cannot cover is the defaulter's loss, never a fellow client's.
/// @dev The contract holds `DEFAULT_MANAGER_ROLE` on the registry and the vault. The seized
/// collateral sits in an account this contract owns: no key can withdraw it.
interface IDefaultManager {
    /// @notice A case is open from the declaration until it is withdrawn or settled.
    enum CaseStatus {
        None,
        Open,
        Withdrawn,
        Settled
    }

    /// @notice The layers of the default waterfall, in the order they meet a loss.
    enum Layer {
        HouseMargin,
        ClearingFund,
        CcpTranche,
        Survivors
    }

    /// @notice Where seized collateral came from: the member's house margin or its clearing-fund
    /// contribution; the loss waterfall uses them in that order.
    enum Origin {
        HouseMargin,
        ClearingFund
    }

    /// @notice Where a client of the defaulter stands in the case: accepted by a surviving member,
    /// ported to it, or closed out.
    enum ClientStatus {
        None,
        Accepted,
        Ported,
        ClosedOut
    }

    /// @notice A default case: the member, the call it missed (0 for a decision of the CCP), when and
    /// why it was declared, its status, whether the member was suspended before, the porting
    /// deadline, and the client losses its clients' collateral could not cover (JPY).
    struct DefaultCase {
        address member;
        uint64 declaredAt;
        CaseStatus status;
        bool wasSuspended;
        uint64 portingDeadline;
        uint256 callId;
        bytes32 reason;
        uint256 uncoveredClientLossJpy;
    }

    /// @notice A client of the defaulter in case `caseId`: its status, and the member that accepted it.
    struct ClientPort {
        ClientStatus status;
        address acceptedBy;
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
    /// @notice Case `caseId` cannot be withdrawn: with its collateral back, `account` would be worth
    /// `valueJpy` JPY against a requirement of `requirementJpy` JPY; the member is not cured.
    error DefaultNotCured(uint256 caseId, uint256 account, uint256 valueJpy, uint256 requirementJpy);
    /// @notice The porting deadline `deadline` must be in the future.
    error DefaultPortingDeadlineInvalid(uint64 deadline);
    /// @notice Case `caseId`'s porting closed at `deadline`: clients are closed out now, not ported.
    error DefaultPortingClosed(uint256 caseId, uint64 deadline);
    /// @notice Case `caseId`'s porting is open until `deadline`: a client is closed out only after it.
    error DefaultPortingOpen(uint256 caseId, uint64 deadline);
    /// @notice `client` is not a client of case `caseId`'s defaulter.
    error DefaultNotAClientOfTheDefaulter(uint256 caseId, address client);
    /// @notice `member` cannot take clients in case `caseId`: it is not an active clearing member other
    /// than the defaulter.
    error DefaultReceiverInvalid(uint256 caseId, address member);
    /// @notice No surviving member has accepted `client` in case `caseId`.
    error DefaultClientNotAccepted(uint256 caseId, address client);
    /// @notice `client` is already `status` in case `caseId`.
    error DefaultClientSettled(uint256 caseId, address client, ClientStatus status);
    /// @notice `account` is not a clearing-fund account of a participant registered as the CCP.
    error DefaultCcpTrancheInvalid(uint256 account);
    /// @notice Case `caseId` cannot be withdrawn: `clients` of the defaulter's clients were already
    /// ported or closed out.
    error DefaultClientsMoved(uint256 caseId, uint256 clients);

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
    /// where it came from, the member's accounts were unfrozen and the member has its status before.
    event DefaultWithdrawn(uint256 indexed caseId, address indexed member, bytes32 reason, address operator);
    /// @notice Surviving member `member` accepts `client` of case `caseId`'s defaulter.
    event ClientPortAccepted(uint256 indexed caseId, address indexed client, address indexed member);
    /// @notice `client` was ported from defaulter `from` to `to`, with its collateral, in case `caseId`.
    event ClientPorted(uint256 indexed caseId, address indexed client, address indexed to, address from);
    /// @notice `client`, not ported by the deadline, was closed out in case `caseId`: its loss `lossJpy`
    /// was covered by `coveredJpy` of its own collateral (the rest, if any, is the defaulter's loss),
    /// and what was left returned to it.
    event ClientClosedOut(uint256 indexed caseId, address indexed client, uint256 lossJpy, uint256 coveredJpy);
    /// @notice Layer `layer` of case `caseId`'s waterfall met `usedJpy` of the loss from `account`.
    event WaterfallApplied(uint256 indexed caseId, Layer indexed layer, uint256 indexed account, uint256 usedJpy);
    /// @notice Case `caseId` settled a loss of `lossJpy`: `coveredJpy` met by the waterfall, `uncoveredJpy`
    /// beyond every layer (the CCP's to make good beyond this prototype: a second tranche, a special
    /// clearing charge).
    event CaseSettled(uint256 indexed caseId, uint256 lossJpy, uint256 coveredJpy, uint256 uncoveredJpy);

    // ---------------------------------------------------------------- declaring (CCP_OPERATOR_ROLE)

    /// @notice Declares the member answerable for call `callId` in default: the call is past its
    /// deadline and, re-valued now, still short (a call the collateral now covers is refused). Returns
    /// the case id.
    /// Clients may be ported until `portingDeadline`.
    function declareDefault(uint256 callId, bytes32 reason, uint64 portingDeadline) external returns (uint256 caseId);

    /// @notice Declares clearing member `member` in default by decision of the CCP (insolvency, a
    /// register decision), with or without a missed call. Clients may be ported until
    /// `portingDeadline`. Returns the case id.
    function declareMemberDefault(address member, bytes32 reason, uint64 portingDeadline)
        external
        returns (uint256 caseId);

    /// @notice Withdraws the default of open case `caseId` (declared in error, or cured, by a price
    /// move, before anything was done with the collateral): returns the seized collateral to the house
    /// and clearing-fund accounts, unfreezes every account of the member and gives it back the status
    /// it had (active, or suspended). Refused unless every account of the member then covers its
    /// requirement (`DefaultNotCured`): the calls the default closed are not reopened, so a member
    /// still short stays in default; and refused once any of its clients was ported or closed out.
    function withdrawDefault(uint256 caseId, bytes32 reason) external;

    // ---------------------------------------------------------------- porting

    /// @notice The calling surviving clearing member accepts `client` of case `caseId`'s defaulter,
    /// until the porting deadline. An omnibus client needs the member's omnibus account open.
    /// @dev Any active clearing member other than the defaulter, for itself.
    function acceptClient(uint256 caseId, address client) external;

    /// @notice Ports `client`, accepted by a surviving member, before the porting deadline: the register
    /// re-parents it; a segregated client's account moves to the new member and is unfrozen; an
    /// omnibus client's collateral moves into the new member's omnibus account under its name.
    /// @dev CCP operator only.
    function portClient(uint256 caseId, address client) external;

    /// @notice After the porting deadline (and after the case is settled, too), closes out `client` of
    /// the defaulter, not ported: the loss of
    /// closing its positions, `lossJpy` (computed by the CCP from the margin engine's positions at
    /// stressed prices), is taken from its own collateral at haircut value, asset by asset in the
    /// account's order, into this contract's account; the rest is returned to the client's wallet.
    /// What its collateral cannot cover is recorded as the defaulter's loss (after the settlement, as
    /// the case's uncovered loss).
    /// @dev CCP operator only.
    function closeOutClient(uint256 caseId, address client, uint256 lossJpy) external;

    // ---------------------------------------------------------------- the waterfall

    /// @notice After the porting deadline, settles case `caseId`: the loss of closing out the
    /// defaulter's own positions, `closeOutLossJpy` (computed by the CCP from the margin engine's
    /// positions at stressed prices), plus what its clients' collateral could not cover, is met in
    /// order by (1) the defaulter's house margin and (2) its clearing-fund contribution, as seized;
    /// (3) the CCP's own first tranche, the clearing-fund account `ccpTranche` of a participant
    /// registered as the CCP; (4) the surviving clearing members' clearing-fund contributions, pro
    /// rata to their clearing-fund requirements and each at most what it holds. Collateral is used at
    /// haircut value, asset by asset in its account's order, rounded in the CCP's favour; what layers
    /// (1) and (2) leave goes back to the defaulter's house and clearing-fund accounts. Collateral is
    /// valued for the purpose it was posted for (house margin for initial margin, the rest for the
    /// clearing fund); a price that is not current refuses the settlement with the market data's
    /// error until the oracle publishes it. Each layer an
    /// event (`WaterfallApplied`); what no layer could meet is recorded (`CaseSettled`).
    /// @dev CCP operator only. The survivors are every active clearing member with a clearing-fund
    /// account, read from the register.
    function settle(uint256 caseId, uint256 closeOutLossJpy, uint256 ccpTranche) external;

    // ---------------------------------------------------------------- views

    /// @notice Where `client` stands in case `caseId`.
    function clientPort(uint256 caseId, address client) external view returns (ClientPort memory);

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
