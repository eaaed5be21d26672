"""`kabuto`: the command line for operators and pilot participants.

    kabuto chain up [--detach]            run an embedded chain until Ctrl-C or SIGTERM
    kabuto chain down                     stop it (it saves its state)
    kabuto deploy                         deploy the suite and write a deployment manifest
    kabuto status                         participants, assets, balances, accounts and calls
    kabuto admit ADDRESS NAME --kind K    admit a participant (and open its vault accounts)
    kabuto issue ASSET TO AMOUNT          mint an asset to a participant (as its issuer)
    kabuto transfer ASSET TO AMOUNT --as  move an asset between participants
    kabuto deposit / withdraw ASSET AMOUNT --as   post or take back collateral
    kabuto oracle prices / fx / risk      publish prices and FX rates, set haircuts (the oracle)
    kabuto margin run                     post requirements, mark overdue, call shortfalls
    kabuto calls                          margin calls (a member's with --member)
    kabuto reconcile                      the CCP's controls; exit 1 on a break

Without `--rpc` (or `$KABUTO_RPC_URL`) the commands use the embedded chain of a state file: the
one `kabuto chain up` runs when it runs (one node per state file), else a node of their own for
the length of the command, so `deploy` then `status` see the same ledger across processes. Every
read takes `--json` for scripts. Every argument is checked before the first transaction, and every
failure is one line naming the error, with exit code 1.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address
from rich.console import Console
from rich.table import Table

from . import tables
from .access import AccountType, Kind
from .chain import Chain, from_env, from_keystore
from .chain.anvil import StateLock, port_in_use, running_chain
from .collateral import AccountKind, CallType, MarginCall
from .contracts import Outcome
from .deployment import Deployment, attach, deploy
from .errors import (
    ChainUnavailable,
    ContractError,
    DeploymentMismatch,
    InputError,
    KabutoError,
    SignerUnavailable,
)
from .events import describe
from .margin.engine import MarginEngine
from .oracle import Purpose, RiskParameters
from .reconcile import reconcile
from .roles import Ccp, ClearingMember, Client, Oracle, Role, TokenIssuer
from .views import account_views, balance_sheet, clearing_members_of

app = typer.Typer(help="Kabuto: tokenized clearing on an EVM ledger.", no_args_is_help=True)
chain_app = typer.Typer(help="The embedded development chain.", no_args_is_help=True)
margin_app = typer.Typer(help="The CCP's margin cycle.", no_args_is_help=True)
oracle_app = typer.Typer(help="Market data: prices, FX rates, haircuts.", no_args_is_help=True)
app.add_typer(chain_app, name="chain")
app.add_typer(margin_app, name="margin")
app.add_typer(oracle_app, name="oracle")
console = Console()
errors_console = Console(stderr=True)  # failures go to stderr: --json output stays parseable

DEFAULT_STATE = Path(".kabuto/chain-state.json")
NARROW = 100  # below this many columns, tables leave out their least useful columns
DEFAULT_MANIFEST = Path(".kabuto/deployment.json")
DETACH_TIMEOUT = 30.0  # seconds a detached chain may take to answer, or to stop
# A negative amount is an amount, for the SDK to refuse by name, not an unknown option.
AMOUNTS = {"ignore_unknown_options": True}
DEV_KEYS = 20  # the embedded chain's development accounts (`--as` finds a participant's among them)

RpcOpt = Annotated[
    str | None,
    typer.Option(
        "--rpc", envvar="KABUTO_RPC_URL", help="JSON-RPC URL; omit for the embedded chain."
    ),
]
StateOpt = Annotated[
    Path,
    typer.Option(
        "--state", envvar="KABUTO_STATE", help="State file of the embedded chain (not with --rpc)."
    ),
]
ManifestOpt = Annotated[
    Path, typer.Option("--manifest", envvar="KABUTO_MANIFEST", help="Deployment manifest (JSON).")
]
KeystoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--keystore",
        help="Encrypted keystore of the signer (password: $KABUTO_KEYSTORE_PASSWORD).",
    ),
]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="The participant acting (name or address); its key is a development key on the "
        "local chain, else --keystore or $KABUTO_PRIVATE_KEY. Default: the CCP operator.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts, not tables.")]


# ---------------------------------------------------------------------- plumbing


def _fail(exc: KabutoError) -> None:
    text = exc.text if isinstance(exc, ContractError) else str(exc)  # its name is printed here
    errors_console.print(f"[bold red]{type(exc).__name__}[/bold red]: {text}", soft_wrap=True)
    raise typer.Exit(code=1)


@contextmanager
def _failures() -> Iterator[None]:
    """Every `KabutoError` as one line and exit code 1: a participant never sees a traceback."""
    try:
        yield
    except KabutoError as exc:
        _fail(exc)


def _connect(rpc: str | None, state: Path, *, quiet: bool = False) -> Chain:
    running = None if rpc else running_chain(state)
    chain = Chain.connect(rpc) if rpc else Chain.connect(state_file=str(state))
    where = rpc or (f"the chain at {running}" if running else f"embedded chain ({state})")
    if not quiet:
        console.print(f"[dim]connected to {where}, chain id {chain.chain_id}[/dim]")
    return chain


def _operator(chain: Chain, keystore: Path | None) -> LocalAccount:
    if keystore is not None:
        return from_keystore(keystore)
    if chain.is_local_dev:
        return chain.dev_accounts(1)[0]
    return from_env("KABUTO_PRIVATE_KEY")


def _signer(chain: Chain, d: Deployment, who: str | None, keystore: Path | None) -> LocalAccount:
    """The key of participant `who` (the operator's when None): a development key on the local
    chain, else the keystore's or $KABUTO_PRIVATE_KEY, which must be that participant's."""
    if who is None:
        return _operator(chain, keystore)
    address = d.address_of(who)
    if keystore is None and chain.is_local_dev:
        for key in chain.dev_accounts(DEV_KEYS):
            if key.address == address:
                return key
        raise SignerUnavailable(
            f"{who} ({address}) holds none of the local chain's development keys: pass its "
            "--keystore or set $KABUTO_PRIVATE_KEY"
        )
    key = from_keystore(keystore) if keystore is not None else from_env("KABUTO_PRIVATE_KEY")
    if key.address != address:
        raise SignerUnavailable(f"the key given is {key.address}, not {who}'s ({address})")
    return key


@contextmanager
def _attached(
    rpc: str | None, state: Path, manifest: Path, *, quiet: bool = False
) -> Iterator[Deployment]:
    """The deployment of `manifest` on its chain, for the length of a command."""
    if not manifest.exists():
        raise DeploymentMismatch(f"no manifest at {manifest}: run `kabuto deploy` first")
    with _connect(rpc, state, quiet=quiet) as chain:
        yield attach(manifest, chain)


def _plain(value: Any) -> Any:
    """`value` as JSON can hold it: dataclasses as objects, enums by name, decimals as strings
    (exact), times in ISO 8601, account ids as strings (they exceed what JSON readers keep)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, BaseException):
        return str(value)
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return str(value)
    return value


