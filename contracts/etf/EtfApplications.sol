// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {IEtfApplications} from "./IEtfApplications.sol";
import {IEtfRegistry} from "./IEtfRegistry.sol";
import {IEtfSettlement} from "./IEtfSettlement.sol";
import {ITradingCalendar} from "./ITradingCalendar.sol";

/// @title EtfApplications
/// @notice See {IEtfApplications}.
/// @dev The statement copies the basket when it is drawn up, so a later change of composition does
/// not alter an accepted application. Ids start at 1.
contract EtfApplications is IEtfApplications, AccessControl {
    using SafeCast for uint256;

    /// @notice The CCP: novates approved applications.
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;

    IParticipantRegistry private immutable _participants;
    IEtfRegistry private immutable _etfs;
    IEtfSettlement private immutable _settlement;
    ITradingCalendar private immutable _calendar;

    mapping(uint256 id => Application) private _applications;
    // slither-disable-next-line uninitialized-state: filled through a storage reference (drawUpStatement)
    mapping(uint256 id => IERC20[]) private _tokens;
    // slither-disable-next-line uninitialized-state: filled through a storage reference (drawUpStatement)
    mapping(uint256 id => int256[]) private _quantities;
    uint256 private _count;

    constructor(IParticipantRegistry participants, IEtfRegistry etfs, IEtfSettlement settlement, address admin) {
        _participants = participants;
        _etfs = etfs;
        _settlement = settlement;
        _calendar = etfs.calendar();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
    }

    /// @inheritdoc IEtfApplications
    function applyFor(bytes12 code, IEtfRegistry.ApplicationKind kind, uint64 creationUnits)
        external
        returns (uint256 id)
    {
        IParticipantRegistry.Participant memory p = _participants.participant(_msgSender());
        if (p.kind != IParticipantRegistry.Kind.ClearingMember || p.status != IParticipantRegistry.Status.Active) {
            revert EtfNotClearingMember(_msgSender());
        }
        if (creationUnits == 0) revert EtfApplicationInvalid(code, creationUnits);
        IEtfRegistry.Etf memory e = _etfs.etf(code);
        if (!_accepts(e.etfType, kind)) revert IEtfRegistry.EtfKindNotAccepted(code, kind, e.etfType);
        id = ++_count;
        _applications[id] = Application(code, kind, Status.Applied, _msgSender(), creationUnits, 0, 0, 0);
        emit Applied(id, code, _msgSender(), kind, creationUnits);
    }

    /// @inheritdoc IEtfApplications
    function decline(uint256 id, bytes32 reason) external {
        Application storage a = _at(id, Status.Applied);
        _onlyManager(id, a);
        a.status = Status.Declined;
        emit ApplicationDeclined(id, reason);
    }

    /// @inheritdoc IEtfApplications
    function drawUpStatement(uint256 id, uint256 cashJpy) external {
        Application storage a = _at(id, Status.Applied);
        IEtfRegistry.Etf memory e = _onlyManager(id, a);
        IEtfRegistry.ApplicationKind kind = a.kind;
        uint256 cu = a.creationUnits;
        int256 units = (uint256(e.creationUnit) * cu).toInt256();
        IERC20[] storage tokens = _tokens[id];
        int256[] storage quantities = _quantities[id];
        tokens.push(e.unit);
        bool creation =
            kind == IEtfRegistry.ApplicationKind.CreationInKind || kind == IEtfRegistry.ApplicationKind.CreationCash;
        quantities.push(creation ? units : -units);
        int256 cash;
        if (kind == IEtfRegistry.ApplicationKind.CreationInKind || kind == IEtfRegistry.ApplicationKind.Exchange) {
            uint256 expected = kind == IEtfRegistry.ApplicationKind.Exchange ? 0 : e.cashPerCreationUnit * cu;
            if (cashJpy != expected) revert EtfStatementCashInvalid(id, expected, cashJpy);
            IEtfRegistry.Constituent[] memory basket = _etfs.basket(a.code);
            for (uint256 i; i < basket.length; ++i) {
                int256 quantity = (basket[i].quantity * cu).toInt256();
                tokens.push(basket[i].token);
                quantities.push(creation ? -quantity : quantity);
            }
            cash = -expected.toInt256();
        } else {
            if (cashJpy == 0) revert EtfStatementCashInvalid(id, 1, 0);
            cash = creation ? -cashJpy.toInt256() : cashJpy.toInt256();
        }
        a.cashJpy = cash;
        a.status = Status.Stated;
        emit StatementDrawnUp(id, tokens, quantities, cash);
    }

    /// @inheritdoc IEtfApplications
    function approve(uint256 id) external {
        Application storage a = _at(id, Status.Stated);
        address trustBank = _etfs.etf(a.code).trustBank;
        if (_msgSender() != trustBank) revert EtfApplicationNotParty(id, trustBank, _msgSender());
        uint32 today = _calendar.dayOf(block.timestamp);
        a.statementDay = today;
        a.status = Status.Approved;
        emit StatementApproved(id, today);
    }

    /// @inheritdoc IEtfApplications
    function novate(uint256[] calldata ids) external onlyRole(Roles.CCP_OPERATOR) {
        if (ids.length == 0) revert EtfApplicationsEmpty();
        for (uint256 i; i < ids.length; ++i) {
            uint256 id = ids[i];
            Application storage a = _at(id, Status.Approved);
            try _etfs.checkEligibility(a.code, a.kind, a.statementDay) {}
            catch (bytes memory reason) {
                a.status = Status.Refused;
                emit NovationRefused(id, reason);
                continue;
            }
            // slither-disable-next-line reentrancy-no-eth: EtfSettlement is Kabuto's (immutable) and calls no one back
            _novate(id, a);
        }
    }

    /// @inheritdoc IEtfApplications
    function lapse(uint256[] calldata ids) external onlyRole(Roles.CCP_OPERATOR) {
        if (ids.length == 0) revert EtfApplicationsEmpty();
        for (uint256 i; i < ids.length; ++i) {
            uint256 id = ids[i];
            Application storage a = _at(id, Status.Novated);
            IEtfRegistry.Etf memory e = _etfs.etf(a.code);
            if (_participants.isActive(e.manager)) revert EtfManagerActive(id, e.manager);
            (IERC20[] memory tokens, int256[] memory quantities, int256[] memory mirrored) = _legsOf(id);
            bytes32 ref = bytes32(id);
            // slither-disable-next-line reentrancy-no-eth: EtfSettlement is Kabuto's (immutable) and calls no one back
            _settlement.void(
                a.settlementDay, a.member, IEtfSettlement.Stream.Member, tokens, quantities, a.cashJpy, ref
            );
            _settlement.void(a.settlementDay, e.trustBank, _stream(a.kind), tokens, mirrored, -a.cashJpy, ref);
            a.status = Status.Lapsed;
            emit ApplicationLapsed(id);
        }
    }

    // ---------------------------------------------------------------- reads

    /// @inheritdoc IEtfApplications
    function application(uint256 id) external view returns (Application memory) {
        return _known(id);
    }

    /// @inheritdoc IEtfApplications
    function statement(uint256 id)
        external
        view
        returns (IERC20[] memory tokens, int256[] memory quantities, int256 cashJpy)
    {
        return (_tokens[id], _quantities[id], _known(id).cashJpy);
    }

    /// @inheritdoc IEtfApplications
    function applicationCount() external view returns (uint256) {
        return _count;
    }

    // ---------------------------------------------------------------- internal

    function _novate(uint256 id, Application storage a) private {
        uint32 day = _calendar.addBusinessDays(a.statementDay, 2);
        (IERC20[] memory tokens, int256[] memory quantities, int256[] memory mirrored) = _legsOf(id);
        address trustBank = _etfs.etf(a.code).trustBank;
        IEtfSettlement.Stream stream = _stream(a.kind);
        bytes32 ref = bytes32(id);
        _settlement.record(day, a.member, IEtfSettlement.Stream.Member, tokens, quantities, a.cashJpy, ref);
        _settlement.record(day, trustBank, stream, tokens, mirrored, -a.cashJpy, ref);
        a.settlementDay = day;
        a.status = Status.Novated;
        emit Novated(
            id,
            day,
            _settlement.bookId(day, a.member, IEtfSettlement.Stream.Member),
            _settlement.bookId(day, trustBank, stream)
        );
    }

    function _legsOf(uint256 id)
        private
        view
        returns (IERC20[] memory tokens, int256[] memory quantities, int256[] memory mirrored)
    {
        tokens = _tokens[id];
        quantities = _quantities[id];
        mirrored = new int256[](quantities.length);
        for (uint256 j; j < quantities.length; ++j) {
            mirrored[j] = -quantities[j];
        }
    }

    /// @dev The ETF special participant's book a kind settles in: creations apart from the rest.
    function _stream(IEtfRegistry.ApplicationKind kind) private pure returns (IEtfSettlement.Stream) {
        bool creation =
            kind == IEtfRegistry.ApplicationKind.CreationInKind || kind == IEtfRegistry.ApplicationKind.CreationCash;
        return creation ? IEtfSettlement.Stream.Creation : IEtfSettlement.Stream.Redemption;
    }

    function _accepts(IEtfRegistry.EtfType etfType, IEtfRegistry.ApplicationKind kind) private pure returns (bool) {
        if (etfType == IEtfRegistry.EtfType.InKind) {
            return kind == IEtfRegistry.ApplicationKind.CreationInKind || kind == IEtfRegistry.ApplicationKind.Exchange;
        }
        return etfType == IEtfRegistry.EtfType.Cash
            && (kind == IEtfRegistry.ApplicationKind.CreationCash
                || kind == IEtfRegistry.ApplicationKind.RedemptionCash);
    }

    function _onlyManager(uint256 id, Application storage a) private view returns (IEtfRegistry.Etf memory e) {
        e = _etfs.etf(a.code);
        if (_msgSender() != e.manager) revert EtfApplicationNotParty(id, e.manager, _msgSender());
    }

    function _at(uint256 id, Status required) private view returns (Application storage a) {
        a = _known(id);
        if (a.status != required) revert EtfApplicationOutOfOrder(id, a.status, required);
    }

    function _known(uint256 id) private view returns (Application storage a) {
        a = _applications[id];
        if (a.status == Status.None) revert EtfApplicationUnknown(id);
    }
}
