"""The `kabuto` command line: the README's session as written, one chain per state file, stops
that save (SIGTERM, SIGINT, even a kill), refusals before the first transaction, all-or-nothing
deployment, and reads as JSON."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pyclient import cli
from pyclient.chain.anvil import free_port, port_in_use, running_chain
from pyclient.cli import app
from pyclient.errors import TransactionFailed

runner = CliRunner()
README = Path(__file__).resolve().parent.parent / "README.md"
BIN = Path(sys.executable).parent  # where `kabuto` is installed beside this Python
MEMBER_A = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # development key 3


def kabuto(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`kabuto ARGS` as a participant runs it: its own process, in `cwd`."""
    done = subprocess.run(
        [str(BIN / "kabuto"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "120"},
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    """A free port for the test's chain, and any chain left on its state file stopped after."""
    chosen = free_port()
    yield chosen
    subprocess.run([str(BIN / "kabuto"), "chain", "down"], cwd=tmp_path, capture_output=True)


def wait_running(state: Path, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        url = running_chain(state)
        if url:
            return url
        time.sleep(0.1)
    raise AssertionError(f"no chain came up on {state}")


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_the_readme_session_runs_as_written(tmp_path: Path, port: int) -> None:
    """The README's command-line block, run by bash as written: deploy, price, admit, issue,
    transfer, deposit, a margin run that calls the member short, its payment, a stop (SIGTERM)
    and a restart that finds the same ledger, JSON for scripts, and a reconciliation."""
    section = README.read_text().split("## Command line", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "KABUTO_PORT": str(port)}
    done = subprocess.run(
        ["bash", "-e", "-c", block],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**env, "COLUMNS": "120"},
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "member-a house account opened" in out and "client-x segregated account opened" in out
    assert "client-x admitted as client under member-a, segregated account" in out
    assert "call #1 met" in out and "the books reconcile" in out
    calls = json.loads(out[out.index("[\n") : out.index("\n]\n") + 2])  # `calls --json`
    assert [(c["id"], c["status"], c["account_label"]) for c in calls] == [
        (1, "MET", "member-a house")
    ]
    assert not running_chain(tmp_path / ".kabuto" / "chain-state.json")
    assert not port_in_use(port)  # the last `chain down` stopped the node too


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_sigterm_stops_a_foreground_chain_and_saves_what_was_done(tmp_path: Path) -> None:
    """`kabuto chain up` in the foreground, stopped with SIGTERM as a service manager stops it:
    the node stops with it (its port is free) and the ledger is on disk for the next command."""
    port = free_port()
    up = subprocess.Popen(
        [str(BIN / "kabuto"), "chain", "up", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_running(tmp_path / ".kabuto" / "chain-state.json")
        kabuto("deploy", cwd=tmp_path)
        kabuto("admit", MEMBER_A, "member-a", cwd=tmp_path)
        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=60)
    finally:
        up.kill()
    assert up.returncode == 0, out
    assert "chain stopped (SIGTERM)" in out
    assert not port_in_use(port)
    status = kabuto("status", "--json", cwd=tmp_path)  # a node of its own on the saved state
    names = [p["name"] for p in json.loads(status.stdout)["participants"]]
    assert "member-a" in names


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_a_killed_chain_keeps_what_it_saved_and_leaves_no_node_behind(
    tmp_path: Path, port: int
) -> None:
    """A crash (SIGKILL) of `chain up`: its node stops with it rather than holding the port and
    the file, and the state saved every few seconds has the deployment."""
    kabuto("chain", "up", "--detach", "--port", str(port), cwd=tmp_path)
    kabuto("deploy", cwd=tmp_path)
    time.sleep(cli_state_interval() + 1)  # one periodic save after the deployment
    holder = json.loads((tmp_path / ".kabuto" / "chain-state.json.lock").read_text())
    os.kill(holder["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while port_in_use(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not port_in_use(port)
    kabuto("status", cwd=tmp_path)  # the deployment is there


def cli_state_interval() -> int:
    from pyclient.chain.anvil import STATE_INTERVAL

    return STATE_INTERVAL


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_one_chain_per_state_file_and_a_busy_port_is_refused(tmp_path: Path, port: int) -> None:
    kabuto("chain", "up", "--detach", "--port", str(port), cwd=tmp_path)
    again = kabuto("chain", "up", "--port", str(free_port()), cwd=tmp_path, check=False)
    assert again.returncode == 1
    assert "ChainUnavailable" in again.stderr and "already runs at" in again.stderr
    busy = kabuto(
        "chain", "up", "--port", str(port), "--state", "other.json", cwd=tmp_path, check=False
    )
    assert busy.returncode == 1 and f"port {port} is in use" in busy.stderr
    assert not (tmp_path / "other.json").exists()
    kabuto("chain", "down", cwd=tmp_path)
    down = kabuto("chain", "down", cwd=tmp_path, check=False)
    assert down.returncode == 1 and "no chain runs on" in down.stderr


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_a_busy_port_held_by_another_program_is_refused(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(
            app, ["chain", "up", "--port", str(port), "--state", str(tmp_path / "s.json")]
        )
    assert result.exit_code == 1
    assert f"port {port} is in use" in result.output and "Traceback" not in result.output


def test_a_bad_argument_is_refused_before_any_chain_starts(tmp_path: Path) -> None:
    state, manifest = tmp_path / "state.json", tmp_path / "deployment.json"
    args = ["deploy", "--state", str(state), "--manifest", str(manifest)]
    result = runner.invoke(app, [*args, "--issuer", "notanaddress"])
    assert result.exit_code == 1
    assert "InputError" in result.output and "'notanaddress' is not an address" in result.output
    assert not state.exists() and not manifest.exists()


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_a_deployment_that_fails_midway_leaves_the_state_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment is all or nothing on the embedded chain: one that fails after some contracts
    are mined leaves the state file byte for byte as it was, and the manifest untouched."""
    state, manifest = tmp_path / "state.json", tmp_path / "deployment.json"
    args = ["deploy", "--state", str(state), "--manifest", str(manifest)]
    assert runner.invoke(app, args).exit_code == 0
    before_state, before_manifest = state.read_bytes(), manifest.read_bytes()

    real = cli.deploy

    def failing(*a, progress, **kw):  # the node refuses a transaction halfway through
        def told(message: str) -> None:
            progress(message)
            if "collateral vault" in message:
                raise TransactionFailed("the node dropped the connection (simulated)")

        return real(*a, progress=told, **kw)

    monkeypatch.setattr(cli, "deploy", failing)
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 1 and "TransactionFailed" in result.output
    assert "nothing deployed" in result.output
    assert state.read_bytes() == before_state and manifest.read_bytes() == before_manifest


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_deploy_keeps_a_manifest_in_use_unless_forced(tmp_path: Path) -> None:
    state, manifest = tmp_path / "state.json", tmp_path / "deployment.json"
    args = ["deploy", "--state", str(state), "--manifest", str(manifest)]
    assert runner.invoke(app, args).exit_code == 0
    first = json.loads(manifest.read_text())
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "already records a deployment" in again.output
    assert json.loads(manifest.read_text()) == first
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((tmp_path / "deployment.json.previous").read_text()) == first
    assert json.loads(manifest.read_text())["contracts"] != first["contracts"]


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_deploy_then_status_share_the_embedded_chain_through_its_state_file(tmp_path) -> None:
    state, manifest = tmp_path / "state.json", tmp_path / "deployment.json"
    args = ["--state", str(state), "--manifest", str(manifest)]
    result = runner.invoke(app, ["deploy", "--state", str(state), "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    assert "deployed" in result.output and manifest.exists()
    assert json.loads(manifest.read_text())["chainId"] == 31337
    status = runner.invoke(app, ["status", *args], env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    for word in ("JGB374", "Participants", "Balances", "total supply", "Collateral vault"):
        assert word in status.output


def test_status_without_a_manifest_says_what_to_do(tmp_path) -> None:
    result = runner.invoke(app, ["status", "--manifest", str(tmp_path / "none.json")])
    assert result.exit_code == 1
    assert "kabuto deploy" in result.output


def test_rpc_that_does_not_answer_is_a_clear_error(tmp_path) -> None:
    result = runner.invoke(
        app, ["deploy", "--rpc", "http://127.0.0.1:9", "--manifest", str(tmp_path / "m.json")]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "ChainUnavailable: no chain answers at http://127.0.0.1:9: connection refused (is the "
        "node running?)"
    ]  # one line, not the connection pool's nested repr


def test_reconcile_passes_on_a_clean_ledger_and_fails_naming_a_break(market, tmp_path) -> None:
    w = market.world
    manifest = w.deployment.save(tmp_path / "deployment.json")
    args = ["reconcile", "--rpc", w.chain.url, "--manifest", str(manifest)]
    w.member_a.deposit("JPY", 600_000)
    clean = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert clean.exit_code == 0, clean.output
    assert "the books reconcile" in clean.output and "600,000" in clean.output
    w.member_b.transfer("JPY", w.deployment.vault.address, 1)  # in the balance, in no account
    broken = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert broken.exit_code == 1
    assert "1 break(s)" in broken.output and "600,001" in broken.output


def test_participant_verbs_act_as_named_and_refuse_typed_with_nothing_changed(
    market, tmp_path: Path
) -> None:
    """Deposit and withdraw as a member, a margin run and a member's calls, on the session's chain
    (`--rpc`); each refusal one typed line, exit 1, no block mined and no balance moved."""
    w = market.world
    d = w.deployment
    manifest = d.save(tmp_path / "deployment.json")
    on = ["--rpc", w.chain.url, "--manifest", str(manifest)]

    def run(*args: str) -> object:
        return runner.invoke(app, [*args, *on], env={"COLUMNS": "120"})

    paid = run("deposit", "JPY", "600000", "--as", "member-a")
    assert paid.exit_code == 0, paid.output
    assert "600,000 JPY deposited into member-a house account" in paid.output
    assert d.vault.holdings(market.house_a)["JPY"] == 600_000
    called = run("margin", "run", "-r", "member-a=1000000", "--json")
    assert called.exit_code == 0, called.output
    issued = json.loads(called.output)["calls"]
    assert [(c["account_label"], c["shortfall_jpy"]) for c in issued] == [
        ("member-a house", 400_000)
    ]
    mine = json.loads(run("calls", "--member", "member-a", "--open", "--json").output)
    assert [c["id"] for c in mine] == [issued[0]["id"]]
    assert json.loads(run("calls", "--member", "member-b", "--json").output) == []

    nobody = run("calls", "--member", "nobody", "--json")
    assert nobody.exit_code == 1 and nobody.stdout == ""  # --json output stays JSON
    assert "ParticipantNotFound" in nobody.stderr
    again = run("margin", "run")
    assert "no new call: no account is short of more than its open calls ask" in again.output
    assert "Calls still open" in again.output
    assert json.loads(run("calls", "--member", "client-seg", "--json").stdout) == []
    run("margin", "run", "-r", "client-seg=60000000")  # more than its 50m of JPY could meet
    seg = json.loads(run("calls", "--member", "client-seg", "--json").stdout)
    assert [c["account_label"] for c in seg] == ["client-seg segregated"]

    block = w.chain.w3.eth.block_number
    jpy = w.balances("JPY")
    refusals = {
        ("withdraw", "JPY", "1", "--as", "member-a"): "VaultWithdrawalExceedsExcess",
        ("transfer", "JPY", "nobody", "1", "--as", "member-a"): "ParticipantNotFound",
        ("issue", "JPY", "member-a", "1.5", "--as", "issuer"): "InvalidAmount",
        ("deposit", "JPY", "1", "--as", "issuer"): "only clearing members and clients",
        ("deposit", "JPY", "1", "--as", "member-a", "--account", "omnibus"): "--account",
        ("deposit", "JPY", "1", "--as", "nobody"): "ParticipantNotFound",
        ("admit", "notanaddress", "x"): "is not an address",
        ("admit", MEMBER_A, "y", "--kind", "wizard"): "kind 'wizard' is not one of",
        ("admit", MEMBER_A, "z", "--kind", "client"): "needs its clearing member",
        ("admit", w.keys[9].address, "member-a"): "already has a participant named 'member-a'",
        ("issue", "JPY", "member-a", "-5", "--as", "issuer"): "JPY amount -5 is negative",
        ("margin", "run", "-r", "member-a"): "is not ACCOUNT=JPY",
        ("margin", "run", "--type", "monthly"): "--type 'monthly'",
        ("oracle", "prices", "JPY"): "is not SYMBOL=VALUE",
        ("oracle", "risk", "XYZ"): "AssetNotFound",
    }
    for args, said in refusals.items():
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert said in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert w.chain.w3.eth.block_number == block and w.balances("JPY") == jpy


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_a_detached_chain_that_cannot_start_says_why_and_fails(tmp_path: Path) -> None:
    """`chain up --detach` returns success only once its own chain answers: a state file Anvil
    cannot read, or a busy port, is the chain's own error, once, with exit code 1."""
    state = tmp_path / ".kabuto" / "chain-state.json"
    state.parent.mkdir()
    state.write_text("{not json")
    broken = kabuto("chain", "up", "--detach", "--port", str(free_port()), cwd=tmp_path,
                    check=False)  # fmt: skip
    assert broken.returncode == 1, broken.stdout
    assert "chain running" not in broken.stdout and "Anvil exited at start-up" in broken.stderr
    assert broken.stderr.count("ChainUnavailable") == 1
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = kabuto("chain", "up", "--detach", "--port", str(port), "--state", "new/s.json",
                      cwd=tmp_path, check=False)  # fmt: skip
    assert busy.returncode == 1 and busy.stderr.count("ChainUnavailable") == 1
    assert f"port {port} is in use" in busy.stderr and not (tmp_path / "new").exists()


@pytest.mark.anvil_only("the command line's embedded chain is an Anvil of its own")
def test_sigterm_during_a_deployment_leaves_the_state_as_it_was(tmp_path: Path) -> None:
    """A deployment stopped by SIGTERM halfway (its own embedded chain) is undone like one
    stopped by Ctrl-C: no state file where there was none, no manifest."""
    deploying = subprocess.Popen(
        [str(BIN / "kabuto"), "deploy"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "120"},
    )  # fmt: skip
    assert deploying.stdout is not None
    said = []
    for line in deploying.stdout:
        said.append(line)
        if "deploying JPY token" in line:  # contracts are being mined
            deploying.send_signal(signal.SIGTERM)
            break
    rest, _ = deploying.communicate(timeout=60)
    out = "".join(said) + rest
    assert deploying.returncode != 0, out
    assert "nothing deployed" in out and "deployed;" not in out
    assert not (tmp_path / ".kabuto" / "chain-state.json").exists()
    assert not (tmp_path / ".kabuto" / "deployment.json").exists()
