// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPermissionedToken} from "../tokens/IPermissionedToken.sol";
import {IJdrToken} from "./IJdrToken.sol";

/// @title IJdrTrust
/// @notice One JDR trust (有価証券信託受益証券): a trust whose only asset is one foreign ETF, held by a
/// trust bank as trustee for the holders of its beneficial interests, the JDRs (listing guidebook
/// 001 §6-1). The trust creates JDRs against ETF units delivered in kind, cancels them against ETF
/// units (never cash), passes the ETF's distributions to the holders of record in JPY net of its fee,
/// lets a holder sell JDRs to the settlor, discloses its NAV daily, and on termination pays every
/// holder cash for the liquidated ETF.
/// @dev The invariant `JDR supply x ratioDenominator == ratioNumerator x underlying held` holds
/// exactly after every operation until the underlying is liquidated (`invariant()`); the ratio is
/// kept in lowest terms in smallest units of both tokens, so an amount is exact when it is a multiple
/// of the ratio's other side. The trust is a `SystemContract` of the registry: it holds the ETF units
/// it accounts for (`underlyingHeld`), units of pending creations, and the JPY owed to holders.
/// Who may call: the trust bank (`TRUSTEE_ROLE`), the settlor (`SETTLOR_ROLE`), authorised
/// participants the trust bank names, and holders. Both roles are the deed's and nobody can grant
/// them: the trust has no role admin (a trustee's succession would be a new series).
interface IJdrTrust {
    // ---------------------------------------------------------------- types

    /// @notice Who may cancel JDRs in kind (deed #25, #26): nobody (the deed restricts it), holders the
    /// trust bank has confirmed can receive the ETF in its home market, or any holder.
    enum CancelPolicy {
        None,
        EligibleHolders,
        AnyHolder
    }

    /// @notice The operations the trust bank may suspend (guidebook §3-2: each is a disclosure).
    enum Operation {
        Creation,
        Cancellation,
        Buyback
    }

    /// @notice Why the trust ended (deed #31, abridged).
    enum Trigger {
        EtfRedeemed,
        EtfDelisted,
        JdrDelisted,
        TrusteeGone,
        NetAssetsTooLow,
        LawOrRegulation,
        Other
    }

    /// @notice Where a creation or buyback request stands.
    enum RequestStatus {
        None,
        Pending,
        Done,
        Refused,
        Withdrawn
    }

    /// @notice The trust deed (信託契約): fixed when the series is created, except the ratio.
    /// @param underlying the foreign ETF's token; the trust's only asset.
    /// @param cash the JPY token distributions and termination proceeds are paid in.
    /// @param foreignCash the token of the ETF's own currency (USD for SPY): its distributions arrive in it.
    /// @param ratioNumerator JDR units per `ratioDenominator` units of the ETF (smallest units), lowest terms.
    /// @param trustFeeBps share of each distribution's JPY value the trust bank keeps as its fee.
    /// @param creationCap most JDR units outstanding, pending creations included; zero for no cap (#24).
    /// @param buybackMinimum fewest JDR units a buyback request may ask for (#27).
    /// @param listingDate unix time of the listing date: buybacks are asked for from then on.
    struct TrustDeed {
        IPermissionedToken underlying;
        IPermissionedToken cash;
        IPermissionedToken foreignCash;
        address trustBank;
        address settlor;
        uint64 ratioNumerator;
        uint64 ratioDenominator;
        uint16 trustFeeBps;
        CancelPolicy cancelPolicy;
        uint256 creationCap;
        uint256 buybackMinimum;
        uint64 listingDate;
    }

    /// @notice A creation: ETF units delivered (held by the trust while pending) against JDRs to mint.
    struct Creation {
        address requester;
        address recipient;
        uint256 underlyingUnits;
        uint256 jdrUnits;
        RequestStatus status;
    }

    /// @notice A distribution to holders of record. `netJpy` is what the holders share, pro rata to
    /// their balances at `recordTime`; `paidJpy` has been claimed by holders of `unitsClaimed` units.
    struct Distribution {
        uint64 recordTime;
        bool declared;
        uint256 foreignAmount;
        uint256 fxE18;
        uint256 grossJpy;
        uint256 feeJpy;
        uint256 netJpy;
        uint256 unitsOfRecord;
        uint256 paidJpy;
        uint256 unitsClaimed;
    }

    /// @notice A holder's request that the settlor buy `units` JDRs for `priceJpy` in all.
    struct Buyback {
        address holder;
        uint256 units;
        uint256 priceJpy;
        RequestStatus status;
    }

