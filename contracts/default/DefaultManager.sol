// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {ICollateralVault} from "../collateral/ICollateralVault.sol";
import {Valuation} from "../collateral/Valuation.sol";
import {IMarketData} from "../oracle/IMarketData.sol";
import {IDefaultManager} from "./IDefaultManager.sol";

/// @title DefaultManager
/// @notice See {IDefaultManager}.
contract DefaultManager is IDefaultManager, AccessControl, ReentrancyGuardTransient {
    /// @notice Declares and withdraws defaults, ports and closes out clients (the CCP's default desk).
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;

    IParticipantRegistry private immutable _registry;
    ICollateralVault private immutable _vault;
    IMarketData private immutable _marketData;
    uint256 private immutable _manager; // its default-management account in the vault, opened on first use

    DefaultCase[] private _cases; // case id = index + 1
    mapping(address member => uint256 caseId) private _openCase;
    mapping(uint256 caseId => mapping(Origin origin => mapping(address asset => uint256))) private _seized;
    mapping(uint256 caseId => address[]) private _seizedAssets;
    mapping(uint256 caseId => mapping(address client => ClientPort)) private _clients;
    mapping(uint256 caseId => uint256) private _clientsMoved; // ported or closed out

    /// @param admin receives the admin role and the CCP operator role.
    constructor(IParticipantRegistry registry_, ICollateralVault vault_, IMarketData marketData_, address admin) {
        _registry = registry_;
        _vault = vault_;
        _marketData = marketData_;
        _manager = vault_.accountId(address(this), ICollateralVault.AccountKind.DefaultManagement);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
    }

    // ---------------------------------------------------------------- declaring

    /// @inheritdoc IDefaultManager
    function declareDefault(uint256 callId, bytes32 reason, uint64 portingDeadline)
        external
        onlyRole(Roles.CCP_OPERATOR)
        nonReentrant
        returns (uint256)
    {
        return _declare(_vault.confirmMissedCall(callId), callId, reason, portingDeadline);
    }

    /// @inheritdoc IDefaultManager
    function declareMemberDefault(address member, bytes32 reason, uint64 portingDeadline)
        external
        onlyRole(Roles.CCP_OPERATOR)
        nonReentrant
        returns (uint256)
    {
        return _declare(member, 0, reason, portingDeadline);
    }

    /// @inheritdoc IDefaultManager
    function withdrawDefault(uint256 caseId, bytes32 reason) external onlyRole(Roles.CCP_OPERATOR) nonReentrant {
        DefaultCase storage c = _openCaseById(caseId);
        if (_clientsMoved[caseId] != 0) revert DefaultClientsMoved(caseId, _clientsMoved[caseId]);
        c.status = CaseStatus.Withdrawn;
        address member = c.member;
        delete _openCase[member];
        address[] storage assets = _seizedAssets[caseId];
        uint256 house = _vault.accountId(member, ICollateralVault.AccountKind.House);
        uint256 fund = _vault.accountId(member, ICollateralVault.AccountKind.ClearingFund);
        for (uint256 i; i < assets.length; ++i) {
            address asset = assets[i];
            uint256 fromHouse = _seized[caseId][Origin.HouseMargin][asset]; // kept as the case's record
            uint256 fromFund = _seized[caseId][Origin.ClearingFund][asset];
            if (fromHouse != 0) {
                _vault.moveCollateral(_manager, address(0), house, address(0), asset, fromHouse, caseId);
            }
            if (fromFund != 0) _vault.moveCollateral(_manager, address(0), fund, address(0), asset, fromFund, caseId);
        }
        uint256[] memory accounts = _vault.accountsOf(member);
        for (uint256 i; i < accounts.length; ++i) {
            ICollateralVault.Account memory a = _vault.account(accounts[i]);
            uint256 value = _vault.collateralValue(accounts[i]);
            if (value < a.requirement) revert DefaultNotCured(caseId, accounts[i], value, a.requirement);
            if (a.frozen) _vault.unfreeze(accounts[i], caseId);
        }
        IParticipantRegistry.Status restored =
            c.wasSuspended ? IParticipantRegistry.Status.Suspended : IParticipantRegistry.Status.Active;
        _registry.endDefault(member, restored, reason);
        emit DefaultWithdrawn(caseId, member, reason, _msgSender());
    }

    // ---------------------------------------------------------------- porting

    /// @inheritdoc IDefaultManager
    function acceptClient(uint256 caseId, address client) external nonReentrant {
        DefaultCase storage c = _portable(caseId);
        address member = _msgSender();
        IParticipantRegistry.Participant memory m = _registry.participant(member);
        if (
            member == c.member || m.kind != IParticipantRegistry.Kind.ClearingMember
                || m.status != IParticipantRegistry.Status.Active
        ) revert DefaultReceiverInvalid(caseId, member);
        IParticipantRegistry.Participant memory p = _clientOf(caseId, c, client);
        if (p.accountType == IParticipantRegistry.AccountType.Omnibus) {
            // slither-disable-next-line unused-return: called for its revert, the member must have an omnibus account
            _vault.account(_vault.accountId(member, ICollateralVault.AccountKind.Omnibus)); // must be open
        }
        _clients[caseId][client] = ClientPort(ClientStatus.Accepted, member);
        emit ClientPortAccepted(caseId, client, member);
    }

    /// @inheritdoc IDefaultManager
    function portClient(uint256 caseId, address client) external onlyRole(Roles.CCP_OPERATOR) nonReentrant {
        DefaultCase storage c = _portable(caseId);
        IParticipantRegistry.Participant memory p = _clientOf(caseId, c, client);
        ClientPort storage port = _clients[caseId][client];
        if (port.status != ClientStatus.Accepted) revert DefaultClientNotAccepted(caseId, client);
        address to = port.acceptedBy;
        port.status = ClientStatus.Ported;
        _registry.transferClient(client, to);
        if (p.accountType == IParticipantRegistry.AccountType.Segregated) {
            uint256 id = _vault.accountId(client, ICollateralVault.AccountKind.Segregated);
            try _vault.account(id) returns (ICollateralVault.Account memory a) {
                _vault.reassign(id, to, caseId);
                if (a.frozen) _vault.unfreeze(id, caseId);
            } catch {} // no account opened for it: only the register moves
        } else {
            uint256 from = _vault.accountId(c.member, ICollateralVault.AccountKind.Omnibus);
            uint256 into = _vault.accountId(to, ICollateralVault.AccountKind.Omnibus);
            address[] memory assets = _vault.assetsOf(from);
            for (uint256 i; i < assets.length; ++i) {
                uint256 quantity = _vault.subLedger(from, client, assets[i]);
                if (quantity != 0) _vault.moveCollateral(from, client, into, client, assets[i], quantity, caseId);
            }
        }
        ++_clientsMoved[caseId];
        emit ClientPorted(caseId, client, to, c.member);
    }

    /// @inheritdoc IDefaultManager
    function closeOutClient(uint256 caseId, address client, uint256 lossJpy)
        external
        onlyRole(Roles.CCP_OPERATOR)
        nonReentrant
    {
        // Open or settled: a client left after the settlement is still closed out and paid back.
        DefaultCase storage c = _case(caseId);
        if (c.status == CaseStatus.Withdrawn || c.status == CaseStatus.None) {
            revert DefaultCaseNotOpen(caseId, c.status);
        }
        if (block.timestamp <= c.portingDeadline) revert DefaultPortingOpen(caseId, c.portingDeadline);
        IParticipantRegistry.Participant memory p = _clientOf(caseId, c, client);
        ClientPort storage port = _clients[caseId][client];
        if (port.status == ClientStatus.Ported || port.status == ClientStatus.ClosedOut) {
            revert DefaultClientSettled(caseId, client, port.status);
        }
        port.status = ClientStatus.ClosedOut;
        bool segregated = p.accountType == IParticipantRegistry.AccountType.Segregated;
        uint256 id = segregated
            ? _vault.accountId(client, ICollateralVault.AccountKind.Segregated)
            : _vault.accountId(c.member, ICollateralVault.AccountKind.Omnibus);
        address named = segregated ? address(0) : client;
        uint256 short = lossJpy;
        address[] memory assets = _vault.assetsOf(id);
        for (uint256 i; i < assets.length; ++i) {
            uint256 held = segregated ? _vault.holding(id, assets[i]) : _vault.subLedger(id, client, assets[i]);
            if (held == 0) continue;
            uint256 taken;
            (taken, short) = _lossFrom(assets[i], held, short, IMarketData.Purpose.InitialMargin);
            if (taken != 0) {
                _vault.moveCollateral(id, named, _manager, address(0), assets[i], taken, caseId);
            }
            if (held > taken) _vault.release(id, named, assets[i], held - taken, caseId);
        }
        c.uncoveredClientLossJpy += short;
        ++_clientsMoved[caseId];
        emit ClientClosedOut(caseId, client, lossJpy, lossJpy - short);
    }

    // ---------------------------------------------------------------- the waterfall

    /// @inheritdoc IDefaultManager
    function settle(uint256 caseId, uint256 closeOutLossJpy, uint256 ccpTranche)
        external
        onlyRole(Roles.CCP_OPERATOR)
        nonReentrant
    {
        DefaultCase storage c = _openCaseById(caseId);
        if (block.timestamp <= c.portingDeadline) revert DefaultPortingOpen(caseId, c.portingDeadline);
        ICollateralVault.Account memory tranche = _vault.account(ccpTranche);
        if (
            tranche.kind != ICollateralVault.AccountKind.ClearingFund
                || _registry.participant(tranche.owner).kind != IParticipantRegistry.Kind.Ccp
        ) revert DefaultCcpTrancheInvalid(ccpTranche);
        c.status = CaseStatus.Settled;
        address member = c.member;
        delete _openCase[member];
        uint256 loss = closeOutLossJpy + c.uncoveredClientLossJpy;
        uint256 short =
            _fromSeized(caseId, Origin.HouseMargin, _vault.accountId(member, ICollateralVault.AccountKind.House), loss);
        short = _fromSeized(
            caseId, Origin.ClearingFund, _vault.accountId(member, ICollateralVault.AccountKind.ClearingFund), short
        );
        short = _fromAccount(caseId, Layer.CcpTranche, ccpTranche, short);
        if (short != 0) short = _fromSurvivors(caseId, member, short);
        emit CaseSettled(caseId, loss, loss - short, short);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDefaultManager
    function defaultCase(uint256 caseId) external view returns (DefaultCase memory) {
        return _case(caseId);
    }

    /// @inheritdoc IDefaultManager
    function caseCount() external view returns (uint256) {
        return _cases.length;
    }

    /// @inheritdoc IDefaultManager
    function openCaseOf(address member) external view returns (uint256) {
        return _openCase[member];
    }

    /// @inheritdoc IDefaultManager
    function seized(uint256 caseId, Origin origin, address asset) external view returns (uint256) {
        return _seized[caseId][origin][asset];
    }

    /// @inheritdoc IDefaultManager
    function seizedAssets(uint256 caseId) external view returns (address[] memory) {
        return _seizedAssets[caseId];
    }

    /// @inheritdoc IDefaultManager
    function clientPort(uint256 caseId, address client) external view returns (ClientPort memory) {
        return _clients[caseId][client];
    }

    /// @inheritdoc IDefaultManager
    function managementAccount() external view returns (uint256) {
        return _manager;
    }

    // ---------------------------------------------------------------- internals

    function _declare(address member, uint256 callId, bytes32 reason, uint64 portingDeadline)
        private
        returns (uint256 caseId)
    {
        IParticipantRegistry.Participant memory p = _registry.participant(member);
        if (p.kind != IParticipantRegistry.Kind.ClearingMember) revert DefaultNotAClearingMember(member);
        if (_openCase[member] != 0) revert DefaultAlreadyDeclared(member, _openCase[member]);
        if (portingDeadline <= block.timestamp) revert DefaultPortingDeadlineInvalid(portingDeadline);
        bool suspended = p.status == IParticipantRegistry.Status.Suspended;
        _cases.push(
            DefaultCase(member, uint64(block.timestamp), CaseStatus.Open, suspended, portingDeadline, callId, reason, 0)
        );
        caseId = _cases.length;
        _openCase[member] = caseId;
        // slither-disable-next-line reentrancy-no-eth: Kabuto's register and vault (immutable), nonReentrant here
        _registry.declareDefault(member, reason);
        emit DefaultDeclared(caseId, member, callId, reason, _msgSender());

        _vault.freezeMember(member, caseId);
        _take(caseId, Origin.HouseMargin, _vault.accountId(member, ICollateralVault.AccountKind.House));
        _take(caseId, Origin.ClearingFund, _vault.accountId(member, ICollateralVault.AccountKind.ClearingFund));
    }

    /// @dev Seizes everything account `id` holds (nothing, if it was never opened) and records it under
    /// `origin`.
    function _take(uint256 caseId, Origin origin, uint256 id) private {
        address[] memory assets = _vault.assetsOf(id);
        for (uint256 i; i < assets.length; ++i) {
            address asset = assets[i];
            uint256 amount = _vault.holding(id, asset);
            if (amount == 0) continue;
            // slither-disable-next-line reentrancy-no-eth: Kabuto's vault (immutable), nonReentrant on both sides
            _vault.moveCollateral(id, address(0), _manager, address(0), asset, amount, caseId);
            if (_seized[caseId][Origin.HouseMargin][asset] == 0 && _seized[caseId][Origin.ClearingFund][asset] == 0) {
                _seizedAssets[caseId].push(asset);
            }
            _seized[caseId][origin][asset] += amount;
            emit DefaultCollateralRecorded(caseId, origin, asset, amount);
        }
    }

    /// @dev How much of `held` units of `asset` covers `shortJpy` of a loss at haircut value (all of
    /// it when it is worth less), and what of the loss is left; an asset not eligible counts for nothing.
    function _lossFrom(address asset, uint256 held, uint256 shortJpy, IMarketData.Purpose purpose)
        private
        view
        returns (uint256, uint256)
    {
        if (shortJpy == 0) return (0, 0);
        (IMarketData.Quote memory q, bool eligible) = _marketData.quoteFor(asset, purpose);
        if (!eligible) return (0, shortJpy);
        uint256 value = Valuation.haircutValue(held, q);
        if (value <= shortJpy) return (held, shortJpy - value);
        uint256 quantity = Valuation.quantityFor(shortJpy, q);
        return (quantity < held ? quantity : held, 0);
    }

    /// @dev The purpose collateral of `origin` was posted for, and is valued for: the vault's own.
    function _purposeOf(Origin origin) private pure returns (IMarketData.Purpose) {
        return origin == Origin.HouseMargin ? IMarketData.Purpose.InitialMargin : IMarketData.Purpose.ClearingFund;
    }

    /// @dev Layers 1 and 2: the collateral seized from `origin` meets what it can of `short`; the rest
    /// goes back to account `back`, where it came from.
    function _fromSeized(uint256 caseId, Origin origin, uint256 back, uint256 short) private returns (uint256) {
        address[] storage assets = _seizedAssets[caseId];
        uint256 before = short;
        for (uint256 i; i < assets.length; ++i) {
            uint256 held = _seized[caseId][origin][assets[i]];
            if (held == 0) continue;
            uint256 taken;
            (taken, short) = _lossFrom(assets[i], held, short, _purposeOf(origin));
            if (held > taken) {
                _vault.moveCollateral(_manager, address(0), back, address(0), assets[i], held - taken, caseId);
            }
        }
        emit WaterfallApplied(
            caseId, origin == Origin.HouseMargin ? Layer.HouseMargin : Layer.ClearingFund, back, before - short
        );
        return short;
    }

    /// @dev Takes from account `id` what meets `short` (or all it holds, if less), into this contract's
    /// account; returns what is still short.
    function _fromAccount(uint256 caseId, Layer layer, uint256 id, uint256 short) private returns (uint256) {
        uint256 before = short;
        address[] memory assets = _vault.assetsOf(id);
        for (uint256 i; i < assets.length && short != 0; ++i) {
            uint256 held = _vault.holding(id, assets[i]);
            if (held == 0) continue;
            uint256 taken;
            (taken, short) = _lossFrom(assets[i], held, short, IMarketData.Purpose.ClearingFund);
            if (taken != 0) {
                _vault.moveCollateral(id, address(0), _manager, address(0), assets[i], taken, caseId);
            }
        }
        emit WaterfallApplied(caseId, layer, id, before - short);
        return short;
    }

    /// @dev Layer 4: every active clearing member but the defaulter with a clearing-fund requirement pays
    /// its share of `short`, pro rata to those requirements (rounded up), at most what its account holds.
    function _fromSurvivors(uint256 caseId, address defaulter, uint256 short) private returns (uint256) {
        uint256 n = _registry.participantCount();
        uint256[] memory funds = new uint256[](n);
        uint256[] memory requirements = new uint256[](n);
        uint256 total = 0;
        for (uint256 i; i < n; ++i) {
            address a = _registry.participantAt(i);
            IParticipantRegistry.Participant memory p = _registry.participant(a);
            if (
                a == defaulter || p.kind != IParticipantRegistry.Kind.ClearingMember
                    || p.status != IParticipantRegistry.Status.Active
            ) continue;
            uint256 fund = _vault.accountId(a, ICollateralVault.AccountKind.ClearingFund);
            try _vault.account(fund) returns (ICollateralVault.Account memory acct) {
                (funds[i], requirements[i]) = (fund, acct.requirement);
                total += acct.requirement;
            } catch {} // no clearing-fund account: nothing to contribute
        }
        if (total == 0) return short;
        uint256 due = short;
        uint256 unpaid = 0;
        for (uint256 i; i < n && due != 0; ++i) {
            if (requirements[i] == 0) continue;
            uint256 share = Math.mulDiv(short, requirements[i], total, Math.Rounding.Ceil);
            if (share > due) share = due;
            due -= share;
            unpaid += _fromAccount(caseId, Layer.Survivors, funds[i], share);
        }
        return due + unpaid;
    }

    function _portable(uint256 caseId) private view returns (DefaultCase storage c) {
        c = _openCaseById(caseId);
        if (block.timestamp > c.portingDeadline) revert DefaultPortingClosed(caseId, c.portingDeadline);
    }

    function _clientOf(uint256 caseId, DefaultCase storage c, address client)
        private
        view
        returns (IParticipantRegistry.Participant memory p)
    {
        p = _registry.participant(client);
        if (p.kind != IParticipantRegistry.Kind.Client || p.clearingMember != c.member) {
            revert DefaultNotAClientOfTheDefaulter(caseId, client);
        }
    }

    function _openCaseById(uint256 caseId) private view returns (DefaultCase storage c) {
        c = _case(caseId);
        if (c.status != CaseStatus.Open) revert DefaultCaseNotOpen(caseId, c.status);
    }

    function _case(uint256 caseId) private view returns (DefaultCase storage) {
        if (caseId == 0 || caseId > _cases.length) revert DefaultCaseUnknown(caseId);
        return _cases[caseId - 1];
    }
}
