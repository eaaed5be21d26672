// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {IPermissionedToken} from "../tokens/IPermissionedToken.sol";
import {IDeliverySettlement} from "./IDeliverySettlement.sol";
import {IGoodsToken} from "./IGoodsToken.sol";

/// @title DeliverySettlement
/// @notice See {IDeliverySettlement}. Cut-offs are inclusive: a cut-off is the last second at which
/// its step is allowed. Allocating and delivering are allowed while `block.timestamp <=
/// deliveryCutoff`, paying while `block.timestamp <= paymentCutoff`, and closing only once
/// `block.timestamp > paymentCutoff`, so no second allows both a payment and a close.
/// @dev Each token's lots and invoice value are recorded when it is delivered, so settling reads them
/// from storage (one slot a token, flat gas per token) and nothing that changes later can alter what
/// a pair owes. Per pair, this contract holds `tokensOf` from `released` on, and `paid - settled`
/// yen. A zero commodity is refused as `DeliveryTermsInvalid("goods")`: no token can name it.
contract DeliverySettlement is IDeliverySettlement, AccessControl {
    using SafeERC20 for IERC20;

    /// @notice The CCP: opens deliveries, allocates, settles and closes pairs.
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;

    /// @dev A token's invoice, fixed when it was delivered (`lots` zero: not delivered here).
    struct Invoice {
        uint64 lots;
        uint192 amountJpy;
    }

    /// @dev A listed grade: the price of one lot of it (settlement price plus differential, never
    /// zero for a listed grade) and the differential as given.
    struct Grade {
        uint256 priceJpyPerLot;
        int256 differentialJpyPerLot;
    }

    IParticipantRegistry private immutable _registry;
    IERC20 private immutable _cash;

    mapping(uint256 deliveryId => Terms) private _terms;
    mapping(uint256 deliveryId => mapping(bytes32 grade => Grade)) private _grades;
    // slither-disable-next-line uninitialized-state: filled through a storage reference (allocate)
    mapping(uint256 deliveryId => Pair[]) private _pairs;
    // slither-disable-next-line uninitialized-state: filled through a storage reference (deliver)
    mapping(uint256 deliveryId => mapping(uint256 index => uint256[])) private _tokens;
    mapping(uint256 deliveryId => mapping(uint256 tokenId => Invoice)) private _invoices;

    constructor(IParticipantRegistry registry, IERC20 cash_, address admin) {
        _registry = registry;
        _cash = cash_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
    }

    // ---------------------------------------------------------------- CCP

    /// @inheritdoc IDeliverySettlement
    function openDelivery(
        uint256 deliveryId,
        Terms calldata terms_,
        bytes32[] calldata grades,
        int256[] calldata differentialsJpyPerLot
    ) external onlyRole(Roles.CCP_OPERATOR) {
        if (_terms[deliveryId].lotQuantity != 0) revert DeliveryExists(deliveryId);
        if (address(terms_.goods).code.length == 0 || terms_.commodity == bytes32(0)) {
            revert DeliveryTermsInvalid("goods");
        }
        if (terms_.lotQuantity == 0 || terms_.unit == bytes8(0)) revert DeliveryTermsInvalid("lotQuantity");
        if (terms_.priceJpyPerLot == 0) revert DeliveryTermsInvalid("price");
        if (terms_.deliveryCutoff <= block.timestamp || terms_.paymentCutoff < terms_.deliveryCutoff) {
            revert DeliveryTermsInvalid("cutoffs");
        }
        if (grades.length == 0 || grades.length != differentialsJpyPerLot.length) {
            revert DeliveryTermsInvalid("grades");
        }
        _terms[deliveryId] = terms_;
        emit DeliveryOpened(deliveryId, terms_);
        uint256 price = terms_.priceJpyPerLot;
        for (uint256 i; i < grades.length; ++i) {
            bytes32 grade = grades[i];
            int256 diff = differentialsJpyPerLot[i];
            if (grade == bytes32(0) || _grades[deliveryId][grade].priceJpyPerLot != 0) {
                revert DeliveryTermsInvalid("grades");
            }
            uint256 gradePrice;
            if (diff >= 0) {
                gradePrice = price + uint256(diff);
            } else {
                uint256 discount = uint256(-(diff + 1)) + 1; // |diff|, type(int256).min included
                if (discount >= price) revert DeliveryDifferentialTooLow(grade, diff, price);
                gradePrice = price - discount;
            }
            _grades[deliveryId][grade] = Grade(gradePrice, diff);
            emit GradeListed(deliveryId, grade, diff);
        }
    }

    /// @inheritdoc IDeliverySettlement
    function allocate(uint256 deliveryId, Allocation[] calldata allocations) external onlyRole(Roles.CCP_OPERATOR) {
        _beforeCutoff(_known(deliveryId).deliveryCutoff);
        if (allocations.length == 0) revert DeliveryNothingToDo();
        Pair[] storage pairs = _pairs[deliveryId];
        for (uint256 i; i < allocations.length; ++i) {
            Allocation calldata a = allocations[i];
            if (a.short == address(0) || a.long == address(0) || a.short == a.long || a.lots == 0) {
                revert DeliveryAllocationInvalid(a.short, a.long, a.lots);
            }
            uint256 index = pairs.length;
            pairs.push(Pair(a.short, a.long, a.lots, 0, PairStatus.Open, 0, 0, 0, 0));
            emit Allocated(deliveryId, index, a.short, a.long, a.lots);
        }
    }

    /// @inheritdoc IDeliverySettlement
    function settle(uint256 deliveryId, uint256[] calldata indexes) external onlyRole(Roles.CCP_OPERATOR) {
        IGoodsToken goods = _known(deliveryId).goods;
        if (indexes.length == 0) revert DeliveryNothingToDo();
        for (uint256 k; k < indexes.length; ++k) {
            uint256 index = indexes[k];
            Pair storage p = _pair(deliveryId, index);
            if (p.status != PairStatus.Open) continue;
            uint256 from = p.released;
            (uint256 to, uint64 lots, uint256 amount) = _releasable(deliveryId, index, p);
            if (to == from) continue;
            address long = p.long;
            address short = p.short;
            address blocked = _cannotReceive(goods, long, true, short, amount != 0);
            if (blocked != address(0)) {
                emit PairSkipped(deliveryId, index, blocked);
                continue;
            }
            p.released = SafeCast.toUint32(to);
            p.settled += amount;
            emit PairSettled(deliveryId, index, to - from, lots, amount);
            _hand(goods, deliveryId, index, from, to, long);
            _cash.safeTransfer(short, amount);
        }
    }

    /// @inheritdoc IDeliverySettlement
    function close(uint256 deliveryId, uint256[] calldata indexes) external onlyRole(Roles.CCP_OPERATOR) {
        Terms storage t = _known(deliveryId);
        if (block.timestamp <= t.paymentCutoff) {
            revert DeliveryNotYetClosable(t.paymentCutoff, uint64(block.timestamp));
        }
        if (indexes.length == 0) revert DeliveryNothingToDo();
        IGoodsToken goods = t.goods;
        for (uint256 k; k < indexes.length; ++k) {
            uint256 index = indexes[k];
            Pair storage p = _pair(deliveryId, index);
            if (p.status != PairStatus.Open) continue;
            _close(goods, deliveryId, index, p);
        }
    }

    // ---------------------------------------------------------------- members

    /// @inheritdoc IDeliverySettlement
    /// @dev Allowed up to and including the delivery cut-off second.
    function deliver(uint256 deliveryId, uint256 index, uint256[] calldata tokenIds) external {
        Terms storage t = _known(deliveryId);
        Pair storage p = _openPair(deliveryId, index);
        address short = p.short;
        if (_msgSender() != short) revert DeliveryNotParty(deliveryId, index, short, _msgSender());
        _beforeCutoff(t.deliveryCutoff);
        if (tokenIds.length == 0) revert DeliveryNothingToDo();
        IGoodsToken goods = t.goods;
        uint256[] storage delivered = _tokens[deliveryId][index];
        uint64 lots = 0;
        uint256 invoiced = 0;
        for (uint256 i; i < tokenIds.length; ++i) {
            uint256 tokenId = tokenIds[i];
            (uint64 tokenLots, uint256 amount) = _price(deliveryId, t, tokenId);
            _invoices[deliveryId][tokenId] = Invoice(tokenLots, SafeCast.toUint192(amount));
            delivered.push(tokenId);
            lots += tokenLots;
            invoiced += amount;
            emit GoodsDelivered(deliveryId, index, short, tokenId, tokenLots, amount);
        }
        uint64 allocated = p.lots;
        uint64 before = p.deliveredLots;
        if (uint256(before) + lots > allocated) revert DeliveryExceedsAllocation(allocated, before, lots);
        p.deliveredLots = before + lots;
        p.invoiced += invoiced;
        for (uint256 i; i < tokenIds.length; ++i) {
            // slither-disable-next-line arbitrary-send-erc20: `short` is the caller (checked above)
            goods.transferFrom(short, address(this), tokenIds[i]);
        }
    }

    /// @inheritdoc IDeliverySettlement
    /// @dev Allowed up to and including the payment cut-off second.
    function pay(uint256 deliveryId, uint256 index, uint256 amountJpy) external {
        Terms storage t = _known(deliveryId);
        Pair storage p = _openPair(deliveryId, index);
        address long = p.long;
        if (_msgSender() != long) revert DeliveryNotParty(deliveryId, index, long, _msgSender());
        _beforeCutoff(t.paymentCutoff);
        if (amountJpy == 0) revert DeliveryNothingToDo();
        uint256 paid = p.paid;
        uint256 invoiced = p.invoiced;
        if (paid + amountJpy > invoiced) revert DeliveryPaymentExceedsInvoice(invoiced, paid, amountJpy);
        p.paid = paid + amountJpy;
        emit DeliveryPaid(deliveryId, index, long, amountJpy, paid + amountJpy);
        // slither-disable-next-line arbitrary-send-erc20: `long` is the caller (checked above)
        _cash.safeTransferFrom(long, address(this), amountJpy);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDeliverySettlement
    function cash() external view returns (IERC20) {
        return _cash;
    }

    /// @inheritdoc IDeliverySettlement
    function terms(uint256 deliveryId) external view returns (Terms memory) {
        return _known(deliveryId);
    }

    /// @inheritdoc IDeliverySettlement
    function differential(uint256 deliveryId, bytes32 grade) external view returns (bool listed, int256 jpyPerLot) {
        Grade storage g = _grades[deliveryId][grade];
        return (g.priceJpyPerLot != 0, g.differentialJpyPerLot);
    }

    /// @inheritdoc IDeliverySettlement
    function pairCount(uint256 deliveryId) external view returns (uint256) {
        return _pairs[deliveryId].length;
    }

    /// @inheritdoc IDeliverySettlement
    function pair(uint256 deliveryId, uint256 index) external view returns (Pair memory) {
        return _pair(deliveryId, index);
    }

    /// @inheritdoc IDeliverySettlement
    function tokensOf(uint256 deliveryId, uint256 index) external view returns (uint256[] memory) {
        _pair(deliveryId, index);
        return _tokens[deliveryId][index];
    }

    /// @inheritdoc IDeliverySettlement
    /// @dev A token delivered here answers the invoice recorded at delivery; any other is priced on
    /// the delivery's terms, as `deliver` would price it.
    function invoiceOf(uint256 deliveryId, uint256 tokenId) external view returns (uint64 lots, uint256 amountJpy) {
        Terms storage t = _known(deliveryId);
        Invoice memory inv = _invoices[deliveryId][tokenId];
        if (inv.lots != 0) return (inv.lots, inv.amountJpy);
        return _price(deliveryId, t, tokenId);
    }

    // ---------------------------------------------------------------- internals

    function _close(IGoodsToken goods, uint256 deliveryId, uint256 index, Pair storage p) private {
        uint256 from = p.released;
        (uint256 to, uint64 lots, uint256 amount) = _releasable(deliveryId, index, p);
        uint256 count = _tokens[deliveryId][index].length;
        uint256 paid = p.paid;
        uint256 refund = paid - p.settled - amount;
        address long = p.long;
        address short = p.short;
        address blocked = _cannotReceive(goods, long, to != from, short, amount != 0);
        if (blocked == address(0)) blocked = _cannotReceive(goods, short, count != to, long, refund != 0);
        if (blocked != address(0)) {
            emit PairSkipped(deliveryId, index, blocked);
            return;
        }
        p.released = SafeCast.toUint32(to);
        p.settled += amount;
        p.status = PairStatus.Closed;
        if (to != from) emit PairSettled(deliveryId, index, to - from, lots, amount);
        uint64 missing = p.lots - p.deliveredLots;
        if (missing != 0) emit DeliveryFailed(deliveryId, index, short, missing);
        uint256 invoiced = p.invoiced;
        if (invoiced != paid) emit PaymentFailed(deliveryId, index, long, invoiced - paid, count - to);
        if (refund != 0) emit PaymentRefunded(deliveryId, index, long, refund);
        emit PairClosed(deliveryId, index);
        _hand(goods, deliveryId, index, from, to, long);
        if (amount != 0) _cash.safeTransfer(short, amount);
        _hand(goods, deliveryId, index, to, count, short);
        if (refund != 0) _cash.safeTransfer(long, refund);
    }

    /// @dev Where settling pair `p` now would stop: the end of the run of tokens after `released` that
    /// what the long has paid and not yet passed on covers, their lots and their invoice value.
    function _releasable(uint256 deliveryId, uint256 index, Pair storage p)
        private
        view
        returns (uint256 to, uint64 lots, uint256 amount)
    {
        uint256[] storage tokens = _tokens[deliveryId][index];
        mapping(uint256 => Invoice) storage invoices = _invoices[deliveryId];
        uint256 available = p.paid - p.settled;
        uint256 count = tokens.length;
        for (to = p.released; to < count; ++to) {
            Invoice storage inv = invoices[tokens[to]]; // storage: memory here would grow per token
            uint256 invoice = inv.amountJpy;
            if (invoice > available) break;
            available -= invoice;
            amount += invoice;
            lots += inv.lots;
        }
    }

    /// @dev Moves tokens `from` to `to` (exclusive) of a pair's list out of custody to `recipient`.
    function _hand(IGoodsToken goods, uint256 deliveryId, uint256 index, uint256 from, uint256 to, address recipient)
        private
    {
        uint256[] storage tokens = _tokens[deliveryId][index];
        for (uint256 i = from; i < to; ++i) {
            goods.transferFrom(address(this), recipient, tokens[i]);
        }
    }

    /// @dev The first party that could not receive what it is owed (`goodsTo` goods if `goodsDue`,
    /// `cashTo` yen if `cashDue`), or zero when both can.
    function _cannotReceive(IGoodsToken goods, address goodsTo, bool goodsDue, address cashTo, bool cashDue)
        private
        view
        returns (address)
    {
        if (goodsDue && (!_registry.isActive(goodsTo) || goods.isFrozen(goodsTo))) return goodsTo;
        if (cashDue && (!_registry.isActive(cashTo) || IPermissionedToken(address(_cash)).isFrozen(cashTo))) {
            return cashTo;
        }
        return address(0);
    }

    /// @dev Token `tokenId`'s lots and invoice value on delivery `deliveryId`'s terms; refuses a token
    /// of another commodity, a grade not listed, or a quantity that is not whole lots.
    function _price(uint256 deliveryId, Terms storage t, uint256 tokenId)
        private
        view
        returns (uint64 lots, uint256 amountJpy)
    {
        IGoodsToken.Goods memory g = t.goods.goods(tokenId);
        if (g.commodity != t.commodity) revert DeliveryWrongCommodity(tokenId, g.commodity, t.commodity);
        if (g.unit != t.unit) revert DeliveryWrongUnit(tokenId, g.unit, t.unit);
        uint256 gradePrice = _grades[deliveryId][g.brand].priceJpyPerLot;
        if (gradePrice == 0) revert DeliveryGradeNotDeliverable(tokenId, g.brand);
        uint64 lotQuantity = t.lotQuantity;
        if (g.quantity == 0 || g.quantity % lotQuantity != 0) {
            revert DeliveryNotWholeLots(tokenId, g.quantity, lotQuantity);
        }
        // slither-disable-next-line divide-before-multiply: exact, whole lots only (checked above)
        lots = g.quantity / lotQuantity;
        amountJpy = lots * gradePrice;
    }

    function _known(uint256 deliveryId) private view returns (Terms storage t) {
        t = _terms[deliveryId];
        if (t.lotQuantity == 0) revert DeliveryUnknown(deliveryId);
    }

    function _pair(uint256 deliveryId, uint256 index) private view returns (Pair storage) {
        Pair[] storage pairs = _pairs[deliveryId];
        if (index >= pairs.length) {
            if (_terms[deliveryId].lotQuantity == 0) revert DeliveryUnknown(deliveryId);
            revert DeliveryUnknownPair(deliveryId, index);
        }
        return pairs[index];
    }

    function _openPair(uint256 deliveryId, uint256 index) private view returns (Pair storage p) {
        p = _pair(deliveryId, index);
        if (p.status == PairStatus.Closed) revert DeliveryPairClosed(deliveryId, index);
    }

    function _beforeCutoff(uint64 cutoff) private view {
        if (block.timestamp > cutoff) revert DeliveryCutoffPassed(cutoff, uint64(block.timestamp));
    }
}
