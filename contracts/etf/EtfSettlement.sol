// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {IPermissionedToken} from "../tokens/IPermissionedToken.sol";
import {IEtfSettlement} from "./IEtfSettlement.sol";
import {ITradingCalendar} from "./ITradingCalendar.sol";

/// @title EtfSettlement
/// @notice See {IEtfSettlement}.
/// @dev Recording a trade costs a fixed number of storage writes (the member's leg and yen, the
/// day's running totals), so netting costs the same per member however many members there are;
/// closing a day walks the day's securities, not its books. Quantities and yen are bounded by
/// `type(int256).max` through SafeCast.
contract EtfSettlement is IEtfSettlement, AccessControl {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice The CCP: novates trades, closes the netting, sets DvP prices, settles many books.
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;
    /// @notice Records the obligations of novated statements (the EtfApplications contract).
    bytes32 public constant NOVATOR_ROLE = Roles.NOVATOR;

    uint32 private constant _DELIVER_BY = 13 hours;
    uint32 private constant _RECEIVE_BY = 14 hours + 15 minutes;
    uint32 private constant _SURPLUS_BY = 14 hours + 45 minutes;
    uint32 private constant _CANCEL_BY = 15 hours + 30 minutes;
    /// @dev 0.04 % a day: 4 sen per JPY 100 (rules on unsettled deliveries, art. 3).
    uint256 private constant _LATE_CHARGE_BPS = 4;

    IParticipantRegistry private immutable _participants;
    ITradingCalendar private immutable _calendar;
    IERC20 private immutable _cash;

    mapping(bytes32 bookId => Book) private _books;
    mapping(bytes32 bookId => IERC20[]) private _bookTokens;
    mapping(bytes32 bookId => mapping(IERC20 token => Leg)) private _legs;
    mapping(uint32 day => bytes32[]) private _dayBooks;
    mapping(uint32 day => IERC20[]) private _dayTokens;
    mapping(uint32 day => mapping(IERC20 token => int256)) private _dayNet;
    mapping(uint32 day => mapping(IERC20 token => bool)) private _dayHas;
    mapping(uint32 day => int256) private _dayCash;
    mapping(uint32 day => bool) private _closed;
    mapping(uint32 day => mapping(IERC20 token => uint256)) private _prices;
    mapping(uint32 day => mapping(IERC20 token => uint256)) private _held;
    mapping(uint32 day => mapping(IERC20 token => uint256)) private _failed;
    mapping(uint32 day => mapping(IERC20 token => uint256)) private _rolled;
    mapping(uint32 day => mapping(IERC20 token => uint32)) private _buyInFrom;
    mapping(bytes32 bookId => mapping(IERC20 token => uint256)) private _rolledIn;
    /// @dev Books a lapse took obligations out of: their surplus and returns know no cut-off.
    mapping(bytes32 bookId => bool) private _voided;
    /// @dev Books a fail rolled out of or into: their obligations can no longer be voided.
    mapping(bytes32 bookId => bool) private _rolledBook;
    /// @dev Yen paid in beyond what each book owes (pre-funding), per book and per day: never paid
    /// out to anyone but its payer.
    mapping(bytes32 bookId => uint256) private _surplusOf;
    mapping(uint32 day => uint256) private _surplusHeld;
    /// @dev What parties delivered for obligations that then lapsed: held for them, never handed on.
    mapping(uint32 day => mapping(IERC20 token => uint256)) private _reserved;

    constructor(IParticipantRegistry participants, ITradingCalendar calendar_, IERC20 cash_, address admin) {
        _participants = participants;
        _calendar = calendar_;
        _cash = cash_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
    }

    // ---------------------------------------------------------------- recording

    /// @inheritdoc IEtfSettlement
    function recordTrades(uint32 day, Trade[] calldata trades) external onlyRole(Roles.CCP_OPERATOR) {
        _open(day);
        if (trades.length == 0) revert EtfNothingToDo();
        for (uint256 i; i < trades.length; ++i) {
            Trade calldata t = trades[i];
            if (
                t.quantity == 0 || t.priceJpy == 0 || address(t.token) == address(0) || t.token == _cash
                    || _participants.participant(t.member).kind != IParticipantRegistry.Kind.ClearingMember
            ) revert EtfTradeInvalid(i);
            bytes32 id = _book(day, t.member, Stream.Member);
            int256 quantity = t.quantity.toInt256();
            int256 value = (t.quantity * t.priceJpy).toInt256();
            _addLeg(day, id, t.token, t.buy ? quantity : -quantity);
            _addCash(day, id, t.buy ? -value : value);
            emit TradeNovated(day, t.member, address(t.token), t.buy, t.quantity, t.priceJpy);
        }
    }

    /// @inheritdoc IEtfSettlement
    function record(
        uint32 day,
        address party,
        Stream stream,
        IERC20[] calldata tokens,
        int256[] calldata quantities,
        int256 cashJpy,
        bytes32 ref
    ) external onlyRole(Roles.NOVATOR) {
        _open(day);
        if (tokens.length != quantities.length || (tokens.length == 0 && cashJpy == 0) || party == address(0)) {
            revert EtfObligationInvalid();
        }
        bytes32 id = _book(day, party, stream);
        for (uint256 i; i < tokens.length; ++i) {
            if (quantities[i] == 0 || tokens[i] == _cash) revert EtfObligationInvalid();
            _addLeg(day, id, tokens[i], quantities[i]);
        }
        if (cashJpy != 0) _addCash(day, id, cashJpy);
        emit ObligationsRecorded(id, ref, tokens, quantities, cashJpy);
    }

    /// @inheritdoc IEtfSettlement
    function closeNetting(uint32 day) external onlyRole(Roles.CCP_OPERATOR) {
        _open(day);
        // What the previous business day fails rolls into this one, until its 14:45 cut-off (the
        // calendar's first business day has none before it, so nothing can roll into it).
        try _calendar.subBusinessDays(day, 1) returns (uint32 previous) {
            _after(previous, Step.Surplus);
        } catch {}
        IERC20[] storage tokens = _dayTokens[day];
        for (uint256 i; i < tokens.length; ++i) {
            int256 imbalance = _dayNet[day][tokens[i]];
            if (imbalance != 0) revert EtfDayUnbalanced(day, address(tokens[i]), imbalance);
        }
        if (_dayCash[day] != 0) revert EtfDayUnbalanced(day, address(_cash), _dayCash[day]);
        _closed[day] = true;
        emit NettingClosed(day, _dayBooks[day].length);
    }

    /// @inheritdoc IEtfSettlement
    function setDvpPrices(uint32 day, IERC20[] calldata tokens, uint256[] calldata pricesJpy)
        external
        onlyRole(Roles.CCP_OPERATOR)
    {
        if (tokens.length == 0 || tokens.length != pricesJpy.length) revert EtfNothingToDo();
        for (uint256 i; i < tokens.length; ++i) {
            if (pricesJpy[i] == 0) revert EtfNoDvpPrice(day, address(tokens[i]));
            if (_prices[day][tokens[i]] != 0) revert EtfDvpPriceFixed(day, address(tokens[i]));
            _prices[day][tokens[i]] = pricesJpy[i];
            emit DvpPriceSet(day, address(tokens[i]), pricesJpy[i]);
        }
    }

    // ---------------------------------------------------------------- settlement day

    /// @inheritdoc IEtfSettlement
    function deliver(bytes32 bookId, IERC20 token, uint256 quantity) external {
        Book storage b = _settling(bookId, Step.Deliver);
        _onlyParty(bookId, b);
        if (quantity == 0) revert EtfNothingToDo();
        Leg storage leg = _legs[bookId][token];
        uint256 owed = _owed(leg);
        if (quantity > owed) revert EtfDeliveryExceedsObligation(bookId, address(token), owed, quantity);
        uint256 value = quantity * _price(b.day, token);
        leg.delivered += quantity;
        b.valueIn += value;
        _held[b.day][token] += quantity;
        // slither-disable-next-line arbitrary-send-erc20: the book's party is the caller (_onlyParty above)
        token.safeTransferFrom(b.party, address(this), quantity);
        emit Delivered(bookId, address(token), quantity, value);
    }

    /// @inheritdoc IEtfSettlement
    function payIn(bytes32 bookId, uint256 amountJpy) external {
        Book storage b = _settling(bookId, Step.Surplus);
        _onlyParty(bookId, b);
        if (amountJpy == 0) revert EtfNothingToDo();
        uint64 by = cutoff(b.day, Step.Deliver);
        if (
            block.timestamp > by && amountJpy > _cashOwed(b)
                && (block.timestamp > cutoff(b.day, Step.Receive) || amountJpy > _uncovered(bookId, b))
        ) {
            // After 13:00 only what the book still owes (a fail's yen adjustment), or, until 14:15,
            // what article 47 needs to hand it what it is due (a fail took value it counted on).
            revert EtfCutoffPassed(Step.Deliver, by, uint64(block.timestamp));
        }
        b.cashIn += amountJpy;
        b.valueIn += amountJpy;
        _held[b.day][_cash] += amountJpy;
        _sync(bookId, b);
        // slither-disable-next-line arbitrary-send-erc20: the book's party is the caller (_onlyParty above)
        _cash.safeTransferFrom(b.party, address(this), amountJpy);
        emit CashPaidIn(bookId, amountJpy);
    }

    /// @inheritdoc IEtfSettlement
    function createUnits(bytes32 bookId) external {
        Book storage b = _settling(bookId, Step.Deliver);
        _onlyParty(bookId, b);
        if (b.stream != Stream.Creation) revert EtfWrongStream(bookId, b.stream);
        IERC20[] storage tokens = _bookTokens[bookId];
        bool created = false;
        for (uint256 i; i < tokens.length; ++i) {
            Leg storage leg = _legs[bookId][tokens[i]];
            uint256 owed = _owed(leg);
            if (owed == 0) continue;
            uint256 value = owed * _price(b.day, tokens[i]);
            leg.delivered += owed;
            b.valueIn += value;
            _held[b.day][tokens[i]] += owed;
            // Minted to the trust bank and taken straight in: a unit is never created but into a
            // creation that clears, and the register's checks on the trust bank apply as to a transfer.
            // slither-disable-next-line reentrancy-no-eth: Kabuto's own token, no callbacks
            IPermissionedToken(address(tokens[i])).mint(b.party, owed, bookId);
            // slither-disable-next-line arbitrary-send-erc20: the book's party is the caller (_onlyParty above)
            tokens[i].safeTransferFrom(b.party, address(this), owed);
            created = true;
            emit UnitsCreated(bookId, address(tokens[i]), owed);
            emit Delivered(bookId, address(tokens[i]), owed, value);
        }
        if (!created) revert EtfNothingToDo();
    }

    /// @inheritdoc IEtfSettlement
    function collect(bytes32 bookId) external {
        Book storage b = _settling(bookId, Step.Receive);
        if (_msgSender() != b.party && !hasRole(Roles.CCP_OPERATOR, _msgSender())) {
            revert EtfNotBookParty(bookId, b.party, _msgSender());
        }
        if (!_collect(bookId, b)) revert EtfNothingToDo();
    }

    /// @inheritdoc IEtfSettlement
    function collectMany(bytes32[] calldata bookIds) external onlyRole(Roles.CCP_OPERATOR) {
        if (bookIds.length == 0) revert EtfNothingToDo();
        for (uint256 i; i < bookIds.length; ++i) {
            // The CCP may still hand what it holds after 14:15, until 14:45, before it rolls what
            // the day's fails left unmade: a receipt late, rather than stock stranded.
            Book storage b = _settling(bookIds[i], Step.Surplus);
            if (!_participants.isActive(b.party)) {
                emit BookSkipped(bookIds[i]);
                continue;
            }
            _collect(bookIds[i], b);
        }
    }

    /// @inheritdoc IEtfSettlement
    function returnSurplus(bytes32 bookId) external {
        Book storage b = _known(bookId);
        // A redemption book receives its units as it cancels them, by 15:30: its surplus with them.
        if (!_voided[bookId]) _settling(bookId, b.stream == Stream.Redemption ? Step.Cancel : Step.Surplus);
        if (_msgSender() != b.party && !hasRole(Roles.CCP_OPERATOR, _msgSender())) {
            revert EtfNotBookParty(bookId, b.party, _msgSender());
        }
        IERC20[] storage tokens = _bookTokens[bookId];
        // Yen still due, a receipt's that rolled after 14:15 (a non-DvP payment), goes first.
        bool returned = _payDue(bookId, b);
        for (uint256 i; i < tokens.length; ++i) {
            Leg storage leg = _legs[bookId][tokens[i]];
            uint256 due = _due(leg);
            if (due != 0) revert EtfStillDue(bookId, address(tokens[i]), due);
            // Pre-funding stands behind what the book still owes until it delivers or fails.
            uint256 owed = _owed(leg);
            if (owed != 0) revert EtfStillOwed(bookId, address(tokens[i]), owed);
            uint256 owes = leg.net < 0 ? uint256(-leg.net) : 0;
            if (leg.delivered <= owes) continue;
            // Delivered for an obligation that lapsed: it goes back (its value left the book's when
            // the obligation was voided).
            uint256 quantity = leg.delivered - owes;
            uint256 value = quantity * _prices[b.day][tokens[i]];
            leg.delivered = owes;
            _held[b.day][tokens[i]] -= quantity;
            _reserved[b.day][tokens[i]] -= quantity;
            tokens[i].safeTransfer(b.party, quantity);
            returned = true;
            emit DeliveryReturned(bookId, address(tokens[i]), quantity, value);
        }
        int256 net = b.cash + b.charges;
        uint256 owedCash = net < 0 ? uint256(-net) : 0;
        if (b.cashIn > owedCash && _held[b.day][_cash] != 0) {
            // All of it, unless yen it paid went on to others before a lapse or a roll made it
            // surplus: then what the day holds now, the rest once those who owe it pay.
            uint256 surplus = Math.min(b.cashIn - owedCash, _held[b.day][_cash]);
            // The surplus leaves the book's value too: what it delivered now counts only what it owed.
            b.cashIn -= surplus;
            b.valueIn -= surplus;
            _held[b.day][_cash] -= surplus;
            _sync(bookId, b);
            _cash.safeTransfer(b.party, surplus);
            returned = true;
            emit SurplusReturned(bookId, surplus);
        }
        if (!returned) revert EtfNothingToDo();
    }

    /// @inheritdoc IEtfSettlement
    function cancelUnits(bytes32 bookId) external {
        Book storage b = _settling(bookId, Step.Cancel);
        _onlyParty(bookId, b);
        if (b.stream != Stream.Redemption) revert EtfWrongStream(bookId, b.stream);
        IERC20[] storage tokens = _bookTokens[bookId];
        bool cancelled = false;
        for (uint256 i; i < tokens.length; ++i) {
            uint256 quantity = _hand(bookId, b, tokens[i]);
            if (quantity == 0) continue;
            // Handed to the trust bank and burnt from it in one step: cancelled units never float.
            tokens[i].safeTransfer(b.party, quantity);
            // slither-disable-next-line reentrancy-no-eth: Kabuto's own token, no callbacks
            IPermissionedToken(address(tokens[i])).burn(b.party, quantity, bookId);
            cancelled = true;
            emit UnitsCancelled(bookId, address(tokens[i]), quantity);
        }
        if (!cancelled) revert EtfNothingToDo();
    }

    // ---------------------------------------------------------------- fails

    /// @inheritdoc IEtfSettlement
    function declareFail(bytes32 bookId, IERC20 token) external onlyRole(Roles.CCP_OPERATOR) {
        Book storage b = _settling(bookId, Step.Surplus);
        _after(b.day, Step.Deliver);
        Leg storage leg = _legs[bookId][token];
        uint256 quantity = _owed(leg);
        if (quantity == 0) revert EtfNothingToDo();
        uint256 value = quantity * _price(b.day, token);
        uint32 next = _nextOpen(b.day);
        uint256 charge = _lateCharge(value, b.day, true);
        // Out of today's book, securities and their yen at the DvP price...
        _move(b.day, bookId, token, quantity.toInt256(), -value.toInt256());
        // ...into tomorrow's, which also owes the late charge.
        bytes32 to = _book(next, b.party, b.stream);
        _move(next, to, token, -quantity.toInt256(), value.toInt256());
        _books[to].charges -= charge.toInt256();
        _rolledBook[bookId] = true;
        _sync(bookId, b);
        _sync(to, _books[to]);
        _failed[b.day][token] += quantity;
        _carryBuyIn(b.day, next, token);
        emit DeliveryRolled(bookId, address(token), quantity, value, to, charge);
    }

    /// @inheritdoc IEtfSettlement
    function rollReceipt(bytes32 bookId, IERC20 token) external onlyRole(Roles.CCP_OPERATOR) {
        Book storage b = _settling(bookId, Step.Surplus);
        _after(b.day, Step.Receive);
        Leg storage leg = _legs[bookId][token];
        uint256 quantity = Math.min(_due(leg), _failed[b.day][token] - _rolled[b.day][token]);
        if (quantity == 0) revert EtfNothingToRoll(bookId, address(token));
        uint256 value = quantity * _price(b.day, token);
        uint32 next = _nextOpen(b.day);
        uint256 charge = _lateCharge(value, b.day, false);
        _move(b.day, bookId, token, -quantity.toInt256(), value.toInt256());
        bytes32 to = _book(next, b.party, b.stream);
        _move(next, to, token, quantity.toInt256(), -value.toInt256());
        _books[to].charges += charge.toInt256();
        _rolledBook[bookId] = true;
        _sync(bookId, b);
        _sync(to, _books[to]);
        _rolled[b.day][token] += quantity;
        _rolledIn[to][token] += quantity;
        emit ReceiptRolled(bookId, address(token), quantity, value, to, charge);
    }

    /// @inheritdoc IEtfSettlement
    function requestBuyIn(bytes32 bookId, IERC20 token) external {
        Book storage b = _known(bookId);
        _onlyParty(bookId, b);
        uint32 today = _calendar.dayOf(block.timestamp);
        if (today > b.day) revert EtfNotSettlementDay(b.day, today);
        if (_rolledIn[bookId][token] == 0 || _due(_legs[bookId][token]) == 0) {
            revert EtfNothingToRoll(bookId, address(token));
        }
        // The third business day counted from the request day as the first (art. 14(1)); a request
        // on a closed day counts from the next business day.
        uint32 from = _calendar.addBusinessDays(today, _calendar.isBusinessDay(today) ? 2 : 3);
        uint32 current = _buyInFrom[b.day][token];
        if (current == 0 || from < current) _buyInFrom[b.day][token] = from;
        emit BuyInRequested(bookId, address(token), from);
    }

    /// @inheritdoc IEtfSettlement
    function designateBuyIn(bytes32 bookId, IERC20 token) external onlyRole(Roles.CCP_OPERATOR) {
        Book storage b = _settling(bookId, Step.Surplus);
        _after(b.day, Step.Deliver);
        uint256 quantity = _owed(_legs[bookId][token]);
        if (quantity == 0) revert EtfNothingToDo();
        uint32 from = _buyInFrom[b.day][token];
        if (from == 0) revert EtfNoBuyInRequest(b.day, address(token));
        if (b.day < from) revert EtfBuyInTooEarly(b.day, address(token), from, b.day);
        emit BuyInDesignated(bookId, address(token), quantity);
    }

    /// @inheritdoc IEtfSettlement
    function void(
        uint32 day,
        address party,
        Stream stream,
        IERC20[] calldata tokens,
        int256[] calldata quantities,
        int256 cashJpy,
        bytes32 ref
    ) external onlyRole(Roles.NOVATOR) {
        bytes32 id = bookId(day, party, stream);
        Book storage b = _known(id);
        uint32 today = _calendar.dayOf(block.timestamp);
        if (today > day) revert EtfNotSettlementDay(day, today);
        // Only obligations nothing has been handed against, and that no fail has rolled, can go:
        // the trust bank's side untouched, the member paid and handed nothing yet.
        if (_rolledBook[id] || b.valueOut != 0 || b.cashOut != 0 || (stream != Stream.Member && b.valueIn != 0)) {
            revert EtfBookSettling(id);
        }
        if (tokens.length != quantities.length) revert EtfObligationInvalid();
        for (uint256 i; i < tokens.length; ++i) {
            Leg storage leg = _legs[id][tokens[i]];
            uint256 overBefore = _over(leg);
            _move(day, id, tokens[i], -quantities[i], 0);
            leg.gross -= _abs(quantities[i]);
            uint256 overAfter = _over(leg);
            uint256 price = _prices[day][tokens[i]];
            if (overAfter > overBefore) {
                // What it delivered for the lapsed obligation is kept for it, out of what the CCP
                // may hand on and out of the value article 47 lets it draw against.
                uint256 extra = overAfter - overBefore;
                if (_held[day][tokens[i]] - _reserved[day][tokens[i]] < extra) revert EtfBookSettling(id);
                _reserved[day][tokens[i]] += extra;
                b.valueIn -= extra * price;
            } else if (overAfter < overBefore) {
                // A lapse that raises what it owes takes back part of what was kept for it.
                uint256 back = overBefore - overAfter;
                _reserved[day][tokens[i]] -= back;
                b.valueIn += back * price;
            }
        }
        _move(day, id, IERC20(address(0)), 0, -cashJpy);
        b.grossCash -= _abs(cashJpy);
        _sync(id, b);
        // Yen it paid that now comes back to it must still be here, not paid on to others.
        if (_surplusHeld[day] > _held[day][_cash]) revert EtfBookSettling(id);
        _voided[id] = true;
        emit ObligationsVoided(id, ref);
    }

    // ---------------------------------------------------------------- reads

    /// @inheritdoc IEtfSettlement
    function buyInFrom(uint32 day, IERC20 token) external view returns (uint32) {
        return _buyInFrom[day][token];
    }

    /// @inheritdoc IEtfSettlement
    function cash() external view returns (IERC20) {
        return _cash;
    }

    /// @inheritdoc IEtfSettlement
    function bookId(uint32 day, address party, Stream stream) public pure returns (bytes32) {
        return keccak256(abi.encode(day, party, stream));
    }

    /// @inheritdoc IEtfSettlement
    function book(bytes32 id) external view returns (Book memory) {
        return _known(id);
    }

    /// @inheritdoc IEtfSettlement
    function legs(bytes32 id) external view returns (Leg[] memory out) {
        _known(id);
        IERC20[] storage tokens = _bookTokens[id];
        out = new Leg[](tokens.length);
        for (uint256 i; i < tokens.length; ++i) {
            out[i] = _legs[id][tokens[i]];
        }
    }

    /// @inheritdoc IEtfSettlement
    function booksOn(uint32 day) external view returns (bytes32[] memory) {
        return _dayBooks[day];
    }

    /// @inheritdoc IEtfSettlement
    function nettingClosed(uint32 day) external view returns (bool) {
        return _closed[day];
    }

    /// @inheritdoc IEtfSettlement
    function dvpPrice(uint32 day, IERC20 token) external view returns (uint256) {
        return _prices[day][token];
    }

    /// @inheritdoc IEtfSettlement
    function held(uint32 day, IERC20 token) external view returns (uint256) {
        return _held[day][token];
    }

    /// @inheritdoc IEtfSettlement
    function cutoff(uint32 day, Step step) public view returns (uint64) {
        uint32 at = step == Step.Deliver
            ? _DELIVER_BY
            : step == Step.Receive ? _RECEIVE_BY : step == Step.Surplus ? _SURPLUS_BY : _CANCEL_BY;
        return _calendar.timeOn(day, at);
    }

    // ---------------------------------------------------------------- internal

    /// @dev Hands book `id` what article 47 allows of its securities, then its yen once it has
    /// delivered every security it owes. Returns whether anything moved.
    function _collect(bytes32 id, Book storage b) private returns (bool moved) {
        if (b.stream == Stream.Redemption) revert EtfWrongStream(id, b.stream);
        IERC20[] storage tokens = _bookTokens[id];
        for (uint256 i; i < tokens.length; ++i) {
            uint256 quantity = _hand(id, b, tokens[i]);
            if (quantity == 0) continue;
            tokens[i].safeTransfer(b.party, quantity);
            moved = true;
        }
        if (_payDue(id, b)) moved = true;
    }

    /// @dev Pays book `id` the yen it is due, as far as the day's yen allows, once it owes no
    /// security. Returns whether anything was paid.
    function _payDue(bytes32 id, Book storage b) private returns (bool) {
        IERC20[] storage tokens = _bookTokens[id];
        for (uint256 i; i < tokens.length; ++i) {
            if (_owed(_legs[id][tokens[i]]) != 0) return false;
        }
        int256 net = b.cash + b.charges;
        if (net <= 0 || uint256(net) <= b.cashOut) return false;
        uint256 held_ = _held[b.day][_cash];
        uint256 spare = held_ > _surplusHeld[b.day] ? held_ - _surplusHeld[b.day] : 0;
        uint256 amount = Math.min(uint256(net) - b.cashOut, spare);
        if (amount == 0) return false;
        b.cashOut += amount;
        b.valueOut += amount;
        _held[b.day][_cash] -= amount;
        _cash.safeTransfer(b.party, amount);
        emit CashPaidOut(id, amount);
        return true;
    }

    /// @dev The yen book `id` would need to pay in for article 47 to hand it every security it is
    /// still due: their value at the DvP price beyond what it has delivered and not received.
    function _uncovered(bytes32 id, Book storage b) private view returns (uint256) {
        IERC20[] storage tokens = _bookTokens[id];
        uint256 dueValue = 0;
        for (uint256 i; i < tokens.length; ++i) {
            uint256 due = _due(_legs[id][tokens[i]]);
            if (due != 0) dueValue += due * _price(b.day, tokens[i]);
        }
        uint256 room = b.valueIn > b.valueOut ? b.valueIn - b.valueOut : 0;
        return dueValue > room ? dueValue - room : 0;
    }

    /// @dev Books as received the part of `token` due to book `id` that the CCP holds and article 47
    /// allows (value received never above value delivered); the caller moves the tokens.
    function _hand(bytes32 id, Book storage b, IERC20 token) private returns (uint256 quantity) {
        Leg storage leg = _legs[id][token];
        uint256 due = _due(leg);
        if (due == 0) return 0;
        uint256 price = _price(b.day, token);
        uint256 room = b.valueIn > b.valueOut ? (b.valueIn - b.valueOut) / price : 0;
        uint256 available = _held[b.day][token] - _reserved[b.day][token];
        quantity = Math.min(due, Math.min(available, room));
        if (quantity == 0) return 0;
        uint256 value = quantity * price;
        leg.received += quantity;
        b.valueOut += value;
        _held[b.day][token] -= quantity;
        emit Received(id, address(token), quantity, value);
    }

    function _book(uint32 day, address party, Stream stream) private returns (bytes32 id) {
        id = bookId(day, party, stream);
        Book storage b = _books[id];
        if (b.party == address(0)) {
            b.party = party;
            b.day = day;
            b.stream = stream;
            _dayBooks[day].push(id);
            emit BookOpened(id, day, party, stream);
        }
    }

    function _addLeg(uint32 day, bytes32 id, IERC20 token, int256 quantity) private {
        Leg storage leg = _legs[id][token];
        if (address(leg.token) == address(0)) {
            leg.token = token;
            _bookTokens[id].push(token);
        }
        leg.net += quantity;
        leg.gross += quantity < 0 ? uint256(-quantity) : uint256(quantity);
        if (!_dayHas[day][token]) {
            _dayHas[day][token] = true;
            _dayTokens[day].push(token);
        }
        _dayNet[day][token] += quantity;
    }

    /// @dev Moves `quantity` of `token` and `cashJpy` yen into book `id`'s nets and the day's
    /// running totals, without touching the gross amounts (a fail, a roll or a lapse is not a new
    /// obligation).
    function _move(uint32 day, bytes32 id, IERC20 token, int256 quantity, int256 cashJpy) private {
        if (quantity != 0) {
            Leg storage leg = _legs[id][token];
            if (address(leg.token) == address(0)) {
                leg.token = token;
                _bookTokens[id].push(token);
            }
            leg.net += quantity;
            if (!_dayHas[day][token]) {
                _dayHas[day][token] = true;
                _dayTokens[day].push(token);
            }
            _dayNet[day][token] += quantity;
        }
        if (cashJpy != 0) {
            _books[id].cash += cashJpy;
            _dayCash[day] += cashJpy;
        }
    }

    /// @dev Keeps the day's count of pre-funding in step with book `id`'s: what it paid in beyond
    /// what it owes, which only its payer may get back.
    function _sync(bytes32 id, Book storage b) private {
        int256 net = b.cash + b.charges;
        uint256 owes = net < 0 ? uint256(-net) : 0;
        uint256 surplus = b.cashIn > owes ? b.cashIn - owes : 0;
        uint256 before = _surplusOf[id];
        if (surplus == before) return;
        _surplusOf[id] = surplus;
        _surplusHeld[b.day] = _surplusHeld[b.day] + surplus - before;
    }

    function _carryBuyIn(uint32 day, uint32 next, IERC20 token) private {
        uint32 from = _buyInFrom[day][token];
        uint32 current = _buyInFrom[next][token];
        if (from != 0 && (current == 0 || from < current)) _buyInFrom[next][token] = from;
    }

    /// @dev The late charge on `valueJpy` failed on `day`: 0.04 % times the days it counts, rounded
    /// up for the payer and down for a receiver.
    function _lateCharge(uint256 valueJpy, uint32 day, bool payer) private view returns (uint256) {
        uint256 units = valueJpy * _LATE_CHARGE_BPS * _calendar.chargeDays(day);
        return payer ? Math.ceilDiv(units, 10_000) : units / 10_000;
    }

    /// @dev The next business day, whose netting must still be open to take what rolls into it.
    function _nextOpen(uint32 day) private view returns (uint32 next) {
        next = _calendar.addBusinessDays(day, 1);
        if (_closed[next]) revert EtfDayClosed(next);
    }

    function _after(uint32 day, Step step) private view {
        uint64 at = cutoff(day, step);
        if (block.timestamp <= at) revert EtfCutoffNotPassed(step, at, uint64(block.timestamp));
    }

    function _cashOwed(Book storage b) private view returns (uint256) {
        int256 net = b.cash + b.charges;
        return net < 0 && uint256(-net) > b.cashIn ? uint256(-net) - b.cashIn : 0;
    }

    function _abs(int256 x) private pure returns (uint256) {
        return x < 0 ? uint256(-x) : uint256(x);
    }

    function _addCash(uint32 day, bytes32 id, int256 amount) private {
        Book storage b = _books[id];
        b.cash += amount;
        b.grossCash += amount < 0 ? uint256(-amount) : uint256(amount);
        _dayCash[day] += amount;
    }

    /// @dev Recording is open for a business day, today or later, whose netting is not closed.
    function _open(uint32 day) private view {
        if (_closed[day]) revert EtfDayClosed(day);
        uint32 today = _calendar.dayOf(block.timestamp);
        if (day < today || !_calendar.isBusinessDay(day)) revert EtfNotSettlementDay(day, today);
    }

    /// @dev Book `id` settles now: its netting is closed, today is its day, `step`'s cut-off not passed.
    function _settling(bytes32 id, Step step) private view returns (Book storage b) {
        b = _known(id);
        if (!_closed[b.day]) revert EtfDayNotClosed(b.day);
        uint32 today = _calendar.dayOf(block.timestamp);
        if (today != b.day) revert EtfNotSettlementDay(b.day, today);
        uint64 by = cutoff(b.day, step);
        if (block.timestamp > by) revert EtfCutoffPassed(step, by, uint64(block.timestamp));
    }

    function _onlyParty(bytes32 id, Book storage b) private view {
        if (_msgSender() != b.party) revert EtfNotBookParty(id, b.party, _msgSender());
    }

    function _known(bytes32 id) private view returns (Book storage b) {
        b = _books[id];
        if (b.party == address(0)) revert EtfBookUnknown(id);
    }

    function _price(uint32 day, IERC20 token) private view returns (uint256 price) {
        price = _prices[day][token];
        if (price == 0) revert EtfNoDvpPrice(day, address(token));
    }

    /// @dev What the book still owes of a security (its net is negative).
    function _owed(Leg storage leg) private view returns (uint256) {
        uint256 owes = leg.net < 0 ? uint256(-leg.net) : 0;
        return owes > leg.delivered ? owes - leg.delivered : 0; // a lapse may leave it over-delivered
    }

    /// @dev What the book delivered of a security beyond what it owes (only a lapse leaves any).
    function _over(Leg storage leg) private view returns (uint256) {
        uint256 owes = leg.net < 0 ? uint256(-leg.net) : 0;
        return leg.delivered > owes ? leg.delivered - owes : 0;
    }

    /// @dev What the book is still due of a security (its net is positive).
    function _due(Leg storage leg) private view returns (uint256) {
        uint256 gets = leg.net > 0 ? uint256(leg.net) : 0;
        return gets > leg.received ? gets - leg.received : 0;
    }
}