def _print_json(value: Any) -> None:
    print(json.dumps(_plain(value), indent=2, ensure_ascii=False))


def _told(d: Deployment, outcome: Outcome[Any], *, action: str) -> None:
    """A write's outcome as the participant reads it: what the ledger now says, one sentence per
    event, and where it was mined."""
    mined = f"block {outcome.block_number}, gas {outcome.gas_used:,}"
    console.print(f"[green]{action}[/green] [dim]({mined})[/dim]")
    for event in outcome.events:
        console.print(f"  {describe(event, d)}", soft_wrap=True)


def _choice(text: str, options: Mapping[str, Any], what: str) -> Any:
    key = text.strip().lower().replace("_", "-").replace(" ", "-")
    if key not in options:
        raise InputError(f"{what} {text!r} is not one of: {', '.join(options)}")
    return options[key]


KINDS = {
    "member": Kind.CLEARING_MEMBER,
    "clearing-member": Kind.CLEARING_MEMBER,
    "client": Kind.CLIENT,
    "trust-bank": Kind.TRUST_BANK,
    "etf-manager": Kind.ETF_MANAGER,
    "issuer": Kind.TOKEN_ISSUER,
    "token-issuer": Kind.TOKEN_ISSUER,
    "oracle": Kind.ORACLE,
    "warehouse": Kind.WAREHOUSE,
}
ACCOUNTS = {
    "house": AccountKind.HOUSE,
    "segregated": AccountKind.SEGREGATED,
    "clearing-fund": AccountKind.CLEARING_FUND,
}


