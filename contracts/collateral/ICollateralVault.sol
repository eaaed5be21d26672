// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {IMarketData} from "../oracle/IMarketData.sol";

/// @title ICollateralVault
/// @notice Holds collateral for the CCP and runs margin calls: requirements posted by the CCP's
/// margin engine, calls issued on accounts whose collateral value falls short, collateral pulled
/// automatically by standing instruction in the same transaction; and the hooks through which the
/// default process (the DefaultManager) freezes, seizes and moves a defaulted member's collateral.
/// Nothing leaves an account while the member answerable for it (its owner, or a segregated
/// client's clearing member), its owner, or the omnibus client named is not active, or while any
/// call on any of that member's accounts is open past its deadline.
/// @dev Accounts are identified by `accountId(owner, kind)`:
///  - `House`, `Omnibus`, `ClearingFund`: owned by a clearing member;
///  - `Segregated`: owned by the segregated client itself, who pays into it;
///  - `DefaultManagement`: owned by the holder of `DEFAULT_MANAGER_ROLE` that seized into it (the
///    DefaultManager contract, so no key can withdraw from it); receives a defaulted member's
///    collateral.
/// The omnibus account keeps a beneficial-owner sub-ledger (client -> asset -> quantity) whose
/// totals equal the omnibus holdings by construction: every omnibus deposit and withdrawal names
/// its client. Holdings are quantities of fungible assets in smallest units; a non-fungible asset
/// (a warehouse receipt) will be held as items whose quantity is the goods they represent, valued
/// the same way, without changing these entry points.
/// Value = sum over assets of quantity x price x FX x (1 - haircut), each asset counted only up to
/// its concentration limit of the account's requirement (CME's rule); see {Valuation}. The market
/// data computes it (`IMarketData.valueCollateral`) from the holdings the vault passes. Collateral that is not eligible
/// for the account's purpose counts for nothing and needs no price.
///
/// Margin calls: an account may have several calls open, each for its own amount: a call asks for
/// what the requirement it was issued against exceeded the value (or, when an earlier call is still
/// open, for the increase over that call's requirement), and is met once the value covers its own
/// requirement (or the requirement now in force, when that was lowered). The calls open on an
/// account stack: each newer one asks for the slice of the requirement above the one below it, and
/// falls due no earlier, so a payment goes to the oldest call first. Batches that work through
/// many accounts or calls skip, with an event saying why, each one whose state no longer fits (an
/// account whose counted collateral has no current price or rate included); they refuse as a whole
/// only for what the caller controls (its role, list lengths, an unknown account or call, a
/// deadline in the past).
interface ICollateralVault {
    enum AccountKind {
        None,
        House,
        Segregated,
        Omnibus,
        ClearingFund,
        DefaultManagement
    }

    /// @notice Regular: due 11:00 the next business day. Intraday: computed 11:00, due 14:00.
    /// Emergency: computed 13:00, due 16:00 (Tokyo time, XTKS business days; the engine sets the deadline).
    enum CallType {
        Regular,
        Intraday,
        Emergency
    }

    /// @notice Why a batch left an account or a call out: it is covered; a call already open asks for
    /// the requirement in force; the account is frozen; its owner is not an active participant; the
    /// call is no longer open; its deadline has not passed; a holding it counts has no current price
    /// or FX rate, so it cannot be valued now; the increase would fall due before the call open below it.
    enum SkipReason {
        None,
        NoShortfall,
        CallOpen,
        AccountFrozen,
        OwnerNotActive,
        CallNotOpen,
        DeadlineNotPassed,
        ValuationUnavailable, // an account to call holds collateral with no current price
        DeadlineBeforeOpenCall
    }

    /// @notice Issued -> PartiallyMet -> Met; Issued | PartiallyMet -> Overdue -> Met | DefaultDeclared;
    /// a default also closes the account's other open calls: Issued | PartiallyMet -> DefaultDeclared.
    enum CallStatus {
        None,
        Issued,
        PartiallyMet,
        Met,
        Overdue,
        DefaultDeclared
    }

    /// @notice An account as `account` returns it; `openCall` is its newest open call (0: none).
    /// @dev Requirements are whole yen. The owner and kind are the account id itself, so the vault
    /// stores the rest in one slot.
    struct Account {
        address owner;
        AccountKind kind;
        bool frozen;
        uint80 requirement;
        uint64 openCall;
    }

