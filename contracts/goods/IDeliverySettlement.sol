// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IGoodsToken} from "./IGoodsToken.sol";

/// @title IDeliverySettlement
/// @notice Physical delivery of futures through the CCP on delivery day. The CCP opens a delivery
/// (a contract month of one commodity) with its terms: the goods tokens delivered, the lot size,
/// the final settlement price per lot, the grades deliverable with their differentials, and two
/// cut-offs. It allocates short positions to long positions in whole lots; each pair
/// (an allocation) settles on its own. Shorts deliver goods tokens to the CCP (this contract) by the
/// delivery cut-off; each token must be whole lots of a deliverable grade, and its invoice value is
/// lots x (settlement price + the grade's differential). Longs pay, by the payment cut-off, up to
/// the invoice value of what has been delivered to them. Settlement is delivery versus payment:
/// for each pair, tokens go to the long in delivery order, each only once what the long has paid
/// covers it, and the short is paid exactly the invoice value of the tokens released; a settlement
/// batch settles many pairs in one transaction.
/// @dev After the payment cut-off the CCP closes pairs: it settles what it can, then reports each
/// failure, a short's undelivered lots (`DeliveryFailed`) or a long's unpaid invoice
/// (`PaymentFailed`), and returns what the failing side's counterparty had handed in and did not get
/// value for: tokens not paid for go back to the short, money not spent on goods goes back to the
/// long. The default process takes it from there (the failing member's default is the CCP's
/// decision, outside this contract). Nothing is lost: at any time this contract holds exactly the
/// tokens delivered and neither released nor returned, and the yen paid and neither passed on nor
/// refunded, per pair. One member cannot block a batch: a pair whose settlement or close would hand
/// something to a party that cannot receive it (suspended, defaulted, frozen) is passed over with
/// `PairSkipped` and stays as it was, until that party can receive (reinstated, or its positions
/// moved by the default process). The contract is a `SystemContract` of the registry, so the token agents
/// cannot freeze or force anything out of it.
interface IDeliverySettlement {
    /// @notice Where a pair is: `Open` until closed after the payment cut-off.
    enum PairStatus {
        None,
        Open,
        Closed
    }

    /// @notice The terms of one delivery, fixed when it is opened.
    /// @param goods The goods tokens delivered (delivery orders of the commodity's warehouses).
    /// @param commodity The commodity every token delivered must name.
    /// @param lotQuantity Goods units (`Goods.unit`) in one lot (5,000 kg for rubber).
    /// @param priceJpyPerLot The final settlement price of one lot, in yen.
    /// @param deliveryCutoff Unix time by which shorts deliver.
    /// @param paymentCutoff Unix time by which longs pay; not before `deliveryCutoff`.
    /// @param unit The unit `lotQuantity` counts in (`"kg"`); a token in another unit is refused.
    struct Terms {
        IGoodsToken goods;
        bytes32 commodity;
        uint64 lotQuantity;
        uint256 priceJpyPerLot;
        uint64 deliveryCutoff;
        uint64 paymentCutoff;
        bytes8 unit;
    }

    /// @notice A short position allocated to a long position.
    struct Allocation {
        address short;
        address long;
        uint64 lots;
    }

    /// @notice A pair's state. Amounts in yen.
    /// @param deliveredLots Lots the short has delivered.
    /// @param invoiced Invoice value of the tokens delivered.
    /// @param paid Yen the long has paid.
    /// @param released Tokens handed to the long so far (the first `released` of `tokensOf`).
    /// @param settled Yen passed to the short (the invoice value of the released tokens).
    struct Pair {
        address short;
        address long;
        uint64 lots;
        uint64 deliveredLots;
        PairStatus status;
        uint32 released;
        uint256 invoiced;
        uint256 paid;
        uint256 settled;
    }

    // ---------------------------------------------------------------- errors

