// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

import {IParticipantRegistry} from "../access/IParticipantRegistry.sol";

/// @title IPermissionedToken
/// @notice An ERC-20 that only active registered participants may hold and move: tokenized
/// deposits (JPY, USD), JGBs, equities and foreign-ETF units are all instances of it.
/// @dev Every restriction lives in one override of `ERC20._update`, so transfers, mints, burns and
/// forced transfers cannot drift apart. The rules:
///  - an ordinary transfer, mint or burn needs every non-zero party active in the registry, not
///    frozen, and the sender's unfrozen balance to cover the amount; ordinary transfers also need
///    the token unpaused (the issuer and the agent keep working through a pause);
///  - a forced transfer needs only the receiver active and not frozen: the sender may be
///    suspended, defaulted or frozen, and frozen tokens are released as far as the amount needs;
///  - a spender moving tokens with `transferFrom` must itself be active and not frozen, as a party
///    to the transfer would be;
///  - the issuer's and the agent's powers stop at custody: no mint to, burn from, forced transfer
///    from or to, or freeze of a `SystemContract` of the registry (the vault, and every Kabuto
///    contract that keeps its own ledger of the tokens it holds), so those ledgers always match
///    the balances behind them. Tokens leave custody only through the custodian's own rules.
interface IPermissionedToken is IERC20Metadata {
    /// @notice What the token represents.
    enum AssetClass {
        Cash,
        Bond,
        Equity,
        EtfUnit,
        Jdr,
        Commodity
    }

    /// @notice Static description of the asset, fixed at deployment.
    /// @param currency ISO 4217 code of the currency the asset is priced in (`"JPY"`).
    /// @param isin ISIN of the security, zero for cash.
    /// @param maturity Unix time of a bond's maturity, zero otherwise.
    /// @param faceUnit Face value of one whole token in the smallest unit of `currency`
    /// (for a JGB, JPY per bond unit), zero when not meaningful.
    struct AssetInfo {
        AssetClass assetClass;
        bytes3 currency;
        bytes12 isin;
        uint64 maturity;
        uint256 faceUnit;
    }

    // ---------------------------------------------------------------- errors

    /// @notice `account` is frozen: it can neither send nor receive except by forced transfer.
    error TokenAccountFrozen(address account);
    /// @notice `account` holds only `freeBalance` unfrozen tokens; `needed` were required.
    error TokenInsufficientFreeBalance(address account, uint256 freeBalance, uint256 needed);
    /// @notice Freezing `amount` more would freeze more than `account`'s `balance` (`frozen` already).
    error TokenFreezeExceedsBalance(address account, uint256 balance, uint256 frozen, uint256 amount);
    /// @notice `account` has only `frozen` tokens frozen; `amount` cannot be released.
    error TokenUnfreezeExceedsFrozen(address account, uint256 frozen, uint256 amount);
    /// @notice The operation needs a non-zero amount.
    error TokenZeroAmount();
    /// @notice `account` is already in the requested frozen state.
    error TokenFreezeUnchanged(address account, bool frozen);
    /// @notice `custodian` is a Kabuto contract keeping a ledger of the tokens it holds: the
    /// issuer and the agent cannot mint to it, burn from it, force a transfer into or out of it,
    /// or freeze it.
    error TokenCustodyProtected(address custodian);

    // ---------------------------------------------------------------- events

    /// @notice The issuer created `amount` for `to` against assets held off-chain under `ref`.
    event Issued(address indexed to, uint256 amount, bytes32 ref, address indexed issuer);
    /// @notice The issuer destroyed `amount` of `from`'s tokens, released off-chain under `ref`.
    event Redeemed(address indexed from, uint256 amount, bytes32 ref, address indexed issuer);
    /// @notice `agent` froze (or unfroze) `account` as a whole for `reason`.
    event AccountFreezeChanged(address indexed account, bool frozen, bytes32 reason, address indexed agent);
    /// @notice `amount` of `account`'s tokens were frozen; `totalFrozen` are frozen now.
    event TokensFrozen(
        address indexed account, uint256 amount, uint256 totalFrozen, bytes32 reason, address indexed agent
    );
    /// @notice `amount` of `account`'s tokens were released; `totalFrozen` stay frozen.
    event TokensUnfrozen(
        address indexed account, uint256 amount, uint256 totalFrozen, bytes32 reason, address indexed agent
    );
    /// @notice `agent` moved `amount` from `from` to `to` without `from`'s consent, for `reason`.
    event ForcedTransfer(
        address indexed from, address indexed to, uint256 amount, bytes32 reason, address indexed agent
    );

    // ---------------------------------------------------------------- issuer

    /// @notice Creates `amount` tokens for `to` against an off-chain deposit identified by `ref`.
    /// @dev `ISSUER_ROLE` only. `to` must be active, not frozen and not a custodian. Allowed while
    /// paused.
    function mint(address to, uint256 amount, bytes32 ref) external;

    /// @notice Destroys `amount` of `from`'s unfrozen tokens as they are released off-chain under `ref`.
    /// @dev `ISSUER_ROLE` only. `from` must be active, not frozen and not a custodian. Allowed while
    /// paused.
    function burn(address from, uint256 amount, bytes32 ref) external;

    // ---------------------------------------------------------------- agent

    /// @notice Freezes or unfreezes `account` as a whole.
    /// @dev `AGENT_ROLE` only. Refused when `account` is already in that state, or a custodian.
    function setAccountFrozen(address account, bool frozen, bytes32 reason) external;

    /// @notice Freezes `amount` of `account`'s tokens; they stay in its balance but cannot move.
    /// @dev `AGENT_ROLE` only. The total frozen may not exceed the balance; not of a custodian.
    function freezeTokens(address account, uint256 amount, bytes32 reason) external;

    /// @notice Releases `amount` of `account`'s frozen tokens.
    /// @dev `AGENT_ROLE` only.
    function unfreezeTokens(address account, uint256 amount, bytes32 reason) external;

    /// @notice Moves `amount` from `from` to `to` without `from`'s consent: the tool of default
    /// management. Frozen tokens are released as far as the amount needs.
    /// @dev `AGENT_ROLE` only. `to` must be active and not frozen; `from` may be in any state.
    /// Neither may be a custodian.
    function forcedTransfer(address from, address to, uint256 amount, bytes32 reason) external;

    // ---------------------------------------------------------------- pause

    /// @notice Halts ordinary transfers. @dev `PAUSER_ROLE` only.
    function pause() external;

    /// @notice Resumes ordinary transfers. @dev `PAUSER_ROLE` only.
    function unpause() external;

    // ---------------------------------------------------------------- views

    /// @notice The registry that decides who may hold this token.
    function registry() external view returns (IParticipantRegistry);

    /// @notice What the token represents.
    function assetInfo() external view returns (AssetInfo memory);

    /// @notice True when `account` is frozen as a whole.
    function isFrozen(address account) external view returns (bool);

    /// @notice How many of `account`'s tokens are frozen.
    function frozenTokens(address account) external view returns (uint256);

    /// @notice Balance minus frozen tokens: what `account` can move now (zero when frozen as a whole).
    function freeBalanceOf(address account) external view returns (uint256);
}
