"""The participants' view of Kabuto: one object per role, with methods in business words.

A role object binds a signing key to a deployment. What it may do mirrors the contracts' access
rules; calling something the role may not do is refused on chain with a typed error, and input
that cannot be right (an unknown name, a float, too many decimals) is refused before sending.

    ccp = Ccp(deployment, operator_key)
    ccp.admit_member(member_key.address, "member-a")
    issuer.issue("JPY", "member-a", 1_000_000, ref="deposit 2026-11-20")
    ClearingMember(deployment, member_key).transfer("JPY", "member-b", 250_000)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from eth_account.signers.local import LocalAccount

from . import errors
from .access.registry import AccountType, Kind, Participant, Status
from .chain.client import Receipt
from .collateral.vault import AccountKind, MarginCall, VaultAccount, account_id
from .deploy import AGENT_ROLE, ISSUER_ROLE, PAUSER_ROLE, Deployment
from .errors import InputError
from .margin.calendar import CallType, call_deadline, from_unix, to_unix
from .oracle.market_data import RiskParameters, price_to_chain
from .tokens.asset import Asset
from .units import Amount, to_bytes32, to_units


class Role:
    """Any participant: reads its holdings and moves its own assets."""

    def __init__(self, deployment: Deployment, signer: LocalAccount) -> None:
        self.deployment = deployment
        self.signer = signer

    @property
    def address(self) -> str:
        return self.signer.address

    @property
    def record(self) -> Participant:
        """This participant's entry in the register (`ParticipantNotFound` until admitted)."""
        return self.deployment.participant(self.address)

    @property
    def name(self) -> str:
        return self.record.name

    def balance(self, asset: str | Asset) -> Decimal:
        """Holding of `asset`, in whole units."""
        a = self.deployment.asset(asset)
        return a.whole(self.deployment.token(a).functions.balanceOf(self.address).call())

    def free_balance(self, asset: str | Asset) -> Decimal:
        """What can move now: the balance less frozen tokens (nothing while frozen as a whole)."""
        a = self.deployment.asset(asset)
        return a.whole(self.deployment.token(a).functions.freeBalanceOf(self.address).call())

    def holdings(self) -> dict[str, Decimal]:
        """Every asset of the deployment with this participant's balance, zero ones included."""
        return {symbol: self.balance(symbol) for symbol in self.deployment.assets}

    def transfer(self, asset: str | Asset, to: Any, amount: Amount) -> Receipt:
        """Move `amount` (whole units) of `asset` to participant `to` (name, address or role)."""
        a = self.deployment.asset(asset)
        units = a.units(amount)
        recipient = self.deployment.address_of(to)
        fn = self.deployment.token(a).functions.transfer(recipient, units)
        return self.deployment.transact(fn, self.signer, label="token.transfer", asset=a)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address})"


class TokenIssuer(Role):
    """The token issuer/custodian: mints against off-chain deposits and burns on withdrawal."""

    def issue(self, asset: str | Asset, to: Any, amount: Amount, *, ref: str = "") -> Receipt:
        """Create `amount` of `asset` for `to` against an off-chain deposit identified by `ref`."""
        a = self.deployment.asset(asset)
        units = a.units(amount)
        fn = self.deployment.token(a).functions.mint(
            self.deployment.address_of(to), units, to_bytes32(ref, what="reference")
        )
        return self.deployment.transact(fn, self.signer, label="token.mint", asset=a)

    def redeem(self, asset: str | Asset, holder: Any, amount: Amount, *, ref: str = "") -> Receipt:
        """Destroy `amount` of `holder`'s `asset` as it is paid out off-chain under `ref`."""
        a = self.deployment.asset(asset)
        units = a.units(amount)
        fn = self.deployment.token(a).functions.burn(
            self.deployment.address_of(holder), units, to_bytes32(ref, what="reference")
        )
        return self.deployment.transact(fn, self.signer, label="token.burn", asset=a)


