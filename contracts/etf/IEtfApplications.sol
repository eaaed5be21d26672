// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IEtfRegistry} from "./IEtfRegistry.sol";

/// @title IEtfApplications
/// @notice Creation and redemption applications for notified ETFs, from application to novation
/// (reference 000; reference 004, article 46-2). A clearing member applies (a creation in kind or in
/// cash, a cash redemption, or an exchange of units for the basket) for a number of creation units;
/// the ETF special participant (the ETF's manager) accepts it by drawing up the statement (計算書):
/// the units, the basket from the ETF's current composition and the yen; the ETF's trust bank
/// approves the statement, which fixes the statement date T (the Tokyo day of the approval); the
/// CCP then checks eligibility exactly as article 46-2 states and novates: the member's
/// obligations to the CCP and the ETF special participant's, settled through its trust bank, are
/// recorded in the settlement books of T+2 business days. An application the CCP finds ineligible
/// is refused, with the reason, and nothing is recorded for it.
/// @dev Each step is allowed only from the status before it (`EtfApplicationOutOfOrder`). Amounts of
/// the statement are the member's side: positive it receives, negative it delivers or pays; the ETF
/// special participant's side is the negation. A batch of novations refuses ineligible applications
/// one by one (`NovationRefused` carries the typed reason) instead of failing as a whole.
interface IEtfApplications {
    /// @notice Where an application stands.
    enum Status {
        None,
        Applied,
        Stated,
        Approved,
        Novated,
        Declined,
        Refused,
        Lapsed
    }

    /// @notice An application. `cashJpy` is the statement's yen on the member's side (zero before the
    /// statement); `statementDay` is T, `settlementDay` T+2 business days (zero until fixed).
    struct Application {
        bytes12 code;
        IEtfRegistry.ApplicationKind kind;
        Status status;
        address member;
        uint64 creationUnits;
        uint32 statementDay;
        uint32 settlementDay;
        int256 cashJpy;
    }

    // ---------------------------------------------------------------- errors

    /// @notice No application `id`.
    error EtfApplicationUnknown(uint256 id);
    /// @notice Application `id` is `status`; this step needs it `required`.
    error EtfApplicationOutOfOrder(uint256 id, Status status, Status required);
    /// @notice Only `expected` (the applicant, the ETF's manager or its trust bank) may do this to
    /// application `id`; `caller` is not it.
    error EtfApplicationNotParty(uint256 id, address expected, address caller);
    /// @notice An application needs at least one creation unit and an ETF code.
    error EtfApplicationInvalid(bytes12 code, uint64 creationUnits);
    /// @notice `caller` is not an active clearing member.
    error EtfNotClearingMember(address caller);
    /// @notice The statement's yen for application `id` must be `expectedJpy` JPY (`cashJpy` JPY given): an
    /// in-kind creation pays the basket's cash component, an exchange none, a cash type some.
    error EtfStatementCashInvalid(uint256 id, uint256 expectedJpy, uint256 cashJpy);
    /// @notice The operation needs a non-empty list.
    error EtfApplicationsEmpty();
    /// @notice Application `id` cannot lapse: its ETF special participant `manager` is active.
    error EtfManagerActive(uint256 id, address manager);

    // ---------------------------------------------------------------- events

    /// @notice `member` applied (`id`) for `kind` of `creationUnits` creation units of ETF `code`.
    event Applied(
        uint256 indexed id,
        bytes12 indexed code,
        address indexed member,
        IEtfRegistry.ApplicationKind kind,
        uint64 creationUnits
    );
    /// @notice The ETF special participant declined application `id` for `reason`.
    event ApplicationDeclined(uint256 indexed id, bytes32 reason);
    /// @notice The ETF special participant drew up the statement of application `id`: on the member's
    /// side, `quantities` of `tokens` and `cashJpy` yen.
    event StatementDrawnUp(uint256 indexed id, IERC20[] tokens, int256[] quantities, int256 cashJpy);
    /// @notice The trust bank approved the statement of application `id`, dated `statementDay` (T).
    event StatementApproved(uint256 indexed id, uint32 statementDay);
    /// @notice The CCP novated application `id`, settling on `settlementDay`.
    event Novated(uint256 indexed id, uint32 settlementDay, bytes32 memberBook, bytes32 trustBankBook);
    /// @notice Application `id` lapsed back to its application: its ETF special participant defaulted
    /// before it settled, and its obligations left the settlement books.
    event ApplicationLapsed(uint256 indexed id);
    /// @notice The CCP refused to novate application `id`: `reason` is the article 46-2 condition it
    /// fails, as the registry's typed error.
    event NovationRefused(uint256 indexed id, bytes reason);

    // ---------------------------------------------------------------- steps

    /// @notice Apply for `kind` of `creationUnits` creation units of ETF `code` (an active clearing member).
    function applyFor(bytes12 code, IEtfRegistry.ApplicationKind kind, uint64 creationUnits)
        external
        returns (uint256 id);

    /// @notice Decline application `id` (the ETF's manager, before drawing up its statement).
    function decline(uint256 id, bytes32 reason) external;

    /// @notice Accept application `id` and draw up its statement with `cashJpy` yen (the ETF's
    /// manager): for an in-kind creation the basket's cash component, for an exchange zero, for a
    /// cash creation or redemption the amount the manager fixes.
    function drawUpStatement(uint256 id, uint256 cashJpy) external;

    /// @notice Approve the statement of application `id`, fixing T as today (the ETF's trust bank).
    function approve(uint256 id) external;

    /// @notice Check eligibility and novate the approved applications `ids` (the CCP).
    function novate(uint256[] calldata ids) external;

    /// @notice Let novated applications `ids` lapse (the CCP): their ETF special participant is no
    /// longer active (suspended or defaulted) and they have not started settling on its side.
    function lapse(uint256[] calldata ids) external;

    // ---------------------------------------------------------------- reads

    /// @notice Application `id`.
    function application(uint256 id) external view returns (Application memory);

    /// @notice The statement of application `id`, on the member's side.
    function statement(uint256 id)
        external
        view
        returns (IERC20[] memory tokens, int256[] memory quantities, int256 cashJpy);

    /// @notice How many applications there are (ids run from 1).
    function applicationCount() external view returns (uint256);
}