def _address(text: str, what: str) -> str:
    if not is_address(text):
        raise InputError(f"{what} {text!r} is not an address (0x and 40 hexadecimal digits)")
    return to_checksum_address(text)


@app.callback()
def _every_command() -> None:
    """SIGTERM (a service manager, `kill`) stops any command as Ctrl-C does, so what it holds is
    let go the same way: an embedded chain saved, a failed deployment's state file put back."""
    signal.signal(signal.SIGTERM, _interrupted)


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


# ---------------------------------------------------------------------- the chain

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@chain_app.command("up")
def chain_up(
    port: Annotated[int, typer.Option(envvar="KABUTO_PORT", help="Port to listen on.")] = 8545,
    state: StateOpt = DEFAULT_STATE,
    detach: Annotated[
        bool,
        typer.Option(
            "--detach", help="Run in the background (log beside the state file) and return."
        ),
    ] = False,
) -> None:
    """Run an embedded Anvil until Ctrl-C or SIGTERM (`kabuto chain down`); the chain is saved to
    the state file every few seconds and when it stops, and the other commands use it while it
    runs."""
    with _failures():
        running = running_chain(state)
        if running:
            raise ChainUnavailable(f"the chain of {state} already runs at {running}")
        if detach:
            _detach(port, state)
            return
        chain = Chain.connect(state_file=str(state), port=port)
    stop: list[int] = []
    previous = {s: signal.signal(s, lambda n, _f: stop.append(n)) for s in _STOP_SIGNALS}
    try:
        table = Table(title=f"Development chain on {chain.url} (chain id {chain.chain_id})")
        table.add_column("#", justify="right")
        table.add_column("address")
        for i, acct in enumerate(chain.dev_accounts(10)):
            table.add_row(str(i), acct.address)
        console.print(table)
        console.print(f"state file: {state}   [dim]Ctrl-C (or SIGTERM) to stop[/dim]")
        while not stop and chain.node is not None and chain.node.running:
            time.sleep(0.2)
        if not stop:  # Ctrl-C reaches the node too, and it may stop before our handler runs
            time.sleep(0.5)
        stopped_itself = not stop
    finally:
        chain.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stopped_itself:
        console.print("[bold red]the chain stopped by itself[/bold red]; state as last saved")
        raise typer.Exit(code=1)
    console.print(f"chain stopped ({signal.Signals(stop[0]).name}), state saved to {state}")


def _detach(port: int, state: Path) -> None:
    """Start `kabuto chain up` in a session of its own and return once its own chain answers on
    `port` (not another process's on the same file); if it exits first, its error is ours."""
    if port_in_use(port):
        raise ChainUnavailable(
            f"port {port} is in use (another chain?): stop what listens there or choose another "
            "port (--port or $KABUTO_PORT)"
        )
    log = state.with_name(state.name + ".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    ours = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "pyclient.cli", "chain", "up", "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "--state", str(state)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C or hang-up no longer reaches it
            env={**os.environ, "COLUMNS": "100"},
        )
    deadline = time.monotonic() + DETACH_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:  # its own one-line failure (`_fail`), or the last line
            said = log.read_text().strip()
            _, marker, why = said.rpartition("ChainUnavailable: ")
            lines = said.splitlines()
            said = " ".join((why if marker else lines[-1] if lines else "").split())
            raise ChainUnavailable(said or f"the chain exited ({process.returncode})")
        if running_chain(state) == ours:
            console.print(
                f"chain running at {ours} (pid {process.pid}), saved to {state}; "
                f"`kabuto chain down` stops it; log in {log}"
            )
            return
        time.sleep(0.1)
    process.terminate()
    raise ChainUnavailable(f"the chain did not start within {DETACH_TIMEOUT:.0f}s (log: {log})")


