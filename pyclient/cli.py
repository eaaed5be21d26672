"""`kabuto`: the command line for operators and pilot participants.

    kabuto chain up                 run an embedded chain until Ctrl-C
    kabuto deploy                   deploy the suite and write a deployment manifest
    kabuto status                   participants, assets and balances, as tables
    kabuto reconcile                the CCP's controls over the ledger; exit 1 on a break

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

from . import tables
from .chain import Chain, from_env, from_keystore
from .deployment import Deployment, attach, deploy
from .errors import ContractError, KabutoError
from .reconcile import reconcile
from .views import account_views, balance_sheet

app = typer.Typer(help="Kabuto: tokenized clearing on an EVM ledger.", no_args_is_help=True)
chain_app = typer.Typer(help="The embedded development chain.", no_args_is_help=True)
app.add_typer(chain_app, name="chain")
console = Console()

DEFAULT_STATE = Path(".kabuto/chain-state.json")
NARROW = 100  # below this many columns, tables leave out their least useful columns
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
    text = exc.text if isinstance(exc, ContractError) else str(exc)  # its name is printed here
    console.print(f"[bold red]{type(exc).__name__}[/bold red]: {text}")
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


def _attached(rpc: str | None, state: Path, manifest: Path) -> tuple[Chain, Deployment]:
    if not manifest.exists():
        console.print(f"[red]no manifest at {manifest}[/red]: run `kabuto deploy` first")
        raise typer.Exit(code=1)
    chain = _connect(rpc, state)
    try:
        return chain, attach(manifest, chain)
    except KabutoError:
        chain.close()
        raise


@app.command("status")
def status_cmd(
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
) -> None:
    """Show participants, assets and balances of a deployment."""
    try:
        chain, d = _attached(rpc, state, manifest)
        with chain:
            narrow = console.width < NARROW
            _print_contracts(d)
            console.print(tables.participants_table(d, title="Participants", narrow=narrow))
            console.print(tables.balances_table(d, balance_sheet(d), title="Balances"))
            views = account_views(d)
            console.print(tables.accounts_table(d, views, title="Collateral vault", narrow=narrow))
            calls = d.vault.margin_calls()
            if calls:
                console.print(tables.calls_table(d, calls, narrow=narrow))
    except KabutoError as exc:
        _fail(exc)


@app.command("reconcile")
def reconcile_cmd(
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
) -> None:
    """Run the CCP's controls: supply against the register, the vault against its accounts,
    omnibus sub-ledgers, values against pyclient's valuation. Exits 1 on any break."""
    try:
        chain, d = _attached(rpc, state, manifest)
        with chain:
            result = reconcile(d)
    except KabutoError as exc:
        _fail(exc)
    for check in result.checks:
        console.print(tables.check_table(check))
    breaks = sum(len(c.breaks) for c in result.checks)
    if breaks:
        console.print(f"[bold red]✗ {breaks} break(s)[/bold red] at block {result.block}")
        raise typer.Exit(code=1)
    console.print(f"[green]✓ the books reconcile[/green] at block {result.block}")


def _print_contracts(d: Deployment) -> None:
    table = Table(title=f"Contracts (from block {d.deploy_block})", title_justify="left")
    for col in ("contract", "address"):
        table.add_column(col, no_wrap=True)
    for c in d.contracts():
        table.add_row(c.label, c.address)
    console.print(table)
    console.print(tables.assets_table(d, narrow=console.width < NARROW))


if __name__ == "__main__":
    app()
