"""The pinned toolchain: the solc shim behaves like native solc, and the artifacts are current."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from support import load_script

from pyclient import artifacts

TOOLS = Path(__file__).resolve().parents[2] / "tools"


if not (TOOLS / "compile.py").exists():
    pytest.skip("needs the repository checkout", allow_module_level=True)
compiler = load_script(TOOLS / "compile.py", "kabuto_tools_compile")

pytestmark = pytest.mark.skipif(not compiler.SHIM.exists(), reason="needs the repository checkout")


def run_shim(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(compiler.SHIM), *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_shim_reports_the_pinned_version_like_native_solc() -> None:
    out = run_shim("--version")
    assert out.returncode == 0
    assert f"Version: {compiler.SOLC_VERSION}+commit." in out.stdout


def test_shim_standard_json_prints_only_json_and_reads_imports_from_disk() -> None:
    source = (
        "pragma solidity 0.8.28;"
        ' import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";'
        ' contract T is ERC20 { constructor() ERC20("t", "t") {} }'
    )
    request = {
        "language": "Solidity",
        "sources": {"t.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    out = run_shim("--standard-json", "--base-path", ".", stdin=json.dumps(request))
    assert out.returncode == 0
    result = json.loads(out.stdout)  # nothing but JSON on stdout
    assert not [e for e in result.get("errors", []) if e["severity"] == "error"]
    assert "T" in result["contracts"]["t.sol"]


def test_compiler_resolution_honours_SOLC(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("SOLC", str(compiler.SHIM))
    assert compiler.find_solc() == compiler.SHIM
    monkeypatch.setenv("SOLC", str(tmp_path / "missing-solc"))
    with pytest.raises(compiler.CompilerNotFound):
        compiler.find_solc()


def test_committed_artifacts_match_the_sources() -> None:
    """Fails when a contract changed without `make compile`."""
    manifest = artifacts.manifest()
    current = compiler.sources_digest(compiler.collect_sources())
    stale = sorted(
        unit for unit in current.keys() | manifest["sources"].keys()
        if current.get(unit) != manifest["sources"].get(unit)
    )  # fmt: skip
    assert not stale, f"artifacts are stale for {stale}: run `make compile`"
    assert manifest["compiler"]["version"] == compiler.SOLC_VERSION
    assert manifest["compiler"]["settings"] == compiler.SETTINGS


def test_recompiling_yields_the_committed_bytecode() -> None:
    result = compiler.compile_contracts()
    assert set(result.artifacts) == set(artifacts.names())
    for name, fresh in result.artifacts.items():
        committed = artifacts.load(name)
        assert fresh["bytecode"] == committed.bytecode, f"{name}: run `make compile`"
        assert fresh["abi"] == committed.abi
    assert result.manifest == artifacts.manifest()
    assert result.access == artifacts.access(), "access.json is stale: run `make compile`"
    assert compiler.ACCESS_DOC.read_text() == compiler.render_access_doc(result.access), (
        "docs/access.md is stale: run `make compile`"
    )


def test_a_guard_on_a_role_outside_Roles_sol_fails_the_build(tmp_path) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(compiler.CONTRACTS_DIR, contracts)
    (contracts / "Stray.sol").write_text(
        "pragma solidity 0.8.28;"
        ' import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";'
        " contract Stray is AccessControl {"
        ' bytes32 private constant STRAY = keccak256("STRAY_ROLE");'
        " function poke() external onlyRole(STRAY) {} }"
    )
    with pytest.raises(compiler.CompilationFailed, match=r"Stray\.poke: its role is not"):
        compiler.compile_contracts(contracts)


FORGE = compiler.REPO_ROOT / "node_modules" / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"


@pytest.mark.skipif(not FORGE.exists(), reason="forge binary not installed")
def test_forge_builds_the_contracts_with_the_shim_as_its_solc(tmp_path) -> None:
    out = subprocess.run(
        [
            str(FORGE), "build", "--use", str(compiler.SHIM), "--offline", "--via-ir",
            "--optimize", "--optimizer-runs", "200",  # as tools/compile.py compiles
            "--contracts", "contracts", "--out", str(tmp_path / "out"),
            "--cache-path", str(tmp_path / "cache"),
            "--remappings", "@openzeppelin/=node_modules/@openzeppelin/",
        ],
        # A guard against a hang, not a measure: a loaded 2-core machine needs minutes.
        cwd=compiler.REPO_ROOT, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    built = json.loads(
        (tmp_path / "out" / "CollateralVault.sol" / "CollateralVault.json").read_text()
    )
    assert built["bytecode"]["object"].startswith("0x60")


def test_every_contract_fits_the_deployed_code_limit_of_eip_170() -> None:
    """Every network Kabuto targets refuses deployed code over 24,576 bytes (the vault needed the
    IR pipeline to fit, docs/architecture.md): a contract that outgrows it is split by concern."""
    for name in artifacts.names():
        raw = json.loads((artifacts.ARTIFACTS_DIR / f"{name}.json").read_text())
        size = (len(raw["deployedBytecode"]) - 2) // 2
        assert size <= 24_576, f"{name}: {size:,} bytes of deployed code, over EIP-170's 24,576"