@chain_app.command("down")
def chain_down(state: StateOpt = DEFAULT_STATE) -> None:
    """Stop the chain that runs the state file (SIGTERM: it saves its state and exits)."""
    with _failures():
        holder = StateLock(state).holder()
        if not holder or not holder.get("pid"):
            raise ChainUnavailable(f"no chain runs on {state}")
        os.kill(int(str(holder["pid"])), signal.SIGTERM)
        deadline = time.monotonic() + DETACH_TIMEOUT
        while running_chain(state) and time.monotonic() < deadline:
            time.sleep(0.1)
        if running_chain(state):
            raise ChainUnavailable(f"{state}'s chain did not stop within {DETACH_TIMEOUT:.0f}s")
    console.print(f"chain stopped, state saved to {state}")


# ---------------------------------------------------------------------- deployment


@app.command("deploy")
def deploy_cmd(
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    out: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
    issuer: Annotated[
        str | None, typer.Option(help="Address that alone mints and burns every asset.")
    ] = None,
    oracle: Annotated[
        str | None, typer.Option(help="Address that alone publishes prices and FX rates.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Deploy again over a manifest that is in use.")
    ] = False,
) -> None:
    """Deploy the whole Kabuto suite and write its manifest.

    All or nothing: on the embedded chain a deployment that fails leaves the state file as it
    was; on a running or remote node the manifest is written only once everything is deployed.
    An existing manifest whose contracts are on the chain is kept unless --force (then kept as
    `<manifest>.previous`)."""
    with _failures():
        issuer = issuer and _address(issuer, "--issuer")
        oracle = oracle and _address(oracle, "--oracle")
        own = rpc is None and running_chain(state) is None
        saved = state.read_bytes() if own and state.exists() else None
        try:
            with _connect(rpc, state) as chain:
                if out.exists():
                    _keep_previous(out, chain, force=force)
                deployment = deploy(
                    chain,
                    _operator(chain, keystore),
                    issuer=issuer,
                    oracle=oracle,
                    progress=lambda m: console.print(f"  {m}"),
                )
                path = deployment.save(out)
        except BaseException:
            if own:  # the node has stopped and written its state: put the file back as it was
                if saved is None:
                    state.unlink(missing_ok=True)
                else:
                    state.write_bytes(saved)
                console.print(f"[yellow]nothing deployed: {state} is as it was[/yellow]")
            raise
    console.print(f"[green]deployed[/green]; manifest written to {path}")
    _print_contracts(deployment)


def _keep_previous(manifest: Path, chain: Chain, *, force: bool) -> None:
    """Refuse to lose a manifest whose contracts are on `chain` (unless `force`: keep a copy)."""
    try:
        live = attach(manifest, chain)
    except KabutoError:
        live = None  # its contracts are not on this chain: it points at nothing
    if live is not None and not force:
        raise DeploymentMismatch(
            f"{manifest} already records a deployment on this chain (from block "
            f"{live.deploy_block}): `kabuto status` shows it; --force deploys another"
        )
    previous = manifest.with_name(manifest.name + ".previous")
    previous.write_bytes(manifest.read_bytes())
    console.print(f"[dim]the old manifest is kept as {previous}[/dim]")


# ---------------------------------------------------------------------- reads


