// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {IMarketData} from "../oracle/IMarketData.sol";
import {IPermissionedToken} from "../tokens/IPermissionedToken.sol";
import {IJdrFactory} from "./IJdrFactory.sol";
import {IJdrToken} from "./IJdrToken.sol";
import {IJdrTrust} from "./IJdrTrust.sol";
import {JdrTokenDeployer} from "./JdrToken.sol";
import {JdrTrust, JdrTrustDeployer} from "./JdrTrust.sol";

/// @title JdrFactory
/// @notice See {IJdrFactory}.
contract JdrFactory is IJdrFactory, AccessControlEnumerable {
    /// @notice The CCP's token agent, handed the agent role on every JDR token created.
    bytes32 public constant AGENT_ROLE = Roles.AGENT;
    /// @notice The CCP's token agent, handed the pauser role on every JDR token created.
    bytes32 public constant PAUSER_ROLE = Roles.PAUSER;

    IParticipantRegistry private immutable _registry;
    IMarketData private immutable _marketData;
    JdrTokenDeployer private immutable _tokenDeployer;
    JdrTrustDeployer private immutable _trustDeployer;
    IJdrTrust[] private _series;
    mapping(bytes32 symbolHash => IJdrTrust) private _bySymbol;

    /// @param admin holds the admin role, and until deployment hands them on, the agent and pauser roles.
    constructor(IParticipantRegistry registry_, IMarketData marketData_, address admin) {
        _registry = registry_;
        _marketData = marketData_;
        _tokenDeployer = new JdrTokenDeployer();
        _trustDeployer = new JdrTrustDeployer();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.AGENT, admin);
        _grantRole(Roles.PAUSER, admin);
    }

    /// @inheritdoc IJdrFactory
    function createSeries(IJdrTrust.TrustDeed calldata deed, string calldata name, string calldata symbol, bytes12 isin)
        external
        returns (IJdrTrust trust, IJdrToken token)
    {
        address caller = _msgSender();
        if (caller != deed.trustBank || !_isActive(caller, IParticipantRegistry.Kind.TrustBank)) {
            revert JdrFactoryNotTrustBank(caller);
        }
        if (!_isActive(deed.settlor, IParticipantRegistry.Kind.EtfManager)) revert JdrFactoryNotSettlor(deed.settlor);
        IJdrTrust taken = _bySymbol[keccak256(bytes(symbol))];
        if (address(taken) != address(0)) revert JdrFactorySymbolTaken(symbol, address(taken));
        _requireOurs(deed.underlying, "underlying");
        _requireOurs(deed.cash, "cash");
        _requireOurs(deed.foreignCash, "foreignCash");
        IPermissionedToken.AssetInfo memory etf = deed.underlying.assetInfo();
        if (etf.assetClass != IPermissionedToken.AssetClass.EtfUnit) {
            revert JdrFactoryAssetMismatch("underlying", address(deed.underlying));
        }
        IPermissionedToken.AssetInfo memory cash = deed.cash.assetInfo();
        if (cash.assetClass != IPermissionedToken.AssetClass.Cash || cash.currency != "JPY") {
            revert JdrFactoryAssetMismatch("cash", address(deed.cash));
        }
        IPermissionedToken.AssetInfo memory foreign = deed.foreignCash.assetInfo();
        if (foreign.assetClass != IPermissionedToken.AssetClass.Cash || foreign.currency != etf.currency) {
            revert JdrFactoryAssetMismatch("foreignCash", address(deed.foreignCash));
        }
        // slither-disable-next-line reentrancy-no-eth: Kabuto's own deployer (immutable)
        JdrTrust created = _trustDeployer.deploy(
            deed,
            _registry,
            _marketData,
            name,
            symbol,
            isin,
            _tokenDeployer,
            [_soleHolder(Roles.AGENT), _soleHolder(Roles.PAUSER), _soleHolder(DEFAULT_ADMIN_ROLE)]
        );
        trust = created;
        token = created.token();
        _series.push(trust);
        _bySymbol[keccak256(bytes(symbol))] = trust;
        emit SeriesCreated(
            address(trust),
            address(token),
            address(deed.underlying),
            deed.trustBank,
            deed.settlor,
            deed.ratioNumerator,
            deed.ratioDenominator,
            isin
        );
    }

    /// @inheritdoc IJdrFactory
    function allSeries() external view returns (IJdrTrust[] memory) {
        return _series;
    }

    /// @inheritdoc IJdrFactory
    function seriesCount() external view returns (uint256) {
        return _series.length;
    }

    /// @inheritdoc IJdrFactory
    function seriesBySymbol(string calldata symbol) external view returns (IJdrTrust) {
        return _bySymbol[keccak256(bytes(symbol))];
    }

    /// @dev A token of this deployment: its holders checked against our register, and listed in our
    /// market data (which reverts `MarketDataAssetUnlisted` otherwise).
    function _requireOurs(IPermissionedToken token, bytes32 what) private view {
        if (token.registry() != _registry) revert JdrFactoryAssetMismatch(what, address(token));
        // slither-disable-next-line unused-return: called for its revert, MarketDataAssetUnlisted
        _marketData.riskParameters(address(token));
    }

    function _isActive(address account, IParticipantRegistry.Kind kind) private view returns (bool) {
        IParticipantRegistry.Participant memory p = _registry.participant(account);
        return p.kind == kind && p.status == IParticipantRegistry.Status.Active;
    }

    function _soleHolder(bytes32 role) private view returns (address) {
        uint256 holders = getRoleMemberCount(role);
        if (holders != 1) revert JdrFactoryRoleHolderAmbiguous(role, holders);
        return getRoleMember(role, 0);
    }
}