    /// @dev Two storage slots: an account id is 168 bits (owner and kind) and JPY amounts fit the
    /// 80 bits of a requirement, so issuing a call writes two fresh slots, not four. `previousOpen`
    /// links to the account's next older open call (0: none); `passedOn` is set once an omnibus call's
    /// shares have been passed on to the clients.
    struct MarginCall {
        uint168 account;
        CallType callType;
        CallStatus status;
        bool passedOn;
        uint64 issuedAt;
        uint64 deadline;
        uint80 shortfallJpy;
        uint80 requirementJpy;
        uint32 previousOpen;
    }

    /// @notice Owed -> Paid once paid in full; Owed -> Overdue when its owner marks it past its deadline
    /// (then Paid if paid late); Owed | Overdue -> Closed when the member's call closes (met, whoever
    /// paid, or defaulted) before the share was paid.
    enum ShareStatus {
        None,
        Owed,
        Paid,
        Overdue,
        Closed
    }

    /// @notice One omnibus client's share of a call passed on: asked, paid so far, its deadline and
    /// status. A client's payment counts at what it adds to the omnibus account's value (after
    /// haircuts and concentration limits), toward its shares oldest first, each up to its amount.
    struct ClientShare {
        address client;
        uint80 amountJpy;
        uint80 paidJpy;
        uint64 deadline;
        ShareStatus status;
    }

    /// @notice `amount` smallest units of `asset`: one leg of a substitution.
    struct Leg {
        address asset;
        uint256 amount;
    }

    /// @notice Pull up to `maxPerCall` smallest units of `asset` from the owner when a call is issued.
    struct Instruction {
        address asset;
        uint256 maxPerCall;
    }

    // ---------------------------------------------------------------- errors

    /// @notice No account `account` has been opened.
    error VaultAccountUnknown(uint256 account);
    /// @notice Account `account` is already open.
    error VaultAccountExists(uint256 account);
    /// @notice `owner` is not registered as the kind of participant that may own a `kind` account.
    error VaultAccountOwnerInvalid(address owner, AccountKind kind);
    /// @notice Account `account` is frozen after a default.
    error VaultAccountFrozen(uint256 account);
    /// @notice `caller` may not act on account `account`.
    error VaultNotAccountOwner(uint256 account, address caller);
    /// @notice The operation needs a non-zero amount.
    error VaultZeroAmount();
    /// @notice `asset` is not eligible as collateral for `purpose`.
    error VaultAssetNotEligible(address asset, IMarketData.Purpose purpose);
    /// @notice Account `account` holds only `held` of `asset`; `amount` was asked for.
    error VaultInsufficientHolding(uint256 account, address asset, uint256 held, uint256 amount);
    /// @notice Withdrawing `amount` of `asset` would leave account `account` worth `valueAfterJpy` JPY,
    /// below its requirement of `requirementJpy` JPY.
    error VaultWithdrawalExceedsExcess(
        uint256 account, address asset, uint256 amount, uint256 valueAfterJpy, uint256 requirementJpy
    );
    /// @notice A batch has `expected` entries in one list and `actual` in another.
    error VaultBatchLengthMismatch(uint256 expected, uint256 actual);
    /// @notice A call's deadline `deadline` must be after the current block time.
    error VaultDeadlineInvalid(uint64 deadline);
    /// @notice No margin call `callId` exists.
    error VaultMarginCallUnknown(uint256 callId);
    /// @notice Margin call `callId` is `status`; the operation needs another state.
    error VaultMarginCallState(uint256 callId, CallStatus status);
    /// @notice Margin call `callId` is due at `deadline`; that time has not passed.
    error VaultDeadlineNotPassed(uint256 callId, uint64 deadline);
    /// @notice `client` is not an omnibus client of the owner of account `account`.
    error VaultBeneficialOwnerInvalid(uint256 account, address client);
    /// @notice Account `account` is an omnibus account: name the client (depositFor/withdrawFor).
    error VaultOmnibusNeedsClient(uint256 account);
    /// @notice `client` has only `held` of `asset` in omnibus account `account`; `amount` was asked for.
    error VaultSubLedgerInsufficient(uint256 account, address client, address asset, uint256 held, uint256 amount);
    /// @notice A standing instruction may have at most `max` entries; `given` were given.
    error VaultInstructionTooLong(uint256 given, uint256 max);
    /// @notice `asset` cannot be valued yet (no price, or no rate for its currency): nothing can be
    /// deposited in it until the oracle publishes them.
    error VaultAssetUnpriced(address asset);
    /// @notice Account `account` is not an omnibus account.
    error VaultNotOmnibus(uint256 account);
    /// @notice Call `callId` has already been passed on to the clients.
    error VaultCallAlreadyPassedOn(uint256 callId);
    /// @notice The shares passed on of call `callId` add up to `sharesJpy` JPY; the call asks for `shortfallJpy` JPY.
    error VaultSharesMismatch(uint256 callId, uint256 sharesJpy, uint256 shortfallJpy);
    /// @notice `client` is named twice in the shares of call `callId`.
    error VaultShareDuplicate(uint256 callId, address client);
    /// @notice A client's deadline `deadline` must be after now and no later than call `callId`'s, `callDeadline`.
    error VaultShareDeadlineInvalid(uint256 callId, uint64 deadline, uint64 callDeadline);
    /// @notice `asset` appears twice in a standing instruction.
    error VaultInstructionDuplicate(address asset);
    /// @notice Nothing leaves `account` while `party` (the member answerable for it, its owner or the
    /// client named) is `status`, not active.
    error VaultPartyNotActive(uint256 account, address party, IParticipantRegistry.Status status);
    /// @notice Nothing leaves `account` while call `callId` of its member `member` is open past its
    /// deadline `deadline`: the member must meet it first, or face default.
    error VaultCallPastDeadline(uint256 account, address member, uint256 callId, uint64 deadline);
    /// @notice `account` is not frozen.
    error VaultAccountNotFrozen(uint256 account);
    /// @notice Collateral moves between accounts by the default process only out of or into the
    /// manager's own default-management account, and never in or out of an omnibus account.
    error VaultTransferInvalid(uint256 fromAccount, uint256 toAccount);