@app.command("status")
def status_cmd(
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Show participants, assets, balances, vault accounts and margin calls of a deployment."""
    with _failures(), _attached(rpc, state, manifest, quiet=as_json) as d:
        sheet = balance_sheet(d)
        views = account_views(d)
        calls = d.vault.margin_calls()
        if as_json:
            _print_json(
                {
                    "chain_id": d.chain.chain_id,
                    "block": d.chain.w3.eth.block_number,
                    "contracts": {c.label: c.address for c in d.contracts()},
                    "assets": {s: a.address for s, a in d.assets.items()},
                    "participants": d.participants(),
                    "balances": {
                        name: {
                            s: d.asset(s).whole(sheet.of(address, s))
                            for s in d.assets
                            if sheet.of(address, s)
                        }
                        for name, address in sheet.holders
                    },
                    "supply": {s: d.asset(s).whole(u) for s, u in sheet.supply.items()},
                    "accounts": [_account_json(d, v) for v in views],
                    "margin_calls": [_call_json(d, c) for c in calls],
                }
            )
            return
        narrow = console.width < NARROW
        _print_contracts(d)
        console.print(tables.participants_table(d, title="Participants", narrow=narrow))
        console.print(tables.balances_table(d, sheet, title="Balances", issued_only=True))
        console.print(tables.accounts_table(d, views, title="Collateral vault", narrow=narrow))
        if calls:
            console.print(tables.calls_table(d, calls, narrow=narrow))


def _account_json(d: Deployment, view: Any) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "label": d.account_label(view.id),
        "kind": view.kind.name,
        "holdings": view.holdings,
        "value_jpy": view.value_jpy,
        "requirement_jpy": view.requirement_jpy,
        "unvalued": str(view.unvalued) if view.unvalued else None,
        "open_call": view.open_call.id if view.open_call else None,
        "frozen": view.account.frozen,
    }


def _call_json(d: Deployment, call: MarginCall) -> dict[str, Any]:
    return {**_plain(call), "account_label": d.account_label(call.account)}


@app.command("calls")
def calls_cmd(
    member: Annotated[
        str | None,
        typer.Option(
            help="Only the calls this participant answers for: a member's (its clients' too), a "
            "client's own."
        ),
    ] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only calls still open (issued, part met, overdue).")
    ] = False,
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """List margin calls with their status and deadline."""
    with _failures(), _attached(rpc, state, manifest, quiet=as_json) as d:
        calls = d.vault.margin_calls()
        if member is not None:
            calls = _calls_of(d, d.participant(member), calls)
        if open_only:
            calls = [c for c in calls if c.status.open]
        if as_json:
            _print_json([_call_json(d, c) for c in calls])
        elif calls:
            console.print(tables.calls_table(d, calls, narrow=console.width < NARROW))
        else:
            console.print("no margin calls" + (f" for {member}" if member else ""))


def _calls_of(d: Deployment, who: Any, calls: list[MarginCall]) -> list[MarginCall]:
    """The calls `who` answers for: a member's on every account it is responsible for (its own
    and its clients'); a segregated client's on its own account; an omnibus client's, its
    member's omnibus calls passed on to it (`kabuto calls --member` of the member shows them all).
    """
    if who.kind is Kind.CLIENT and who.account_type is AccountType.OMNIBUS:
        omnibus = d.account_id(who)
        passed = [c for c in calls if c.account == omnibus and c.passed_on]
        shares = {c.id: d.vault.client_shares(c.id) for c in passed}
        return [c for c in passed if any(s.client == who.address for s in shares[c.id])]
    if who.kind is Kind.CLIENT:
        return [c for c in calls if c.account == d.account_id(who)]
    answerable = clearing_members_of(d, {c.account for c in calls})
    return [c for c in calls if answerable[c.account] == who.name]


@app.command("reconcile")
def reconcile_cmd(
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Run the CCP's controls: supply against the register, the vault against its accounts,
    omnibus sub-ledgers, values against pyclient's valuation. Exits 1 on any break."""
    with _failures(), _attached(rpc, state, manifest, quiet=as_json) as d:
        result = reconcile(d)
    breaks = sum(len(c.breaks) for c in result.checks)
    if as_json:
        _print_json({"block": result.block, "ok": result.ok, "checks": result.checks})
    else:
        for check in result.checks:
            console.print(tables.check_table(check))
        if breaks:
            console.print(f"[bold red]✗ {breaks} break(s)[/bold red] at block {result.block}")
        else:
            console.print(f"[green]✓ the books reconcile[/green] at block {result.block}")
    if breaks:
        raise typer.Exit(code=1)


# ---------------------------------------------------------------------- writes


def _acting(
    rpc: str | None,
    state: Path,
    manifest: Path,
    who: str | None,
    keystore: Path | None,
    act: Callable[[Deployment, LocalAccount], None],
) -> None:
    """Run `act` as participant `who` on the deployment, every failure one line."""
    with _failures(), _attached(rpc, state, manifest) as d:
        act(d, _signer(d.chain, d, who, keystore))


@app.command("admit")
def admit_cmd(
    address: Annotated[str, typer.Argument(help="The participant's address.")],
    name: Annotated[str, typer.Argument(help="Its name in the register (at most 32 bytes).")],
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(KINDS)}.")] = "member",
    member: Annotated[
        str | None, typer.Option(help="A client's clearing member (name or address).")
    ] = None,
    omnibus: Annotated[
        bool, typer.Option("--omnibus", help="A client in its member's omnibus account.")
    ] = False,
    accounts: Annotated[
        bool,
        typer.Option(
            " /--no-accounts",
            help="Open the vault accounts the participant needs (a member's house and "
            "clearing-fund accounts, a segregated client's own, an omnibus client's member's "
            "omnibus account if not open yet); --no-accounts opens none.",
        ),
    ] = True,
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
) -> None:
    """Admit a participant to the register (as the CCP)."""

    def act(d: Deployment, key: LocalAccount) -> None:
        account = _address(address, "address")
        chosen = _choice(kind, KINDS, "kind")
        if (member is not None or omnibus) and chosen is not Kind.CLIENT:
            raise InputError("--member and --omnibus are for clients (--kind client)")
        ccp = Ccp(d, key)
        if chosen is Kind.CLIENT:
            if member is None:
                raise InputError("a client needs its clearing member: --member NAME")
            d.address_of(member)  # unknown: refused before anything is sent
            kind_of_account = AccountType.OMNIBUS if omnibus else AccountType.SEGREGATED
            admitted = ccp.register.admit_client(account, name, member, kind_of_account)
        else:
            admitted = ccp.register.admit(account, chosen, name)
        _told(d, admitted, action="admitted")
        opening = {
            Kind.CLEARING_MEMBER: [(account, AccountKind.HOUSE),
                                   (account, AccountKind.CLEARING_FUND)],
            Kind.CLIENT: [(account, AccountKind.SEGREGATED)] if not omnibus else [],
        }.get(chosen, [])  # fmt: skip
        if chosen is Kind.CLIENT and omnibus:
            omnibus_id = d.vault.account_id(member, AccountKind.OMNIBUS)
            if omnibus_id not in set(d.vault.account_ids()):
                opening = [(member, AccountKind.OMNIBUS)]
        if accounts and opening:
            opened = ccp.margin.open_accounts(opening)
            for outcome in opened.outcomes:
                _told(d, outcome, action="opened")

    _acting(rpc, state, manifest, None, keystore, act)