class Ccp(Role):
    """The clearing house's operations desk: the register, and the agent powers over tokens."""

    # ------------------------------------------------------------------ the register

    def admit(self, account: str, kind: Kind, name: str) -> Participant:
        """Admit a participant that is not a client (a member, trust bank, issuer, oracle...)."""
        fn = self._registry.admit(account, int(kind), to_bytes32(name, what="participant name"))
        self._send(fn, "registry.admit", "participant registry")
        return self.deployment.participant(account)

    def admit_member(self, account: str, name: str) -> Participant:
        return self.admit(account, Kind.CLEARING_MEMBER, name)

    def admit_client(
        self, account: str, name: str, clearing_member: Any, account_type: AccountType
    ) -> Participant:
        """Admit a client under `clearing_member`, in a segregated or omnibus account."""
        fn = self._registry.admitClient(
            account,
            to_bytes32(name, what="participant name"),
            self.deployment.address_of(clearing_member),
            int(account_type),
        )
        self._send(fn, "registry.admitClient", "participant registry")
        return self.deployment.participant(account)

    def register_system_contract(self, address: str, name: str) -> Participant:
        """Let a Kabuto contract (a vault, say) hold assets."""
        return self.admit(address, Kind.SYSTEM_CONTRACT, name)

    def suspend(self, who: Any, reason: str) -> Receipt:
        return self._status("suspend", who, reason)

    def reinstate(self, who: Any, reason: str) -> Receipt:
        return self._status("reinstate", who, reason)

    def declare_default(self, who: Any, reason: str) -> Receipt:
        return self._status("declareDefault", who, reason)

    def set_status(self, who: Any, status: Status, reason: str) -> Receipt:
        fn = self._registry.setStatus(
            self.deployment.address_of(who), int(status), to_bytes32(reason, what="reason")
        )
        return self._send(fn, "registry.setStatus", "participant registry")

    # ------------------------------------------------------------------ agent powers

    def freeze(self, asset: str | Asset, who: Any, *, reason: str) -> Receipt:
        """Freeze `who`'s whole holding of `asset`: it can neither send nor receive."""
        return self._freeze_account(asset, who, True, reason)

    def unfreeze(self, asset: str | Asset, who: Any, *, reason: str) -> Receipt:
        return self._freeze_account(asset, who, False, reason)

    def freeze_tokens(
        self, asset: str | Asset, who: Any, amount: Amount, *, reason: str
    ) -> Receipt:
        """Freeze part of `who`'s holding; the rest keeps moving."""
        return self._tokens_action("freezeTokens", asset, who, amount, reason)

    def unfreeze_tokens(
        self, asset: str | Asset, who: Any, amount: Amount, *, reason: str
    ) -> Receipt:
        return self._tokens_action("unfreezeTokens", asset, who, amount, reason)

    def forced_transfer(
        self, asset: str | Asset, source: Any, destination: Any, amount: Amount, *, reason: str
    ) -> Receipt:
        """Move `amount` from `source` to `destination` without `source`'s consent."""
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.forcedTransfer(
            self.deployment.address_of(source),
            self.deployment.address_of(destination),
            a.units(amount),
            to_bytes32(reason, what="reason"),
        )
        return self.deployment.transact(fn, self.signer, label="token.forcedTransfer", asset=a)

    def pause(self, asset: str | Asset) -> Receipt:
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.pause()
        return self.deployment.transact(fn, self.signer, label="token.pause", asset=a)

    def unpause(self, asset: str | Asset) -> Receipt:
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.unpause()
        return self.deployment.transact(fn, self.signer, label="token.unpause", asset=a)

    def grant_token_role(self, asset: str | Asset, role: str, account: Any) -> Receipt:
        """Give `account` one of a token's operating roles (issuer, agent, pauser)."""
        if role not in (ISSUER_ROLE, AGENT_ROLE, PAUSER_ROLE):
            raise InputError(f"unknown token role {role!r}")
        a = self.deployment.asset(asset)
        role_id = self.deployment.chain.w3.keccak(text=role)
        fn = self.deployment.token(a).functions.grantRole(
            role_id, self.deployment.address_of(account)
        )
        return self.deployment.transact(fn, self.signer, label="token.grantRole", asset=a)

    # ------------------------------------------------------------------ collateral and margin

    def open_account(self, owner: Any, kind: AccountKind) -> int:
        """Open a vault account for `owner` (checked against the register); returns its id."""
        address = self.deployment.address_of(owner)
        fn = self.deployment.vault.functions.openAccount(address, int(kind))
        self._send(fn, "vault.openAccount", "collateral vault")
        return account_id(address, kind)

    def post_requirements(self, requirements: dict[int, Any], *, run_id: str) -> Receipt:
        """Set the requirement (whole JPY) of many accounts in one transaction."""
        ids = list(requirements)
        values = [
            to_units(v, 0, what="requirement (JPY)", allow_zero=True) for v in requirements.values()
        ]
        fn = self.deployment.vault.functions.postRequirements(
            ids, values, to_bytes32(run_id, what="run id")
        )
        return self._send(fn, "vault.postRequirements", "collateral vault")

    def issue_margin_calls(
        self, accounts: list[int], call_type: CallType, *, computed_at: dt.datetime | None = None
    ) -> list[MarginCall]:
        """Call every account given for its shortfall, due by the Tokyo timetable.

        `computed_at` defaults to the chain's clock; the deadline follows `call_deadline`. Standing
        instructions are honoured in the same transaction, so a returned call may already be met.
        """
        moment = computed_at or from_unix(self.deployment.chain_time())
        deadline = to_unix(call_deadline(call_type, moment))
        fn = self.deployment.vault.functions.issueMarginCalls(accounts, int(call_type), deadline)
        receipt = self._send(fn, "vault.issueMarginCalls", "collateral vault")
        issued = self.deployment.chain.events(self.deployment.vault, "MarginCallIssued", receipt)
        return [self.deployment.margin_call(ev["callId"]) for ev in issued]

    def mark_overdue(self, call_ids: list[int]) -> Receipt:
        fn = self.deployment.vault.functions.markOverdue(call_ids)
        return self._send(fn, "vault.markOverdue", "collateral vault")

    def declare_default_for_call(self, call_id: int, reason: str) -> Receipt:
        """Default the member behind an overdue call: register, freeze, seize its own collateral."""
        fn = self.deployment.vault.functions.declareDefault(
            call_id, to_bytes32(reason, what="reason")
        )
        return self._send(fn, "vault.declareDefault", "collateral vault")

    # ------------------------------------------------------------------ internals

    @property
    def _registry(self) -> Any:
        return self.deployment.registry.functions

    def _status(self, action: str, who: Any, reason: str) -> Receipt:
        fn = getattr(self._registry, action)(
            self.deployment.address_of(who), to_bytes32(reason, what="reason")
        )
        return self._send(fn, f"registry.{action}", "participant registry")

    def _tokens_action(
        self, action: str, asset: str | Asset, who: Any, amount: Amount, reason: str
    ) -> Receipt:
        a = self.deployment.asset(asset)
        fn = getattr(self.deployment.token(a).functions, action)(
            self.deployment.address_of(who), a.units(amount), to_bytes32(reason, what="reason")
        )
        return self.deployment.transact(fn, self.signer, label=f"token.{action}", asset=a)

    def _freeze_account(self, asset: str | Asset, who: Any, frozen: bool, reason: str) -> Receipt:
        a = self.deployment.asset(asset)
        fn = self.deployment.token(a).functions.setAccountFrozen(
            self.deployment.address_of(who), frozen, to_bytes32(reason, what="reason")
        )
        return self.deployment.transact(fn, self.signer, label="token.setAccountFrozen", asset=a)

    def _send(self, fn: Any, label: str, contract: str) -> Receipt:
        return self.deployment.transact(fn, self.signer, label=label, contract=contract)


