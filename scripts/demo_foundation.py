"""Kabuto foundation demo (`make demo`): a clearing house's register and permissioned assets.

The story, told on an embedded EVM chain in about ten seconds:

1. the clearing house (CCP) deploys the suite: its participant register and five assets
   (JPY and USD deposit tokens, a JGB, a Japanese equity, a foreign ETF);
2. the CCP admits participants: a token issuer, three clearing members, a trust bank, a
   segregated client and two omnibus clients;
3. the token issuer mints deposit and security tokens against assets it holds off-chain;
4. members move assets to each other and to their clients;
5. the rules at work: every call they forbid is refused with a typed error and the ledger does
   not move (unregistered holder, inexact amounts, unknown names, suspension, frozen account,
   partial freeze, paused asset, missing powers);
6. default management preview: a member is declared in default and the CCP moves its cash to
   its default-management account by forced transfer;
7. reconciliation: every asset's supply equals what the register's participants hold.

Run with `make demo` or `.venv/bin/python scripts/demo_foundation.py`. Exits 0 when every
rule held and the books reconcile, 1 otherwise.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from demo_util import (
    Refusals,
    Show,
    amount_text,
    assets_table,
    balances_table,
    gas_summary_table,
    ledger,
    new_table,
    participants_table,
    receipt_of_last,
    reconciliation_table,
    short,
    status_text,
)
from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from pyclient import (
    AccountType,
    Ccp,
    Chain,
    ClearingMember,
    Client,
    Deployment,
    Kind,
    Role,
    TokenIssuer,
    deploy,
    errors,
)
from pyclient.units import from_bytes32


@dataclass
class Cast:
    """Who is who in the story: one development key per participant."""

    operator: LocalAccount  # the CCP's operations desk: admin of the register and the tokens
    issuer: TokenIssuer
    member_a: ClearingMember
    member_b: ClearingMember
    member_c: ClearingMember
    trust_bank: Role
    client_b1: Client  # segregated, under member-b
    client_a1: Client  # omnibus, under member-a
    client_a2: Client  # omnibus, under member-a
    default_desk: Role  # the CCP's default-management account, admitted in step 6
    outsider: LocalAccount  # never admitted


def main() -> int:
    show = Show()
    show.banner(
        "Kabuto · tokenized clearing: the foundation",
        "A clearing house's participant register and permissioned assets on an EVM ledger",
    )
    chain: Chain | None = None
    try:
        chain = start_chain(show)
        d, cast = deploy_suite(show, chain)
        admit_participants(show, d, cast)
        tokenize_deposits(show, d, cast)
        ordinary_transfers(show, d, cast)
        rules_held = rules_at_work(show, d, cast)
        rules_held &= default_management(show, d, cast)
        books_balance = reconcile(show, d, chain)
    except errors.KabutoError as exc:
        show.console.print(f"\n[bold red]demo stopped: {type(exc).__name__}[/bold red]: {exc}")
        return 1
    finally:
        if chain is not None:
            chain.close()
    if not (rules_held and books_balance):
        show.console.print("[bold red]A rule or an invariant did not hold: see above.[/bold red]")
        return 1
    show.console.print(f"[dim]chain stopped · demo ran in {show.elapsed():.1f} s[/dim]")
    return 0


# ---------------------------------------------------------------------- step 1


def start_chain(show: Show) -> Chain:
    show.step(
        "A ledger for the clearing house",
        "The CCP starts a private EVM chain (here an embedded Anvil node; in production a "
        "permissioned Besu/QBFT network).",
    )
    chain = Chain.connect()
    show.say(
        f"chain id [bold]{chain.chain_id}[/bold] at {chain.url}, block {chain.w3.eth.block_number}"
    )
    return chain


def deploy_suite(show: Show, chain: Chain) -> tuple[Deployment, Cast]:
    keys = chain.dev_accounts(20)
    show.say(
        f"CCP operator {short(keys[0].address)} deploys the suite; "
        f"the token issuer {short(keys[1].address)} alone may mint and burn"
    )
    with show.console.status("deploying…"):
        d = deploy(
            chain,
            keys[0],
            issuer=keys[1].address,
            progress=lambda msg: show.say(f"[dim]· {msg}[/dim]"),
        )
    gas = sum(r.gas_used for r in chain.gas_log)
    show.ok(
        f"{len(d.assets) + 1} contracts and the issuer hand-over in {len(chain.gas_log)} "
        f"transactions, gas {gas:,}; register at {short(d.registry.address)}"
    )
    show.table(assets_table(d, narrow=show.narrow))

    cast = Cast(
        operator=keys[0],
        issuer=TokenIssuer(d, keys[1]),
        member_a=ClearingMember(d, keys[2]),
        member_b=ClearingMember(d, keys[3]),
        member_c=ClearingMember(d, keys[4]),
        trust_bank=Role(d, keys[5]),
        client_b1=Client(d, keys[6]),
        client_a1=Client(d, keys[7]),
        client_a2=Client(d, keys[8]),
        default_desk=Role(d, keys[9]),
        outsider=keys[10],
    )
    return d, cast


# ---------------------------------------------------------------------- step 2


def admit_participants(show: Show, d: Deployment, cast: Cast) -> None:
    show.step(
        "The CCP admits participants",
        "Only participants in the CCP's register may hold or move an asset. Clients sit under a "
        "clearing member: segregated (the CCP sees them by name) or in the member's omnibus "
        "account.",
    )
    ccp = Ccp(d, cast.operator)
    gas: dict[str, int] = {}

    def admitted(address: str) -> None:
        gas[address] = receipt_of_last(d.chain).gas_used

    ccp.admit(cast.issuer.address, Kind.TOKEN_ISSUER, "token-issuer")
    admitted(cast.issuer.address)
    for member, name in (
        (cast.member_a, "member-a"),
        (cast.member_b, "member-b"),
        (cast.member_c, "member-c"),
    ):
        ccp.admit_member(member.address, name)
        admitted(member.address)
    ccp.admit(cast.trust_bank.address, Kind.TRUST_BANK, "trust-bank")
    admitted(cast.trust_bank.address)
    ccp.admit_client(cast.client_b1.address, "client-b1", "member-b", AccountType.SEGREGATED)
    admitted(cast.client_b1.address)
    for client, name in ((cast.client_a1, "client-a1"), (cast.client_a2, "client-a2")):
        ccp.admit_client(client.address, name, "member-a", AccountType.OMNIBUS)
        admitted(client.address)
    title = "The register (gas = cost of admission)"
    show.table(participants_table(d, gas=gas, title=title, narrow=show.narrow))


# ---------------------------------------------------------------------- step 3


def tokenize_deposits(show: Show, d: Deployment, cast: Cast) -> None:
    show.step(
        "The token issuer tokenizes deposits",
        "Cash, bonds and shares stay with the custodian off-chain; the issuer mints a token for "
        "each deposit, quoting the deposit's reference.",
    )
    deposits = [
        ("JPY", "member-a", 500_000_000, "JPY-DEP-0001"),
        ("JPY", "member-b", 300_000_000, "JPY-DEP-0002"),
        ("JPY", "member-c", 200_000_000, "JPY-DEP-0003"),
        ("JPY", "client-b1", 20_000_000, "JPY-DEP-0004"),
        ("USD", "member-a", "1000000.00", "USD-DEP-0001"),
        ("USD", "member-b", "750000.00", "USD-DEP-0002"),
        ("JGB374", "member-a", 1_000, "JGB-CUST-0001"),
        ("JGB374", "member-b", 2_000, "JGB-CUST-0002"),
        ("TYO7203", "member-a", 50_000, "EQ-CUST-0001"),
        ("TYO7203", "client-b1", 5_000, "EQ-CUST-0002"),
        ("SPY", "trust-bank", 10_000, "ETF-CUST-0001"),
    ]
    table = new_table(
        "Deposits tokenized by the issuer",
        "deposit ref", "for", ("amount", "right"), "asset", ("block", "right"), ("gas", "right"),
    )  # fmt: skip
    for symbol, holder, amount, ref in deposits:
        receipt = cast.issuer.issue(symbol, holder, amount, ref=ref)
        a = d.asset(symbol)
        table.add_row(ref, holder, amount_text(a.decimals, a.whole(a.units(amount))), symbol,
                      str(receipt.block_number), f"{receipt.gas_used:,}")  # fmt: skip
    show.table(table)
    table, _ = balances_table(d, "Balances after the deposits")
    show.table(table)


# ---------------------------------------------------------------------- step 4


def ordinary_transfers(show: Show, d: Deployment, cast: Cast) -> None:
    show.step(
        "Ordinary transfers",
        "Registered, active participants move assets directly; each transfer is one "
        "transaction, checked against the register on the way.",
    )
    before = ledger(d)
    moves: list[tuple[Role, str, str, int | str, str]] = [
        (cast.member_a, "JPY", "member-b", 25_000_000, "cash payment"),
        (cast.member_b, "JGB374", "member-a", 500, "bond delivery"),
        (cast.member_a, "TYO7203", "client-a1", 1_000, "allocation to omnibus client"),
        (cast.member_b, "USD", "member-c", "125000.50", "cash payment"),
        (cast.client_b1, "JPY", "member-b", 5_000_000, "client pays its member"),
    ]
    table = new_table(
        "Transfers",
        "from", "to", ("amount", "right"), "asset", "what", ("block", "right"), ("gas", "right"),
    )  # fmt: skip
    for sender, symbol, to, amount, what in moves:
        receipt = sender.transfer(symbol, to, amount)
        a = d.asset(symbol)
        table.add_row(sender.name, to, amount_text(a.decimals, a.whole(a.units(amount))), symbol,
                      what, str(receipt.block_number), f"{receipt.gas_used:,}")  # fmt: skip
    show.table(table)
    table, _ = balances_table(d, "Balances after the transfers", before=before)
    show.table(table)


# ---------------------------------------------------------------------- step 5


def rules_at_work(show: Show, d: Deployment, cast: Cast) -> bool:
    show.step(
        "The rules at work",
        "Every call the rules forbid is refused before anything is mined, with a typed error "
        "that names the participants and amounts. After each one we check the whole ledger.",
    )
    ccp = Ccp(d, cast.operator)
    a, b, c = cast.member_a, cast.member_b, cast.member_c
    watched = [p.address for p in d.participants()] + [cast.outsider.address]
    refusals = Refusals(show, d, watched)
    attempt = refusals.attempt

    show.part("Only registered participants hold assets")
    attempt(
        f"member-a pays 1,000,000 JPY to an unregistered address {short(cast.outsider.address)}",
        lambda: a.transfer("JPY", cast.outsider.address, 1_000_000),
        errors.ParticipantUnknown,
    )
    attempt(
        "member-a pays 1,000,000 JPY to 'member-z' (no such name)",
        lambda: a.transfer("JPY", "member-z", 1_000_000),
        errors.ParticipantNotFound,
    )

    show.part("Amounts must be exact", "money is never a float")
    attempt(
        "member-a pays 10.1 USD given as a Python float",
        lambda: a.transfer("USD", "member-b", 10.1),  # type: ignore[arg-type]
        errors.InvalidAmount,
    )
    attempt(
        "member-a pays 10.125 USD (USD has 2 decimals)",
        lambda: a.transfer("USD", "member-b", "10.125"),
        errors.InvalidAmount,
    )

    show.part("A suspended member can neither pay nor be paid")
    show.tx("CCP suspends member-c", ccp.suspend("member-c", "late margin payment"))
    show.say(f"member-c is now {status_text(c.record.status)}")
    attempt(
        "member-a pays 1,000,000 JPY to suspended member-c",
        lambda: a.transfer("JPY", "member-c", 1_000_000),
        errors.ParticipantNotActive,
    )
    attempt(
        "suspended member-c pays 1,000,000 JPY to member-a",
        lambda: c.transfer("JPY", "member-a", 1_000_000),
        errors.ParticipantNotActive,
    )
    show.tx("CCP reinstates member-c", ccp.reinstate("member-c", "margin received"))
    show.tx("the same payment now goes through", a.transfer("JPY", "member-c", 1_000_000))

    show.part("A frozen account", "a freeze is per asset")
    show.tx("CCP freezes member-b's JPY account", ccp.freeze("JPY", "member-b", reason="inquiry"))
    attempt(
        "member-b (JPY frozen) pays 1,000,000 JPY to member-a",
        lambda: b.transfer("JPY", "member-a", 1_000_000),
        errors.TokenAccountFrozen,
    )
    attempt(
        "member-a pays 1,000,000 JPY into member-b's frozen account",
        lambda: a.transfer("JPY", "member-b", 1_000_000),
        errors.TokenAccountFrozen,
    )
    show.tx("member-b's USD still moves: pays member-a 1,000.00 USD", b.transfer("USD", a, "1000"))
    show.tx("CCP unfreezes member-b's JPY", ccp.unfreeze("JPY", "member-b", reason="cleared"))

    show.part("A partial freeze", "frozen tokens stay in the balance but cannot move")
    balance = b.balance("JPY")
    frozen = balance - 50_000_000
    receipt = ccp.freeze_tokens("JPY", "member-b", frozen, reason="collateral hold")
    show.tx(f"CCP freezes {frozen:,} of member-b's {balance:,} JPY", receipt)
    show.say(f"member-b's free JPY balance: {b.free_balance('JPY'):,}")
    attempt(
        "member-b pays 60,000,000 JPY (free balance only 50,000,000)",
        lambda: b.transfer("JPY", "member-a", 60_000_000),
        errors.TokenInsufficientFreeBalance,
    )
    show.tx(
        "member-b pays 10,000,000 JPY out of its free balance", b.transfer("JPY", a, 10_000_000)
    )
    receipt = ccp.unfreeze_tokens("JPY", "member-b", frozen, reason="hold released")
    show.tx(f"CCP releases the {frozen:,} JPY hold", receipt)

    show.part("A paused asset", "transfers halt; the issuer keeps working")
    show.tx("CCP pauses TYO7203", ccp.pause("TYO7203"))
    attempt(
        "member-a delivers 100 TYO7203 to member-b while paused",
        lambda: a.transfer("TYO7203", "member-b", 100),
        errors.EnforcedPause,
    )
    receipt = cast.issuer.issue("TYO7203", "member-a", 100, ref="EQ-CUST-0003")
    show.tx("the issuer still mints 100 TYO7203 to member-a (new deposit)", receipt)
    show.tx("CCP unpauses TYO7203", ccp.unpause("TYO7203"))

    show.part("Powers belong to roles", "a member cannot act as the CCP or the issuer")
    attempt(
        "member-a admits a participant, posing as the CCP",
        lambda: Ccp(d, a.signer).admit_member(cast.outsider.address, "member-x"),
        errors.AccessControlUnauthorizedAccount,
    )
    attempt(
        "member-a mints itself 1,000,000 JPY, posing as the issuer",
        lambda: TokenIssuer(d, a.signer).issue("JPY", a, 1_000_000, ref="FAKE"),
        errors.AccessControlUnauthorizedAccount,
    )
    attempt(
        "member-a force-moves member-b's JPY to itself",
        lambda: Ccp(d, a.signer).forced_transfer("JPY", b, a, 1_000_000, reason="grab"),
        errors.AccessControlUnauthorizedAccount,
    )

    show.console.print()
    show.table(refusals.table("Refused calls: the ledger is checked before and after each"))
    n = len(refusals.rows)
    if refusals.all_as_expected:
        show.ok(f"all {n} attempts refused as expected; no balance moved, no block was mined")
    return refusals.all_as_expected


# ---------------------------------------------------------------------- step 6


def default_management(show: Show, d: Deployment, cast: Cast) -> bool:
    show.step(
        "Default management preview",
        "member-c fails to meet its obligations. The CCP declares the default, freezes its cash "
        "and moves it, without member-c's consent, to the CCP's default-management account.",
    )
    ccp = Ccp(d, cast.operator)
    ccp.admit(cast.default_desk.address, Kind.CCP, "ccp-default-mgmt")
    show.tx("CCP opens its default-management account 'ccp-default-mgmt'", receipt_of_last(d.chain))
    show.tx("CCP declares member-c in default", ccp.declare_default("member-c", "failed to pay"))
    show.tx("CCP freezes member-c's JPY", ccp.freeze("JPY", "member-c", reason="default"))
    c = cast.member_c
    show.say(
        f"member-c is {status_text(c.record.status)}; JPY balance {c.balance('JPY'):,}, "
        f"free to move {c.free_balance('JPY'):,}"
    )
    refusals = Refusals(show, d, [p.address for p in d.participants()])
    refusals.attempt(
        "defaulted member-c tries to pay 1,000,000 JPY to member-a",
        lambda: c.transfer("JPY", "member-a", 1_000_000),
        errors.ParticipantNotActive,
    )

    before = ledger(d)
    amount = c.balance("JPY")
    receipt = ccp.forced_transfer("JPY", c, cast.default_desk, amount, reason="default of member-c")
    show.tx(f"CCP force-transfers member-c's {amount:,} JPY to ccp-default-mgmt", receipt)

    token = d.token("JPY")
    jpy = d.asset("JPY")
    events = token.events.ForcedTransfer().process_receipt({"logs": receipt.logs}, errors=DISCARD)
    event_table = new_table("ForcedTransfer event emitted by the JPY token", "field", "value")
    for ev in events:
        args = ev["args"]
        event_table.add_row("from", d.address(args["from"]))
        event_table.add_row("to", d.address(args["to"]))
        event_table.add_row("amount", jpy.format(args["amount"]))
        event_table.add_row("reason", from_bytes32(args["reason"]))
        event_table.add_row("agent (CCP operator)", short(args["agent"]))
        event_table.add_row("tx", f"{receipt.tx_hash[:10]}…, block {receipt.block_number}")
    show.table(event_table)

    table, _ = balances_table(d, "Balances after the forced transfer", before=before)
    show.table(table)
    show.say(
        "member-c's USD stays in its account, which it cannot move while in default, pending "
        "the rest of the default process."
    )
    return refusals.all_as_expected


# ---------------------------------------------------------------------- step 7


def reconcile(show: Show, d: Deployment, chain: Chain) -> bool:
    show.step(
        "Reconciliation",
        "Only registered participants can hold tokens, so every asset's supply must equal the "
        "sum of the register's holdings.",
    )
    table, ok = reconciliation_table(d)
    show.table(table)
    show.table(gas_summary_table(chain, "Gas by operation, whole demo"))
    participants = len(d.participants())
    txs = len(chain.gas_log)
    if ok:
        show.console.print(
            f"[bold green]✓ Books balance:[/bold green] {len(d.assets)} assets, {participants} "
            f"participants, {txs} transactions, all supply accounted for."
        )
    else:
        show.console.print("[bold red]✗ Books do not balance: see the table above.[/bold red]")
    return ok


if __name__ == "__main__":
    sys.exit(main())
