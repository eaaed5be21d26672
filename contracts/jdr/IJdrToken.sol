// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPermissionedToken} from "../tokens/IPermissionedToken.sol";

/// @title IJdrToken
/// @notice The beneficial interests of one JDR trust: a permissioned token like every other asset
/// (register checks, freezes, pause, forced transfers, all in one `_update`), that only its trust
/// mints and burns, and that remembers every holder's balance and the total supply at every past
/// time, so that holders of record on a record date or on the termination date are read on chain.
/// @dev Balances are checkpointed with OpenZeppelin `Checkpoints.Trace208`, keyed by block
/// timestamp (`clock()`): a lookup at time `t` answers the balance after the last transaction of
/// the last block at or before `t`, and only past times can be looked up. The trust holds the
/// issuer role; the CCP's token agent holds the agent and pauser roles, as on every asset. Once the
/// trust terminates it closes the token: from then on nothing moves except the trust's burns on
/// termination claims and JDRs leaving custody (a `SystemContract` of the registry, such as the
/// collateral vault, returning pledged JDRs to their owner), so that JDRs pledged on the
/// termination date can still be claimed for.
interface IJdrToken is IPermissionedToken {
    /// @notice A lookup at `timepoint` asked for a time that is not yet past (`clock` is now).
    error JdrTokenFutureLookup(uint256 timepoint, uint48 clock);
    /// @notice Nobody grants or revokes the issuer role of a JDR token: it is its trust's, for good.
    error JdrTokenIssuerIsTrust();
    /// @notice The trust has terminated: the token no longer moves (termination claims burn it, and
    /// custody may return it to its owner).
    error JdrTokenClosed();

    /// @notice The trust closed the token on termination.
    event TokenClosed(uint64 at, address indexed trust);

    /// @notice The trust that mints and burns this token.
    function trust() external view returns (address);

    /// @notice Close the token on the trust's termination; nothing moves afterwards but burns.
    /// @dev Issuer role (the trust) only; once.
    function close() external;

    /// @notice Whether the token has been closed.
    function closed() external view returns (bool);

    /// @notice The clock checkpoints are keyed by: the block timestamp.
    function clock() external view returns (uint48);

    /// @notice `account`'s balance at a past time.
    function balanceOfAt(address account, uint256 timepoint) external view returns (uint256);

    /// @notice The total supply at a past time.
    function totalSupplyAt(uint256 timepoint) external view returns (uint256);
}
