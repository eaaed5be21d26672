"""The `kabuto` command line: deploy, then status from another invocation."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pyclient.cli import app

runner = CliRunner()


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
    assert "ChainUnavailable" in result.output


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
