// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";

/// @title IGoodsToken
/// @notice Documents of title to goods in a warehouse, one token per document: delivery orders
/// (荷渡指図書, rubber) and warehouse receipts (倉荷証券, gold, platinum, silver) are each a
/// deployment of this code. Only a warehouse active in the register issues them, each naming on
/// chain its warehouse, commodity, brand or grade, quantity and unit, lot or bar numbers, location
/// and issue date. The warehouse releases the goods against a token by burning it, once its holder
/// has presented it; a released token never moves again.
/// @dev An ERC-721 under the same rules as every Kabuto token, in one override of `_update`:
///  - an ordinary transfer or an issue needs every non-zero party active in the registry and not
///    frozen, the token neither frozen nor presented, and (for transfers) the contract unpaused;
///    an operator or approved address moving a token must itself be active and not frozen;
///  - a forced transfer (the CCP's default tool, with its own event, `GoodsForcedTransfer`) needs only the receiver active
///    and not frozen; it moves frozen tokens and tokens of frozen, suspended or defaulted holders;
///  - custody takes tokens in only by pulling them itself (a pledge, a delivery): nothing is issued
///    or sent into a `SystemContract` of the registry, where no ledger would record it;
///  - the agent's powers stop at custody: nothing held by a `SystemContract` of the registry (the
///    delivery settlement, the goods pool behind receipts pledged as collateral) can be frozen,
///    force-moved or presented, so those contracts' ledgers always match what they hold, and goods
///    pledged or in delivery cannot be released from under them.
/// Lifecycle of a token: Live -> Presented (its holder asks for the goods; it cannot move) ->
/// Released (burnt by its warehouse). A presentation can be withdrawn by the holder who made it or
/// refused by the warehouse (Presented -> Live).
interface IGoodsToken is IERC721 {
    /// @notice Delivery order or warehouse receipt: fixed per deployment.
    enum DocumentKind {
        DeliveryOrder,
        WarehouseReceipt
    }

    /// @notice Where a token is in its life. `None` for an id never issued.
    enum Status {
        None,
        Live,
        Presented,
        Released
    }

    /// @notice What a token is title to, fixed at issue.
    /// @param warehouse The warehouse that issued it and alone releases the goods.
    /// @param commodity The commodity (`"RSS3"` rubber, `"GOLD"`), the key its price is quoted under.
    /// @param brand Brand or grade (`"RSS3"`, `"TANAKA 999.9"`): what grade differentials are keyed by.
    /// @param quantity How much, in `unit`s (kilograms of rubber, grams of gold), a whole number.
    /// @param unit The unit of `quantity` (`"kg"`, `"g"`).
    /// @param issuedAt Unix time of issue.
    /// @param lots Lot or bar numbers, as the warehouse writes them.
    /// @param location The warehouse's site where the goods lie.
    struct Goods {
        address warehouse;
        bytes32 commodity;
        bytes32 brand;
        uint64 quantity;
        bytes8 unit;
        uint64 issuedAt;
        string lots;
        string location;
    }

    // ---------------------------------------------------------------- errors

    /// @notice `account` is not a warehouse active in the register: it cannot issue.
    error GoodsIssuerNotWarehouse(address account);
    /// @notice A token needs a non-zero quantity, a commodity and a unit.
    error GoodsDescriptionIncomplete();
    /// @notice No token #`tokenId` was ever issued.
    error GoodsUnknownToken(uint256 tokenId);
    /// @notice Token #`tokenId` is `status`; the operation needs `required`.
    error GoodsWrongStatus(uint256 tokenId, Status status, Status required);
    /// @notice Token #`tokenId` is held by `holder`, not `caller`: only its holder may present it or
    /// withdraw its presentation.
    error GoodsNotHolder(uint256 tokenId, address holder, address caller);
    /// @notice Token #`tokenId` was issued by `warehouse`, not `caller`: only its warehouse may release
    /// or refuse it.
    error GoodsNotItsWarehouse(uint256 tokenId, address warehouse, address caller);
    /// @notice `account` is frozen: it can neither send nor receive except by forced transfer.
    error GoodsAccountFrozen(address account);
    /// @notice Token #`tokenId` is frozen: only a forced transfer moves it.
    error GoodsTokenFrozen(uint256 tokenId);
    /// @notice The account `account` (or, when non-zero, token #`tokenId`) is already in the requested
    /// frozen state (`frozen`).
    error GoodsFreezeUnchanged(address account, uint256 tokenId, bool frozen);
    /// @notice `custodian` is a Kabuto contract keeping a ledger of the goods it holds: the agent
    /// cannot freeze it or its tokens, or force a transfer into or out of it, and what it holds cannot
    /// be presented for release.
    error GoodsCustodyProtected(address custodian);

    // ---------------------------------------------------------------- events