    /// @notice A substitution would leave `account` worth `valueAfterJpy` JPY, below its requirement of
    /// `requirementJpy` JPY and below the `valueBeforeJpy` JPY it was worth.
    error VaultSubstitutionShort(
        uint256 account, uint256 valueAfterJpy, uint256 requirementJpy, uint256 valueBeforeJpy
    );

    // ---------------------------------------------------------------- events

    /// @notice Account `account` was opened for `owner` as `kind`.
    event AccountOpened(uint256 indexed account, address indexed owner, AccountKind kind, address operator);
    /// @notice `amount` of `asset` came into `account` from `from`; `beneficialOwner` is the omnibus
    /// client it belongs to (zero otherwise); `automatic` when pulled by standing instruction.
    event CollateralDeposited(
        uint256 indexed account,
        address indexed asset,
        uint256 amount,
        address indexed from,
        address beneficialOwner,
        bool automatic
    );
    /// @notice `amount` of `asset` left `account` to `to`, leaving it worth `valueAfterJpy` JPY
    /// against a requirement of `requirementJpy` JPY (for a withdrawal `valueAfterJpy` is 0, not
    /// computed, when the account has no requirement; a substitution's legs always carry it).
    event CollateralWithdrawn(
        uint256 indexed account,
        address indexed asset,
        uint256 amount,
        address indexed to,
        address beneficialOwner,
        uint256 valueAfterJpy,
        uint256 requirementJpy
    );
    /// @notice The margin engine set the requirement of `account` to `requirementJpy` JPY (was `previousJpy`) in run `runId`.
    event RequirementPosted(
        uint256 indexed account, uint256 requirementJpy, uint256 previousJpy, bytes32 indexed runId
    );
    /// @notice Call `callId` asks `account` for `shortfallJpy` JPY by `deadline` (value `valueJpy` against
    /// `requirementJpy`); with `previousCallId` still open, it asks for the increase over that call's requirement.
    event MarginCallIssued(
        uint256 indexed callId,
        uint256 indexed account,
        CallType callType,
        uint256 shortfallJpy,
        uint256 valueJpy,
        uint256 requirementJpy,
        uint64 deadline,
        uint256 previousCallId
    );
    /// @notice A payment went toward call `callId`: `remainingJpy` JPY of what it asked is still short.
    event MarginCallPartiallyMet(uint256 indexed callId, uint256 indexed account, uint256 remainingJpy);
    /// @notice Call `callId` is covered: `account` is worth `valueJpy` JPY against `requirementJpy`.
    event MarginCallMet(uint256 indexed callId, uint256 indexed account, uint256 valueJpy, uint256 requirementJpy);
    /// @notice Call `callId` passed its deadline with `remainingJpy` JPY of what it asked still short.
    event MarginCallOverdue(uint256 indexed callId, uint256 indexed account, uint256 remainingJpy);
    /// @notice A batch left `account` out for `reason` (issuing calls, posting requirements).
    event AccountSkipped(uint256 indexed account, SkipReason reason);
    /// @notice A batch left call `callId` out for `reason` (marking calls overdue).
    event CallSkipped(uint256 indexed callId, SkipReason reason);
    /// @notice The owner of omnibus `account` passed `amountJpy` JPY of call `callId` on to `client`, due by `deadline`.
    event MarginCallPassedOn(
        uint256 indexed callId, uint256 indexed account, address indexed client, uint256 amountJpy, uint64 deadline
    );
    /// @notice `payer` (the client, or its member in its name) paid `valueJpy` JPY toward `client`'s share of
    /// call `callId`: `paidJpy` of `amountJpy` so far.
    event ClientSharePaid(
        uint256 indexed callId,
        address indexed client,
        address payer,
        uint256 valueJpy,
        uint256 paidJpy,
        uint256 amountJpy
    );
    /// @notice `client` has paid its whole share of call `callId`.
    event ClientShareMet(uint256 indexed callId, address indexed client);
    /// @notice `client`'s share of call `callId` passed its deadline with `remainingJpy` JPY unpaid.
    event ClientShareOverdue(uint256 indexed callId, address indexed client, uint256 remainingJpy);
    /// @notice Call `callId` closed (`status`: met or defaulted) before `client` paid its share:
    /// `paidJpy` of `amountJpy`. What is unpaid is between the client and its member.
    event ClientShareClosed(
        uint256 indexed callId, address indexed client, CallStatus status, uint256 paidJpy, uint256 amountJpy
    );
    /// @notice `account`'s open calls could not be re-evaluated (a holding it counts has no current
    /// price or FX rate); the next deposit, posting or batch that can value it will.
    event ReevaluationDeferred(uint256 indexed account);
    /// @notice `client` replaced its standing instruction for its share of omnibus `account`'s calls.
    event ClientStandingInstructionSet(uint256 indexed account, address indexed client, Instruction[] instruction);
    /// @notice `account` was frozen under default case `caseId`: no deposit, withdrawal or call from now on.
    event AccountFrozen(uint256 indexed account, uint256 indexed caseId);
    /// @notice `account` was unfrozen under default case `caseId`: it works as before.
    event AccountUnfrozen(uint256 indexed account, uint256 indexed caseId);
    /// @notice Call `callId` on `account` closed with the default of its member, case `caseId`.
    event MarginCallDefaulted(uint256 indexed callId, uint256 indexed account, uint256 caseId);
    /// @notice `amount` of `asset` moved from `fromAccount` to the default manager's `toAccount` without the
    /// owner's consent, under default case `caseId`.
    event CollateralSeized(
        uint256 indexed fromAccount, uint256 indexed toAccount, address indexed asset, uint256 amount, uint256 caseId
    );
    /// @notice The default process moved `amount` of `asset` from `fromAccount` to `toAccount` under case
    /// `caseId` (collateral returned, or moved as the case requires).
    event CollateralTransferred(
        uint256 indexed fromAccount, uint256 indexed toAccount, address indexed asset, uint256 amount, uint256 caseId
    );
    /// @notice The default process paid `amount` of `asset` out of `account` to `to`'s wallet, under case
    /// `caseId`.
    event CollateralReleased(
        uint256 indexed account, address indexed asset, uint256 amount, address indexed to, uint256 caseId
    );
    /// @notice Segregated `account` moved from member `from` to member `to` under case `caseId`.
    event AccountReassigned(uint256 indexed account, address indexed from, address indexed to, uint256 caseId);
    /// @notice The owner of `account` replaced its standing instruction (pull order = array order).
    event StandingInstructionSet(uint256 indexed account, Instruction[] instruction);