    /// @notice The trust's end: when, why, what was outstanding, and what the liquidation raised.
    struct Termination {
        uint64 terminatedAt;
        Trigger trigger;
        bool liquidated;
        uint256 unitsOutstanding;
        uint256 underlyingHeld;
        uint256 proceedsJpy;
        uint256 paidJpy;
        uint256 unitsClaimed;
    }

    /// @notice The latest daily disclosure (guidebook §3-3).
    struct Disclosure {
        uint64 asOf;
        uint256 navPerUnderlyingE18;
        uint256 fxE18;
        uint256 navTotalJpy;
        uint256 navPerUnitE18;
        uint256 unitsOutstanding;
        uint256 underlyingHeld;
    }

    // ---------------------------------------------------------------- errors

    /// @notice A zero amount was asked for.
    error JdrZeroAmount();
    /// @notice The ratio is zero or not in lowest terms.
    error JdrRatioInvalid(uint64 numerator, uint64 denominator);
    /// @notice The deed is not usable: `what` names the field at fault.
    error JdrDeedInvalid(bytes32 what);
    /// @notice `requested` does not convert exactly at the ratio; `below` and `above` are the nearest
    /// amounts that do (in the same token).
    error JdrAmountNotExact(uint256 requested, uint256 below, uint256 above);
    /// @notice Creating `requested` more JDR units would take the units outstanding (pending included)
    /// past the deed's cap.
    error JdrCreationCapExceeded(uint256 cap, uint256 outstanding, uint256 requested);
    /// @notice `account` is neither the settlor nor an authorised participant.
    error JdrNotAuthorisedParticipant(address account);
    /// @notice `holder` may not cancel in kind under the deed's `policy`.
    error JdrCancelNotPermitted(address holder, CancelPolicy policy);
    /// @notice The trust bank has suspended `operation`.
    error JdrOperationSuspended(Operation operation);
    /// @notice `operation` is already suspended (or already running).
    error JdrSuspensionUnchanged(Operation operation, bool suspended);
    /// @notice The trust has terminated.
    error JdrTrustTerminated(uint64 terminatedAt);
    /// @notice The trust has not terminated (or its ETF has not been liquidated yet).
    error JdrTrustNotTerminated();
    /// @notice The liquidation has already been recorded.
    error JdrAlreadyLiquidated();
    /// @notice The new ratio would not keep `supply` JDR units exactly backed.
    error JdrRatioBreaksInvariant(uint256 supply, uint64 numerator, uint64 denominator);
    /// @notice No ratio change has been proposed.
    error JdrNoRatioChangeProposed();
    /// @notice The liquidation's proceeds of `proceedsJpy` JPY are under `floorJpy` JPY, the least the
    /// trust accepts for ETF units worth `marketValueJpy` JPY at the published price and FX rate.
    error JdrProceedsBelowMarket(uint256 proceedsJpy, uint256 marketValueJpy, uint256 floorJpy);
    /// @notice The ratio cannot change while `count` creations are pending.
    error JdrCreationsPending(uint256 count);
    /// @notice No creation `id`, or it is no longer pending.
    error JdrCreationNotPending(uint256 id, RequestStatus status);
    /// @notice A record date must be announced at least two weeks ahead: `earliest` is the first allowed.
    error JdrRecordDateTooSoon(uint64 recordTime, uint64 earliest);
    /// @notice No distribution `id`.
    error JdrUnknownDistribution(uint256 id);
    /// @notice Distribution `id` cannot be declared before its record time has passed.
    error JdrRecordTimeNotPassed(uint256 id, uint64 recordTime);
    /// @notice Distribution `id` is already declared.
    error JdrDistributionAlreadyDeclared(uint256 id);
    /// @notice Distribution `id` is not declared yet.
    error JdrDistributionNotDeclared(uint256 id);
    /// @notice Nobody held JDRs at the record time of distribution `id`.
    error JdrNoHoldersOfRecord(uint256 id);
    /// @notice The trust holds `held` of the ETF's currency, short of the `needed` declared.
    error JdrForeignCashShort(uint256 held, uint256 needed);
    /// @notice `holder` has already claimed distribution `id`.
    error JdrAlreadyClaimed(uint256 id, address holder);
    /// @notice `holder` has nothing to claim.
    error JdrNothingToClaim(address holder);
    /// @notice A buyback request for `units` is under the deed's `minimum`.
    error JdrBuybackBelowMinimum(uint256 units, uint256 minimum);
    /// @notice Buybacks are asked for from the listing date.
    error JdrNotListedYet(uint64 listingDate);
    /// @notice No buyback `id`, or it is no longer pending.
    error JdrBuybackNotPending(uint256 id, RequestStatus status);
    /// @notice Only the holder who asked may withdraw buyback `id`.
    error JdrNotBuybackHolder(uint256 id, address caller);
    /// @notice `holder` holds `balance` free JDR units, fewer than the `units` asked for.
    error JdrHolderShort(address holder, uint256 balance, uint256 units);
    /// @notice No JDR units are outstanding: no NAV per unit, and no holder to pay proceeds to.
    error JdrNoUnitsOutstanding();
    /// @notice A disclosure's date is in the future or not after the last one (`lastAsOf`).
    error JdrDisclosureOutOfOrder(uint64 asOf, uint64 lastAsOf);