    /// @notice `warehouse` issued `tokenId` to `to`: `quantity` `unit` of `commodity` (`brand`).
    event GoodsIssued(
        uint256 indexed tokenId,
        address indexed warehouse,
        address indexed to,
        bytes32 commodity,
        bytes32 brand,
        uint64 quantity,
        bytes8 unit
    );
    /// @notice `holder` presented `tokenId` to its warehouse to take the goods out.
    event GoodsPresented(uint256 indexed tokenId, address indexed holder, address indexed warehouse);
    /// @notice The presentation of `tokenId` ended without release: withdrawn by `holder` or refused
    /// by the warehouse (`by`), for `reason`.
    event PresentationWithdrawn(uint256 indexed tokenId, address indexed holder, address indexed by, bytes32 reason);
    /// @notice `warehouse` released the goods of `tokenId` to `holder` and burnt it; `ref` names the
    /// release off chain.
    event GoodsReleased(uint256 indexed tokenId, address indexed holder, address indexed warehouse, bytes32 ref);
    /// @notice `agent` froze (or unfroze) `account` as a whole for `reason`.
    event AccountFreezeChanged(address indexed account, bool frozen, bytes32 reason, address indexed agent);
    /// @notice `agent` froze (or unfroze) token `tokenId` for `reason`.
    event TokenFreezeChanged(uint256 indexed tokenId, bool frozen, bytes32 reason, address indexed agent);
    /// @notice `agent` moved `tokenId` from `from` to `to` without `from`'s consent, for `reason`.
    event GoodsForcedTransfer(
        address indexed from, address indexed to, uint256 indexed tokenId, bytes32 reason, address agent
    );

    // ---------------------------------------------------------------- warehouse

    /// @notice Issues a new token to `to` for goods the calling warehouse holds; returns its id
    /// (ids count up from 1).
    /// @dev The caller must be a `Warehouse` active in the register; `to` active and not frozen.
    function issue(address to, Goods calldata goods) external returns (uint256 tokenId);

    /// @notice Releases the goods of presented token `tokenId`: burns it, for good.
    /// @dev Its issuing warehouse only, on a `Presented` token whose holder is still active and not
    /// frozen, and which is not frozen itself.
    function release(uint256 tokenId, bytes32 ref) external;

    /// @notice Refuses a presentation (the goods cannot be released as asked): the token is live again.
    /// @dev Its issuing warehouse only, on a `Presented` token.
    function refuse(uint256 tokenId, bytes32 reason) external;

    // ---------------------------------------------------------------- holder

    /// @notice Presents `tokenId` to its warehouse to take the goods out; it cannot move meanwhile.
    /// @dev Its holder only, active and not frozen, on a `Live` token that is not frozen; not a
    /// custodian (goods in delivery or pledged are released only after they leave custody).
    function present(uint256 tokenId) external;

    /// @notice Withdraws the caller's presentation of `tokenId`: the token is live again.
    function withdrawPresentation(uint256 tokenId) external;

    // ---------------------------------------------------------------- agent

    /// @notice Freezes or unfreezes `account` as a whole. @dev `AGENT_ROLE`; not a custodian.
    function setAccountFrozen(address account, bool frozen, bytes32 reason) external;

    /// @notice Freezes or unfreezes one token. @dev `AGENT_ROLE`; not a token held in custody.
    function setTokenFrozen(uint256 tokenId, bool frozen, bytes32 reason) external;

    /// @notice Moves `tokenId` to `to` without its holder's consent (default management).
    /// @dev `AGENT_ROLE`. `to` active and not frozen; neither side a custodian. A presented token's
    /// presentation ends (`PresentationWithdrawn`, by the agent).
    function forcedTransfer(uint256 tokenId, address to, bytes32 reason) external;

    /// @notice Halts ordinary transfers (issues, releases and forced transfers go on). @dev `PAUSER_ROLE`.
    function pause() external;

    /// @notice Resumes ordinary transfers. @dev `PAUSER_ROLE`.
    function unpause() external;

    // ---------------------------------------------------------------- views

    /// @notice Delivery orders or warehouse receipts.
    function documentKind() external view returns (DocumentKind);

    /// @notice The registry that decides who may issue and hold these tokens.
    function registry() external view returns (IParticipantRegistry);

    /// @notice What token `tokenId` is title to (kept after release). @dev Refused for an unknown id.
    function goods(uint256 tokenId) external view returns (Goods memory);

    /// @notice Where token `tokenId` is in its life (`None` for an unknown id).
    function statusOf(uint256 tokenId) external view returns (Status);

    /// @notice The last id issued (ids run from 1 to it).
    function lastTokenId() external view returns (uint256);

    /// @notice True when `account` is frozen as a whole.
    function isFrozen(address account) external view returns (bool);

    /// @notice True when token `tokenId` is frozen.
    function isTokenFrozen(uint256 tokenId) external view returns (bool);

    /// @notice How many tokens `warehouse` has issued that are not yet released.
    function outstandingOf(address warehouse) external view returns (uint256);
}