@app.command("issue", context_settings=AMOUNTS)
def issue_cmd(
    asset: Annotated[str, typer.Argument(help="Asset symbol (JPY, USD, JGB374...).")],
    to: Annotated[str, typer.Argument(help="Participant receiving it (name or address).")],
    amount: Annotated[str, typer.Argument(help="Whole units, e.g. 1000000 or 250.50.")],
    ref: Annotated[str, typer.Option(help="Reference recorded with the issue.")] = "",
    who: AsOpt = None,
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
) -> None:
    """Mint `amount` of `asset` to a participant, as the asset's issuer."""

    def act(d: Deployment, key: LocalAccount) -> None:
        outcome = TokenIssuer(d, key).issue(asset, to, amount, ref=ref)
        _told(d, outcome, action="issued")

    _acting(rpc, state, manifest, who, keystore, act)


@app.command("transfer", context_settings=AMOUNTS)
def transfer_cmd(
    asset: Annotated[str, typer.Argument(help="Asset symbol.")],
    to: Annotated[str, typer.Argument(help="Receiving participant (name or address).")],
    amount: Annotated[str, typer.Argument(help="Whole units.")],
    who: AsOpt = None,
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
) -> None:
    """Transfer `amount` of `asset` from the participant acting (--as) to another."""

    def act(d: Deployment, key: LocalAccount) -> None:
        outcome = Role(d, key).transfer(asset, to, amount)
        _told(d, outcome, action="transferred")

    _acting(rpc, state, manifest, who, keystore, act)


def _collateral(d: Deployment, key: LocalAccount, account: str | None) -> Any:
    """What moves collateral for the participant of `key`, and into which of its accounts."""
    kind = d.participant(key.address).kind
    if kind is Kind.CLIENT:
        if account is not None:
            raise InputError("a client has one account, its own: leave --account out")
        return lambda verb, asset, amount: getattr(Client(d, key), verb)(asset, amount)
    if kind is not Kind.CLEARING_MEMBER:
        raise InputError(
            f"{d.name(key.address)} is a {kind.label}: only clearing "
            "members and clients post collateral"
        )
    chosen = _choice(account or "house", ACCOUNTS, "--account")
    member = ClearingMember(d, key)
    return lambda verb, asset, amount: getattr(member, verb)(asset, amount, kind=chosen)


