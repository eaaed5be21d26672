// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {IEtfRegistry} from "./IEtfRegistry.sol";
import {ITradingCalendar} from "./ITradingCalendar.sol";

/// @title EtfRegistry
/// @notice See {IEtfRegistry}.
/// @dev An ETF's unit token is not checked beyond having code: the CCP notifies the token it lists.
contract EtfRegistry is IEtfRegistry, AccessControl {
    /// @notice The CCP: registers trust banks, notifies ETFs, their baskets and delistings.
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;

    IParticipantRegistry private immutable _participants;
    ITradingCalendar private immutable _calendar;

    mapping(bytes12 code => Etf) private _etfs;
    // slither-disable-next-line uninitialized-state: filled through a storage reference (_setBasket)
    mapping(bytes12 code => Constituent[]) private _baskets;
    mapping(address trustBank => TrustBankStatus) private _trustBanks;
    bytes12[] private _codes;

    constructor(IParticipantRegistry participants, ITradingCalendar calendar_, address admin) {
        _participants = participants;
        _calendar = calendar_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
    }

    // ---------------------------------------------------------------- CCP

    /// @inheritdoc IEtfRegistry
    function setTrustBankStatus(address trustBank, TrustBankStatus status) external onlyRole(Roles.CCP_OPERATOR) {
        _requireKind(trustBank, IParticipantRegistry.Kind.TrustBank, "TrustBank");
        TrustBankStatus current = _trustBanks[trustBank];
        bool allowed = (status == TrustBankStatus.Registered && current == TrustBankStatus.None)
            || (status == TrustBankStatus.BeingDeregistered && current == TrustBankStatus.Registered)
            || (status == TrustBankStatus.Registered && current == TrustBankStatus.BeingDeregistered)
            || (status == TrustBankStatus.Deregistered
                && (current == TrustBankStatus.Registered || current == TrustBankStatus.BeingDeregistered));
        if (!allowed) revert EtfTrustBankTransitionInvalid(trustBank, current, status);
        _trustBanks[trustBank] = status;
        emit TrustBankStatusChanged(trustBank, current, status);
    }

    /// @inheritdoc IEtfRegistry
    function notify(bytes12 code, Etf calldata etf_, Constituent[] calldata basket_)
        external
        onlyRole(Roles.CCP_OPERATOR)
    {
        if (code == bytes12(0)) revert EtfTermsInvalid("code");
        if (_etfs[code].listingDay != 0) revert EtfAlreadyNotified(code);
        if (address(etf_.unit).code.length == 0) revert EtfTermsInvalid("unit");
        if (etf_.etfType == EtfType.None) revert EtfTermsInvalid("type");
        if (etf_.creationUnit == 0) revert EtfTermsInvalid("creationUnit");
        if (etf_.lastTradingDay != 0) revert EtfTermsInvalid("lastTradingDay");
        TrustBankStatus status = _trustBanks[etf_.trustBank];
        if (status != TrustBankStatus.Registered) revert EtfTrustBankNotRegistered(etf_.trustBank, status);
        _requireKind(etf_.manager, IParticipantRegistry.Kind.EtfManager, "EtfManager");
        if (!_calendar.isBusinessDay(etf_.listingDay)) revert EtfNotBusinessDay(etf_.listingDay);
        _etfs[code] = etf_;
        _codes.push(code);
        emit EtfNotified(code, etf_);
        _setBasket(code, basket_, etf_.cashPerCreationUnit);
    }

    /// @inheritdoc IEtfRegistry
    function setBasket(bytes12 code, Constituent[] calldata basket_, uint256 cashPerCreationUnit)
        external
        onlyRole(Roles.CCP_OPERATOR)
    {
        _known(code).cashPerCreationUnit = cashPerCreationUnit;
        _setBasket(code, basket_, cashPerCreationUnit);
    }

    /// @inheritdoc IEtfRegistry
    function decideDelisting(bytes12 code, uint32 lastTradingDay) external onlyRole(Roles.CCP_OPERATOR) {
        Etf storage e = _known(code);
        if (e.lastTradingDay != 0) revert EtfTermsInvalid("lastTradingDay");
        if (lastTradingDay < e.listingDay || lastTradingDay < _calendar.dayOf(block.timestamp)) {
            revert EtfTermsInvalid("lastTradingDay");
        }
        if (!_calendar.isBusinessDay(lastTradingDay)) revert EtfNotBusinessDay(lastTradingDay);
        e.lastTradingDay = lastTradingDay;
        emit DelistingDecided(code, lastTradingDay);
    }

    // ---------------------------------------------------------------- reads

    /// @inheritdoc IEtfRegistry
    function calendar() external view returns (ITradingCalendar) {
        return _calendar;
    }

    /// @inheritdoc IEtfRegistry
    function etf(bytes12 code) external view returns (Etf memory) {
        return _known(code);
    }

    /// @inheritdoc IEtfRegistry
    function basket(bytes12 code) external view returns (Constituent[] memory) {
        _known(code);
        return _baskets[code];
    }

    /// @inheritdoc IEtfRegistry
    function codes() external view returns (bytes12[] memory) {
        return _codes;
    }

    /// @inheritdoc IEtfRegistry
    function trustBankStatus(address trustBank) external view returns (TrustBankStatus) {
        return _trustBanks[trustBank];
    }

    /// @inheritdoc IEtfRegistry
    function checkEligibility(bytes12 code, ApplicationKind kind, uint32 day) external view {
        Etf storage e = _etfs[code];
        if (e.listingDay == 0) revert EtfNotNotified(code);
        TrustBankStatus status = _trustBanks[e.trustBank];
        if (status != TrustBankStatus.Registered) revert EtfTrustBankNotRegistered(e.trustBank, status);
        if (!accepts(e.etfType, kind)) revert EtfKindNotAccepted(code, kind, e.etfType);
        if (!_calendar.isBusinessDay(day)) revert EtfNotBusinessDay(day);
        bool creation = kind == ApplicationKind.CreationInKind || kind == ApplicationKind.CreationCash;
        uint32 earliest = _calendar.subBusinessDays(e.listingDay, creation ? 2 : 1);
        if (day < earliest) revert EtfBeforeListingWindow(code, day, earliest);
        if (e.lastTradingDay != 0 && day > e.lastTradingDay) {
            revert EtfAfterLastTradingDay(code, day, e.lastTradingDay);
        }
    }

    /// @notice Whether an ETF of `etfType` is created or redeemed by `kind`: an in-kind ETF in kind
    /// and by exchange for its basket, a cash ETF for cash both ways.
    function accepts(EtfType etfType, ApplicationKind kind) public pure returns (bool) {
        if (etfType == EtfType.InKind) {
            return kind == ApplicationKind.CreationInKind || kind == ApplicationKind.Exchange;
        }
        if (etfType == EtfType.Cash) {
            return kind == ApplicationKind.CreationCash || kind == ApplicationKind.RedemptionCash;
        }
        return false;
    }

    // ---------------------------------------------------------------- internal

    function _setBasket(bytes12 code, Constituent[] calldata basket_, uint256 cashPerCreationUnit) private {
        bool inKind = _etfs[code].etfType == EtfType.InKind;
        if (inKind ? basket_.length == 0 : basket_.length != 0) revert EtfTermsInvalid("basket");
        Constituent[] storage stored = _baskets[code];
        while (stored.length != 0) {
            stored.pop();
        }
        for (uint256 i; i < basket_.length; ++i) {
            Constituent calldata c = basket_[i];
            if (c.quantity == 0 || address(c.token).code.length == 0 || c.token == _etfs[code].unit) {
                revert EtfTermsInvalid("basket");
            }
            for (uint256 j; j < i; ++j) {
                if (basket_[j].token == c.token) revert EtfTermsInvalid("basket");
            }
            stored.push(c);
        }
        emit BasketSet(code, basket_, cashPerCreationUnit);
    }

    function _known(bytes12 code) private view returns (Etf storage e) {
        e = _etfs[code];
        if (e.listingDay == 0) revert EtfNotNotified(code);
    }

    function _requireKind(address account, IParticipantRegistry.Kind kind, bytes32 needed) private view {
        if (_participants.participant(account).kind != kind) revert EtfWrongParticipant(account, needed);
    }
}