    // ---------------------------------------------------------------- accounts (CCP_OPERATOR_ROLE)

    /// @notice Opens an account for `owner`, checked against the participant registry: an active
    /// clearing member for its own accounts, an active segregated client of an active member for a
    /// segregated one (no account opens for a client of a member in default), and the CCP for the
    /// clearing-fund account that holds its own first tranche of the default waterfall.
    function openAccount(address owner, AccountKind kind) external returns (uint256 account);

    // ---------------------------------------------------------------- collateral (account owner)

    /// @notice Deposits `amount` of `asset` from the caller (who approved the vault) into `account`.
    /// @dev The owner only; not for omnibus accounts. Re-evaluates an open call.
    function deposit(uint256 account, address asset, uint256 amount) external;

    /// @notice Deposits into omnibus `account` on behalf of its client `client`.
    /// @dev The member who owns the account, or `client` itself, pays. Re-evaluates an open call.
    function depositFor(uint256 account, address client, address asset, uint256 amount) external;

    /// @notice Withdraws `amount` of `asset` from `account` to the owner, if value stays at or above
    /// the requirement, the member answerable for the account and its owner are active, and no call
    /// on any account of that member is open past its deadline.
    function withdraw(uint256 account, address asset, uint256 amount) external;

    /// @notice Returns `client`'s `amount` of `asset` from omnibus `account` to the client, on the same
    /// conditions as `withdraw`, the client active too.
    /// @dev The member who owns the omnibus account.
    function withdrawFor(uint256 account, address client, address asset, uint256 amount) external;

