// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IEtfSettlement
/// @notice The settlement side of ETF creation and redemption clearing (reference 004, articles 47,
/// 48 and 50). Every obligation the CCP novates for a settlement day is recorded in a book: one per
/// clearing member and day (`Member`), netted together with that day's exchange trades, and, for the
/// ETF special participant, one per trust bank and day for creations (`Creation`) and one for
/// redemptions and exchanges (`Redemption`), which article 50 keeps apart. A book holds, per
/// security, the net quantity (positive: the party receives) and one net yen amount; the gross
/// amounts are kept beside them so that anyone can measure what netting saved. When the CCP closes
/// the day's netting every security and the yen must net to zero across the day's books: the CCP
/// is the counterparty to every obligation and keeps no position.
///
/// Settlement day, Tokyo time (article 48): pre-funding cash and DvP deliveries by 13:00, DvP
/// receipts by 14:15, surplus returned by 14:45, ETF units cancelled by 15:30; each cut-off is the
/// last second its step is allowed, after which the step is refused. Delivery versus payment
/// (article 47): the CCP hands securities to a party only up to the value that party has delivered
/// to it, securities at the day's DvP clearing price plus yen paid in, net of what it has already
/// received (securities at the DvP price and yen paid out). Yen owed to a party is paid once it has
/// delivered every security it owes. A trust bank creates the units of its creation book by minting
/// them into the settlement (this contract holds the unit tokens' issuer role) and cancels the units
/// of its redemption book by burning them on receipt.
/// Fails (rules on unsettled deliveries, art. 3 and 14): after the 13:00 cut-off the CCP may declare
/// what a book has not delivered of a security failed for an unavoidable reason; it rolls, with its
/// yen at the day's DvP price, into the party's book of the next business day, which also owes a
/// late charge of 0.04 % of that value a day, counted as `chargeDays` (an ordinary Friday 3).
/// After the 14:15 cut-off the receipts the fail left the CCP unable to make roll the same way, and
/// the receivers are owed the late charge on their share. Charges round up for the payer and down
/// for the receiver, so the CCP never pays out more than it collects. A receiver may ask for a
/// buy-in on a rolled receipt; from the third business day counted from the request, after that
/// day's DvP cut-off, the CCP may designate a failing party to buy in on its own account. A fail's
/// yen adjustment may be paid in until 14:45. When an ETF special participant defaults, the CCP
/// voids the obligations of its contracts not yet settled (their applications lapse) and the
/// members' deliveries for them come back as surplus.
/// @dev This contract is a `SystemContract` of the participant register. At any time it holds, per
/// security and day, exactly what was delivered and not yet handed on, and per day the yen paid in
/// and not yet paid out or returned.
interface IEtfSettlement {
    /// @notice Whose book: a clearing member's (netted with its trades), or a trust bank's for the
    /// ETF special participant's creations, or for its redemptions and exchanges.
    enum Stream {
        Member,
        Creation,
        Redemption
    }

    /// @notice The steps of settlement day, in cut-off order.
    enum Step {
        Deliver,
        Receive,
        Surplus,
        Cancel
    }

    /// @notice One side of an exchange trade the CCP novated: `member` bought (or sold) `quantity` of
    /// `token` at `priceJpy` yen per unit, settling on the day it is recorded for.
    struct Trade {
        address member;
        IERC20 token;
        bool buy;
        uint256 quantity;
        uint256 priceJpy;
    }

    /// @notice A book. Yen amounts: `cash` net (positive: the party receives), `charges` late charges
    /// of fails (negative: the party pays them; they settle with the book's yen but are not netted),
    /// `cashIn` paid in (less any surplus returned), `cashOut` paid out, `valueIn` delivered
    /// (securities at the DvP price plus yen), `valueOut` handed to the party, `grossCash` the sum of
    /// every obligation's yen.
    struct Book {
        address party;
        uint32 day;
        Stream stream;
        int256 cash;
        int256 charges;
        uint256 cashIn;
        uint256 cashOut;
        uint256 valueIn;
        uint256 valueOut;
        uint256 grossCash;
    }

    /// @notice A security in a book: the net quantity (positive: the party receives), what it has
    /// delivered and received of it, and the sum of the quantities of every obligation in it.
    struct Leg {
        IERC20 token;
        int256 net;
        uint256 delivered;
        uint256 received;
        uint256 gross;
    }