    // ---------------------------------------------------------------- events

    /// @notice `requester` delivered `underlyingUnits` ETF units for `jdrUnits` JDRs to `recipient`.
    event CreationRequested(
        uint256 indexed id, address indexed requester, address recipient, uint256 underlyingUnits, uint256 jdrUnits
    );
    /// @notice The trust bank approved creation `id`: the units joined the trust and the JDRs were minted.
    event CreationApproved(
        uint256 indexed id, address indexed recipient, uint256 underlyingUnits, uint256 jdrUnits, address trustee
    );
    /// @notice The trust bank refused creation `id`; the ETF units went back to the requester.
    event CreationRejected(uint256 indexed id, address indexed requester, uint256 underlyingUnits, bytes32 reason);
    /// @notice `holder` cancelled `jdrUnits` JDRs and received `underlyingUnits` ETF units.
    event CancelledInKind(address indexed holder, uint256 jdrUnits, uint256 underlyingUnits);
    /// @notice The trust bank proposed a ratio change (a split or consolidation of the ETF), for the
    /// settlor to confirm.
    event RatioChangeProposed(uint64 numerator, uint64 denominator, bytes32 reason, address trustee);
    /// @notice The ratio changed (a split or consolidation of the ETF); the units held moved from
    /// `heldBefore` to `heldAfter` through the trust bank, and no holder's balance changed.
    event RatioChanged(
        uint64 oldNumerator,
        uint64 oldDenominator,
        uint64 numerator,
        uint64 denominator,
        uint256 heldBefore,
        uint256 heldAfter,
        bytes32 reason
    );
    /// @notice The trust bank named (or struck off) an authorised participant for creations.
    event AuthorisedParticipantSet(address indexed participant, bool authorised, address trustee);
    /// @notice The trust bank confirmed (or withdrew) a holder's ability to take the ETF in its home market.
    event CancelEligibilitySet(address indexed holder, bool eligible, address trustee);
    /// @notice The trust bank suspended `operation` (a disclosure).
    event OperationSuspended(Operation indexed operation, bytes32 reason, address trustee);
    /// @notice The trust bank resumed `operation` (a disclosure).
    event OperationResumed(Operation indexed operation, bytes32 reason, address trustee);
    /// @notice A record date was announced for distribution `id`.
    event RecordDateAnnounced(uint256 indexed id, uint64 recordTime, address trustee);
    /// @notice Distribution `id` was declared: `foreignAmount` of the ETF's currency converted at
    /// `fxE18` to `grossJpy`, the fee deducted, `netJpy` paid in by the trust bank for the holders of
    /// `unitsOfRecord` units.
    event DistributionDeclared(
        uint256 indexed id,
        uint64 recordTime,
        uint256 foreignAmount,
        uint256 fxE18,
        uint256 grossJpy,
        uint256 feeJpy,
        uint256 netJpy,
        uint256 unitsOfRecord
    );
    /// @notice `holder`, holding `units` at the record time, claimed `amountJpy` of distribution `id`.
    event DistributionClaimed(uint256 indexed id, address indexed holder, uint256 units, uint256 amountJpy);
    /// @notice `holder` asked the settlor to buy `units` JDRs for `priceJpy`.
    event BuybackRequested(uint256 indexed id, address indexed holder, uint256 units, uint256 priceJpy);
    /// @notice Buyback `id` settled delivery versus payment: JDRs to the settlor, JPY to the holder.
    event BuybackSettled(
        uint256 indexed id, address indexed holder, address indexed settlor, uint256 units, uint256 priceJpy
    );
    /// @notice The settlor declined buyback `id`.
    event BuybackDeclined(uint256 indexed id, bytes32 reason);
    /// @notice The holder withdrew buyback `id`.
    event BuybackWithdrawn(uint256 indexed id);
    /// @notice The daily disclosure: total NAV, NAV per JDR unit, units outstanding, FX used.
    event Disclosed(
        uint64 asOf,
        uint256 navTotalJpy,
        uint256 navPerUnitE18,
        uint256 unitsOutstanding,
        uint256 underlyingHeld,
        uint256 navPerUnderlyingE18,
        uint256 fxE18
    );
    /// @notice The trust terminated: creation, cancellation, buybacks and transfers stopped.
    event TrustTerminated(
        Trigger indexed trigger, uint256 unitsOutstanding, uint256 underlyingHeld, bytes32 reason, address trustee
    );
    /// @notice The trust bank sold the ETF units and paid the proceeds in.
    event TrustLiquidated(uint256 underlyingSold, uint256 proceedsJpy, address trustee);
    /// @notice `holder` surrendered `units` JDRs for its `amountJpy` share of the proceeds.
    event TerminationClaimed(address indexed holder, uint256 units, uint256 amountJpy);

