// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {IMarketData} from "../oracle/IMarketData.sol";
import {ICollateralVault} from "./ICollateralVault.sol";
import {Valuation} from "./Valuation.sol";

/// @title CollateralVault
/// @notice See {ICollateralVault}.
contract CollateralVault is ICollateralVault, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice Opens accounts and declares defaults (the CCP's operations desk).
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;
    /// @notice Posts requirements and issues margin calls (the CCP's margin engine).
    bytes32 public constant MARGIN_ENGINE_ROLE = Roles.MARGIN_ENGINE;

    uint256 private constant MAX_INSTRUCTION = 8;

    IParticipantRegistry private immutable _registry;
    IMarketData private immutable _marketData;
    uint256 private immutable _defaultAccount;

    mapping(uint256 account => Account) private _accounts;
    mapping(uint256 account => mapping(address asset => uint256)) private _holdings;
    mapping(uint256 account => EnumerableSet.AddressSet) private _assets;
    mapping(uint256 account => Instruction[]) private _instructions;
    mapping(uint256 account => mapping(address client => mapping(address asset => uint256))) private _sub;
    mapping(uint256 account => EnumerableSet.AddressSet) private _clients;
    MarginCall[] private _calls; // call id = index + 1

    /// @param admin receives every role and owns the default-management account.
    constructor(IParticipantRegistry registry_, IMarketData marketData_, address admin) {
        _registry = registry_;
        _marketData = marketData_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
        _grantRole(Roles.MARGIN_ENGINE, admin);
        uint256 id = _id(admin, AccountKind.DefaultManagement);
        _defaultAccount = id;
        _accounts[id] = Account(admin, AccountKind.DefaultManagement, false, 0, 0);
        emit AccountOpened(id, admin, AccountKind.DefaultManagement, admin);
    }

    // ---------------------------------------------------------------- accounts

    /// @inheritdoc ICollateralVault
    function openAccount(address owner, AccountKind kind) external onlyRole(Roles.CCP_OPERATOR) returns (uint256 id) {
        IParticipantRegistry.Participant memory p = _registry.participant(owner);
        bool valid = p.status == IParticipantRegistry.Status.Active
            && ((kind == AccountKind.Segregated
                    && p.kind == IParticipantRegistry.Kind.Client
                    && p.accountType == IParticipantRegistry.AccountType.Segregated)
                || ((kind == AccountKind.House || kind == AccountKind.Omnibus || kind == AccountKind.ClearingFund)
                    && p.kind == IParticipantRegistry.Kind.ClearingMember));
        if (!valid) revert VaultAccountOwnerInvalid(owner, kind);
        id = _id(owner, kind);
        if (_accounts[id].kind != AccountKind.None) revert VaultAccountExists(id);
        _accounts[id] = Account(owner, kind, false, 0, 0);
        emit AccountOpened(id, owner, kind, _msgSender());
    }

    // ---------------------------------------------------------------- collateral

    /// @inheritdoc ICollateralVault
    function deposit(uint256 id, address asset, uint256 amount) external nonReentrant {
        Account storage a = _ownAccount(id);
        if (a.kind == AccountKind.Omnibus) revert VaultOmnibusNeedsClient(id);
        _deposit(id, a, asset, amount, _msgSender(), address(0));
        _reevaluate(id, a);
    }

    /// @inheritdoc ICollateralVault
    function depositFor(uint256 id, address client, address asset, uint256 amount) external nonReentrant {
        Account storage a = _open(id);
        _requireBeneficialOwner(id, a, client);
        if (_msgSender() != a.owner && _msgSender() != client) revert VaultNotAccountOwner(id, _msgSender());
        _deposit(id, a, asset, amount, _msgSender(), client);
        _sub[id][client][asset] += amount;
        _clients[id].add(client);
        _reevaluate(id, a);
    }

    /// @inheritdoc ICollateralVault
    function withdraw(uint256 id, address asset, uint256 amount) external nonReentrant {
        Account storage a = _ownAccount(id);
        if (a.kind == AccountKind.Omnibus) revert VaultOmnibusNeedsClient(id);
        _withdraw(id, a, asset, amount, address(0));
    }

    /// @inheritdoc ICollateralVault
    function withdrawFor(uint256 id, address client, address asset, uint256 amount) external nonReentrant {
        Account storage a = _ownAccount(id);
        _requireBeneficialOwner(id, a, client);
        uint256 held = _sub[id][client][asset];
        if (amount > held) revert VaultSubLedgerInsufficient(id, client, asset, held, amount);
        _sub[id][client][asset] = held - amount;
        _withdraw(id, a, asset, amount, client);
    }

    /// @inheritdoc ICollateralVault
    function setStandingInstruction(uint256 id, Instruction[] calldata instruction) external {
        Account storage a = _ownAccount(id);
        if (a.kind == AccountKind.Omnibus) revert VaultOmnibusNeedsClient(id);
        if (instruction.length > MAX_INSTRUCTION) revert VaultInstructionTooLong(instruction.length, MAX_INSTRUCTION);
        delete _instructions[id];
        for (uint256 i; i < instruction.length; ++i) {
            if (instruction[i].maxPerCall == 0) revert VaultZeroAmount();
            _instructions[id].push(instruction[i]);
        }
        emit StandingInstructionSet(id, instruction);
    }

    // ---------------------------------------------------------------- margin

    /// @inheritdoc ICollateralVault
    function postRequirements(uint256[] calldata ids, uint256[] calldata requirements, bytes32 runId)
        external
        onlyRole(Roles.MARGIN_ENGINE)
    {
        if (ids.length != requirements.length) {
            revert VaultBatchLengthMismatch(ids.length, requirements.length);
        }
        for (uint256 i; i < ids.length; ++i) {
            Account storage a = _open(ids[i]);
            uint256 previous = a.requirement;
            a.requirement = SafeCast.toUint80(requirements[i]);
            emit RequirementPosted(ids[i], requirements[i], previous, runId);
        }
    }

    /// @inheritdoc ICollateralVault
    function issueMarginCalls(uint256[] calldata ids, CallType callType, uint64 deadline)
        external
        onlyRole(Roles.MARGIN_ENGINE)
        nonReentrant
        returns (uint256[] memory callIds)
    {
        if (deadline <= block.timestamp) revert VaultDeadlineInvalid(deadline);
        callIds = new uint256[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            callIds[i] = _issue(ids[i], callType, deadline);
        }
    }

    /// @inheritdoc ICollateralVault
    function markOverdue(uint256[] calldata callIds) external onlyRole(Roles.MARGIN_ENGINE) {
        for (uint256 i; i < callIds.length; ++i) {
            _markOverdue(callIds[i]);
        }
    }

    /// @inheritdoc ICollateralVault
    function passOnMarginCall(uint256 callId, address[] calldata clients, uint256[] calldata amounts) external {
        MarginCall storage c = _call(callId);
        _requireOpen(callId, c);
        Account storage a = _ownAccount(c.account);
        if (clients.length != amounts.length) revert VaultBatchLengthMismatch(clients.length, amounts.length);
        for (uint256 i; i < clients.length; ++i) {
            _requireBeneficialOwner(c.account, a, clients[i]);
            if (amounts[i] == 0) revert VaultZeroAmount();
            emit MarginCallPassedOn(callId, c.account, clients[i], amounts[i]);
        }
    }

    // ---------------------------------------------------------------- default

    /// @inheritdoc ICollateralVault
    function declareDefault(uint256 callId, bytes32 reason) external onlyRole(Roles.CCP_OPERATOR) nonReentrant {
        MarginCall storage c = _call(callId);
        if (c.status == CallStatus.Issued || c.status == CallStatus.PartiallyMet) _markOverdue(callId);
        if (c.status != CallStatus.Overdue) revert VaultMarginCallState(callId, c.status);
        Account storage called = _accounts[c.account];
        address member =
            called.kind == AccountKind.Segregated ? _registry.participant(called.owner).clearingMember : called.owner;

        c.status = CallStatus.DefaultDeclared;
        called.openCall = 0;
        if (_registry.statusOf(member) != IParticipantRegistry.Status.Defaulted) {
            _registry.declareDefault(member, reason);
        }
        emit DefaultDeclared(callId, member, reason, _msgSender());

        _freeze(c.account, callId);
        _freeze(_id(member, AccountKind.Omnibus), callId);
        _seize(_id(member, AccountKind.House), callId);
        _seize(_id(member, AccountKind.ClearingFund), callId);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICollateralVault
    function accountId(address owner, AccountKind kind) external pure returns (uint256) {
        return _id(owner, kind);
    }

    /// @inheritdoc ICollateralVault
    function account(uint256 id) external view returns (Account memory) {
        return _open(id);
    }

    /// @inheritdoc ICollateralVault
    function holding(uint256 id, address asset) external view returns (uint256) {
        return _holdings[id][asset];
    }

    /// @inheritdoc ICollateralVault
    function assetsOf(uint256 id) external view returns (address[] memory) {
        return _assets[id].values();
    }

    /// @inheritdoc ICollateralVault
    function collateralValue(uint256 id) external view returns (uint256) {
        return _value(id, _open(id).kind);
    }

    /// @inheritdoc ICollateralVault
    function marginCall(uint256 callId) external view returns (MarginCall memory) {
        return _call(callId);
    }

    /// @inheritdoc ICollateralVault
    function marginCallCount() external view returns (uint256) {
        return _calls.length;
    }

    /// @inheritdoc ICollateralVault
    function standingInstruction(uint256 id) external view returns (Instruction[] memory) {
        return _instructions[id];
    }

    /// @inheritdoc ICollateralVault
    function subLedger(uint256 id, address client, address asset) external view returns (uint256) {
        return _sub[id][client][asset];
    }

    /// @inheritdoc ICollateralVault
    function beneficialOwners(uint256 id) external view returns (address[] memory) {
        return _clients[id].values();
    }

    /// @inheritdoc ICollateralVault
    function verifyOmnibus(uint256 id) external view returns (bool) {
        EnumerableSet.AddressSet storage assets = _assets[id];
        EnumerableSet.AddressSet storage clients = _clients[id];
        for (uint256 i; i < assets.length(); ++i) {
            address asset = assets.at(i);
            uint256 total;
            for (uint256 j; j < clients.length(); ++j) {
                total += _sub[id][clients.at(j)][asset];
            }
            if (total != _holdings[id][asset]) return false;
        }
        return true;
    }

    /// @inheritdoc ICollateralVault
    function defaultManagementAccount() external view returns (uint256) {
        return _defaultAccount;
    }

    // ---------------------------------------------------------------- internals: collateral

    function _deposit(uint256 id, Account storage a, address asset, uint256 amount, address from, address client)
        private
    {
        if (amount == 0) revert VaultZeroAmount();
        if (a.frozen) revert VaultAccountFrozen(id);
        IMarketData.Purpose purpose = _purpose(a.kind);
        if (!_marketData.isEligible(asset, purpose)) revert VaultAssetNotEligible(asset, purpose);
        _holdings[id][asset] += amount;
        _assets[id].add(asset);
        emit CollateralDeposited(id, asset, amount, from, client, false);
        IERC20(asset).safeTransferFrom(from, address(this), amount);
    }

    function _withdraw(uint256 id, Account storage a, address asset, uint256 amount, address client) private {
        if (amount == 0) revert VaultZeroAmount();
        if (a.frozen) revert VaultAccountFrozen(id);
        uint256 held = _holdings[id][asset];
        if (amount > held) revert VaultInsufficientHolding(id, asset, held, amount);
        _holdings[id][asset] = held - amount;
        // With no requirement nothing needs valuing, so stale prices never trap collateral.
        uint256 requirement = a.requirement;
        uint256 valueAfter;
        if (requirement != 0) {
            valueAfter = _value(id, a.kind);
            if (valueAfter < requirement) {
                revert VaultWithdrawalExceedsExcess(id, asset, amount, valueAfter, requirement);
            }
        }
        emit CollateralWithdrawn(id, asset, amount, a.owner, client, valueAfter, requirement);
        IERC20(asset).safeTransfer(a.owner, amount);
    }

    function _value(uint256 id, AccountKind kind) private view returns (uint256) {
        EnumerableSet.AddressSet storage set = _assets[id];
        uint256 n = set.length();
        uint256[] memory values = new uint256[](n);
        uint16[] memory limits = new uint16[](n);
        uint8 purposeBit = uint8(1) << uint8(_purpose(kind));
        for (uint256 i; i < n; ++i) {
            address asset = set.at(i);
            uint256 quantity = _holdings[id][asset];
            limits[i] = uint16(Valuation.BPS);
            if (quantity == 0) continue;
            IMarketData.Quote memory q = _marketData.quote(asset);
            limits[i] = q.concentrationBps;
            // Collateral that is no longer eligible counts for nothing.
            if (q.eligibility & purposeBit != 0) values[i] = Valuation.haircutValue(quantity, q);
        }
        return Valuation.concentrationCapped(values, limits);
    }

    // ---------------------------------------------------------------- internals: calls

    function _issue(uint256 id, CallType callType, uint64 deadline) private returns (uint256 callId) {
        Account storage a = _open(id);
        if (a.frozen) revert VaultAccountFrozen(id);
        _registry.requireActive(a.owner, address(0));
        if (a.openCall != 0) revert VaultMarginCallOpen(id, a.openCall);
        uint256 requirement = a.requirement;
        uint256 value = _value(id, a.kind);
        if (value >= requirement) revert VaultNoShortfall(id, value, requirement);

        // `id` is an open account's id (168 bits); requirement and shortfall fit the uint80 requirement.
        _calls.push(
            MarginCall(
                uint168(id),
                callType,
                CallStatus.Issued,
                uint64(block.timestamp),
                deadline,
                uint80(requirement - value),
                uint80(requirement)
            )
        );
        callId = _calls.length;
        a.openCall = uint64(callId);
        emit MarginCallIssued(callId, id, callType, requirement - value, value, requirement, deadline);

        if (_instructions[id].length != 0) {
            uint256 valueAfter = _autoPull(id, a, requirement, value);
            if (valueAfter != value) _settle(callId, _calls[callId - 1], a, valueAfter);
        }
    }

    /// @dev Pulls by standing instruction, in order, until the requirement is covered. An asset
    /// that cannot be pulled (unpriced, frozen, not approved) is skipped, never fatal: what the
    /// inventory cannot cover stays open on the call.
    function _autoPull(uint256 id, Account storage a, uint256 requirement, uint256 value) private returns (uint256) {
        Instruction[] storage instruction = _instructions[id];
        address owner = a.owner;
        uint8 purposeBit = uint8(1) << uint8(_purpose(a.kind));
        for (uint256 i; i < instruction.length && value < requirement; ++i) {
            IERC20 asset = IERC20(instruction[i].asset);
            IMarketData.Quote memory q;
            try _marketData.quote(address(asset)) returns (IMarketData.Quote memory fresh) {
                q = fresh;
            } catch {
                continue;
            }
            if (q.eligibility & purposeBit == 0) continue;
            uint256 quantity = _min(Valuation.quantityFor(requirement - value, q), instruction[i].maxPerCall);
            quantity = _min(quantity, _min(asset.balanceOf(owner), asset.allowance(owner, address(this))));
            if (quantity == 0 || !asset.trySafeTransferFrom(owner, address(this), quantity)) continue;
            _holdings[id][address(asset)] += quantity;
            _assets[id].add(address(asset));
            emit CollateralDeposited(id, address(asset), quantity, owner, address(0), true);
            value = _value(id, a.kind);
        }
        return value;
    }

    function _reevaluate(uint256 id, Account storage a) private {
        uint256 callId = a.openCall;
        if (callId == 0) return;
        _settle(callId, _calls[callId - 1], a, _value(id, a.kind));
    }

    /// @dev Met when the value covers the requirement now in force; otherwise still short.
    function _settle(uint256 callId, MarginCall storage c, Account storage a, uint256 value) private {
        uint256 requirement = a.requirement;
        if (value >= requirement) {
            c.status = CallStatus.Met;
            a.openCall = 0;
            emit MarginCallMet(callId, c.account, value, requirement);
            return;
        }
        if (c.status == CallStatus.Issued) c.status = CallStatus.PartiallyMet;
        emit MarginCallPartiallyMet(callId, c.account, requirement - value);
    }

    function _markOverdue(uint256 callId) private {
        MarginCall storage c = _call(callId);
        if (c.status != CallStatus.Issued && c.status != CallStatus.PartiallyMet) {
            revert VaultMarginCallState(callId, c.status);
        }
        if (block.timestamp <= c.deadline) revert VaultDeadlineNotPassed(callId, c.deadline);
        Account storage a = _accounts[c.account];
        uint256 value = _value(c.account, a.kind);
        if (value >= a.requirement) {
            _settle(callId, c, a, value);
            return;
        }
        c.status = CallStatus.Overdue;
        emit MarginCallOverdue(callId, c.account, a.requirement - value);
    }

    // ---------------------------------------------------------------- internals: default

    function _freeze(uint256 id, uint256 callId) private {
        Account storage a = _accounts[id];
        if (a.kind == AccountKind.None || a.frozen) return;
        a.frozen = true;
        emit AccountFrozen(id, callId);
    }

    function _seize(uint256 id, uint256 callId) private {
        if (_accounts[id].kind == AccountKind.None) return;
        _freeze(id, callId);
        uint256 target = _defaultAccount;
        EnumerableSet.AddressSet storage assets = _assets[id];
        for (uint256 i; i < assets.length(); ++i) {
            address asset = assets.at(i);
            uint256 quantity = _holdings[id][asset];
            if (quantity == 0) continue;
            _holdings[id][asset] = 0;
            _holdings[target][asset] += quantity;
            _assets[target].add(asset);
            emit CollateralSeized(id, target, asset, quantity, callId);
        }
    }

    // ---------------------------------------------------------------- internals: lookups

    function _id(address owner, AccountKind kind) private pure returns (uint256) {
        return uint256(uint160(owner)) | (uint256(kind) << 160);
    }

    function _open(uint256 id) private view returns (Account storage a) {
        a = _accounts[id];
        if (a.kind == AccountKind.None) revert VaultAccountUnknown(id);
    }

    function _ownAccount(uint256 id) private view returns (Account storage a) {
        a = _open(id);
        if (a.owner != _msgSender()) revert VaultNotAccountOwner(id, _msgSender());
    }

    function _call(uint256 callId) private view returns (MarginCall storage) {
        if (callId == 0 || callId > _calls.length) revert VaultMarginCallUnknown(callId);
        return _calls[callId - 1];
    }

    function _requireOpen(uint256 callId, MarginCall storage c) private view {
        CallStatus s = c.status;
        if (s != CallStatus.Issued && s != CallStatus.PartiallyMet && s != CallStatus.Overdue) {
            revert VaultMarginCallState(callId, s);
        }
    }

    function _requireBeneficialOwner(uint256 id, Account storage a, address client) private view {
        if (a.kind != AccountKind.Omnibus) revert VaultBeneficialOwnerInvalid(id, client);
        IParticipantRegistry.Participant memory p = _registry.participant(client);
        if (
            p.kind != IParticipantRegistry.Kind.Client || p.accountType != IParticipantRegistry.AccountType.Omnibus
                || p.clearingMember != a.owner
        ) revert VaultBeneficialOwnerInvalid(id, client);
    }

    function _purpose(AccountKind kind) private pure returns (IMarketData.Purpose) {
        return kind == AccountKind.ClearingFund ? IMarketData.Purpose.ClearingFund : IMarketData.Purpose.InitialMargin;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