    // ---------------------------------------------------------------- errors

    /// @notice The netting of day `day` is closed: nothing more settles on it.
    error EtfDayClosed(uint32 day);
    /// @notice The netting of day `day` is not closed yet: it settles once it is.
    error EtfDayNotClosed(uint32 day);
    /// @notice Day `day` does not net to zero in `token` (the cash token for yen): off by `imbalance`.
    error EtfDayUnbalanced(uint32 day, address token, int256 imbalance);
    /// @notice Trade `index` of the batch is not usable: zero quantity or price, or no clearing member.
    error EtfTradeInvalid(uint256 index);
    /// @notice An obligation to record is not usable: empty, mismatched, or zero.
    error EtfObligationInvalid();
    /// @notice No book `bookId`.
    error EtfBookUnknown(bytes32 bookId);
    /// @notice Only `party` may do this to book `bookId`; `caller` is not it.
    error EtfNotBookParty(bytes32 bookId, address party, address caller);
    /// @notice Book `bookId` is not a `stream` book; this step is for those only.
    error EtfWrongStream(bytes32 bookId, Stream stream);
    /// @notice Settlement day `day` is not today (`today`).
    error EtfNotSettlementDay(uint32 day, uint32 today);
    /// @notice The cut-off for `step` (`cutoff`) has passed (now `at`).
    error EtfCutoffPassed(Step step, uint64 cutoff, uint64 at);
    /// @notice No DvP clearing price for `token` on day `day`.
    error EtfNoDvpPrice(uint32 day, address token);
    /// @notice The DvP clearing price of `token` on day `day` is set already.
    error EtfDvpPriceFixed(uint32 day, address token);
    /// @notice Delivering `quantity` of `token` exceeds what book `bookId` still owes (`owed`).
    error EtfDeliveryExceedsObligation(bytes32 bookId, address token, uint256 owed, uint256 quantity);
    /// @notice Nothing to do: a zero amount, or nothing owed or due.
    error EtfNothingToDo();
    /// @notice `step`'s cut-off (`cutoff`) has not passed yet (now `at`): this comes after it.
    error EtfCutoffNotPassed(Step step, uint64 cutoff, uint64 at);
    /// @notice Book `bookId` is due no receipt of `token` that a fail left the CCP unable to make.
    error EtfNothingToRoll(bytes32 bookId, address token);
    /// @notice Nobody has asked for a buy-in of `token` settling on `day`.
    error EtfNoBuyInRequest(uint32 day, address token);
    /// @notice A buy-in of `token` settling on `day` may be designated from `earliest` (now `today`).
    error EtfBuyInTooEarly(uint32 day, address token, uint32 earliest, uint32 today);
    /// @notice Book `bookId` has started settling (something handed to it, a fail rolled, or what
    /// it delivered already handed on): its obligations can no longer be voided.
    error EtfBookSettling(bytes32 bookId);
    /// @notice Book `bookId` is still due `due` of `token`: it receives, or rolls, first.
    error EtfStillDue(bytes32 bookId, address token, uint256 due);
    /// @notice Book `bookId` still owes `owed` of `token`: it delivers, or fails, first.
    error EtfStillOwed(bytes32 bookId, address token, uint256 owed);

    // ---------------------------------------------------------------- events