# ====================================================================== market data and collateral


def _vault_fn(role: Role) -> Any:
    return role.deployment.vault.functions


class Oracle(Role):
    """The market-data oracle: publishes prices, FX rates and risk parameters in batches."""

    def publish_prices(self, prices: dict[str, Any], *, as_of: int | None = None) -> Receipt:
        """Prices per whole token in each asset's own currency, `{"JGB374": Decimal("98.5")}`."""
        assets = [self.deployment.asset(symbol) for symbol in prices]
        values = [
            price_to_chain(p, what=f"{a.symbol} price")
            for a, p in zip(assets, prices.values(), strict=True)
        ]
        fn = self.deployment.market_data.functions.publishPrices(
            [a.address for a in assets],
            values,
            as_of if as_of is not None else self.deployment.chain_time(),
        )
        return self.deployment.transact(
            fn, self.signer, label="oracle.publishPrices", contract="market data"
        )

    def publish_fx_rates(self, rates: dict[str, Any], *, as_of: int | None = None) -> Receipt:
        """JPY per unit of each currency, `{"USD": Decimal("151.20")}`."""
        for currency in rates:
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise InputError(f"{currency!r} is not an ISO 4217 currency code")
        values = [price_to_chain(r, what=f"{c} rate") for c, r in rates.items()]
        fn = self.deployment.market_data.functions.publishFxRates(
            [c.encode() for c in rates],
            values,
            as_of if as_of is not None else self.deployment.chain_time(),
        )
        return self.deployment.transact(
            fn, self.signer, label="oracle.publishFxRates", contract="market data"
        )

    def set_risk_parameters(self, parameters: dict[str, RiskParameters]) -> Receipt:
        assets = [self.deployment.asset(symbol) for symbol in parameters]
        fn = self.deployment.market_data.functions.setRiskParameters(
            [a.address for a in assets], [p.to_chain() for p in parameters.values()]
        )
        return self.deployment.transact(
            fn, self.signer, label="oracle.setRiskParameters", contract="market data"
        )

    def set_max_price_age(self, seconds: int) -> Receipt:
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise InputError(f"maximum price age {seconds!r} must be a positive number of seconds")
        fn = self.deployment.market_data.functions.setMaxPriceAge(seconds)
        return self.deployment.transact(
            fn, self.signer, label="oracle.setMaxPriceAge", contract="market data"
        )


