// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {ICollateralVault} from "./ICollateralVault.sol";

/// @title ICollateralSubstitution
/// @notice Atomic collateral substitution: collateral out of a vault account against collateral in,
/// in one transaction, with the valuation rule checked once, on the final state. Today a substitution
/// is a withdrawal plus a deposit, and since a withdrawal is allowed only above the requirement the
/// member must first post the new collateral in full ("double-stacking", with its funding cost); here
/// no leg is checked alone, so nothing needs pre-funding, across currencies and asset classes.
///
/// Two ways: the account's owner swaps with itself (`substitute`: legs in from its wallet, legs out to
/// it), or with a counterparty that signed an EIP-712 offer off chain (`acceptOffer`: the counterparty
/// delivers the legs in and takes the legs out, delivery versus delivery). A contract wallet signs
/// through ERC-1271.
///
/// The rule: value after >= requirement, or, for an account already short, value after >= value
/// before (a substitution never makes a shortfall worse). Values are the vault's: haircut values
/// counted up to each asset's concentration limit of the requirement. An open margin call is
/// re-evaluated at the value after, so a substitution that brings the account to its requirement
/// meets it.
/// @dev The vault does the booking and the token transfers (`ICollateralVault.exchange`), refusing
/// frozen accounts, parties not in good standing, ineligible or unpriced legs in, legs out beyond a
/// holding, and missing or stale prices; this contract checks who may substitute, the legs, the
/// offer and the rule. The vault's events record each leg (`CollateralDeposited` from the payer,
/// `CollateralWithdrawn` to the receiver); `Substituted` records the whole.
interface ICollateralSubstitution {
    /// @notice A counterparty's signed offer: it delivers `deliver` into `account` (into `client`'s
    /// sub-ledger when omnibus) and takes `take` out of it, if accepted by `expiry` (unix seconds).
    /// @dev `nonce` is an OpenZeppelin keyed nonce (key << 64 | sequence): offers on one key are taken
    /// in order; independent offers use different keys.
    struct Offer {
        uint256 account;
        address client;
        ICollateralVault.Leg[] deliver;
        ICollateralVault.Leg[] take;
        address counterparty;
        uint256 nonce;
        uint64 expiry;
    }

    // ---------------------------------------------------------------- errors

    /// @notice `caller` may not substitute on `account`: only its owner, or the omnibus client named (and
    /// only that client may accept an offer on its omnibus collateral).
    error SubstitutionNotAuthorised(uint256 account, address caller);
    /// @notice A substitution takes between 1 and `max` legs out and between 1 and `max` in;
    /// `outLegs` and `inLegs` were given.
    error SubstitutionLegCount(uint256 outLegs, uint256 inLegs, uint256 max);
    /// @notice A leg of `asset` has a zero amount.
    error SubstitutionLegZero(address asset);
    /// @notice `asset` appears in more than one leg (out or in).
    error SubstitutionLegRepeated(address asset);
    /// @notice The substitution would leave `account` worth `valueAfterJpy` JPY against a requirement of
    /// `requirementJpy` JPY (it was worth `valueBeforeJpy` JPY); the leg out that took the most counted
    /// value was `asset`.
    error SubstitutionShort(
        uint256 account, uint256 valueAfterJpy, uint256 requirementJpy, uint256 valueBeforeJpy, address asset
    );
    /// @notice The offer expired at `expiry`.
    error OfferExpired(uint64 expiry);
    /// @notice The signature is not `counterparty`'s on this offer (wrong signer, or an offer changed).
    error OfferSignatureInvalid(address counterparty);
    /// @notice The counterparty `counterparty` is `status` in the register, not active.
    error OfferCounterpartyNotActive(address counterparty, IParticipantRegistry.Status status);

    // ---------------------------------------------------------------- events

    /// @notice `caller` substituted collateral in `account` (`client`'s sub-ledger when omnibus): `out`
    /// left, `into` came in; the account was worth `valueBeforeJpy` JPY and is worth `valueAfterJpy`
    /// against a requirement of `requirementJpy`. `counterparty` delivered `into` and took `out` under
    /// its offer `nonce`; it is zero when the caller swapped with its own wallet.
    event Substituted(
        uint256 indexed account,
        address indexed caller,
        address client,
        ICollateralVault.Leg[] out,
        ICollateralVault.Leg[] into,
        uint256 valueBeforeJpy,
        uint256 valueAfterJpy,
        uint256 requirementJpy,
        address indexed counterparty,
        uint256 nonce
    );
    /// @notice `counterparty` cancelled its offers with nonce `nonce`: none can be accepted.
    event OfferCancelled(address indexed counterparty, uint256 nonce);

    // ---------------------------------------------------------------- substitution

    /// @notice Swaps collateral in `account` with the caller's wallet: `out` leaves to where a
    /// withdrawal would send it (the owner, or the omnibus client named), `into` comes from the caller.
    /// @dev The account's owner, or for an omnibus account the member or the client named (`client`
    /// is zero for any other kind). 1 to 8 legs each way, no asset twice, no zero amount.
    function substitute(
        uint256 account,
        address client,
        ICollateralVault.Leg[] calldata out,
        ICollateralVault.Leg[] calldata into
    ) external returns (uint256 valueBeforeJpy, uint256 valueAfterJpy);

    /// @notice Accepts `offer`, signed by its counterparty (`signature`: 65 bytes for a key, anything
    /// ERC-1271 accepts for a contract wallet): the counterparty's `deliver` legs go into the account
    /// and its `take` legs come out to it, the rule checked on the final state, the nonce used.
    /// @dev The account's owner; for an omnibus account, the client named only (the legs out go to
    /// the counterparty, so a member cannot deal its client's collateral away). Refused when expired, used or cancelled
    /// (OpenZeppelin's `InvalidAccountNonce`), not signed by the counterparty, or the counterparty is
    /// not active; the counterparty's balances and allowances to the vault are the tokens' to check.
    function acceptOffer(Offer calldata offer, bytes calldata signature)
        external
        returns (uint256 valueBeforeJpy, uint256 valueAfterJpy);

    /// @notice Cancels the caller's offer with `nonce`, the next of its key: from now on no offer with
    /// that nonce can be accepted.
    function cancelOffer(uint256 nonce) external;

    // ---------------------------------------------------------------- views

    /// @notice The EIP-712 digest a counterparty signs for `offer`.
    function offerDigest(Offer calldata offer) external view returns (bytes32);

    /// @notice Most legs each way.
    function MAX_LEGS() external view returns (uint256);
}