    /// @notice The CCP novated a trade of `member`: `quantity` of `token` bought (or sold) at `priceJpy`.
    event TradeNovated(
        uint32 indexed day, address indexed member, address indexed token, bool buy, uint256 quantity, uint256 priceJpy
    );
    /// @notice Book `bookId` (of `party`, `stream`, settling on `day`) was opened by its first obligation.
    event BookOpened(bytes32 indexed bookId, uint32 indexed day, address indexed party, Stream stream);
    /// @notice Obligations `ref` entered book `bookId`: `quantities` of `tokens` and `cashJpy` yen.
    event ObligationsRecorded(
        bytes32 indexed bookId, bytes32 indexed ref, IERC20[] tokens, int256[] quantities, int256 cashJpy
    );
    /// @notice The netting of day `day` closed with `books` books; the day now settles.
    event NettingClosed(uint32 indexed day, uint256 books);
    /// @notice The DvP clearing price of `token` on day `day` is `priceJpy`.
    event DvpPriceSet(uint32 indexed day, address indexed token, uint256 priceJpy);
    /// @notice Book `bookId` delivered `quantity` of `token`, worth `valueJpy` at the DvP price.
    event Delivered(bytes32 indexed bookId, address indexed token, uint256 quantity, uint256 valueJpy);
    /// @notice Book `bookId` paid in `amountJpy` yen.
    event CashPaidIn(bytes32 indexed bookId, uint256 amountJpy);
    /// @notice Book `bookId` received `quantity` of `token`, worth `valueJpy` at the DvP price.
    event Received(bytes32 indexed bookId, address indexed token, uint256 quantity, uint256 valueJpy);
    /// @notice Book `bookId` was paid `amountJpy` yen it was owed.
    event CashPaidOut(bytes32 indexed bookId, uint256 amountJpy);
    /// @notice Book `bookId` had `quantity` of `token` it delivered for a lapsed obligation returned.
    event DeliveryReturned(bytes32 indexed bookId, address indexed token, uint256 quantity, uint256 valueJpy);
    /// @notice Book `bookId` had `amountJpy` yen paid in beyond what it owed returned.
    event SurplusReturned(bytes32 indexed bookId, uint256 amountJpy);
    /// @notice The trust bank of creation book `bookId` created `quantity` units of `token` into it.
    event UnitsCreated(bytes32 indexed bookId, address indexed token, uint256 quantity);
    /// @notice The trust bank of redemption book `bookId` cancelled `quantity` units of `token`.
    event UnitsCancelled(bytes32 indexed bookId, address indexed token, uint256 quantity);
    /// @notice Book `bookId` was passed over by a batch: its party cannot receive now.
    event BookSkipped(bytes32 indexed bookId);
    /// @notice Book `bookId` failed to deliver `quantity` of `token` (worth `valueJpy` at the DvP
    /// price): it rolls to book `toBookId` of the next business day with a late charge of `chargeJpy`.
    event DeliveryRolled(
        bytes32 indexed bookId,
        address indexed token,
        uint256 quantity,
        uint256 valueJpy,
        bytes32 toBookId,
        uint256 chargeJpy
    );
    /// @notice Book `bookId`'s receipt of `quantity` of `token` rolls to book `toBookId`, which is owed
    /// a late charge of `chargeJpy`.
    event ReceiptRolled(
        bytes32 indexed bookId,
        address indexed token,
        uint256 quantity,
        uint256 valueJpy,
        bytes32 toBookId,
        uint256 chargeJpy
    );
    /// @notice The party of book `bookId` asked for a buy-in of `token`, which may be designated from `from`.
    event BuyInRequested(bytes32 indexed bookId, address indexed token, uint32 from);
    /// @notice The CCP designated the party of book `bookId` to buy in `quantity` of `token` on its
    /// own account and deliver it.
    event BuyInDesignated(bytes32 indexed bookId, address indexed token, uint256 quantity);
    /// @notice Obligations `ref` were taken out of book `bookId`: the contract lapsed.
    event ObligationsVoided(bytes32 indexed bookId, bytes32 indexed ref);

    // ---------------------------------------------------------------- recording (CCP, novator)

    /// @notice Novate exchange trades settling on `day` into the members' books.
    function recordTrades(uint32 day, Trade[] calldata trades) external;

    /// @notice Record a novated statement's obligations in the book of `party`, `stream`, `day`.
    function record(
        uint32 day,
        address party,
        Stream stream,
        IERC20[] calldata tokens,
        int256[] calldata quantities,
        int256 cashJpy,
        bytes32 ref
    ) external;

    /// @notice Close the netting of `day`: every security and the yen must net to zero, and the
    /// previous business day's 14:45 cut-off must have passed (what its fails roll comes first).
    function closeNetting(uint32 day) external;

    /// @notice Set the DvP clearing prices of `day`, once per security.
    function setDvpPrices(uint32 day, IERC20[] calldata tokens, uint256[] calldata pricesJpy) external;

    /// @notice Take obligations `ref` out of the book of `party`, `stream`, `day` (a lapsed contract,
    /// the novator); refused once a trust bank's book has started settling.
    function void(
        uint32 day,
        address party,
        Stream stream,
        IERC20[] calldata tokens,
        int256[] calldata quantities,
        int256 cashJpy,
        bytes32 ref
    ) external;