    // ---------------------------------------------------------------- creation and cancellation

    /// @notice Deliver `underlyingUnits` ETF units for JDRs to `recipient` at the ratio, once the trust
    /// bank approves; returns the request id.
    /// @dev The settlor or an authorised participant, who has approved the trust for the units. Refused
    /// when creation is suspended, the trust has terminated, the amount is not exact, or the cap would
    /// be passed.
    function requestCreation(uint256 underlyingUnits, address recipient) external returns (uint256 id);

    /// @notice Approve creation `id`: the units join the trust and the JDRs are minted.
    /// @dev Trust bank only. Refused when creation is suspended or the trust has terminated.
    function approveCreation(uint256 id) external;

    /// @notice Refuse creation `id` and return its ETF units to the requester.
    /// @dev Trust bank only; also after termination.
    function rejectCreation(uint256 id, bytes32 reason) external;

    /// @notice Cancel `jdrUnits` of the caller's JDRs and receive the ETF units behind them, in kind.
    /// @dev A holder the deed's cancel policy admits. Refused when cancellation is suspended, the
    /// trust has terminated, or the amount is not exact.
    function cancelInKind(uint256 jdrUnits) external returns (uint256 underlyingUnits);

    /// @notice Propose a ratio change after a split or consolidation of the ETF, for the settlor (the
    /// ETF's manager, who knows the corporate action) to confirm; a new proposal replaces the last.
    /// @dev Trust bank only; the new ratio in lowest terms; refused after termination.
    function changeRatio(uint64 numerator, uint64 denominator, bytes32 reason) external;

    /// @notice Confirm the proposed ratio change: the trust bank delivers (split) or receives
    /// (consolidation) the ETF units that keep the JDR supply exactly backed at the new ratio; no
    /// holder's balance changes. Two parties, so that neither alone can move ETF units out.
    /// @dev Settlor only, with no creation pending; the trust bank has approved the trust for a
    /// split's units.
    function confirmRatioChange() external;

    /// @notice Name or strike off an authorised participant for creations.
    /// @dev Trust bank only.
    function setAuthorisedParticipant(address participant, bool authorised) external;

    /// @notice Confirm or withdraw a holder's ability to take the ETF in its home market (the
    /// `EligibleHolders` cancel policy).
    /// @dev Trust bank only.
    function setCancelEligible(address holder, bool eligible) external;

    // ---------------------------------------------------------------- suspension

    /// @notice Suspend creation, cancellation or buybacks, with the reason disclosed.
    /// @dev Trust bank only.
    function suspend(Operation operation, bytes32 reason) external;

    /// @notice Resume a suspended operation, with the reason disclosed.
    /// @dev Trust bank only.
    function resume(Operation operation, bytes32 reason) external;

    // ---------------------------------------------------------------- distributions

    /// @notice Announce a record date: holders at `recordTime` share the next distribution. Returns
    /// the distribution id.
    /// @dev Trust bank only; at least two weeks ahead; not after termination.
    function announceRecordDate(uint64 recordTime) external returns (uint256 id);

    /// @notice Declare distribution `id` once its record time has passed: the `foreignAmount` of the
    /// ETF's currency the trust received goes to the trust bank, converted at the published FX rate;
    /// the trust bank pays in the JPY value less the trust fee, which the holders of record claim.
    /// @dev Trust bank only, having approved the trust for the net JPY. The FX rate is the market
    /// data's (refused when stale). Gross rounds down to the yen, the fee rounds down.
    function declareDistribution(uint256 id, uint256 foreignAmount) external;

