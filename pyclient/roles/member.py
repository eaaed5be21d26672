"""A clearing member: house, omnibus and clearing-fund accounts; its clients sit under it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..access.registry import Participant
from ..collateral.optimiser import AccountHoldings, Inventory, Plan, account_name, optimise
from ..collateral.substitution import Substitution
from ..collateral.vault import AccountKind, ClientShare, MarginCall
from ..contracts.base import Outcome
from ..contracts.substitution import LegsIn
from ..default.case import ClientPort
from ..errors import ContractError, InputError
from ..tokens.asset import Asset
from ..units import Amount
from ..valuation import account_value
from .delivery import DeliveryParty
from .etf import EtfApplicant
from .receipts import ReceiptHolder


class ClearingMember(ReceiptHolder, DeliveryParty, EtfApplicant):
    """A clearing member: posts margin and clearing fund, passes calls on to its clients; posts
    warehouse receipts as margin; delivers goods and pays for them on futures delivery day;
    applies for ETF creations and redemptions and settles them with its trades."""

    def clients(self) -> list[Participant]:
        return [p for p in self.deployment.participants() if p.clearing_member == self.address]

    def deposit(
        self, asset: str | Asset, amount: Amount, *, kind: AccountKind = AccountKind.HOUSE
    ) -> Outcome[None]:
        """Post `amount` of `asset` into the member's `kind` account (house by default)."""
        kind = AccountKind.coerce(kind, what="account kind")
        if kind is AccountKind.OMNIBUS:
            raise InputError("omnibus deposits name their client: use deposit_for(client, ...)")
        return self._deposit(self.account_id(kind), asset, amount)

    def withdraw(
        self, asset: str | Asset, amount: Amount, *, kind: AccountKind = AccountKind.HOUSE
    ) -> Outcome[None]:
        """Take collateral back; refused when the account would fall below its requirement, and
        while the member is not active or any of its calls is open past its deadline."""
        kind = AccountKind.coerce(kind, what="account kind")
        if kind is AccountKind.OMNIBUS:
            raise InputError("omnibus withdrawals name their client: use withdraw_for(client, ...)")
        return self._withdraw(self.account_id(kind), asset, amount)

    def substitute(
        self,
        kind: AccountKind = AccountKind.HOUSE,
        *,
        out: LegsIn,
        into: LegsIn,
        client: Any = None,
    ) -> Outcome[Substitution]:
        """Swap collateral in the member's `kind` account in one step: `out` comes back to the
        member, `into` goes in from its wallet, e.g. `out={"JGB374": 100}, into={"JPY": 5_000_000,
        "TYO7203": 1_000}`. No leg is checked alone, so nothing needs pre-funding: the account must
        end at or above its requirement, or, already short, no lower than it was; an open call the
        result covers is met. For the omnibus account name the `client`: its sub-ledger moves, and
        what comes out goes to the client. The value is what the `Substituted` event records."""
        kind = AccountKind.coerce(kind, what="account kind")
        if (kind is AccountKind.OMNIBUS) != (client is not None):
            raise InputError("an omnibus substitution names its client; no other account has one")
        return self._substitute(self.account_id(kind), out, into, client)

    def optimise(
        self,
        costs_bps: Mapping[str, int | Decimal],
        *,
        buffer: Decimal = Decimal(0),
        kinds: Iterable[AccountKind] = (AccountKind.HOUSE,),
    ) -> Plan:
        """The cheapest collateral that covers the member's `kinds` accounts (house, clearing
        fund) with `buffer` to spare (0.05: 105% of each requirement), at each asset's funding
        cost `costs_bps` (bps a year, e.g. `{"JPY": 10, "USD": 35, "JGB374": 20}`), drawing on
        what the accounts hold and the member's free wallet balances. Reads the chain, sends
        nothing: print the `Plan`, then `execute` it. `AllocationInfeasible` says which account
        cannot be covered and why (see `pyclient.collateral.optimiser`)."""
        kinds = tuple(dict.fromkeys(kinds))
        own = (AccountKind.HOUSE, AccountKind.CLEARING_FUND)
        other = [k.name for k in kinds if k not in own]
        if not kinds or other:
            raise InputError(
                "the optimiser moves the member's own house and clearing fund collateral"
                + (f", not {', '.join(other)}" if other else ": name at least one of them")
            )
        d = self.deployment
        ids = [self.account_id(k) for k in kinds]
        records = d.vault.accounts(ids)
        held = d.vault.raw_holdings_of(ids)
        wallet = {}
        for symbol, a in d.assets.items():
            units = a.units(d.token(symbol).free_balance_of(self.address), allow_zero=True)
            if units:
                wallet[symbol] = units
        in_vault = {s for rows in held.values() for s, u in rows.items() if u}
        # An asset only in the wallet with no current price cannot be posted: leave it out.
        quotes = {}
        for symbol in sorted(in_vault | set(wallet)):
            try:
                quotes[symbol] = d.market_data.quote(symbol)
            except ContractError:
                if symbol in in_vault:
                    raise
                del wallet[symbol]
        inventory = Inventory(
            wallet=wallet,
            accounts=[
                AccountHoldings(r.id, r.kind, r.requirement_jpy, held[r.id], frozen=r.frozen)
                for r in records
            ],
            quotes=quotes,
        )
        return optimise(inventory, costs_bps=costs_bps, buffer=buffer)

    def execute(self, plan: Plan) -> list[Outcome[Any]]:
        """Carry out an `optimise` plan: account by account in the plan's order (so collateral
        moving between the member's accounts comes out of one before it goes into the other),
        legs both ways in one atomic substitution, legs only in as deposits, only out as
        withdrawals, in an order the vault accepts each of (`Plan.steps`). Refused before
        anything is sent when the accounts, requirements or prices are no longer those the plan
        was made for. The outcomes of the transactions sent, in order."""
        d = self.deployment
        mine = {self.account_id(k) for k in (AccountKind.HOUSE, AccountKind.CLEARING_FUND)}
        ids = [p.account for p in plan.accounts]
        if not set(ids) <= mine:
            raise InputError("the plan moves accounts that are not this member's")
        records = {r.id: r for r in d.vault.accounts(ids)}
        held = d.vault.raw_holdings_of(ids)
        moving = sorted({s for p in plan.accounts if p.moves for s in p.after})
        quotes = d.market_data.quotes(moving) if moving else {}
        for p in plan.accounts:
            now = {s: d.asset(s).whole(u) for s, u in held[p.account].items() if u}
            name = account_name(p.kind)
            if now != dict(p.before) or records[p.account].requirement_jpy != p.requirement_jpy:
                raise InputError(
                    f"the plan was made for other holdings or another requirement of the {name}: "
                    "optimise again"
                )
            if p.moves and records[p.account].frozen:
                raise InputError(f"the {name} is frozen: nothing can move in or out")
            after = {s: d.asset(s).units(q) for s, q in p.after.items()}
            if p.moves and account_value(after, quotes, p.purpose, p.requirement_jpy) < (
                p.requirement_jpy
            ):
                raise InputError(f"prices have moved since the plan: the {name} would fall short")
        outcomes: list[Outcome[Any]] = []
        for step in plan.steps():
            if step.action == "substitute":
                outcomes.append(self._substitute(step.account, dict(step.out), dict(step.into)))
            elif step.action == "deposit":
                [(symbol, amount)] = step.into.items()
                outcomes.append(self._deposit(step.account, symbol, amount))
            else:
                [(symbol, amount)] = step.out.items()
                outcomes.append(self._withdraw(step.account, symbol, amount))
        return outcomes

    def deposit_for(self, client: Any, asset: str | Asset, amount: Amount) -> Outcome[None]:
        """Post collateral into the omnibus account on behalf of `client` (its sub-ledger grows)."""
        return self._deposit(self.account_id(AccountKind.OMNIBUS), asset, amount, client)

    def withdraw_for(self, client: Any, asset: str | Asset, amount: Amount) -> Outcome[None]:
        """Return `client`'s collateral from the omnibus account to the client's wallet (its
        sub-ledger shrinks); refused while the client or the member is not active, or while any
        call of the member is open past its deadline."""
        return self._withdraw(self.account_id(AccountKind.OMNIBUS), asset, amount, client)

    def pass_on_margin_call(
        self, call_id: int, shares: dict[Any, Amount], *, deadline: dt.datetime | None = None
    ) -> Outcome[list[ClientShare]]:
        """Pass an omnibus call on to the clients: each client's share (JPY), due by `deadline`
        (default: the call's). The shares must add up to what the call still asks (payments since
        it was issued count); each client's deposits into the omnibus account count toward its
        share, and clients with a standing instruction are pulled from at once. The value is the
        shares as the transaction left them."""
        call = self.deployment.vault.pass_on_margin_call(call_id, shares, deadline=deadline)
        return self.send(call)

    def margin_calls(self, *, open_only: bool = True) -> list[MarginCall]:
        """The margin calls on every account this member answers for: its house, omnibus and
        clearing-fund accounts and its segregated clients' (as the vault lists them), oldest
        first; only those still open (issued, partly met or overdue) unless `open_only` is
        False. Read from the chain in a few batches."""
        d = self.deployment
        accounts = d.vault.accounts_of(self)
        if not open_only:
            mine = set(accounts)
            return [c for c in d.vault.margin_calls() if c.account in mine]
        fns = d.vault.contract.functions
        ids = d.chain.read_many([fns.openCalls(a) for a in accounts])
        calls = d.vault.margin_calls(sorted({int(i) for open_ids in ids for i in open_ids}))
        return [c for c in calls if c.status.open]

    def client_shares(self, call_id: int) -> list[ClientShare]:
        """Which clients have paid their share of an omnibus call passed on, how much, and each
        share's status (owed, paid, overdue, closed)."""
        return self.deployment.vault.client_shares(call_id)

    def accept_client(self, case_id: int, client: Any) -> Outcome[ClientPort]:
        """Take on `client` of a defaulted member in default case `case_id`, before its porting
        deadline; the CCP then ports it here (an omnibus client needs this member's omnibus
        account open)."""
        return self.send(self.deployment.default_manager.accept_client(case_id, client))

    def mark_shares_overdue(self, call_id: int) -> Outcome[list[ClientShare]]:
        """Record that clients missed their share's deadline: each unpaid share past it becomes
        overdue, with an event. The value is the shares as the transaction left them."""
        return self.send(self.deployment.vault.mark_shares_overdue(call_id))

    def sub_ledger(self) -> dict[str, dict[str, Decimal]]:
        """The omnibus beneficial-owner sub-ledger: client name -> asset -> quantity."""
        ledger = self.deployment.vault.sub_ledger(self.account_id(AccountKind.OMNIBUS))
        return {self.deployment.name(client): rows for client, rows in ledger.items()}