    // ---------------------------------------------------------------- settlement day

    /// @notice Deliver `quantity` of `token` that book `bookId` owes (its party, by 13:00).
    function deliver(bytes32 bookId, IERC20 token, uint256 quantity) external;

    /// @notice Pay `amountJpy` yen into book `bookId`: what it owes, and any pre-funding (by 13:00);
    /// after 13:00 and by 14:45, no more than what it still owes (a fail's yen adjustment) or, until
    /// 14:15 and if more, what article 47 needs to hand it what it is still due.
    function payIn(bytes32 bookId, uint256 amountJpy) external;

    /// @notice Create the units creation book `bookId` owes, into the settlement (its trust bank, by 13:00).
    function createUnits(bytes32 bookId) external;

    /// @notice Hand book `bookId` what it is due as far as article 47 allows, then its yen once it has
    /// delivered everything (its party or the CCP, by 14:15). Not for redemption books: they cancel.
    function collect(bytes32 bookId) external;

    /// @notice `collect` for many books (the CCP; late, after 14:15, until 14:45, before rolling
    /// what the day's fails left unmade); a book whose party cannot receive is skipped.
    function collectMany(bytes32[] calldata bookIds) external;

    /// @notice Pay book `bookId` the yen it is still due (a receipt that rolled after 14:15 is a
    /// non-DvP payment), then return what it delivered beyond what it owes, yen and securities, once
    /// it neither owes nor is due any security (yen as far as the day holds it: what it paid that
    /// went on to others before a lapse or a roll comes back once those who owe it pay) (its party or the CCP, by 14:45, a redemption book by 15:30 as it
    /// cancels its units; after a lapse, any time).
    function returnSurplus(bytes32 bookId) external;

    /// @notice Take and cancel the units redemption book `bookId` is due, as far as article 47 allows
    /// (its trust bank, by 15:30).
    function cancelUnits(bytes32 bookId) external;

    // ---------------------------------------------------------------- fails

    /// @notice Declare what book `bookId` has not delivered of `token` failed (the CCP, after 13:00
    /// and by 14:45 on the day): it rolls to the next business day with its late charge.
    function declareFail(bytes32 bookId, IERC20 token) external;

    /// @notice Roll book `bookId`'s receipt of `token` that the day's fails left unmade (the CCP,
    /// after 14:15 and by 14:45): to the next business day, with the late charge owed to it.
    function rollReceipt(bytes32 bookId, IERC20 token) external;

    /// @notice Ask for a buy-in of `token` rolled into book `bookId` (its party).
    function requestBuyIn(bytes32 bookId, IERC20 token) external;

    /// @notice Designate book `bookId`'s party, failing to deliver `token`, to buy it in (the CCP,
    /// after the day's 13:00 cut-off, from the third business day counted from the request).
    function designateBuyIn(bytes32 bookId, IERC20 token) external;

    // ---------------------------------------------------------------- reads

    /// @notice The yen token cash is paid in.
    function cash() external view returns (IERC20);

    /// @notice The id of the book of `party`, `stream`, `day`.
    function bookId(uint32 day, address party, Stream stream) external pure returns (bytes32);

    /// @notice Book `bookId`.
    function book(bytes32 bookId) external view returns (Book memory);

    /// @notice The securities of book `bookId`.
    function legs(bytes32 bookId) external view returns (Leg[] memory);

    /// @notice The books settling on `day`, in the order they were opened.
    function booksOn(uint32 day) external view returns (bytes32[] memory);

    /// @notice Whether the netting of `day` is closed.
    function nettingClosed(uint32 day) external view returns (bool);

    /// @notice The DvP clearing price of `token` on `day` (zero: not set).
    function dvpPrice(uint32 day, IERC20 token) external view returns (uint256);

    /// @notice What this contract holds of `token` for `day` (the cash token: yen of that day).
    function held(uint32 day, IERC20 token) external view returns (uint256);

    /// @notice The first day a buy-in of `token` settling on `day` may be designated (zero: none asked).
    function buyInFrom(uint32 day, IERC20 token) external view returns (uint32);

    /// @notice The settlement timetable: the unix time of `step`'s cut-off on `day`.
    function cutoff(uint32 day, Step step) external view returns (uint64);
}