    /// @notice No delivery `deliveryId`.
    error DeliveryUnknown(uint256 deliveryId);
    /// @notice Delivery `deliveryId` exists already.
    error DeliveryExists(uint256 deliveryId);
    /// @notice The terms are not usable: their `what` (lotQuantity, price, cutoffs, grades or goods)
    /// is zero, in the past, out of order or inconsistent.
    error DeliveryTermsInvalid(bytes32 what);
    /// @notice A grade's differential would make its price per lot zero or negative.
    error DeliveryDifferentialTooLow(bytes32 grade, int256 differentialJpyPerLot, uint256 priceJpyPerLot);
    /// @notice No pair `index` in delivery `deliveryId`.
    error DeliveryUnknownPair(uint256 deliveryId, uint256 index);
    /// @notice An allocation must pair two different members for at least one lot.
    error DeliveryAllocationInvalid(address short, address long, uint64 lots);
    /// @notice The cut-off for this step (`cutoff`) has passed (now `at`).
    error DeliveryCutoffPassed(uint64 cutoff, uint64 at);
    /// @notice Pairs close only after the payment cut-off `cutoff` (now `at`).
    error DeliveryNotYetClosable(uint64 cutoff, uint64 at);
    /// @notice Only the pair's `expected` party may do this; `caller` is not it.
    error DeliveryNotParty(uint256 deliveryId, uint256 index, address expected, address caller);
    /// @notice Pair `index` is closed.
    error DeliveryPairClosed(uint256 deliveryId, uint256 index);
    /// @notice Token `tokenId` names `commodity`; this delivery is of `required`.
    error DeliveryWrongCommodity(uint256 tokenId, bytes32 commodity, bytes32 required);
    /// @notice Token `tokenId` counts its goods in `unit`; this delivery's lots count in `required`.
    error DeliveryWrongUnit(uint256 tokenId, bytes8 unit, bytes8 required);
    /// @notice Token `tokenId` is of grade `grade`, which this delivery does not accept.
    error DeliveryGradeNotDeliverable(uint256 tokenId, bytes32 grade);
    /// @notice Token `tokenId` holds `quantity` units, not a whole number of `lotQuantity`-unit lots.
    error DeliveryNotWholeLots(uint256 tokenId, uint64 quantity, uint64 lotQuantity);
    /// @notice Delivering `lots` more would exceed the `allocated` lots (`delivered` so far).
    error DeliveryExceedsAllocation(uint64 allocated, uint64 delivered, uint64 lots);
    /// @notice Paying `amountJpy` JPY would exceed the invoice of what has been delivered:
    /// `invoicedJpy` JPY invoiced, `paidJpy` JPY paid.
    error DeliveryPaymentExceedsInvoice(uint256 invoicedJpy, uint256 paidJpy, uint256 amountJpy);
    /// @notice The operation needs a non-zero amount or a non-empty list.
    error DeliveryNothingToDo();

    // ---------------------------------------------------------------- events

    /// @notice The CCP opened delivery `deliveryId` on `terms`.
    event DeliveryOpened(uint256 indexed deliveryId, Terms terms);
    /// @notice Grade `grade` is deliverable at `differentialJpyPerLot` (plus or minus) per lot.
    event GradeListed(uint256 indexed deliveryId, bytes32 grade, int256 differentialJpyPerLot);
    /// @notice The CCP allocated `lots` of `short`'s position to `long`'s, as pair `index`.
    event Allocated(
        uint256 indexed deliveryId, uint256 index, address indexed short, address indexed long, uint64 lots
    );
    /// @notice `short` delivered token `tokenId` (`lots` lots, invoice `invoiceJpy`) into pair `index`.
    event GoodsDelivered(
        uint256 indexed deliveryId,
        uint256 index,
        address indexed short,
        uint256 indexed tokenId,
        uint64 lots,
        uint256 invoiceJpy
    );
    /// @notice `long` paid `amountJpy` into pair `index`; `paidJpy` paid in all.
    event DeliveryPaid(
        uint256 indexed deliveryId, uint256 index, address indexed long, uint256 amountJpy, uint256 paidJpy
    );
    /// @notice Pair `index` settled: `tokens` tokens (`lots` lots) to the long against `amountJpy` to the short.
    event PairSettled(uint256 indexed deliveryId, uint256 index, uint256 tokens, uint64 lots, uint256 amountJpy);
    /// @notice At close, `short` had delivered `missingLots` lots fewer than allocated to pair `index`.
    event DeliveryFailed(uint256 indexed deliveryId, uint256 index, address indexed short, uint64 missingLots);
    /// @notice At close, `long` had paid `unpaidJpy` less than the invoice of pair `index`; `tokens`
    /// tokens went back to the short.
    event PaymentFailed(
        uint256 indexed deliveryId, uint256 index, address indexed long, uint256 unpaidJpy, uint256 tokens
    );
    /// @notice At close, `amountJpy` the long had paid and that bought no goods went back to it.
    event PaymentRefunded(uint256 indexed deliveryId, uint256 index, address indexed long, uint256 amountJpy);
    /// @notice Pair `index` closed; nothing of it stays in this contract.
    event PairClosed(uint256 indexed deliveryId, uint256 index);
    /// @notice A batch passed pair `index` over: `account`, who would receive from it, cannot receive
    /// now (not active in the register, or frozen on the token); the pair stays as it was.
    event PairSkipped(uint256 indexed deliveryId, uint256 index, address indexed account);

