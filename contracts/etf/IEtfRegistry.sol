// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ITradingCalendar} from "./ITradingCalendar.sol";

/// @title IEtfRegistry
/// @notice The ETFs notified to the CCP for clearing of creation and redemption (reference 004,
/// article 46-2), and the trust banks registered for it (登録ETF信託銀行). An ETF is notified with its
/// code, its unit token, its trustee (a registered trust bank), its ETF special participant (the
/// manager), its listing day, its type (in kind or cash), its creation unit and its basket: the
/// constituents per creation unit and the cash component. When a delisting is decided the CCP
/// records the last trading day. `checkEligibility` is article 46-2 exactly: every condition that
/// a novation needs, each a typed refusal.
/// @dev Days are Tokyo calendar days counted from 1970-01-01 (see {ITradingCalendar}).
interface IEtfRegistry {
    /// @notice In kind: created with the basket and exchanged for it. Cash: created and redeemed for cash.
    enum EtfType {
        None,
        InKind,
        Cash
    }

    /// @notice What a clearing member applies for (the application types of reference 000).
    enum ApplicationKind {
        None,
        CreationInKind,
        CreationCash,
        RedemptionCash,
        Exchange
    }

    /// @notice A trust bank's registration for ETF clearing.
    enum TrustBankStatus {
        None,
        Registered,
        BeingDeregistered,
        Deregistered
    }

    /// @notice A constituent of the basket: `quantity` units of `token` per creation unit.
    struct Constituent {
        IERC20 token;
        uint256 quantity;
    }

    /// @notice An ETF as notified. `lastTradingDay` is zero until a delisting is decided.
    /// @param cashPerCreationUnit The cash component of an in-kind creation, in yen per creation unit.
    struct Etf {
        IERC20 unit;
        address trustBank;
        address manager;
        uint32 listingDay;
        uint32 lastTradingDay;
        EtfType etfType;
        uint64 creationUnit;
        uint256 cashPerCreationUnit;
    }

    // ---------------------------------------------------------------- errors

    /// @notice ETF `code` has not been notified to the CCP (article 46-2: notified in advance).
    error EtfNotNotified(bytes12 code);
    /// @notice ETF `code` is notified already.
    error EtfAlreadyNotified(bytes12 code);
    /// @notice The notification is not usable: its `what` is missing or inconsistent.
    error EtfTermsInvalid(bytes32 what);
    /// @notice `account` is not registered as a `needed` in the participant register.
    error EtfWrongParticipant(address account, bytes32 needed);
    /// @notice Trust bank `trustBank` is `status`: clearing needs a registered trust bank not being deregistered.
    error EtfTrustBankNotRegistered(address trustBank, TrustBankStatus status);
    /// @notice Trust bank `trustBank` cannot go from `current` to `requested`.
    error EtfTrustBankTransitionInvalid(address trustBank, TrustBankStatus current, TrustBankStatus requested);
    /// @notice ETF `code` is of type `etfType`, which is not created or redeemed by `kind`.
    error EtfKindNotAccepted(bytes12 code, ApplicationKind kind, EtfType etfType);
    /// @notice Day `day` is not a business day of the exchange.
    error EtfNotBusinessDay(uint32 day);
    /// @notice Statement date `day` is before `earliest`, the first the listing day of ETF `code` allows
    /// (a creation 2 business days before listing, a redemption or exchange 1).
    error EtfBeforeListingWindow(bytes12 code, uint32 day, uint32 earliest);
    /// @notice Statement date `day` is after `lastTradingDay`, the last trading day of ETF `code`.
    error EtfAfterLastTradingDay(bytes12 code, uint32 day, uint32 lastTradingDay);

    // ---------------------------------------------------------------- events

    /// @notice Trust bank `trustBank` went from `previous` to `status`.
    event TrustBankStatusChanged(address indexed trustBank, TrustBankStatus previous, TrustBankStatus status);
    /// @notice ETF `code` was notified to the CCP.
    event EtfNotified(bytes12 indexed code, Etf etf);
    /// @notice The basket of ETF `code` is now `basket` per creation unit plus `cashPerCreationUnit` yen.
    event BasketSet(bytes12 indexed code, Constituent[] basket, uint256 cashPerCreationUnit);
    /// @notice The delisting of ETF `code` was decided: `lastTradingDay` is its last trading day.
    event DelistingDecided(bytes12 indexed code, uint32 lastTradingDay);

    // ---------------------------------------------------------------- CCP

    /// @notice Register, mark as being deregistered, or deregister a trust bank (a `TrustBank` of the
    /// participant register). Deregistered is final.
    function setTrustBankStatus(address trustBank, TrustBankStatus status) external;

    /// @notice Notify ETF `code`. Its trust bank is registered; its manager is an `EtfManager` of the
    /// register; its listing day a business day; an in-kind ETF has a basket, a cash ETF none.
    function notify(bytes12 code, Etf calldata etf, Constituent[] calldata basket) external;

    /// @notice Replace the basket and cash component of ETF `code` (the manager's daily composition).
    function setBasket(bytes12 code, Constituent[] calldata basket, uint256 cashPerCreationUnit) external;

    /// @notice Record that the delisting of ETF `code` is decided, trading last on `lastTradingDay`.
    function decideDelisting(bytes12 code, uint32 lastTradingDay) external;

    // ---------------------------------------------------------------- reads

    /// @notice The calendar the listing window and last trading day are counted on.
    function calendar() external view returns (ITradingCalendar);

    /// @notice ETF `code` (reverts `EtfNotNotified` if it is not).
    function etf(bytes12 code) external view returns (Etf memory);

    /// @notice The basket of ETF `code` per creation unit.
    function basket(bytes12 code) external view returns (Constituent[] memory);

    /// @notice Every notified ETF code, in notification order.
    function codes() external view returns (bytes12[] memory);

    /// @notice The registration of trust bank `trustBank`.
    function trustBankStatus(address trustBank) external view returns (TrustBankStatus);

    /// @notice Article 46-2: reverts with the first condition an application of `kind` for ETF `code`
    /// with statement date `day` fails, in this order: the ETF is notified; its trustee is a
    /// registered trust bank not being deregistered; the ETF's type accepts `kind`; `day` is a
    /// business day; `day` is no earlier than 2 business days before listing for a creation, 1 for a
    /// redemption or exchange; `day` is on or before the last trading day once a delisting is decided.
    function checkEligibility(bytes12 code, ApplicationKind kind, uint32 day) external view;
}