    /// @notice Replaces the standing instruction of `account` (at most 8 entries, pulled in order).
    /// @dev The owner only; not for omnibus accounts. The owner approves the vault on each asset.
    function setStandingInstruction(uint256 account, Instruction[] calldata instruction) external;

    /// @notice Replaces `client`'s standing instruction for its shares of omnibus `account`'s calls:
    /// pulled from its wallet into the omnibus account, under its name, when a share is passed on.
    /// @dev The client itself only; it approves the vault on each asset.
    function setClientStandingInstruction(uint256 account, address client, Instruction[] calldata instruction) external;

    // ---------------------------------------------------------------- margin (MARGIN_ENGINE_ROLE)

    /// @notice Sets the requirement (whole JPY) of many accounts at once, and re-evaluates their open
    /// calls against it at once (a lowered requirement the collateral now covers meets a call).
    /// @dev A frozen account is skipped (`AccountSkipped`).
    function postRequirements(uint256[] calldata accounts, uint256[] calldata requirementsJpy, bytes32 runId) external;

    /// @notice Issues a call on every account given that is short of its requirement, due at `deadline`,
    /// and pulls collateral by standing instruction in the same transaction. An account already
    /// called for its requirement, covered, frozen, or whose owner is not active is skipped with an
    /// `AccountSkipped` event; the others are called.
    /// @return callIds one per account, in order; 0 for an account skipped.
    function issueMarginCalls(uint256[] calldata accounts, CallType callType, uint64 deadline)
        external
        returns (uint256[] memory callIds);

    /// @notice Marks calls whose deadline has passed and that are not met as overdue; a call now covered
    /// is met instead; a call no longer open or not yet due is skipped (`CallSkipped`). A deadline is
    /// judged by the value with collateral whose price has lapsed counted as nothing
    /// (`IMarketData.valueCollateralPrudently`): a stale price never holds a call back from overdue.
    function markOverdue(uint256[] calldata callIds) external;

    /// @notice Passes omnibus call `callId` on to the member's clients: each gets its share, due by
    /// `deadline` (no later than the call's). The shares must add up to what the call still asks
    /// now (payments made since it was issued count). A client's deposits into the omnibus account
    /// count toward its share; clients with a standing instruction are pulled from in the same
    /// transaction.
    /// @dev The member who owns the omnibus account; once per call, before its deadline; not on a
    /// frozen account.
    function passOnMarginCall(
        uint256 callId,
        address[] calldata clients,
        uint256[] calldata amountsJpy,
        uint64 deadline
    ) external;

    /// @notice Marks the shares of call `callId` that are past their deadline and unpaid as overdue;
    /// the rest are left as they are.
    /// @dev The member who owns the omnibus account.
    function markSharesOverdue(uint256 callId) external;

    // ---------------------------------------------------------------- default (DEFAULT_MANAGER_ROLE)

    /// @notice Confirms that call `callId` was missed and returns the member answerable for it: the
    /// call is past its deadline and, re-valued now, still short (it is marked overdue if it was not).
    /// A call the collateral now covers (a price rose) is refused (`VaultMarginCallState`, status
    /// `Met`; the margin engine's next batch records it as met). Collateral whose price has lapsed
    /// counts as nothing here, as in `markOverdue`: a stale price never blocks a default.
    function confirmMissedCall(uint256 callId) external returns (address member);

    /// @notice Closes every open call on every account `member` answers for (house, clearing fund,
    /// omnibus, its segregated clients'), each with `MarginCallDefaulted`, and freezes them all.
    function freezeMember(address member, uint256 caseId) external;

