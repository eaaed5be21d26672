"""`kabuto`: the command line for operators and pilot participants.

    kabuto chain up                 run an embedded chain until Ctrl-C
    kabuto deploy                   deploy the suite and write a deployment manifest
    kabuto status                   participants, assets and balances, as tables

Without `--rpc` (or `$KABUTO_RPC_URL`) the commands use an embedded chain persisted in a state
file, so `deploy` then `status` see the same ledger across processes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table
from web3.exceptions import ContractLogicError

from .chain import Chain, from_env, from_keystore
from .collateral.vault import VaultAccount
from .deploy import Deployment, attach, deploy
from .errors import KabutoError

app = typer.Typer(help="Kabuto: tokenized clearing on an EVM ledger.", no_args_is_help=True)
chain_app = typer.Typer(help="The embedded development chain.", no_args_is_help=True)
app.add_typer(chain_app, name="chain")
console = Console()

DEFAULT_STATE = Path(".kabuto/chain-state.json")
DEFAULT_MANIFEST = Path(".kabuto/deployment.json")

RpcOpt = Annotated[
    str | None,
    typer.Option(
        "--rpc", envvar="KABUTO_RPC_URL", help="JSON-RPC URL; omit for the embedded chain."
    ),
]
StateOpt = Annotated[
    Path, typer.Option("--state", help="State file of the embedded chain (ignored with --rpc).")
]
ManifestOpt = Annotated[Path, typer.Option("--manifest", help="Deployment manifest (JSON).")]
KeystoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--keystore",
        help="Encrypted keystore of the operator (password: $KABUTO_KEYSTORE_PASSWORD).",
    ),
]


def _connect(rpc: str | None, state: Path) -> Chain:
    chain = Chain.connect(rpc) if rpc else Chain.connect(state_file=str(state))
    where = rpc or f"embedded chain ({state})"
    console.print(f"[dim]connected to {where}, chain id {chain.chain_id}[/dim]")
    return chain


def _operator(chain: Chain, keystore: Path | None) -> LocalAccount:
    if keystore is not None:
        return from_keystore(keystore)
    if chain.is_local_dev:
        return chain.dev_accounts(1)[0]
    return from_env("KABUTO_PRIVATE_KEY")


def _fail(exc: KabutoError) -> None:
    console.print(f"[bold red]{type(exc).__name__}[/bold red]: {exc}")
    raise typer.Exit(code=1)


@chain_app.command("up")
def chain_up(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8545,
    state: StateOpt = DEFAULT_STATE,
) -> None:
    """Run an embedded Anvil until Ctrl-C; the chain is saved to the state file on exit."""
    try:
        chain = Chain.connect(state_file=str(state), port=port)
    except KabutoError as exc:
        _fail(exc)
    table = Table(title=f"Development chain on {chain.url} (chain id {chain.chain_id})")
    table.add_column("#", justify="right")
    table.add_column("address")
    for i, acct in enumerate(chain.dev_accounts(10)):
        table.add_row(str(i), acct.address)
    console.print(table)
    console.print(f"state file: {state}   [dim]Ctrl-C to stop[/dim]")
    try:
        while chain.node is not None and chain.node.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        chain.close()
        console.print("chain stopped, state saved")


@app.command("deploy")
def deploy_cmd(
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    out: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
    issuer: Annotated[
        str | None, typer.Option(help="Address that alone mints and burns every asset.")
    ] = None,
) -> None:
    """Deploy the whole Kabuto suite and write its manifest."""
    try:
        with _connect(rpc, state) as chain:
            operator = _operator(chain, keystore)
            deployment = deploy(
                chain, operator, issuer=issuer, progress=lambda m: console.print(f"  {m}")
            )
            path = deployment.save(out)
    except KabutoError as exc:
        _fail(exc)
    console.print(f"[green]deployed[/green]; manifest written to {path}")
    _print_contracts(deployment)


@app.command("status")
def status_cmd(
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
) -> None:
    """Show participants, assets and balances of a deployment."""
    if not manifest.exists():
        console.print(f"[red]no manifest at {manifest}[/red]: run `kabuto deploy` first")
        raise typer.Exit(code=1)
    try:
        with _connect(rpc, state) as chain:
            deployment = attach(manifest, chain)
            _print_contracts(deployment)
            _print_participants(deployment)
            _print_balances(deployment)
            _print_vault(deployment)
    except KabutoError as exc:
        _fail(exc)


def _print_contracts(d: Deployment) -> None:
    table = Table(title=f"Assets (registry {d.registry.address}, from block {d.deploy_block})")
    for col in ("symbol", "name", "class", "ccy", "decimals", "ISIN", "maturity", "address"):
        table.add_column(col)
    for a in d.assets.values():
        s = a.spec
        table.add_row(
            s.symbol, s.name, s.asset_class.name, s.currency, str(s.decimals), s.isin or "",
            s.maturity.isoformat() if s.maturity else "", a.address,
        )  # fmt: skip
    console.print(table)


def _print_participants(d: Deployment) -> None:
    table = Table(title="Participants")
    for col in ("name", "kind", "status", "account", "clearing member", "address"):
        table.add_column(col)
    for p in d.participants():
        colour = {"ACTIVE": "green", "SUSPENDED": "yellow", "DEFAULTED": "red"}.get(p.status.name)
        member = d.participant(p.clearing_member).name if p.clearing_member else ""
        account = p.account_type.name if p.account_type.value else ""
        table.add_row(
            p.name, p.kind.name, f"[{colour}]{p.status.name}[/{colour}]", account, member, p.address
        )
    console.print(table)


def _print_balances(d: Deployment) -> None:
    participants = d.participants()
    table = Table(title="Balances")
    table.add_column("participant")
    for symbol in d.assets:
        table.add_column(symbol, justify="right")
    for p in participants:
        cells = []
        for a in d.assets.values():
            units = d.token(a).functions.balanceOf(p.address).call()
            cells.append(a.format(units).removesuffix(f" {a.symbol}") if units else "·")
        table.add_row(p.name, *cells)
    supply = [
        a.format(d.token(a).functions.totalSupply().call()).removesuffix(f" {a.symbol}")
        for a in d.assets.values()
    ]
    table.add_row("[bold]total supply[/bold]", *supply)
    console.print(table)


def _vault_accounts(d: Deployment) -> list[int]:
    opened = d.vault.events.AccountOpened().get_logs(from_block=d.deploy_block)
    return [log.args["account"] for log in opened]


def _print_vault(d: Deployment) -> None:
    vault = d.vault.functions
    table = Table(title="Collateral vault")
    for col in ("account", "holdings", "value (JPY)", "requirement (JPY)", "open call", "state"):
        table.add_column(col, justify="right" if "JPY" in col else "left")
    for account in _vault_accounts(d):
        record = VaultAccount.from_chain(account, vault.account(account).call())
        holdings = ", ".join(f"{q:,} {s}" for s, q in d.collateral_holdings(account).items())
        try:
            value = f"{vault.collateralValue(account).call():,}"
        except ContractLogicError:
            value = "[yellow]no fresh prices[/yellow]"
        table.add_row(
            d.vault_account(account),
            holdings or "·",
            value,
            f"{record.requirement_jpy:,}",
            f"#{record.open_call}" if record.open_call else "",
            "[red]frozen[/red]" if record.frozen else "",
        )
    console.print(table)
    calls = d.margin_calls()
    if not calls:
        return
    table = Table(title="Margin calls")
    for col in ("#", "account", "type", "shortfall (JPY)", "deadline (Tokyo)", "status"):
        table.add_column(col, justify="right" if "JPY" in col else "left")
    for c in calls:
        table.add_row(
            str(c.id),
            d.vault_account(c.account),
            c.call_type.name,
            f"{c.shortfall_jpy:,}",
            c.deadline.strftime("%Y-%m-%d %H:%M"),
            c.status.name,
        )
    console.print(table)


if __name__ == "__main__":
    app()