class _Collateral(Role):
    """What every owner of vault accounts can do: approve, deposit, withdraw, read."""

    def account_id(self, kind: AccountKind) -> int:
        return account_id(self.address, kind)

    def vault_account(self, kind: AccountKind) -> VaultAccount:
        aid = self.account_id(kind)
        return VaultAccount.from_chain(aid, self.deployment.call(_vault_fn(self).account(aid)))

    def collateral(self, kind: AccountKind) -> dict[str, Decimal]:
        """Holdings of the `kind` account, per asset symbol, in whole units."""
        return self.deployment.collateral_holdings(self.account_id(kind))

    def collateral_value(self, kind: AccountKind) -> int:
        """Value of the `kind` account in JPY after haircuts and concentration limits."""
        return self.deployment.call(_vault_fn(self).collateralValue(self.account_id(kind)))

    def approve_vault(self, asset: str | Asset, amount: Amount | None = None) -> Receipt:
        """Let the vault pull `amount` of `asset` (unlimited if omitted, for standing orders)."""
        a = self.deployment.asset(asset)
        units = 2**256 - 1 if amount is None else a.units(amount, allow_zero=True)
        fn = self.deployment.token(a).functions.approve(self.deployment.vault.address, units)
        return self.deployment.transact(fn, self.signer, label="token.approve", asset=a)

    def _vault_call(
        self, action: str, account: int, client: str | None, a: Asset, units: int
    ) -> Any:
        """`deposit`/`withdraw` on an own account, or the `...For` form naming omnibus `client`."""
        vault = _vault_fn(self)
        if client is None:
            return getattr(vault, action)(account, a.address, units)
        return getattr(vault, f"{action}For")(account, client, a.address, units)

    def _deposit(
        self, account: int, asset: str | Asset, amount: Amount, client: str | None
    ) -> Receipt:
        a = self.deployment.asset(asset)
        units = a.units(amount)
        fn = self._vault_call("deposit", account, client, a, units)

        def send() -> Receipt:
            return self.deployment.transact(
                fn, self.signer, label="vault.deposit", contract="collateral vault", asset=a
            )

        # The chain judges the deposit first; only when the missing allowance is all that stands
        # in the way is the vault approved, so a refused deposit sends nothing at all.
        try:
            return send()
        except errors.ERC20InsufficientAllowance:
            token = self.deployment.token(a).functions
            balance = token.balanceOf(self.address).call()
            if balance < units:
                raise errors.ERC20InsufficientBalance(
                    {"sender": self.address, "balance": balance, "needed": units},
                    contract=f"{a.symbol} token",
                    formatter=self.deployment,
                    context_asset=a.address,
                ) from None
            approve = token.approve(self.deployment.vault.address, units)
            self.deployment.transact(approve, self.signer, label="token.approve", asset=a)
            return send()

    def _withdraw(
        self, account: int, asset: str | Asset, amount: Amount, client: str | None
    ) -> Receipt:
        a = self.deployment.asset(asset)
        units = a.units(amount)
        fn = self._vault_call("withdraw", account, client, a, units)
        return self.deployment.transact(
            fn, self.signer, label="vault.withdraw", contract="collateral vault", asset=a
        )

    def set_standing_instruction(
        self, instruction: list[tuple[str, Amount]], *, kind: AccountKind = AccountKind.HOUSE
    ) -> Receipt:
        """Pull order for margin calls: `[("JPY", 50_000_000), ("JGB374", 100)]` (asset, cap).

        Approves the vault on each asset so the pull can happen in the call's own transaction.
        """
        entries = []
        for symbol, cap in instruction:
            a = self.deployment.asset(symbol)
            entries.append((a.address, a.units(cap, what="cap per call")))
        for symbol, _ in instruction:
            self.approve_vault(symbol)
        fn = _vault_fn(self).setStandingInstruction(self.account_id(kind), entries)
        return self.deployment.transact(
            fn, self.signer, label="vault.setStandingInstruction", contract="collateral vault"
        )