AccountOpt = Annotated[
    str | None,
    typer.Option(help="A member's account: house (default), segregated or clearing-fund."),
]


@app.command("deposit", context_settings=AMOUNTS)
def deposit_cmd(
    asset: Annotated[str, typer.Argument(help="Asset symbol.")],
    amount: Annotated[str, typer.Argument(help="Whole units.")],
    who: AsOpt = None,
    account: AccountOpt = None,
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
) -> None:
    """Post collateral into the vault (the vault is approved for it first when needed)."""

    def act(d: Deployment, key: LocalAccount) -> None:
        outcome = _collateral(d, key, account)("deposit", asset, amount)
        _told(d, outcome, action="deposited")

    _acting(rpc, state, manifest, who, keystore, act)


@app.command("withdraw", context_settings=AMOUNTS)
def withdraw_cmd(
    asset: Annotated[str, typer.Argument(help="Asset symbol.")],
    amount: Annotated[str, typer.Argument(help="Whole units.")],
    who: AsOpt = None,
    account: AccountOpt = None,
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
) -> None:
    """Take collateral back; refused below the requirement or while a call is overdue."""

    def act(d: Deployment, key: LocalAccount) -> None:
        outcome = _collateral(d, key, account)("withdraw", asset, amount)
        _told(d, outcome, action="withdrawn")

    _acting(rpc, state, manifest, who, keystore, act)


def _quotes(pairs: list[str], what: str) -> dict[str, str]:
    """`SYMBOL=VALUE` pairs as a mapping (the SDK checks symbols and values before sending)."""
    out = {}
    for text in pairs:
        symbol, sep, value = text.partition("=")
        if not sep or not symbol.strip() or not value.strip():
            raise InputError(f"{what} {text!r} is not SYMBOL=VALUE")
        out[symbol.strip()] = value.strip()
    return out


@oracle_app.command("prices")
def prices_cmd(
    prices: Annotated[
        list[str], typer.Argument(help="SYMBOL=PRICE, per whole unit in the asset's currency.")
    ],
    who: AsOpt = None,
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
) -> None:
    """Publish prices, e.g. `JPY=1 JGB374=49250 USD=1` (as the oracle)."""

    def act(d: Deployment, key: LocalAccount) -> None:
        _told(d, Oracle(d, key).publish_prices(_quotes(prices, "price")), action="published")

    _acting(rpc, state, manifest, who, keystore, act)


@oracle_app.command("fx")
def fx_cmd(
    rates: Annotated[list[str], typer.Argument(help="CURRENCY=JPY per unit, e.g. USD=155.20.")],
    who: AsOpt = None,
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
) -> None:
    """Publish FX rates to the yen (as the oracle)."""

    def act(d: Deployment, key: LocalAccount) -> None:
        _told(d, Oracle(d, key).publish_fx_rates(_quotes(rates, "rate")), action="published")

    _acting(rpc, state, manifest, who, keystore, act)


@oracle_app.command("risk")
def risk_cmd(
    assets: Annotated[list[str], typer.Argument(help="Asset symbols the parameters apply to.")],
    haircut_bps: Annotated[int, typer.Option(help="Haircut in basis points (100 = 1%).")] = 0,
    concentration_bps: Annotated[
        int, typer.Option(help="At most this share of a requirement, in bps (10000: no limit).")
    ] = 10_000,
    clearing_fund: Annotated[
        bool, typer.Option(help="Eligible for clearing-fund contributions as well as margin.")
    ] = True,
    who: AsOpt = None,
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
) -> None:
    """Make assets eligible as collateral with a haircut and concentration limit (the oracle)."""

    def act(d: Deployment, key: LocalAccount) -> None:
        purposes = {Purpose.INITIAL_MARGIN, *([Purpose.CLEARING_FUND] if clearing_fund else [])}
        parameters = RiskParameters(haircut_bps, concentration_bps, frozenset(purposes))
        for symbol in assets:
            d.asset(symbol)  # an unknown symbol is refused before anything is sent
        outcome = Oracle(d, key).set_risk_parameters(dict.fromkeys(assets, parameters))
        _told(d, outcome, action="risk parameters set")

    _acting(rpc, state, manifest, who, keystore, act)


