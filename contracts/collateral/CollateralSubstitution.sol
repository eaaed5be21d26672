// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {NoncesKeyed} from "@openzeppelin/contracts/utils/NoncesKeyed.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {IMarketData} from "../oracle/IMarketData.sol";
import {ICollateralSubstitution} from "./ICollateralSubstitution.sol";
import {ICollateralVault} from "./ICollateralVault.sol";

/// @title CollateralSubstitution
/// @notice See {ICollateralSubstitution}.
contract CollateralSubstitution is ICollateralSubstitution, Context, EIP712, NoncesKeyed {
    /// @inheritdoc ICollateralSubstitution
    uint256 public constant MAX_LEGS = 8;

    bytes32 private constant LEG_TYPEHASH = keccak256("Leg(address asset,uint256 amount)");
    bytes32 private constant OFFER_TYPEHASH = keccak256(
        "Offer(uint256 account,address client,Leg[] deliver,Leg[] take,address counterparty,uint256 nonce,uint64 expiry)"
        "Leg(address asset,uint256 amount)"
    );

    ICollateralVault private immutable _vault;
    IParticipantRegistry private immutable _registry;
    IMarketData private immutable _marketData;

    constructor(ICollateralVault vault_, IParticipantRegistry registry_, IMarketData marketData_)
        EIP712("Kabuto Collateral Substitution", "1")
    {
        _vault = vault_;
        _registry = registry_;
        _marketData = marketData_;
    }

    // ---------------------------------------------------------------- substitution

    /// @inheritdoc ICollateralSubstitution
    function substitute(
        uint256 account,
        address client,
        ICollateralVault.Leg[] calldata out,
        ICollateralVault.Leg[] calldata into
    ) external returns (uint256, uint256) {
        _authorise(account, client);
        return _exchange(account, client, out, into, address(0), 0);
    }

    /// @inheritdoc ICollateralSubstitution
    function acceptOffer(Offer calldata offer, bytes calldata signature) external returns (uint256, uint256) {
        if (block.timestamp > offer.expiry) revert OfferExpired(offer.expiry);
        address counterparty = offer.counterparty;
        IParticipantRegistry.Status status = _registry.statusOf(counterparty);
        if (status != IParticipantRegistry.Status.Active) revert OfferCounterpartyNotActive(counterparty, status);
        if (!SignatureChecker.isValidSignatureNow(counterparty, _hashTypedDataV4(_hashOffer(offer)), signature)) {
            revert OfferSignatureInvalid(counterparty);
        }
        // A client's collateral in an omnibus account is dealt to a counterparty by the client only:
        // its member may swap it with the client's own wallet, never hand it to a third party.
        if (offer.client != address(0) && _msgSender() != offer.client) {
            revert SubstitutionNotAuthorised(offer.account, _msgSender());
        }
        _authorise(offer.account, offer.client);
        _useCheckedNonce(counterparty, offer.nonce);
        return _exchange(offer.account, offer.client, offer.take, offer.deliver, counterparty, offer.nonce);
    }

    /// @inheritdoc ICollateralSubstitution
    function cancelOffer(uint256 nonce) external {
        _useCheckedNonce(_msgSender(), nonce);
        emit OfferCancelled(_msgSender(), nonce);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICollateralSubstitution
    function offerDigest(Offer calldata offer) external view returns (bytes32) {
        return _hashTypedDataV4(_hashOffer(offer));
    }

    // ---------------------------------------------------------------- internals

    /// @dev Has the vault exchange the legs; the vault checks the rule on the final state (value after at
    /// least the requirement, or, for an account already short, at least the value before) before any
    /// token moves, so a refusal for the rule is never masked by a missing allowance.
    /// An offer's `counterparty` pays the legs in and receives the legs out; without one (zero) the
    /// caller pays, and the legs out go where a withdrawal would send them: to the owner, or to the
    /// omnibus client named, never to its member.
    function _exchange(
        uint256 id,
        address client,
        ICollateralVault.Leg[] calldata out,
        ICollateralVault.Leg[] calldata into,
        address counterparty,
        uint256 nonce
    ) private returns (uint256 valueBefore, uint256 valueAfter) {
        _checkLegs(out, into);
        address payer = counterparty;
        address receiver = counterparty;
        if (counterparty == address(0)) {
            payer = _msgSender();
            receiver = client == address(0) ? address(uint160(id)) : client;
        }
        try _vault.exchange(id, client, out, into, payer, receiver) returns (
            uint256 valuedBefore, uint256 valuedAfter
        ) {
            (valueBefore, valueAfter) = (valuedBefore, valuedAfter);
        } catch (bytes memory reason) {
            _explainShort(reason, out);
        }
        emit Substituted(
            id,
            _msgSender(),
            client,
            out,
            into,
            valueBefore,
            valueAfter,
            _vault.account(id).requirement,
            counterparty,
            nonce
        );
    }

    /// @dev Re-raises the vault's refusal `reason`; a substitution short of the rule is raised as
    /// `SubstitutionShort`, naming the leg out that took the most counted value.
    function _explainShort(bytes memory reason, ICollateralVault.Leg[] calldata out) private view {
        if (reason.length == 132 && bytes4(reason) == ICollateralVault.VaultSubstitutionShort.selector) {
            uint256 id;
            uint256 valueAfter;
            uint256 requirement;
            uint256 valueBefore;
            assembly ("memory-safe") {
                id := mload(add(reason, 36))
                valueAfter := mload(add(reason, 68))
                requirement := mload(add(reason, 100))
                valueBefore := mload(add(reason, 132))
            }
            ICollateralVault.AccountKind kind = _vault.account(id).kind;
            revert SubstitutionShort(id, valueAfter, requirement, valueBefore, _costliest(out, kind, requirement));
        }
        assembly ("memory-safe") {
            revert(add(reason, 32), mload(reason))
        }
    }

    /// @dev The caller owns account `id`, or is the client it names; a client is named for an omnibus
    /// account only (its kind is part of its id), whose vault checks the client is its member's.
    function _authorise(uint256 id, address client) private view {
        if (client != address(0) && ICollateralVault.AccountKind(id >> 160) != ICollateralVault.AccountKind.Omnibus) {
            revert ICollateralVault.VaultBeneficialOwnerInvalid(id, client);
        }
        address caller = _msgSender();
        if (caller != address(uint160(id)) && (client == address(0) || caller != client)) {
            revert SubstitutionNotAuthorised(id, caller);
        }
    }

    /// @dev 1 to MAX_LEGS legs each way, none zero, no asset in two legs (out or in).
    function _checkLegs(ICollateralVault.Leg[] calldata out, ICollateralVault.Leg[] calldata into) private pure {
        uint256 n = out.length;
        if (n == 0 || n > MAX_LEGS || into.length == 0 || into.length > MAX_LEGS) {
            revert SubstitutionLegCount(n, into.length, MAX_LEGS);
        }
        address[] memory seen = new address[](n + into.length);
        for (uint256 i; i < seen.length; ++i) {
            ICollateralVault.Leg calldata leg = i < n ? out[i] : into[i - n];
            if (leg.amount == 0) revert SubstitutionLegZero(leg.asset);
            for (uint256 j; j < i; ++j) {
                if (seen[j] == leg.asset) revert SubstitutionLegRepeated(leg.asset);
            }
            seen[i] = leg.asset;
        }
    }

    /// @dev The leg out whose counted value (alone, against the requirement) is largest.
    function _costliest(ICollateralVault.Leg[] calldata out, ICollateralVault.AccountKind kind, uint256 requirement)
        private
        view
        returns (address asset)
    {
        IMarketData.Purpose purpose = kind == ICollateralVault.AccountKind.ClearingFund
            ? IMarketData.Purpose.ClearingFund
            : IMarketData.Purpose.InitialMargin;
        address[] memory assets = new address[](1);
        uint256[] memory quantities = new uint256[](1);
        uint256 largest = 0;
        for (uint256 i; i < out.length; ++i) {
            (assets[0], quantities[0]) = (out[i].asset, out[i].amount);
            // slither-disable-next-line unused-return: a leg that cannot be valued counts 0 here, as wanted
            (, uint256 value) = _marketData.valueCollateral(assets, quantities, purpose, requirement, false);
            if (asset == address(0) || value > largest) (asset, largest) = (out[i].asset, value);
        }
    }

    function _hashOffer(Offer calldata o) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                OFFER_TYPEHASH,
                o.account,
                o.client,
                _hashLegs(o.deliver),
                _hashLegs(o.take),
                o.counterparty,
                o.nonce,
                o.expiry
            )
        );
    }

    function _hashLegs(ICollateralVault.Leg[] calldata legs) private pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](legs.length);
        for (uint256 i; i < legs.length; ++i) {
            hashes[i] = keccak256(abi.encode(LEG_TYPEHASH, legs[i].asset, legs[i].amount));
        }
        return keccak256(abi.encodePacked(hashes));
    }
}
