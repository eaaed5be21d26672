// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IJdrToken} from "./IJdrToken.sol";
import {IJdrTrust} from "./IJdrTrust.sol";

/// @title IJdrFactory
/// @notice Creates JDR series: one trust (and its JDR token) per trust deed, and keeps the list of
/// every series created, so that anyone can find them.
/// @dev The trust bank named in the deed creates its own series; the settlor must be a registered ETF
/// manager, the underlying a foreign-ETF token priced in the foreign cash token's currency, and the
/// cash token JPY. The JDR token's agent, pauser and admin roles go to the holders of the factory's
/// own `AGENT_ROLE`, `PAUSER_ROLE` and `DEFAULT_ADMIN_ROLE` (the CCP's token agent and role admin,
/// as on every asset); the trust bank and settlor get their roles on the trust. The deed's tokens
/// must be this deployment's (checking holders against the same register, listed in its market
/// data), and a symbol names one series only. A series can hold assets once the CCP admits its
/// trust to the register (`ccp.jdr.list_series` in pyclient).
interface IJdrFactory {
    /// @notice The caller is not the deed's trust bank, or the trust bank is not an active registered
    /// trust bank.
    error JdrFactoryNotTrustBank(address caller);
    /// @notice The deed's settlor is not an active registered ETF manager.
    error JdrFactoryNotSettlor(address settlor);
    /// @notice The deed's tokens do not fit together: `what` names the one that does not.
    error JdrFactoryAssetMismatch(bytes32 what, address asset);
    /// @notice Another series already has `symbol` (its trust is `trust`).
    error JdrFactorySymbolTaken(string symbol, address trust);
    /// @notice The factory's `role` has not exactly one holder to hand to the new series.
    error JdrFactoryRoleHolderAmbiguous(bytes32 role, uint256 holders);

    /// @notice A series was created.
    event SeriesCreated(
        address indexed trust,
        address indexed token,
        address indexed underlying,
        address trustBank,
        address settlor,
        uint64 ratioNumerator,
        uint64 ratioDenominator,
        bytes12 isin
    );

    /// @notice Create the trust of `deed` and its JDR token (`name`, `symbol`, `isin`; whole units).
    /// @dev The deed's trust bank only.
    function createSeries(IJdrTrust.TrustDeed calldata deed, string calldata name, string calldata symbol, bytes12 isin)
        external
        returns (IJdrTrust trust, IJdrToken token);

    /// @notice Every series created, oldest first.
    function allSeries() external view returns (IJdrTrust[] memory);

    function seriesCount() external view returns (uint256);

    /// @notice The trust of the series called `symbol`, zero when none.
    function seriesBySymbol(string calldata symbol) external view returns (IJdrTrust);
}