    /// @notice Claim the caller's share of distribution `id`: net x units at the record time / units
    /// of record, rounded down. Returns the JPY paid.
    function claimDistribution(uint256 id) external returns (uint256 amountJpy);

    // ---------------------------------------------------------------- buyback

    /// @notice Ask the settlor to buy `units` of the caller's JDRs for `priceJpy` in all; returns the id.
    /// @dev A holder of at least `units` free JDRs, from the listing date, at least the deed's minimum;
    /// refused when buybacks are suspended or the trust has terminated. The holder approves the trust
    /// for the units; they stay in its account (and on record) until settlement.
    function requestBuyback(uint256 units, uint256 priceJpy) external returns (uint256 id);

    /// @notice Settle buyback `id` delivery versus payment in one transaction: the JDRs to the settlor,
    /// the JPY to the holder.
    /// @dev Settlor only, having approved the trust for the JPY.
    function acceptBuyback(uint256 id) external;

    /// @notice Decline buyback `id`.
    /// @dev Settlor only.
    function declineBuyback(uint256 id, bytes32 reason) external;

    /// @notice Withdraw the caller's buyback request `id`.
    function withdrawBuyback(uint256 id) external;

    // ---------------------------------------------------------------- disclosure

    /// @notice Record the daily disclosure as of `asOf` from the ETF's NAV per unit (in its currency,
    /// 18 decimals) and the market data's FX rate; returns it.
    /// @dev Trust bank only; dates strictly increasing and not in the future.
    function disclose(uint64 asOf, uint256 navPerUnderlyingE18) external returns (Disclosure memory);

    // ---------------------------------------------------------------- termination

    /// @notice Terminate the trust on `trigger`: creation, cancellation, buybacks and transfers stop for
    /// good; the holders now are the holders on the termination date.
    /// @dev Trust bank only; once.
    function terminate(Trigger trigger, bytes32 reason) external;

    /// @notice Record the sale of the ETF units: they go to the trust bank, which pays `proceedsJpy` in;
    /// at least 90% of their value at the published price and FX rate (a stale price is refused).
    /// @dev Trust bank only, after termination, once; the trust bank approves the trust for the JPY.
    /// A trust that ended with no units outstanding records zero proceeds (nobody to pay).
    function recordLiquidation(uint256 proceedsJpy) external;

    /// @notice Surrender the caller's JDRs for its pro rata share of the proceeds (rounded down).
    function claimTermination() external returns (uint256 amountJpy);

    // ---------------------------------------------------------------- views

    function deed() external view returns (TrustDeed memory);
    function token() external view returns (IJdrToken);
    function ratio() external view returns (uint64 numerator, uint64 denominator);
    /// @notice The ratio change awaiting the settlor's confirmation, zero when none.
    function proposedRatio() external view returns (uint64 numerator, uint64 denominator);
    function underlyingHeld() external view returns (uint256);
    function pendingCreations() external view returns (uint256 count, uint256 underlyingUnits, uint256 jdrUnits);

    /// @notice The invariant, checkable by anyone: supply x denominator == numerator x held, and the
    /// trust's ETF balance covers what it holds and what pending creations delivered. After the
    /// liquidation the trust holds cash instead, and `holds` reports the cash side: the JPY the trust
    /// holds covers every distribution and the proceeds not yet paid.
    function invariant() external view returns (uint256 supply, uint256 held, bool holds);

    function creation(uint256 id) external view returns (Creation memory);
    function distribution(uint256 id) external view returns (Distribution memory);
    function distributionCount() external view returns (uint256);

    /// @notice What `holder` would receive from distribution `id` now (zero once claimed).
    function claimableDistribution(uint256 id, address holder) external view returns (uint256 units, uint256 amountJpy);

    /// @notice The JPY of distribution `id` owed to holders who have not claimed, and the rounding
    /// remainder: `paid + unclaimed + remainder == net` exactly.
    function distributionBalance(uint256 id) external view returns (uint256 unclaimedJpy, uint256 remainderJpy);

    function hasClaimed(uint256 id, address holder) external view returns (bool);
    function buyback(uint256 id) external view returns (Buyback memory);
    function buybackCount() external view returns (uint256);
    function isSuspended(Operation operation) external view returns (bool);
    function isAuthorisedParticipant(address account) external view returns (bool);
    function isCancelEligible(address holder) external view returns (bool);
    function termination() external view returns (Termination memory);

    /// @notice What `holder` would receive for its JDRs now, after the liquidation.
    function claimableTermination(address holder) external view returns (uint256 units, uint256 amountJpy);

    function latestDisclosure() external view returns (Disclosure memory);
}