    // ---------------------------------------------------------------- CCP

    /// @notice Opens delivery `deliveryId` on `terms`, with the deliverable `grades` and their
    /// differentials (yen per lot, added to the settlement price; negative for a discount).
    /// @dev `CCP_OPERATOR_ROLE`. Cut-offs in the future, payment not before delivery; at least one
    /// grade; no grade's price per lot zero or below.
    function openDelivery(
        uint256 deliveryId,
        Terms calldata terms,
        bytes32[] calldata grades,
        int256[] calldata differentialsJpyPerLot
    ) external;

    /// @notice Allocates short positions to long positions: one pair per entry, indexed in order
    /// from `pairCount`. @dev `CCP_OPERATOR_ROLE`, before the delivery cut-off.
    function allocate(uint256 deliveryId, Allocation[] calldata allocations) external;

    /// @notice Settles pairs `indexes`, delivery versus payment: each hands the long the next tokens
    /// its payments cover and pays the short their invoice value. A closed pair, or one with nothing
    /// to settle, is passed over; so is one whose receiving party cannot receive (`PairSkipped`).
    /// @dev `CCP_OPERATOR_ROLE`, at any time while pairs are open.
    function settle(uint256 deliveryId, uint256[] calldata indexes) external;

    /// @notice Closes pairs `indexes` after the payment cut-off: settles them, reports failures, and
    /// returns unpaid tokens to the short and unspent yen to the long. A closed pair is passed over;
    /// so is one with a party that cannot receive what it is owed (`PairSkipped`).
    /// @dev `CCP_OPERATOR_ROLE`.
    function close(uint256 deliveryId, uint256[] calldata indexes) external;

    // ---------------------------------------------------------------- members

    /// @notice The short of pair `index` delivers `tokenIds` (approved to this contract) into it.
    /// @dev Before the delivery cut-off; each token of the delivery's commodity, a deliverable
    /// grade and whole lots; in all no more than the lots allocated.
    function deliver(uint256 deliveryId, uint256 index, uint256[] calldata tokenIds) external;

    /// @notice The long of pair `index` pays `amountJpy` (approved to this contract) into it.
    /// @dev Before the payment cut-off; no more than the invoice of what has been delivered, less
    /// what it has paid.
    function pay(uint256 deliveryId, uint256 index, uint256 amountJpy) external;

    // ---------------------------------------------------------------- views

    /// @notice The yen token payments are made in.
    function cash() external view returns (IERC20);

    /// @notice Delivery `deliveryId`'s terms. @dev Refused for an unknown delivery.
    function terms(uint256 deliveryId) external view returns (Terms memory);

    /// @notice Whether `grade` is deliverable in `deliveryId`, and its differential per lot.
    function differential(uint256 deliveryId, bytes32 grade) external view returns (bool listed, int256 jpyPerLot);

    /// @notice How many pairs delivery `deliveryId` has.
    function pairCount(uint256 deliveryId) external view returns (uint256);

    /// @notice Pair `index` of delivery `deliveryId`.
    function pair(uint256 deliveryId, uint256 index) external view returns (Pair memory);

    /// @notice The tokens delivered into pair `index`, in delivery order (the first `released` are
    /// the long's).
    function tokensOf(uint256 deliveryId, uint256 index) external view returns (uint256[] memory);

    /// @notice The invoice value of token `tokenId` in delivery `deliveryId` (its lots x (price +
    /// differential)); refused when it is not deliverable there.
    function invoiceOf(uint256 deliveryId, uint256 tokenId) external view returns (uint64 lots, uint256 amountJpy);
}