class ClearingMember(_Collateral):
    """A clearing member: house, omnibus and clearing-fund accounts; its clients sit under it."""

    def clients(self) -> list[Participant]:
        return [p for p in self.deployment.participants() if p.clearing_member == self.address]

    def deposit(
        self, asset: str | Asset, amount: Amount, *, kind: AccountKind = AccountKind.HOUSE
    ) -> Receipt:
        """Post `amount` of `asset` into the member's `kind` account (house by default)."""
        if kind is AccountKind.OMNIBUS:
            raise InputError("omnibus deposits name their client: use deposit_for(client, ...)")
        return self._deposit(self.account_id(kind), asset, amount, None)

    def withdraw(
        self, asset: str | Asset, amount: Amount, *, kind: AccountKind = AccountKind.HOUSE
    ) -> Receipt:
        """Take collateral back; refused when the account would fall below its requirement."""
        if kind is AccountKind.OMNIBUS:
            raise InputError("omnibus withdrawals name their client: use withdraw_for(client, ...)")
        return self._withdraw(self.account_id(kind), asset, amount, None)

    def deposit_for(self, client: Any, asset: str | Asset, amount: Amount) -> Receipt:
        """Post collateral into the omnibus account on behalf of `client` (its sub-ledger grows)."""
        return self._deposit(
            self.account_id(AccountKind.OMNIBUS), asset, amount, self.deployment.address_of(client)
        )

    def withdraw_for(self, client: Any, asset: str | Asset, amount: Amount) -> Receipt:
        return self._withdraw(
            self.account_id(AccountKind.OMNIBUS), asset, amount, self.deployment.address_of(client)
        )

    def pass_on_margin_call(self, call_id: int, shares: dict[Any, int]) -> Receipt:
        """Tell omnibus clients their share (JPY) of an omnibus margin call."""
        clients = [self.deployment.address_of(c) for c in shares]
        amounts = [to_units(v, 0, what="JPY share") for v in shares.values()]
        fn = _vault_fn(self).passOnMarginCall(call_id, clients, amounts)
        return self.deployment.transact(
            fn, self.signer, label="vault.passOnMarginCall", contract="collateral vault"
        )

    def sub_ledger(self) -> dict[str, dict[str, Decimal]]:
        """The omnibus beneficial-owner sub-ledger: client name -> asset -> quantity."""
        return self.deployment.omnibus_sub_ledger(self.account_id(AccountKind.OMNIBUS))


class Client(_Collateral):
    """A client of a clearing member, segregated (own vault account) or in the member's omnibus."""

    def deposit(self, asset: str | Asset, amount: Amount) -> Receipt:
        """Pay collateral into its own segregated account, or as its share of the omnibus one."""
        record = self.record
        if record.account_type is AccountType.SEGREGATED:
            return self._deposit(self.account_id(AccountKind.SEGREGATED), asset, amount, None)
        member_omnibus = account_id(record.clearing_member or "0x0", AccountKind.OMNIBUS)
        return self._deposit(member_omnibus, asset, amount, self.address)

    def withdraw(self, asset: str | Asset, amount: Amount) -> Receipt:
        """Take collateral back from its segregated account (the member withdraws omnibus)."""
        return self._withdraw(self.account_id(AccountKind.SEGREGATED), asset, amount, None)
