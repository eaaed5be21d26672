// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {IMarketData} from "../oracle/IMarketData.sol";
import {IJdrToken} from "./IJdrToken.sol";
import {IJdrTrust} from "./IJdrTrust.sol";
import {JdrToken, JdrTokenDeployer} from "./JdrToken.sol";

/// @title JdrTrust
/// @notice See {IJdrTrust}. Deployed by the JdrFactory; has its JDR token deployed for it.
contract JdrTrust is IJdrTrust, AccessControl {
    using SafeERC20 for IERC20;

    /// @notice The trust bank: approves creations, suspends, distributes, discloses, terminates.
    bytes32 public constant TRUSTEE_ROLE = Roles.TRUSTEE;
    /// @notice The settlor (the ETF manager): creates, and buys JDRs back.
    bytes32 public constant SETTLOR_ROLE = Roles.SETTLOR;

    uint256 private constant BPS = 10_000;
    /// @dev Liquidation proceeds may fall short of the ETF units' published value by this much.
    uint256 private constant LIQUIDATION_TOLERANCE_BPS = 1000;
    uint256 private constant ONE = 1e18;
    uint64 private constant RECORD_NOTICE = 14 days;
    bytes32 private constant CREATED = "creation";
    bytes32 private constant CANCELLED = "cancellation";
    bytes32 private constant TERMINATED = "termination";

    IMarketData private immutable _marketData;
    JdrToken private immutable _token;

    TrustDeed private _deed;
    uint256 private _held;
    uint256 private _pendingCount;
    uint256 private _pendingUnderlying;
    uint256 private _pendingJdr;
    uint8 private _suspended;
    uint64 private _proposedNumerator;
    uint64 private _proposedDenominator;
    bytes32 private _proposedReason;

    Creation[] private _creations;
    Distribution[] private _distributions;
    Buyback[] private _buybacks;
    Termination private _termination;
    Disclosure private _disclosure;

    mapping(address => bool) private _authorised;
    mapping(address => bool) private _cancelEligible;
    mapping(uint256 id => mapping(address holder => bool)) private _claimed;

    constructor(
        TrustDeed memory deed_,
        IParticipantRegistry registry,
        IMarketData marketData,
        string memory name,
        string memory symbol,
        bytes12 isin,
        JdrTokenDeployer tokenDeployer,
        address agent,
        address pauser,
        address admin
    ) {
        _requireLowestTerms(deed_.ratioNumerator, deed_.ratioDenominator);
        if (deed_.trustFeeBps >= BPS) revert JdrDeedInvalid("trustFeeBps");
        if (deed_.trustBank == address(0)) revert JdrDeedInvalid("trustBank");
        if (deed_.settlor == address(0)) revert JdrDeedInvalid("settlor");
        _deed = deed_;
        _marketData = marketData;
        _token = tokenDeployer.deploy(name, symbol, registry, isin, agent, pauser, admin);
        _grantRole(Roles.TRUSTEE, deed_.trustBank);
        _grantRole(Roles.SETTLOR, deed_.settlor);
    }

    // ---------------------------------------------------------------- creation and cancellation

    /// @inheritdoc IJdrTrust
    function requestCreation(uint256 underlyingUnits, address recipient) external returns (uint256 id) {
        address requester = _msgSender();
        if (!hasRole(Roles.SETTLOR, requester) && !_authorised[requester]) {
            revert JdrNotAuthorisedParticipant(requester);
        }
        _requireOpen(Operation.Creation);
        if (underlyingUnits == 0) revert JdrZeroAmount();
        uint256 step = _deed.ratioDenominator;
        if (underlyingUnits % step != 0) _notExact(underlyingUnits, step);
        // slither-disable-next-line divide-before-multiply: exact, whole steps (checked above)
        uint256 jdrUnits = underlyingUnits / step * _deed.ratioNumerator;
        uint256 cap = _deed.creationCap;
        uint256 outstanding = _token.totalSupply() + _pendingJdr;
        if (cap != 0 && outstanding + jdrUnits > cap) revert JdrCreationCapExceeded(cap, outstanding, jdrUnits);

        id = _creations.length;
        _creations.push(Creation(requester, recipient, underlyingUnits, jdrUnits, RequestStatus.Pending));
        ++_pendingCount;
        _pendingUnderlying += underlyingUnits;
        _pendingJdr += jdrUnits;
        emit CreationRequested(id, requester, recipient, underlyingUnits, jdrUnits);
        IERC20(address(_deed.underlying)).safeTransferFrom(requester, address(this), underlyingUnits);
    }

    /// @inheritdoc IJdrTrust
    function approveCreation(uint256 id) external onlyRole(Roles.TRUSTEE) {
        _requireOpen(Operation.Creation);
        Creation storage c = _pendingCreation(id);
        c.status = RequestStatus.Done;
        _closePending(c);
        _held += c.underlyingUnits;
        emit CreationApproved(id, c.recipient, c.underlyingUnits, c.jdrUnits, _msgSender());
        _token.mint(c.recipient, c.jdrUnits, CREATED);
    }

    /// @inheritdoc IJdrTrust
    function rejectCreation(uint256 id, bytes32 reason) external onlyRole(Roles.TRUSTEE) {
        Creation storage c = _pendingCreation(id);
        c.status = RequestStatus.Refused;
        _closePending(c);
        emit CreationRejected(id, c.requester, c.underlyingUnits, reason);
        IERC20(address(_deed.underlying)).safeTransfer(c.requester, c.underlyingUnits);
    }

    /// @inheritdoc IJdrTrust
    function cancelInKind(uint256 jdrUnits) external returns (uint256 underlyingUnits) {
        address holder = _msgSender();
        CancelPolicy policy = _deed.cancelPolicy;
        if (policy == CancelPolicy.None || (policy == CancelPolicy.EligibleHolders && !_cancelEligible[holder])) {
            revert JdrCancelNotPermitted(holder, policy);
        }
        _requireOpen(Operation.Cancellation);
        if (jdrUnits == 0) revert JdrZeroAmount();
        uint256 step = _deed.ratioNumerator;
        if (jdrUnits % step != 0) _notExact(jdrUnits, step);
        uint256 free = _token.freeBalanceOf(holder);
        if (free < jdrUnits) revert JdrHolderShort(holder, free, jdrUnits);
        // slither-disable-next-line divide-before-multiply: exact, whole steps (checked above)
        underlyingUnits = jdrUnits / step * _deed.ratioDenominator;
        _held -= underlyingUnits;
        emit CancelledInKind(holder, jdrUnits, underlyingUnits);
        _token.burn(holder, jdrUnits, CANCELLED);
        IERC20(address(_deed.underlying)).safeTransfer(holder, underlyingUnits);
    }

    /// @inheritdoc IJdrTrust
    function changeRatio(uint64 numerator, uint64 denominator, bytes32 reason) external onlyRole(Roles.TRUSTEE) {
        _requireNotTerminated();
        _requireLowestTerms(numerator, denominator);
        (_proposedNumerator, _proposedDenominator, _proposedReason) = (numerator, denominator, reason);
        emit RatioChangeProposed(numerator, denominator, reason, _msgSender());
    }

    /// @inheritdoc IJdrTrust
    function confirmRatioChange() external onlyRole(Roles.SETTLOR) {
        _requireNotTerminated();
        (uint64 numerator, uint64 denominator) = (_proposedNumerator, _proposedDenominator);
        if (numerator == 0) revert JdrNoRatioChangeProposed();
        if (_pendingCount != 0) revert JdrCreationsPending(_pendingCount);
        uint256 supply = _token.totalSupply();
        if (supply % numerator != 0) revert JdrRatioBreaksInvariant(supply, numerator, denominator);
        uint256 before = _held;
        // slither-disable-next-line divide-before-multiply: exact, supply % numerator == 0 (checked above)
        uint256 heldAfter = supply / numerator * denominator;
        emit RatioChanged(
            _deed.ratioNumerator, _deed.ratioDenominator, numerator, denominator, before, heldAfter, _proposedReason
        );
        (_deed.ratioNumerator, _deed.ratioDenominator) = (numerator, denominator);
        (_proposedNumerator, _proposedDenominator, _proposedReason) = (0, 0, 0);
        _held = heldAfter;
        address bank = _deed.trustBank;
        IERC20 underlying = IERC20(address(_deed.underlying));
        // slither-disable-next-line arbitrary-send-erc20: the trust bank proposed this ratio
        if (heldAfter > before) underlying.safeTransferFrom(bank, address(this), heldAfter - before);
        else if (heldAfter < before) underlying.safeTransfer(bank, before - heldAfter);
    }

    /// @inheritdoc IJdrTrust
    function setAuthorisedParticipant(address participant, bool authorised) external onlyRole(Roles.TRUSTEE) {
        _authorised[participant] = authorised;
        emit AuthorisedParticipantSet(participant, authorised, _msgSender());
    }

    /// @inheritdoc IJdrTrust
    function setCancelEligible(address holder, bool eligible) external onlyRole(Roles.TRUSTEE) {
        _cancelEligible[holder] = eligible;
        emit CancelEligibilitySet(holder, eligible, _msgSender());
    }

    // ---------------------------------------------------------------- suspension

    /// @inheritdoc IJdrTrust
    function suspend(Operation operation, bytes32 reason) external onlyRole(Roles.TRUSTEE) {
        _setSuspended(operation, true);
        emit OperationSuspended(operation, reason, _msgSender());
    }

    /// @inheritdoc IJdrTrust
    function resume(Operation operation, bytes32 reason) external onlyRole(Roles.TRUSTEE) {
        _setSuspended(operation, false);
        emit OperationResumed(operation, reason, _msgSender());
    }

    // ---------------------------------------------------------------- distributions

    /// @inheritdoc IJdrTrust
    function announceRecordDate(uint64 recordTime) external onlyRole(Roles.TRUSTEE) returns (uint256 id) {
        _requireNotTerminated();
        uint64 earliest = uint64(block.timestamp) + RECORD_NOTICE;
        if (recordTime < earliest) revert JdrRecordDateTooSoon(recordTime, earliest);
        id = _distributions.length;
        Distribution storage d = _distributions.push();
        d.recordTime = recordTime;
        emit RecordDateAnnounced(id, recordTime, _msgSender());
    }

    /// @inheritdoc IJdrTrust
    function declareDistribution(uint256 id, uint256 foreignAmount) external onlyRole(Roles.TRUSTEE) {
        Distribution storage d = _distributionAt(id);
        if (d.declared) revert JdrDistributionAlreadyDeclared(id);
        if (block.timestamp <= d.recordTime) revert JdrRecordTimeNotPassed(id, d.recordTime);
        uint64 terminatedAt = _termination.terminatedAt;
        if (terminatedAt != 0 && d.recordTime >= terminatedAt) revert JdrTrustTerminated(terminatedAt);
        if (foreignAmount == 0) revert JdrZeroAmount();
        IERC20 foreign = IERC20(address(_deed.foreignCash));
        uint256 held = foreign.balanceOf(address(this));
        if (held < foreignAmount) revert JdrForeignCashShort(held, foreignAmount);
        uint256 units = _token.totalSupplyAt(d.recordTime);
        if (units == 0) revert JdrNoHoldersOfRecord(id);

        uint256 fxE18 = _marketData.quote(address(_deed.foreignCash)).fxE18;
        uint256 gross =
            Math.mulDiv(foreignAmount * 10 ** _deed.cash.decimals(), fxE18, 10 ** _deed.foreignCash.decimals() * ONE);
        uint256 fee = gross * _deed.trustFeeBps / BPS;
        d.declared = true;
        d.foreignAmount = foreignAmount;
        d.fxE18 = fxE18;
        d.grossJpy = gross;
        d.feeJpy = fee;
        d.netJpy = gross - fee;
        d.unitsOfRecord = units;
        emit DistributionDeclared(id, d.recordTime, foreignAmount, fxE18, gross, fee, gross - fee, units);
        // The conversion, delivery versus payment: the ETF's currency to the trust bank, the net JPY in.
        foreign.safeTransfer(_msgSender(), foreignAmount);
        IERC20(address(_deed.cash)).safeTransferFrom(_msgSender(), address(this), gross - fee);
    }

    /// @inheritdoc IJdrTrust
    function claimDistribution(uint256 id) external returns (uint256 amountJpy) {
        address holder = _msgSender();
        Distribution storage d = _distributionAt(id);
        if (!d.declared) revert JdrDistributionNotDeclared(id);
        if (_claimed[id][holder]) revert JdrAlreadyClaimed(id, holder);
        uint256 units = _token.balanceOfAt(holder, d.recordTime);
        if (units == 0) revert JdrNothingToClaim(holder);
        amountJpy = Math.mulDiv(d.netJpy, units, d.unitsOfRecord);
        _claimed[id][holder] = true;
        d.paidJpy += amountJpy;
        d.unitsClaimed += units;
        emit DistributionClaimed(id, holder, units, amountJpy);
        IERC20(address(_deed.cash)).safeTransfer(holder, amountJpy);
    }

    // ---------------------------------------------------------------- buyback

    /// @inheritdoc IJdrTrust
    function requestBuyback(uint256 units, uint256 priceJpy) external returns (uint256 id) {
        address holder = _msgSender();
        _requireOpen(Operation.Buyback);
        if (block.timestamp < _deed.listingDate) revert JdrNotListedYet(_deed.listingDate);
        if (units == 0 || priceJpy == 0) revert JdrZeroAmount();
        if (units < _deed.buybackMinimum) revert JdrBuybackBelowMinimum(units, _deed.buybackMinimum);
        uint256 free = _token.freeBalanceOf(holder);
        if (free < units) revert JdrHolderShort(holder, free, units);
        id = _buybacks.length;
        _buybacks.push(Buyback(holder, units, priceJpy, RequestStatus.Pending));
        emit BuybackRequested(id, holder, units, priceJpy);
    }

    /// @inheritdoc IJdrTrust
    function acceptBuyback(uint256 id) external onlyRole(Roles.SETTLOR) {
        _requireOpen(Operation.Buyback);
        Buyback storage b = _pendingBuyback(id);
        b.status = RequestStatus.Done;
        address settlor = _msgSender();
        emit BuybackSettled(id, b.holder, settlor, b.units, b.priceJpy);
        // slither-disable-next-line arbitrary-send-erc20: the holder asked for it (requestBuyback)
        IERC20(address(_token)).safeTransferFrom(b.holder, settlor, b.units);
        IERC20(address(_deed.cash)).safeTransferFrom(settlor, b.holder, b.priceJpy);
    }

    /// @inheritdoc IJdrTrust
    function declineBuyback(uint256 id, bytes32 reason) external onlyRole(Roles.SETTLOR) {
        _pendingBuyback(id).status = RequestStatus.Refused;
        emit BuybackDeclined(id, reason);
    }

    /// @inheritdoc IJdrTrust
    function withdrawBuyback(uint256 id) external {
        Buyback storage b = _pendingBuyback(id);
        if (b.holder != _msgSender()) revert JdrNotBuybackHolder(id, _msgSender());
        b.status = RequestStatus.Withdrawn;
        emit BuybackWithdrawn(id);
    }

    // ---------------------------------------------------------------- disclosure

    /// @inheritdoc IJdrTrust
    function disclose(uint64 asOf, uint256 navPerUnderlyingE18)
        external
        onlyRole(Roles.TRUSTEE)
        returns (Disclosure memory out)
    {
        _requireNotTerminated();
        uint64 last = _disclosure.asOf;
        if (asOf <= last || asOf > block.timestamp) revert JdrDisclosureOutOfOrder(asOf, last);
        uint256 units = _token.totalSupply();
        if (units == 0) revert JdrNoUnitsOutstanding();
        uint256 fxE18 = _marketData.quote(address(_deed.foreignCash)).fxE18;
        // NAV in the ETF's currency (18 decimals) of the units held, then in JPY.
        uint256 navE18 = Math.mulDiv(_held, navPerUnderlyingE18, 10 ** _deed.underlying.decimals());
        uint256 navJpyE18 = Math.mulDiv(navE18, fxE18, ONE);
        out = Disclosure({
            asOf: asOf,
            navPerUnderlyingE18: navPerUnderlyingE18,
            fxE18: fxE18,
            navTotalJpy: navJpyE18 / ONE,
            navPerUnitE18: navJpyE18 / units,
            unitsOutstanding: units,
            underlyingHeld: _held
        });
        _disclosure = out;
        emit Disclosed(asOf, out.navTotalJpy, out.navPerUnitE18, units, _held, navPerUnderlyingE18, fxE18);
    }

    // ---------------------------------------------------------------- termination

    /// @inheritdoc IJdrTrust
    function terminate(Trigger trigger, bytes32 reason) external onlyRole(Roles.TRUSTEE) {
        _requireNotTerminated();
        uint256 units = _token.totalSupply();
        _termination.terminatedAt = uint64(block.timestamp);
        _termination.trigger = trigger;
        _termination.unitsOutstanding = units;
        _termination.underlyingHeld = _held;
        emit TrustTerminated(trigger, units, _held, reason, _msgSender());
        _token.close();
    }

    /// @inheritdoc IJdrTrust
    function recordLiquidation(uint256 proceedsJpy) external onlyRole(Roles.TRUSTEE) {
        Termination storage t = _termination;
        if (t.terminatedAt == 0) revert JdrTrustNotTerminated();
        if (t.liquidated) revert JdrAlreadyLiquidated();
        // Proceeds with nobody to pay them to would stay in the trust for good.
        if (t.unitsOutstanding == 0 && proceedsJpy != 0) revert JdrNoUnitsOutstanding();
        uint256 sold = _held;
        if (sold != 0) {
            IMarketData.Quote memory q = _marketData.quote(address(_deed.underlying));
            uint256 valueE18 = Math.mulDiv(Math.mulDiv(sold, q.priceE18, 10 ** q.decimals), q.fxE18, ONE);
            // slither-disable-next-line divide-before-multiply: whole yen on purpose
            uint256 value = valueE18 / ONE * 10 ** _deed.cash.decimals();
            uint256 floor = Math.mulDiv(value, BPS - LIQUIDATION_TOLERANCE_BPS, BPS);
            if (proceedsJpy < floor) revert JdrProceedsBelowMarket(proceedsJpy, value, floor);
        }
        t.liquidated = true;
        t.proceedsJpy = proceedsJpy;
        _held = 0;
        emit TrustLiquidated(sold, proceedsJpy, _msgSender());
        if (sold != 0) IERC20(address(_deed.underlying)).safeTransfer(_msgSender(), sold);
        if (proceedsJpy != 0) IERC20(address(_deed.cash)).safeTransferFrom(_msgSender(), address(this), proceedsJpy);
    }

    /// @inheritdoc IJdrTrust
    function claimTermination() external returns (uint256 amountJpy) {
        address holder = _msgSender();
        Termination storage t = _termination;
        if (!t.liquidated) revert JdrTrustNotTerminated();
        uint256 units = _token.balanceOf(holder);
        // slither-disable-next-line incorrect-equality: no units, nothing to claim
        if (units == 0) revert JdrNothingToClaim(holder);
        amountJpy = Math.mulDiv(t.proceedsJpy, units, t.unitsOutstanding);
        t.paidJpy += amountJpy;
        t.unitsClaimed += units;
        emit TerminationClaimed(holder, units, amountJpy);
        _token.burn(holder, units, TERMINATED);
        if (amountJpy != 0) IERC20(address(_deed.cash)).safeTransfer(holder, amountJpy);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IJdrTrust
    function deed() external view returns (TrustDeed memory) {
        return _deed;
    }

    /// @inheritdoc IJdrTrust
    function token() external view returns (IJdrToken) {
        return _token;
    }

    /// @inheritdoc IJdrTrust
    function ratio() external view returns (uint64, uint64) {
        return (_deed.ratioNumerator, _deed.ratioDenominator);
    }

    /// @inheritdoc IJdrTrust
    function proposedRatio() external view returns (uint64, uint64) {
        return (_proposedNumerator, _proposedDenominator);
    }

    /// @inheritdoc IJdrTrust
    function underlyingHeld() external view returns (uint256) {
        return _held;
    }

    /// @inheritdoc IJdrTrust
    function pendingCreations() external view returns (uint256, uint256, uint256) {
        return (_pendingCount, _pendingUnderlying, _pendingJdr);
    }

    /// @inheritdoc IJdrTrust
    function invariant() external view returns (uint256 supply, uint256 held, bool holds) {
        supply = _token.totalSupply();
        held = _held;
        if (_termination.liquidated) {
            uint256 owed = _termination.proceedsJpy - _termination.paidJpy;
            // slither-disable-next-line cache-array-length: a view read through eth_call, where gas costs nothing
            for (uint256 i; i < _distributions.length; ++i) {
                owed += _distributions[i].netJpy - _distributions[i].paidJpy;
            }
            return (supply, held, _deed.cash.balanceOf(address(this)) >= owed);
        }
        holds = supply * _deed.ratioDenominator == uint256(_deed.ratioNumerator) * held
            && _deed.underlying.balanceOf(address(this)) >= held + _pendingUnderlying;
    }

    /// @inheritdoc IJdrTrust
    function creation(uint256 id) external view returns (Creation memory) {
        return id < _creations.length ? _creations[id] : Creation(address(0), address(0), 0, 0, RequestStatus.None);
    }

    /// @inheritdoc IJdrTrust
    function distribution(uint256 id) external view returns (Distribution memory) {
        return _distributionAt(id);
    }

    /// @inheritdoc IJdrTrust
    function distributionCount() external view returns (uint256) {
        return _distributions.length;
    }

    /// @inheritdoc IJdrTrust
    function claimableDistribution(uint256 id, address holder)
        external
        view
        returns (uint256 units, uint256 amountJpy)
    {
        Distribution storage d = _distributionAt(id);
        if (!d.declared || _claimed[id][holder]) return (0, 0);
        units = _token.balanceOfAt(holder, d.recordTime);
        amountJpy = Math.mulDiv(d.netJpy, units, d.unitsOfRecord);
    }

    /// @inheritdoc IJdrTrust
    function distributionBalance(uint256 id) external view returns (uint256 unclaimedJpy, uint256 remainderJpy) {
        Distribution storage d = _distributionAt(id);
        if (!d.declared) return (0, 0);
        // Every unclaimed holder's share rounds down, so together they get at most this much; what
        // is left over once everyone has claimed is the remainder, always under one yen per holder.
        unclaimedJpy = Math.mulDiv(d.netJpy, d.unitsOfRecord - d.unitsClaimed, d.unitsOfRecord);
        remainderJpy = d.netJpy - d.paidJpy - unclaimedJpy;
    }

    /// @inheritdoc IJdrTrust
    function hasClaimed(uint256 id, address holder) external view returns (bool) {
        return _claimed[id][holder];
    }

    /// @inheritdoc IJdrTrust
    function buyback(uint256 id) external view returns (Buyback memory) {
        return id < _buybacks.length ? _buybacks[id] : Buyback(address(0), 0, 0, RequestStatus.None);
    }

    /// @inheritdoc IJdrTrust
    function buybackCount() external view returns (uint256) {
        return _buybacks.length;
    }

    /// @inheritdoc IJdrTrust
    function isSuspended(Operation operation) external view returns (bool) {
        return _suspended & _bit(operation) != 0;
    }

    /// @inheritdoc IJdrTrust
    function isAuthorisedParticipant(address account) external view returns (bool) {
        return _authorised[account];
    }

    /// @inheritdoc IJdrTrust
    function isCancelEligible(address holder) external view returns (bool) {
        return _cancelEligible[holder];
    }

    /// @inheritdoc IJdrTrust
    function termination() external view returns (Termination memory) {
        return _termination;
    }

    /// @inheritdoc IJdrTrust
    function claimableTermination(address holder) external view returns (uint256 units, uint256 amountJpy) {
        // slither-disable-next-line incorrect-equality: fixed at termination; 0 is none
        if (!_termination.liquidated || _termination.unitsOutstanding == 0) return (0, 0);
        units = _token.balanceOf(holder);
        amountJpy = Math.mulDiv(_termination.proceedsJpy, units, _termination.unitsOutstanding);
    }

    /// @inheritdoc IJdrTrust
    function latestDisclosure() external view returns (Disclosure memory) {
        return _disclosure;
    }

    // ---------------------------------------------------------------- internals

    function _requireOpen(Operation operation) private view {
        _requireNotTerminated();
        if (_suspended & _bit(operation) != 0) revert JdrOperationSuspended(operation);
    }

    function _requireNotTerminated() private view {
        if (_termination.terminatedAt != 0) revert JdrTrustTerminated(_termination.terminatedAt);
    }

    function _setSuspended(Operation operation, bool suspended) private {
        uint8 bit = _bit(operation);
        if ((_suspended & bit != 0) == suspended) revert JdrSuspensionUnchanged(operation, suspended);
        _suspended = suspended ? _suspended | bit : _suspended & ~bit;
    }

    function _bit(Operation operation) private pure returns (uint8) {
        return uint8(1) << uint8(operation);
    }

    function _pendingCreation(uint256 id) private view returns (Creation storage c) {
        if (id >= _creations.length) revert JdrCreationNotPending(id, RequestStatus.None);
        c = _creations[id];
        if (c.status != RequestStatus.Pending) revert JdrCreationNotPending(id, c.status);
    }

    function _closePending(Creation storage c) private {
        --_pendingCount;
        _pendingUnderlying -= c.underlyingUnits;
        _pendingJdr -= c.jdrUnits;
    }

    function _pendingBuyback(uint256 id) private view returns (Buyback storage b) {
        if (id >= _buybacks.length) revert JdrBuybackNotPending(id, RequestStatus.None);
        b = _buybacks[id];
        if (b.status != RequestStatus.Pending) revert JdrBuybackNotPending(id, b.status);
    }

    function _distributionAt(uint256 id) private view returns (Distribution storage) {
        if (id >= _distributions.length) revert JdrUnknownDistribution(id);
        return _distributions[id];
    }

    function _notExact(uint256 requested, uint256 step) private pure {
        // slither-disable-next-line divide-before-multiply: rounding down to a whole step is the point
        uint256 below = requested / step * step;
        revert JdrAmountNotExact(requested, below, below + step);
    }

    function _requireLowestTerms(uint64 numerator, uint64 denominator) private pure {
        uint64 a = numerator;
        uint64 b = denominator;
        while (b != 0) (a, b) = (b, a % b);
        if (numerator == 0 || denominator == 0 || a != 1) revert JdrRatioInvalid(numerator, denominator);
    }
}

/// @title JdrTrustDeployer
/// @notice Deploys a JDR trust for the factory. A contract of its own so that the factory's code
/// stays under the 24,576-byte limit: the factory creates it once. Anyone may call it, but a trust
/// it deploys for anyone else is not in the factory's list of series.
contract JdrTrustDeployer {
    /// @notice Deploy the trust of `deed` (see {JdrTrust}'s constructor).
    function deploy(
        IJdrTrust.TrustDeed calldata deed,
        IParticipantRegistry registry,
        IMarketData marketData,
        string calldata name,
        string calldata symbol,
        bytes12 isin,
        JdrTokenDeployer tokenDeployer,
        address[3] calldata agentPauserAdmin
    ) external returns (JdrTrust) {
        return new JdrTrust(
            deed,
            registry,
            marketData,
            name,
            symbol,
            isin,
            tokenDeployer,
            agentPauserAdmin[0],
            agentPauserAdmin[1],
            agentPauserAdmin[2]
        );
    }
}