    /// @notice Moves `amount` of `asset` from account `from` (from `fromClient`'s sub-ledger when it is
    /// an omnibus account) to account `to` (into `toClient`'s when omnibus), frozen or not, under
    /// default case `caseId`: into the caller's default-management account (opened on first use) a
    /// seizure (`CollateralSeized`), otherwise a transfer (`CollateralTransferred`): collateral
    /// returned, or a client's ported to another member's omnibus account.
    function moveCollateral(
        uint256 from,
        address fromClient,
        uint256 to,
        address toClient,
        address asset,
        uint256 amount,
        uint256 caseId
    ) external;

    /// @notice Pays `amount` of `asset` out of account `id` (out of `client`'s sub-ledger when omnibus)
    /// to its owner's wallet, or the client's, under case `caseId` (`CollateralReleased`): a client's
    /// net collateral returned after its close-out.
    function release(uint256 id, address client, address asset, uint256 amount, uint256 caseId) external;

    /// @notice Makes `member` answerable for segregated account `id` (its client was ported), with
    /// `AccountReassigned`. Refused while a call is open on it.
    function reassign(uint256 id, address member, uint256 caseId) external;

    /// @notice Unfreezes `account` under case `caseId`, with `AccountUnfrozen`.
    function unfreeze(uint256 account, uint256 caseId) external;

    // ---------------------------------------------------------------- substitution (SUBSTITUTION_ROLE)

    /// @notice Exchanges collateral in account `id` in one step (in `client`'s sub-ledger when it is an
    /// omnibus account; `client` is zero otherwise): books `out` out and `into` in, values the account
    /// on the final state and checks the substitution rule there (value after at least the
    /// requirement, or, for an account already short, at least the value before:
    /// `VaultSubstitutionShort`), then pulls each leg in from `payer` (`CollateralDeposited`) and pays
    /// each leg out to `receiver` (`CollateralWithdrawn`, with the value after), and re-evaluates the
    /// account's open calls at that value. Refused, nothing changed, when the account is frozen, its
    /// member, owner or client is not active or the member has a call open past its deadline, a leg
    /// out exceeds the holding (or the client's), a leg in is zero, not eligible or never priced, or a
    /// price the valuation needs is missing or stale.
    /// @dev Who may substitute, that a client is named for an omnibus account only, zero legs out,
    /// repeated legs and the number of legs are the caller's to check (the CollateralSubstitution
    /// contract, see {ICollateralSubstitution}).
    /// @return valueBefore the account's value before, and `valueAfter` after, in JPY.
    function exchange(
        uint256 id,
        address client,
        Leg[] calldata out,
        Leg[] calldata into,
        address payer,
        address receiver
    ) external returns (uint256 valueBefore, uint256 valueAfter);

    // ---------------------------------------------------------------- views

    /// @notice The id of the `kind` account of `owner`.
    function accountId(address owner, AccountKind kind) external pure returns (uint256);

    function account(uint256 account) external view returns (Account memory);

    function holding(uint256 account, address asset) external view returns (uint256);

    /// @notice Assets `account` holds (or has held).
    function assetsOf(uint256 account) external view returns (address[] memory);

    /// @notice Collateral value of `account` in JPY after haircuts and concentration limits (against
    /// its requirement); reverts naming the asset or currency when a price or rate is missing or stale.
    function collateralValue(uint256 account) external view returns (uint256);

    function marginCall(uint256 callId) external view returns (MarginCall memory);

    function marginCallCount() external view returns (uint256);

    function standingInstruction(uint256 account) external view returns (Instruction[] memory);

    function clientStandingInstruction(uint256 account, address client) external view returns (Instruction[] memory);

    /// @notice The open calls of `account`, newest first.
    function openCalls(uint256 account) external view returns (uint256[] memory callIds);

    /// @notice The shares of call `callId` passed on to clients, in the order given.
    function clientShares(uint256 callId) external view returns (ClientShare[] memory);

    /// @notice `client`'s quantity of `asset` in omnibus `account`.
    function subLedger(uint256 account, address client, address asset) external view returns (uint256);

    /// @notice Clients that have held anything in omnibus `account`.
    function beneficialOwners(uint256 account) external view returns (address[] memory);

    /// @notice The clearing member answerable for `account`: its owner, or a segregated client's member.
    function memberOf(uint256 account) external view returns (address);

    /// @notice Every account `member` answers for: its own and its segregated clients'.
    function accountsOf(address member) external view returns (uint256[] memory);
}
