// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {IPermissionedToken} from "../tokens/IPermissionedToken.sol";
import {Roles} from "../access/Roles.sol";
import {IMarketData} from "../oracle/IMarketData.sol";
import {ICollateralVault} from "./ICollateralVault.sol";

/// @title CollateralVault
/// @notice See {ICollateralVault}.
contract CollateralVault is ICollateralVault, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;
    using EnumerableSet for EnumerableSet.UintSet;

    /// @notice Opens accounts (the CCP's operations desk).
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;
    /// @notice Posts requirements and issues margin calls (the CCP's margin engine).
    bytes32 public constant MARGIN_ENGINE_ROLE = Roles.MARGIN_ENGINE;
    /// @notice Freezes, seizes and moves collateral under a default case (the DefaultManager).
    bytes32 public constant DEFAULT_MANAGER_ROLE = Roles.DEFAULT_MANAGER;
    /// @notice Exchanges collateral in an account in one step (the CollateralSubstitution contract).
    bytes32 public constant SUBSTITUTION_ROLE = Roles.SUBSTITUTION;

    uint256 private constant MAX_INSTRUCTION = 8;

    IParticipantRegistry private immutable _registry;
    IMarketData private immutable _marketData;

    /// @dev An account's owner and kind are its id (`_id`), so its state fits one slot: posting a
    /// requirement, or re-evaluating calls on a deposit, reads and writes that slot only. The slot of a
    /// member's house account (written even before that account is opened) also counts the calls open
    /// on every account the member answers for, and the earliest deadline among those issued since the
    /// count was last zero: a withdrawal reads it to know whether any call may be past its deadline.
    struct AccountState {
        AccountKind kind;
        bool frozen;
        uint80 requirement;
        uint64 openCall;
        uint32 memberOpenCalls;
        uint64 memberEarliest;
    }

    mapping(uint256 account => AccountState) private _accounts;
    mapping(uint256 account => mapping(address asset => uint256)) private _holdings;
    mapping(uint256 account => EnumerableSet.AddressSet) private _assets;
    mapping(uint256 account => Instruction[]) private _instructions;
    mapping(uint256 account => mapping(address client => mapping(address asset => uint256))) private _sub;
    mapping(uint256 account => EnumerableSet.AddressSet) private _clients;
    mapping(uint256 account => mapping(address client => Instruction[])) private _clientInstructions;
    MarginCall[] private _calls; // call id = index + 1
    mapping(uint256 callId => address[]) private _shareClients;
    mapping(uint256 callId => mapping(address client => ClientShare)) private _shares;
    mapping(uint256 account => address) private _segregatedMember; // a segregated client's member
    mapping(address member => EnumerableSet.UintSet) private _memberAccounts;

    /// @param admin receives every role but `DEFAULT_MANAGER_ROLE`, which deployment gives the
    /// DefaultManager.
    constructor(IParticipantRegistry registry_, IMarketData marketData_, address admin) {
        _registry = registry_;
        _marketData = marketData_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
        _grantRole(Roles.MARGIN_ENGINE, admin);
    }

    // ---------------------------------------------------------------- accounts

    /// @inheritdoc ICollateralVault
    function openAccount(address owner, AccountKind kind) external onlyRole(Roles.CCP_OPERATOR) returns (uint256 id) {
        IParticipantRegistry.Participant memory p = _registry.participant(owner);
        bool valid = p.status == IParticipantRegistry.Status.Active
            && ((kind == AccountKind.Segregated
                    && p.kind == IParticipantRegistry.Kind.Client
                    && p.accountType == IParticipantRegistry.AccountType.Segregated
                    && _registry.isActive(p.clearingMember))
                || ((kind == AccountKind.House || kind == AccountKind.Omnibus || kind == AccountKind.ClearingFund)
                    && p.kind == IParticipantRegistry.Kind.ClearingMember)
                || (kind == AccountKind.ClearingFund && p.kind == IParticipantRegistry.Kind.Ccp));
        if (!valid) revert VaultAccountOwnerInvalid(owner, kind);
        id = _id(owner, kind);
        AccountState storage a = _accounts[id];
        if (a.kind != AccountKind.None) revert VaultAccountExists(id);
        a.kind = kind; // a house slot may already count its member's calls
        address member = owner;
        if (kind == AccountKind.Segregated) _segregatedMember[id] = member = p.clearingMember;
        // slither-disable-next-line unused-return: a new account id, so never already in the set
        _memberAccounts[member].add(id);
        emit AccountOpened(id, owner, kind, _msgSender());
    }

    // ---------------------------------------------------------------- collateral

    /// @inheritdoc ICollateralVault
    function deposit(uint256 id, address asset, uint256 amount) external nonReentrant {
        AccountState storage a = _ownAccount(id);
        if (a.kind == AccountKind.Omnibus) revert VaultOmnibusNeedsClient(id);
        _deposit(id, a, asset, amount, _msgSender(), address(0));
        if (a.openCall != 0) _reevaluate(id, a);
    }

    /// @inheritdoc ICollateralVault
    function depositFor(uint256 id, address client, address asset, uint256 amount) external nonReentrant {
        AccountState storage a = _open(id);
        _requireBeneficialOwner(id, a, client);
        if (_msgSender() != _owner(id) && _msgSender() != client) revert VaultNotAccountOwner(id, _msgSender());
        if (a.openCall == 0) {
            _deposit(id, a, asset, amount, _msgSender(), client);
            return;
        }
        // The payment counts toward the client's shares at what it adds to the account's value.
        (bool valuedBefore, uint256 valueBefore) = _valued(id, a.kind, false);
        _deposit(id, a, asset, amount, _msgSender(), client);
        (bool valuedAfter, uint256 valueAfter) = _valued(id, a.kind, false);
        if (!valuedBefore || !valuedAfter) {
            emit ReevaluationDeferred(id);
            return;
        }
        _creditShares(a.openCall, client, _msgSender(), valueAfter - valueBefore);
        _settleOpen(id, a, valueAfter, true);
    }

    /// @inheritdoc ICollateralVault
    function withdraw(uint256 id, address asset, uint256 amount) external nonReentrant {
        AccountState storage a = _ownAccount(id);
        if (a.kind == AccountKind.Omnibus) revert VaultOmnibusNeedsClient(id);
        _withdraw(id, a, asset, amount, address(0));
    }

    /// @inheritdoc ICollateralVault
    function withdrawFor(uint256 id, address client, address asset, uint256 amount) external nonReentrant {
        AccountState storage a = _ownAccount(id);
        _requireBeneficialOwner(id, a, client);
        uint256 held = _sub[id][client][asset];
        if (amount > held) revert VaultSubLedgerInsufficient(id, client, asset, held, amount);
        _sub[id][client][asset] = held - amount;
        _withdraw(id, a, asset, amount, client);
    }

    /// @inheritdoc ICollateralVault
    function setStandingInstruction(uint256 id, Instruction[] calldata instruction) external {
        AccountState storage a = _ownAccount(id);
        if (a.kind == AccountKind.Omnibus) revert VaultOmnibusNeedsClient(id);
        _store(_instructions[id], instruction);
        emit StandingInstructionSet(id, instruction);
    }

    /// @inheritdoc ICollateralVault
    function setClientStandingInstruction(uint256 id, address client, Instruction[] calldata instruction) external {
        AccountState storage a = _open(id);
        _requireBeneficialOwner(id, a, client);
        if (_msgSender() != client) revert VaultNotAccountOwner(id, _msgSender());
        _store(_clientInstructions[id][client], instruction);
        emit ClientStandingInstructionSet(id, client, instruction);
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
            AccountState storage a = _open(ids[i]);
            if (a.frozen) {
                emit AccountSkipped(ids[i], SkipReason.AccountFrozen);
                continue;
            }
            uint256 previous = a.requirement;
            a.requirement = SafeCast.toUint80(requirements[i]);
            emit RequirementPosted(ids[i], requirements[i], previous, runId);
            if (a.openCall == 0) continue;
            (bool valued, uint256 value) = _valued(ids[i], a.kind, false);
            if (valued) _settleOpen(ids[i], a, value, false);
            else emit ReevaluationDeferred(ids[i]);
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
            MarginCall storage c = _call(callIds[i]);
            if (c.status != CallStatus.Issued && c.status != CallStatus.PartiallyMet) {
                emit CallSkipped(callIds[i], SkipReason.CallNotOpen);
            } else if (block.timestamp <= c.deadline) {
                emit CallSkipped(callIds[i], SkipReason.DeadlineNotPassed);
            } else {
                AccountState storage a = _accounts[c.account];
                _markOverdue(callIds[i], c, a, _deadlineValue(c.account, a.kind));
            }
        }
    }

    /// @inheritdoc ICollateralVault
    function passOnMarginCall(uint256 callId, address[] calldata clients, uint256[] calldata amounts, uint64 deadline)
        external
        nonReentrant
    {
        MarginCall storage c = _call(callId);
        if (c.status != CallStatus.Issued && c.status != CallStatus.PartiallyMet) {
            revert VaultMarginCallState(callId, c.status);
        }
        uint256 id = c.account;
        AccountState storage a = _ownAccount(id);
        if (a.kind != AccountKind.Omnibus) revert VaultNotOmnibus(id);
        if (a.frozen) revert VaultAccountFrozen(id);
        if (c.passedOn) revert VaultCallAlreadyPassedOn(callId);
        if (clients.length != amounts.length) revert VaultBatchLengthMismatch(clients.length, amounts.length);
        if (deadline <= block.timestamp || deadline > c.deadline) {
            revert VaultShareDeadlineInvalid(callId, deadline, c.deadline);
        }
        (, uint256 value) = _valued(id, a.kind, true);
        _settleOpen(id, a, value, false); // a call covered since it was issued is met, not passed on
        if (c.status == CallStatus.Met) revert VaultMarginCallState(callId, CallStatus.Met);
        uint256 asked = _stillShort(c, a.requirement, value);
        c.passedOn = true;
        uint256 total = _recordShares(callId, id, a, clients, amounts, deadline);
        if (total != asked) revert VaultSharesMismatch(callId, total, asked);
        uint256 valueAfter = _pullShares(callId, id, a, clients, amounts, value);
        if (valueAfter != value) _settleOpen(id, a, valueAfter, true);
    }

    /// @inheritdoc ICollateralVault
    function markSharesOverdue(uint256 callId) external {
        MarginCall storage c = _call(callId);
        _ownAccount(c.account);
        address[] storage clients = _shareClients[callId];
        for (uint256 i; i < clients.length; ++i) {
            ClientShare storage share = _shares[callId][clients[i]];
            if (share.status != ShareStatus.Owed || block.timestamp <= share.deadline) continue;
            share.status = ShareStatus.Overdue;
            emit ClientShareOverdue(callId, clients[i], share.amountJpy - share.paidJpy);
        }
    }

    // ---------------------------------------------------------------- default

    /// @inheritdoc ICollateralVault
    function confirmMissedCall(uint256 callId) external onlyRole(Roles.DEFAULT_MANAGER) returns (address) {
        MarginCall storage c = _call(callId);
        CallStatus status = c.status;
        AccountState storage a = _accounts[c.account];
        if (status == CallStatus.Issued || status == CallStatus.PartiallyMet || status == CallStatus.Overdue) {
            if (block.timestamp <= c.deadline) revert VaultDeadlineNotPassed(callId, c.deadline);
            // Re-valued first: a call the collateral now covers is met, not defaulted.
            uint256 value = _deadlineValue(c.account, a.kind);
            if (status == CallStatus.Overdue) _settleOpen(c.account, a, value, false);
            else _markOverdue(callId, c, a, value);
        }
        if (c.status != CallStatus.Overdue) revert VaultMarginCallState(callId, c.status);
        return _memberOf(c.account, a.kind);
    }

    /// @inheritdoc ICollateralVault
    function freezeMember(address member, uint256 caseId) external onlyRole(Roles.DEFAULT_MANAGER) {
        EnumerableSet.UintSet storage ids = _memberAccounts[member];
        for (uint256 i; i < ids.length(); ++i) {
            uint256 id = ids.at(i);
            _closeByDefault(id, caseId);
            AccountState storage a = _accounts[id];
            if (!a.frozen) {
                a.frozen = true;
                emit AccountFrozen(id, caseId);
            }
        }
    }

    /// @inheritdoc ICollateralVault
    function moveCollateral(
        uint256 from,
        address fromClient,
        uint256 to,
        address toClient,
        address asset,
        uint256 amount,
        uint256 caseId
    ) external onlyRole(Roles.DEFAULT_MANAGER) {
        uint256 manager = _managerAccount();
        if (from == to) revert VaultTransferInvalid(from, to);
        _debit(from, fromClient, asset, amount);
        bool omnibus = _open(to).kind == AccountKind.Omnibus;
        if (omnibus && toClient == address(0)) revert VaultOmnibusNeedsClient(to);
        _add(to, omnibus ? toClient : address(0), asset, amount);
        if (to == manager) emit CollateralSeized(from, to, asset, amount, caseId);
        else emit CollateralTransferred(from, to, asset, amount, caseId);
    }

    /// @inheritdoc ICollateralVault
    function release(uint256 id, address client, address asset, uint256 amount, uint256 caseId)
        external
        onlyRole(Roles.DEFAULT_MANAGER)
        nonReentrant
    {
        _debit(id, client, asset, amount);
        address to = client == address(0) ? _owner(id) : client;
        emit CollateralReleased(id, asset, amount, to, caseId);
        IERC20(asset).safeTransfer(to, amount);
    }

    /// @inheritdoc ICollateralVault
    function reassign(uint256 id, address member, uint256 caseId) external onlyRole(Roles.DEFAULT_MANAGER) {
        AccountState storage a = _open(id);
        if (a.kind != AccountKind.Segregated || a.openCall != 0) revert VaultTransferInvalid(id, id);
        address previous = _segregatedMember[id];
        // slither-disable-start unused-return: a segregated account is in its member's set, and in no other's
        _memberAccounts[previous].remove(id);
        _memberAccounts[member].add(id);
        // slither-disable-end unused-return
        _segregatedMember[id] = member;
        emit AccountReassigned(id, previous, member, caseId);
    }

    /// @inheritdoc ICollateralVault
    function unfreeze(uint256 id, uint256 caseId) external onlyRole(Roles.DEFAULT_MANAGER) {
        AccountState storage a = _open(id);
        if (!a.frozen) revert VaultAccountNotFrozen(id);
        a.frozen = false;
        emit AccountUnfrozen(id, caseId);
    }

    // ---------------------------------------------------------------- substitution (SUBSTITUTION_ROLE)

    /// @inheritdoc ICollateralVault
    function exchange(
        uint256 id,
        address client,
        Leg[] calldata out,
        Leg[] calldata into,
        address payer,
        address receiver
    ) external onlyRole(Roles.SUBSTITUTION) nonReentrant returns (uint256 valueBefore, uint256 valueAfter) {
        AccountState storage a = _open(id);
        if (a.frozen) revert VaultAccountFrozen(id);
        if (a.kind == AccountKind.Omnibus) _requireBeneficialOwner(id, a, client);
        _requireStanding(id, a.kind, client);
        (, valueBefore) = _valued(id, a.kind, true);
        for (uint256 i; i < out.length; ++i) {
            _debit(id, client, out[i].asset, out[i].amount);
        }
        for (uint256 i; i < into.length; ++i) {
            _admit(id, a.kind, into[i].asset, into[i].amount, client);
        }
        (, valueAfter) = _valued(id, a.kind, true);
        uint256 requirement = a.requirement;
        if (valueAfter < requirement && valueAfter < valueBefore) {
            revert VaultSubstitutionShort(id, valueAfter, requirement, valueBefore);
        }
        for (uint256 i; i < into.length; ++i) {
            emit CollateralDeposited(id, into[i].asset, into[i].amount, payer, client, false);
            // slither-disable-next-line arbitrary-send-erc20: the SUBSTITUTION_ROLE checked consent
            IERC20(into[i].asset).safeTransferFrom(payer, address(this), into[i].amount);
        }
        for (uint256 i; i < out.length; ++i) {
            emit CollateralWithdrawn(id, out[i].asset, out[i].amount, receiver, client, valueAfter, requirement);
            IERC20(out[i].asset).safeTransfer(receiver, out[i].amount);
        }
        if (a.openCall != 0) _settleOpen(id, a, valueAfter, valueAfter > valueBefore);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICollateralVault
    function accountId(address owner, AccountKind kind) external pure returns (uint256) {
        return _id(owner, kind);
    }

    /// @inheritdoc ICollateralVault
    function account(uint256 id) external view returns (Account memory) {
        AccountState storage a = _open(id);
        return Account(_owner(id), a.kind, a.frozen, a.requirement, a.openCall);
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
    function collateralValue(uint256 id) external view returns (uint256 value) {
        (, value) = _valued(id, _open(id).kind, true);
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
    function clientStandingInstruction(uint256 id, address client) external view returns (Instruction[] memory) {
        return _clientInstructions[id][client];
    }

    /// @inheritdoc ICollateralVault
    function openCalls(uint256 id) external view returns (uint256[] memory callIds) {
        uint256 newest = _open(id).openCall;
        uint256 n = 0;
        for (uint256 c = newest; c != 0; c = _calls[c - 1].previousOpen) {
            ++n;
        }
        callIds = new uint256[](n);
        uint256 next = newest;
        for (uint256 i; i < n; ++i) {
            callIds[i] = next;
            next = _calls[next - 1].previousOpen;
        }
    }

    /// @inheritdoc ICollateralVault
    function clientShares(uint256 callId) external view returns (ClientShare[] memory shares) {
        _call(callId);
        address[] storage clients = _shareClients[callId];
        shares = new ClientShare[](clients.length);
        for (uint256 i; i < clients.length; ++i) {
            shares[i] = _shares[callId][clients[i]];
        }
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
    function memberOf(uint256 id) external view returns (address) {
        return _memberOf(id, _open(id).kind);
    }

    /// @inheritdoc ICollateralVault
    function accountsOf(address member) external view returns (uint256[] memory) {
        return _memberAccounts[member].values();
    }

    // ---------------------------------------------------------------- internals: collateral

    function _deposit(uint256 id, AccountState storage a, address asset, uint256 amount, address from, address client)
        private
    {
        if (a.frozen) revert VaultAccountFrozen(id);
        _admit(id, a.kind, asset, amount, client);
        emit CollateralDeposited(id, asset, amount, from, client, false);
        IERC20(asset).safeTransferFrom(from, address(this), amount);
    }

    /// @dev Books `amount` of `asset` into account `id` (under `client`'s name when omnibus) if it is
    /// eligible for the account's purpose and can be valued; the caller moves the tokens.
    function _admit(uint256 id, AccountKind kind, address asset, uint256 amount, address client) private {
        if (amount == 0) revert VaultZeroAmount();
        IMarketData.Purpose purpose = _purpose(kind);
        (bool eligible, bool priced) = _marketData.collateralStatus(asset, purpose);
        if (!eligible) revert VaultAssetNotEligible(asset, purpose);
        if (!priced) revert VaultAssetUnpriced(asset);
        _add(id, client, asset, amount);
    }

    function _withdraw(uint256 id, AccountState storage a, address asset, uint256 amount, address client) private {
        if (amount == 0) revert VaultZeroAmount();
        if (a.frozen) revert VaultAccountFrozen(id);
        _requireStanding(id, a.kind, client);
        uint256 held = _holdings[id][asset];
        if (amount > held) revert VaultInsufficientHolding(id, asset, held, amount);
        _holdings[id][asset] = held - amount;
        // With no requirement nothing needs valuing, so stale prices never trap collateral.
        uint256 requirement = a.requirement;
        uint256 valueAfter = 0;
        if (requirement != 0) {
            (, valueAfter) = _valued(id, a.kind, true);
            if (valueAfter < requirement) {
                revert VaultWithdrawalExceedsExcess(id, asset, amount, valueAfter, requirement);
            }
        }
        // An omnibus client's collateral goes back to the client, never to its member.
        address to = client == address(0) ? _owner(id) : client;
        emit CollateralWithdrawn(id, asset, amount, to, client, valueAfter, requirement);
        IERC20(asset).safeTransfer(to, amount);
    }

    /// @dev Nothing leaves account `id` while its member, its owner or the client named is not active,
    /// or while a call on any account of the member is open past its deadline.
    function _requireStanding(uint256 id, AccountKind kind, address client) private view {
        address member = _memberOf(id, kind);
        _requireActiveParty(id, member);
        if (_owner(id) != member) _requireActiveParty(id, _owner(id));
        if (client != address(0)) _requireActiveParty(id, client);
        AccountState storage h = _accounts[_id(member, AccountKind.House)];
        if (h.memberOpenCalls == 0 || block.timestamp <= h.memberEarliest) return;
        // The earliest deadline on record may be a call met since: look at the calls still open.
        EnumerableSet.UintSet storage ids = _memberAccounts[member];
        for (uint256 i; i < ids.length(); ++i) {
            for (uint256 open = _accounts[ids.at(i)].openCall; open != 0;) {
                MarginCall storage c = _calls[open - 1];
                if (block.timestamp > c.deadline) revert VaultCallPastDeadline(id, member, open, c.deadline);
                open = c.previousOpen;
            }
        }
    }

    function _requireActiveParty(uint256 id, address party) private view {
        IParticipantRegistry.Status status = _registry.statusOf(party);
        if (status != IParticipantRegistry.Status.Active) revert VaultPartyNotActive(id, party, status);
    }

    /// @dev The account's value (see {ICollateralVault}), and whether it could be computed: a holding
    /// it counts with no current price or FX rate makes it `(false, 0)`, or, when `strict`, reverts
    /// with the market data's own error (which names the asset or currency).
    function _valued(uint256 id, AccountKind kind, bool strict) private view returns (bool, uint256) {
        (address[] memory assets, uint256[] memory quantities) = _positions(id);
        return _marketData.valueCollateral(assets, quantities, _purpose(kind), _accounts[id].requirement, strict);
    }

    /// @dev What a passed deadline is judged by: the account's value, with any collateral whose price has
    /// lapsed counted as nothing (`IMarketData.valueCollateralPrudently`), so a stale price never keeps a
    /// call from being overdue or a missed call from a default, and never meets a call either.
    function _deadlineValue(uint256 id, AccountKind kind) private view returns (uint256 value) {
        (address[] memory assets, uint256[] memory quantities) = _positions(id);
        // slither-disable-next-line unused-return: the unpriced count is not needed, they already count 0
        (value,) = _marketData.valueCollateralPrudently(assets, quantities, _purpose(kind), _accounts[id].requirement);
    }

    /// @dev The assets account `id` holds and its quantity of each.
    function _positions(uint256 id) private view returns (address[] memory assets, uint256[] memory quantities) {
        assets = _assets[id].values();
        quantities = new uint256[](assets.length);
        for (uint256 i; i < assets.length; ++i) {
            quantities[i] = _holdings[id][assets[i]];
        }
    }

    // ---------------------------------------------------------------- internals: calls

    /// @dev Issues a call on `id`, or skips it (returning 0) when its state no longer fits. With a call
    /// already open, only the increase over that call's requirement is called, due no earlier.
    function _issue(uint256 id, CallType callType, uint64 deadline) private returns (uint256 callId) {
        AccountState storage a = _open(id);
        SkipReason skip = SkipReason.None;
        bool valued;
        uint256 value = 0;
        if (a.frozen) {
            skip = SkipReason.AccountFrozen;
        } else if (!_registry.isActive(_owner(id))) {
            skip = SkipReason.OwnerNotActive;
        } else {
            (valued, value) = _valued(id, a.kind, false);
            if (!valued) skip = SkipReason.ValuationUnavailable;
        }
        if (skip == SkipReason.None) {
            // Calls the value now covers (a price rose, say) are met before anything more is asked.
            if (a.openCall != 0) _settleOpen(id, a, value, false);
            if (a.openCall != 0 && a.requirement <= _calls[a.openCall - 1].requirementJpy) {
                skip = SkipReason.CallOpen;
            } else if (value >= a.requirement) {
                skip = SkipReason.NoShortfall;
            } else if (a.openCall != 0 && deadline < _calls[a.openCall - 1].deadline) {
                skip = SkipReason.DeadlineBeforeOpenCall;
            }
        }
        if (skip != SkipReason.None) {
            emit AccountSkipped(id, skip);
            return 0;
        }
        uint256 requirement = a.requirement;
        uint256 previous = a.openCall;
        uint256 covered = previous == 0 ? value : _calls[previous - 1].requirementJpy;
        // `id` is an open account's id (168 bits); requirement and shortfall fit the uint80 requirement.
        _calls.push(
            MarginCall(
                uint168(id),
                callType,
                CallStatus.Issued,
                false,
                uint64(block.timestamp),
                deadline,
                uint80(requirement - covered),
                uint80(requirement),
                SafeCast.toUint32(previous)
            )
        );
        callId = _calls.length;
        a.openCall = SafeCast.toUint64(callId);
        _callOpened(id, a.kind, deadline);
        emit MarginCallIssued(callId, id, callType, requirement - covered, value, requirement, deadline, previous);

        if (_instructions[id].length != 0) {
            uint256 valueAfter = _autoPull(id, a, requirement, value);
            if (valueAfter != value) _settleOpen(id, a, valueAfter, true);
        }
    }

    /// @dev Pulls by standing instruction, in order, until the requirement is covered, and returns the
    /// value after. An asset that cannot be pulled (unpriced, frozen, not approved) is skipped, never
    /// fatal: what the inventory cannot cover stays open on the call.
    function _autoPull(uint256 id, AccountState storage a, uint256 requirement, uint256 value)
        private
        returns (uint256)
    {
        Instruction[] storage instruction = _instructions[id];
        address owner = _owner(id);
        for (uint256 i; i < instruction.length && value < requirement; ++i) {
            (bool pulled, uint256 quantity) = _pull(id, a, instruction[i], owner, requirement - value);
            if (!pulled) continue;
            _pulledInto(id, instruction[i].asset, quantity, owner, address(0));
            (bool valued, uint256 valueAfter) = _valued(id, a.kind, false);
            if (!valued) break; // the call stays open; the next re-evaluation that can value it settles it
            value = valueAfter;
        }
        return value;
    }

    /// @dev Moves from `from` to account `id` in the vault the quantity of the instruction's asset that
    /// covers `shortJpy` (only the room left under its concentration cap counts), within the
    /// instruction's cap, `from`'s free balance and allowance; false when nothing could be moved (no
    /// current quote, not eligible, at its cap, nothing free, transfer refused).
    function _pull(uint256 id, AccountState storage a, Instruction storage entry, address from, uint256 shortJpy)
        private
        returns (bool, uint256 quantity)
    {
        IERC20 asset = IERC20(entry.asset);
        bool priced;
        (priced, quantity) = _marketData.quantityToCover(
            address(asset), _purpose(a.kind), shortJpy, _holdings[id][address(asset)], a.requirement
        );
        if (!priced) return (false, 0);
        try IPermissionedToken(address(asset)).freeBalanceOf(from) returns (uint256 free) {
            quantity = _min(_min(quantity, entry.maxPerCall), _min(free, asset.allowance(from, address(this))));
        } catch {
            return (false, 0);
        }
        return (quantity != 0 && asset.trySafeTransferFrom(from, address(this), quantity), quantity);
    }

    /// @dev Books `quantity` of `asset` pulled from `from` into account `id` (under `client`'s name in an
    /// omnibus account, else `client` is zero).
    function _pulledInto(uint256 id, address asset, uint256 quantity, address from, address client) private {
        _add(id, client, asset, quantity);
        emit CollateralDeposited(id, asset, quantity, from, client, true);
    }

    function _reevaluate(uint256 id, AccountState storage a) private {
        (bool valued, uint256 value) = _valued(id, a.kind, false);
        if (valued) _settleOpen(id, a, value, true);
        else emit ReevaluationDeferred(id);
    }

    /// @dev Settles the account's open calls against `value`: a call is met once the value covers its
    /// own requirement, or the requirement now in force when that is lower. Newer calls ask for more,
    /// so the met ones are the oldest: they leave the chain, the others stay. After a payment
    /// (`paid`), each call the payment reached says what of its own slice is still short.
    function _settleOpen(uint256 id, AccountState storage a, uint256 value, bool paid) private {
        uint256 requirement = a.requirement;
        uint256 open = a.openCall;
        uint256 oldestUnmet;
        for (; open != 0; open = _calls[open - 1].previousOpen) {
            MarginCall storage c = _calls[open - 1];
            if (value >= _min(c.requirementJpy, requirement)) break;
            if (paid && value > _floorOf(c, requirement)) {
                if (c.status == CallStatus.Issued) c.status = CallStatus.PartiallyMet;
                emit MarginCallPartiallyMet(open, id, _stillShort(c, requirement, value));
            }
            oldestUnmet = open;
        }
        if (open == 0) return;
        if (oldestUnmet == 0) a.openCall = 0;
        else _calls[oldestUnmet - 1].previousOpen = 0;
        while (open != 0) {
            MarginCall storage c = _calls[open - 1];
            c.status = CallStatus.Met;
            _callClosed(id, a.kind);
            emit MarginCallMet(open, id, value, _min(c.requirementJpy, requirement));
            if (c.passedOn) _closeShares(open, CallStatus.Met);
            (open, c.previousOpen) = (c.previousOpen, 0);
        }
    }

    /// @dev Where call `c`'s slice of the requirement starts: the target of the open call below it.
    function _floorOf(MarginCall storage c, uint256 requirement) private view returns (uint256) {
        uint256 below = c.previousOpen;
        return below == 0 ? 0 : _min(_calls[below - 1].requirementJpy, requirement);
    }

    /// @dev What of call `c`'s own slice is still short at `value` (0 when covered).
    function _stillShort(MarginCall storage c, uint256 requirement, uint256 value) private view returns (uint256) {
        uint256 target = _min(c.requirementJpy, requirement);
        uint256 reached = _max(value, _floorOf(c, requirement));
        return reached >= target ? 0 : target - reached;
    }

    function _markOverdue(uint256 callId, MarginCall storage c, AccountState storage a, uint256 value) private {
        _settleOpen(c.account, a, value, false);
        if (c.status == CallStatus.Met) return;
        c.status = CallStatus.Overdue;
        emit MarginCallOverdue(callId, c.account, _stillShort(c, a.requirement, value));
    }

    // ---------------------------------------------------------------- internals: omnibus shares

    /// @dev Records each client's share of call `callId` on omnibus account `id`; returns their total.
    function _recordShares(
        uint256 callId,
        uint256 id,
        AccountState storage a,
        address[] calldata clients,
        uint256[] calldata amounts,
        uint64 deadline
    ) private returns (uint256 total) {
        for (uint256 i; i < clients.length; ++i) {
            address client = clients[i];
            _requireBeneficialOwner(id, a, client);
            if (amounts[i] == 0) revert VaultZeroAmount();
            if (_shares[callId][client].amountJpy != 0) revert VaultShareDuplicate(callId, client);
            _shares[callId][client] = ClientShare(client, SafeCast.toUint80(amounts[i]), 0, deadline, ShareStatus.Owed);
            _shareClients[callId].push(client);
            total += amounts[i];
            emit MarginCallPassedOn(callId, id, client, amounts[i], deadline);
        }
    }

    /// @dev Pulls each client's share by its standing instruction; returns the account's value after.
    function _pullShares(
        uint256 callId,
        uint256 id,
        AccountState storage a,
        address[] calldata clients,
        uint256[] calldata amounts,
        uint256 value
    ) private returns (uint256) {
        for (uint256 i; i < clients.length; ++i) {
            value = _pullForClient(callId, id, a, clients[i], amounts[i], value);
        }
        return value;
    }

    /// @dev Counts `valueJpy` that `client` paid into an omnibus account toward its shares of the
    /// account's open calls passed on: oldest call first, each share up to what it still owes, and
    /// what is left over to the newest share reached.
    function _creditShares(uint256 newest, address client, address payer, uint256 valueJpy) private {
        uint256 n = 0;
        for (uint256 open = newest; open != 0; open = _calls[open - 1].previousOpen) {
            ++n;
        }
        uint256[] memory chain = new uint256[](n);
        uint256 at = n;
        for (uint256 open = newest; open != 0; open = _calls[open - 1].previousOpen) {
            chain[--at] = open; // oldest first
        }
        uint256 last = 0;
        for (uint256 i; i < n && valueJpy != 0; ++i) {
            ClientShare storage share = _shares[chain[i]][client];
            if (share.status != ShareStatus.Owed && share.status != ShareStatus.Overdue) continue;
            uint256 part = _min(valueJpy, share.amountJpy - share.paidJpy);
            _credit(chain[i], client, payer, part);
            (valueJpy, last) = (valueJpy - part, chain[i]);
        }
        if (valueJpy != 0 && last != 0) _credit(last, client, payer, valueJpy);
    }

    function _credit(uint256 callId, address client, address payer, uint256 valueJpy) private {
        ClientShare storage share = _shares[callId][client];
        uint256 paid = share.paidJpy + valueJpy;
        share.paidJpy = SafeCast.toUint80(paid);
        emit ClientSharePaid(callId, client, payer, valueJpy, paid, share.amountJpy);
        if (share.status != ShareStatus.Paid && paid >= share.amountJpy) {
            share.status = ShareStatus.Paid;
            emit ClientShareMet(callId, client);
        }
    }

    /// @dev Closes the shares of call `callId` still unpaid as its call closes (`status`).
    function _closeShares(uint256 callId, CallStatus status) private {
        address[] storage clients = _shareClients[callId];
        for (uint256 i; i < clients.length; ++i) {
            ClientShare storage share = _shares[callId][clients[i]];
            if (share.status == ShareStatus.Paid) continue;
            share.status = ShareStatus.Closed;
            emit ClientShareClosed(callId, clients[i], status, share.paidJpy, share.amountJpy);
        }
    }

    /// @dev Pulls `client`'s share of call `callId` by its standing instruction into omnibus account
    /// `id` under its name, crediting each pull at what it adds to the account's value; skips what
    /// cannot be pulled (unpriced, frozen, not approved). Returns the account's value after.
    function _pullForClient(
        uint256 callId,
        uint256 id,
        AccountState storage a,
        address client,
        uint256 shareJpy,
        uint256 value
    ) private returns (uint256) {
        Instruction[] storage instruction = _clientInstructions[id][client];
        uint256 paid = 0;
        for (uint256 i; i < instruction.length && paid < shareJpy; ++i) {
            {
                (bool pulled, uint256 quantity) = _pull(id, a, instruction[i], client, shareJpy - paid);
                if (!pulled) continue;
                _pulledInto(id, instruction[i].asset, quantity, client, client);
            }
            (bool valued, uint256 valueAfter) = _valued(id, a.kind, false);
            if (!valued) break;
            _credit(callId, client, client, valueAfter - value);
            (paid, value) = (paid + valueAfter - value, valueAfter);
        }
        return value;
    }

    function _store(Instruction[] storage target, Instruction[] calldata instruction) private {
        if (instruction.length > MAX_INSTRUCTION) revert VaultInstructionTooLong(instruction.length, MAX_INSTRUCTION);
        while (target.length != 0) target.pop();
        for (uint256 i; i < instruction.length; ++i) {
            if (instruction[i].maxPerCall == 0) revert VaultZeroAmount();
            for (uint256 j; j < i; ++j) {
                if (instruction[j].asset == instruction[i].asset) {
                    revert VaultInstructionDuplicate(instruction[i].asset);
                }
            }
            target.push(instruction[i]);
        }
    }

    // ---------------------------------------------------------------- internals: default

    /// @dev Closes every call open on account `id` as defaulted, under default case `caseId`.
    function _closeByDefault(uint256 id, uint256 caseId) private {
        AccountState storage a = _accounts[id];
        for (uint256 open = a.openCall; open != 0;) {
            MarginCall storage c = _calls[open - 1];
            c.status = CallStatus.DefaultDeclared;
            _callClosed(id, a.kind);
            emit MarginCallDefaulted(open, id, caseId);
            if (c.passedOn) _closeShares(open, CallStatus.DefaultDeclared);
            (open, c.previousOpen) = (c.previousOpen, 0);
        }
        a.openCall = 0;
    }

    /// @dev Adds `amount` of `asset` to account `id`, and to `client`'s sub-ledger when one is named
    /// (an omnibus account's client). The counterpart of `_debit`.
    function _add(uint256 id, address client, address asset, uint256 amount) private {
        _holdings[id][asset] += amount;
        // slither-disable-next-line unused-return: a set, adding an asset already held is meant to do nothing
        _assets[id].add(asset);
        if (client != address(0)) {
            _sub[id][client][asset] += amount;
            // slither-disable-next-line unused-return: a set, adding a client already counted is meant to do nothing
            _clients[id].add(client);
        }
    }

    /// @dev Takes `amount` of `asset` out of account `id` (out of `client`'s sub-ledger when omnibus).
    function _debit(uint256 id, address client, address asset, uint256 amount) private {
        AccountState storage a = _open(id);
        if (amount == 0) revert VaultZeroAmount();
        uint256 held = _holdings[id][asset];
        if (amount > held) revert VaultInsufficientHolding(id, asset, held, amount);
        _holdings[id][asset] = held - amount;
        if (a.kind == AccountKind.Omnibus) {
            uint256 own = _sub[id][client][asset];
            if (amount > own) revert VaultSubLedgerInsufficient(id, client, asset, own, amount);
            _sub[id][client][asset] = own - amount;
        }
    }

    /// @dev The calling default manager's own account, opened on first use.
    function _managerAccount() private returns (uint256 id) {
        id = _id(_msgSender(), AccountKind.DefaultManagement);
        AccountState storage a = _accounts[id];
        if (a.kind == AccountKind.None) {
            a.kind = AccountKind.DefaultManagement;
            emit AccountOpened(id, _msgSender(), AccountKind.DefaultManagement, _msgSender());
        }
    }

    // ---------------------------------------------------------------- internals: member standing

    /// @dev The clearing member answerable for account `id` of kind `kind`.
    function _memberOf(uint256 id, AccountKind kind) private view returns (address) {
        // slither-disable-next-line incorrect-equality: an enum, not a balance
        return kind == AccountKind.Segregated ? _segregatedMember[id] : _owner(id);
    }

    /// @dev Counts a call opened on account `id`, due at `deadline`, against its member.
    function _callOpened(uint256 id, AccountKind kind, uint64 deadline) private {
        AccountState storage h = _accounts[_id(_memberOf(id, kind), AccountKind.House)];
        if (h.memberOpenCalls == 0 || deadline < h.memberEarliest) h.memberEarliest = deadline;
        ++h.memberOpenCalls;
    }

    function _callClosed(uint256 id, AccountKind kind) private {
        --_accounts[_id(_memberOf(id, kind), AccountKind.House)].memberOpenCalls;
    }

    // ---------------------------------------------------------------- internals: lookups

    function _id(address owner, AccountKind kind) private pure returns (uint256) {
        return uint256(uint160(owner)) | (uint256(kind) << 160);
    }

    function _owner(uint256 id) private pure returns (address) {
        return address(uint160(id));
    }

    function _open(uint256 id) private view returns (AccountState storage a) {
        a = _accounts[id];
        if (a.kind == AccountKind.None) revert VaultAccountUnknown(id);
    }

    function _ownAccount(uint256 id) private view returns (AccountState storage a) {
        a = _open(id);
        if (_owner(id) != _msgSender()) revert VaultNotAccountOwner(id, _msgSender());
    }

    function _call(uint256 callId) private view returns (MarginCall storage) {
        if (callId == 0 || callId > _calls.length) revert VaultMarginCallUnknown(callId);
        return _calls[callId - 1];
    }

    function _requireBeneficialOwner(uint256 id, AccountState storage a, address client) private view {
        if (a.kind != AccountKind.Omnibus) revert VaultBeneficialOwnerInvalid(id, client);
        IParticipantRegistry.Participant memory p = _registry.participant(client);
        if (
            p.kind != IParticipantRegistry.Kind.Client || p.accountType != IParticipantRegistry.AccountType.Omnibus
                || p.clearingMember != _owner(id)
        ) revert VaultBeneficialOwnerInvalid(id, client);
    }

    function _purpose(AccountKind kind) private pure returns (IMarketData.Purpose) {
        return kind == AccountKind.ClearingFund ? IMarketData.Purpose.ClearingFund : IMarketData.Purpose.InitialMargin;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    function _max(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a : b;
    }
}