@margin_app.command("run")
def margin_run_cmd(
    requirement: Annotated[
        list[str] | None,
        typer.Option(
            "--requirement",
            "-r",
            help="An account's requirement, ACCOUNT=JPY (ACCOUNT: a participant name, "
            "'member-a house', 'member-a clearing-fund' or an account id); repeatable.",
        ),
    ] = None,
    requirements: Annotated[
        Path | None,
        typer.Option(help="CSV of requirements with columns account,requirement_jpy."),
    ] = None,
    call_type: Annotated[
        str, typer.Option("--type", help=f"Call type: {', '.join(t.label for t in CallType)}.")
    ] = "regular",
    run_id: Annotated[str, typer.Option(help="Names the run in the posting's event.")] = "",
    rpc: RpcOpt = None,
    state: StateOpt = DEFAULT_STATE,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    keystore: KeystoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One margin cycle as the CCP's margin engine: post the requirements given (if any), mark
    overdue every call past its deadline, and call every account short of its requirement. The
    engine reads the accounts from the chain, so any process can run it."""
    with _failures():
        kind = CallType.coerce(call_type, what="--type")
        pairs = [_pair(text) for text in requirement or []]
        if requirements is not None:
            pairs += _requirements_csv(requirements)
        with _attached(rpc, state, manifest, quiet=as_json) as d:
            engine = MarginEngine(Ccp(d, _operator(d.chain, keystore)))
            posted = {_account(d, account): amount for account, amount in pairs}
            if posted:
                engine.post(posted, run_id=run_id or f"cli {dt.date.today().isoformat()}")
            overdue = engine.mark_overdue().value
            issued = engine.issue_calls(kind).value
            if as_json:
                _print_json(
                    {
                        "posted": {d.account_label(a): v for a, v in posted.items()},
                        "overdue": [_call_json(d, c) for c in overdue.calls],
                        "calls": [_call_json(d, c) for c in issued.calls],
                        "skipped": issued.skipped,
                    }
                )
                return
            console.print(f"posted {len(posted)} requirement(s)")
            if overdue.calls:
                console.print(tables.calls_table(d, list(overdue.calls), title="Marked overdue"))
            if issued.calls:
                console.print(tables.calls_table(d, list(issued.calls), title="Margin calls"))
            still = [c for c in engine.open_calls() if c not in issued.calls]
            if not issued.calls:
                console.print(
                    "no new call: no account is short of more than its open calls ask"
                    if still
                    else "no new call: no account is short"
                )
            if still:
                console.print(tables.calls_table(d, still, title="Calls still open"))
            for skipped in issued.skipped:
                console.print(f"skipped {d.account_label(skipped.id)}: {skipped.reason.label}")


def _pair(text: str) -> tuple[str, str]:
    account, sep, amount = text.rpartition("=")
    if not sep or not account.strip() or not amount.strip():
        raise InputError(f"--requirement {text!r} is not ACCOUNT=JPY")
    return account.strip(), amount.strip()


def _requirements_csv(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        raise InputError(f"no requirements file at {path}")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"account", "requirement_jpy"} <= set(rows[0]):
        raise InputError(f"{path} needs the columns account,requirement_jpy")
    return [(r["account"], r["requirement_jpy"]) for r in rows]


def _account(d: Deployment, text: str) -> int:
    """A vault account from an id, a label ('member-a house', 'member-a clearing-fund') or a
    participant's name (a member's house account, a client's own): `Deployment.account_id`."""
    return d.account_id(int(text) if text.isdigit() else text)


def _print_contracts(d: Deployment) -> None:
    table = Table(title=f"Contracts (from block {d.deploy_block})", title_justify="left")
    table.add_column("contract")
    table.add_column("address", overflow="fold")
    for c in d.contracts():
        table.add_row(c.label, c.address)
    console.print(table)
    console.print(tables.assets_table(d, narrow=console.width < NARROW))


if __name__ == "__main__":
    app()
