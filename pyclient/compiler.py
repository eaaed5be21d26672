"""Compile Kabuto's Solidity sources into the artifacts that `pyclient` ships.

Participants never run this: the ABI and bytecode of every deployable contract are committed in
`pyclient/artifacts/`, with a manifest that records the compiler, the settings and a hash of every
source, so deploying needs neither Node nor solc. Developers run it (`make compile`) after changing
a contract; a test recompiles and fails when the committed artifacts are stale.

The compiler is found in this order: `$SOLC`; a native solc of the pinned version that py-solc-x
has already installed; the repository's `scripts/solc`, a node shim over the npm `solc` package.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

SOLC_VERSION = "0.8.28"
REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"
NODE_MODULES = REPO_ROOT / "node_modules"
SHIM = REPO_ROOT / "scripts" / "solc"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
MANIFEST_NAME = "manifest.json"

# One set of settings for every build: the manifest records it and the staleness test compares it.
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 1000},
    "evmVersion": "cancun",
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "userdoc"]}
    },
}

# Import prefixes that resolve into node_modules (npm packages).
_PACKAGE_PREFIXES = ("@openzeppelin/",)
_IMPORT_RE = re.compile(r"""^\s*import\s+(?:[^;]*?\sfrom\s+)?["']([^"']+)["']\s*;""", re.M | re.S)


class CompilerNotFound(RuntimeError):
    """No usable solc: neither $SOLC, an installed native solc, nor the node shim."""


class CompilationFailed(RuntimeError):
    """solc reported errors; the message carries its formatted diagnostics."""


@dataclass(frozen=True)
class BuildResult:
    """What one compilation produced: artifacts per contract and the manifest describing them."""

    artifacts: dict[str, dict[str, Any]]
    manifest: dict[str, Any]


def find_solc() -> Path:
    """Return the solc to use, following the documented resolution order."""
    env = os.environ.get("SOLC")
    if env:
        path = Path(env)
        if not path.exists():
            raise CompilerNotFound(f"$SOLC points at {path}, which does not exist")
        return path
    if any(str(v) == SOLC_VERSION for v in solcx.get_installed_solc_versions()):
        return Path(solcx.get_executable(SOLC_VERSION))
    if SHIM.exists() and (NODE_MODULES / "solc").is_dir():
        return SHIM
    raise CompilerNotFound(
        f"no solc {SOLC_VERSION}: set $SOLC, or run `npm ci` in {REPO_ROOT} for the node shim"
    )


def collect_sources(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, str]:
    """Read every contract and, transitively, every file it imports, keyed by source unit name."""
    sources: dict[str, str] = {}
    pending = [p.relative_to(contracts_dir.parent).as_posix() for p in contracts_dir.rglob("*.sol")]
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        text = _source_path(unit, contracts_dir.parent).read_text(encoding="utf-8")
        sources[unit] = text
        for imported in _IMPORT_RE.findall(text):
            pending.append(_resolve_import(unit, imported))
    return dict(sorted(sources.items()))


def sources_digest(sources: dict[str, str]) -> dict[str, str]:
    """SHA-256 of each source unit's text."""
    return {unit: hashlib.sha256(text.encode()).hexdigest() for unit, text in sources.items()}


def compile_contracts(contracts_dir: Path = CONTRACTS_DIR, solc: Path | None = None) -> BuildResult:
    """Compile every contract under `contracts_dir` and return artifacts plus manifest."""
    solc = solc or find_solc()
    sources = collect_sources(contracts_dir)
    standard_input = {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": SETTINGS,
    }
    try:
        output = solcx.compile_standard(standard_input, solc_binary=solc)
    except SolcError as exc:
        raise CompilationFailed(str(exc)) from exc
    version = str(solcx.wrapper.get_solc_version(solc, with_commit_hash=True))

    own_prefix = contracts_dir.name + "/"
    artifacts: dict[str, dict[str, Any]] = {}
    for unit, contracts in output["contracts"].items():
        if not unit.startswith(own_prefix):
            continue
        for name, out in contracts.items():
            bytecode = out["evm"]["bytecode"]["object"]
            # Interfaces and abstract contracts deploy nothing; internal-only libraries are inlined.
            if not bytecode or not out["abi"]:
                continue
            if name in artifacts:
                raise CompilationFailed(f"two deployable contracts are named {name}")
            artifacts[name] = {
                "contractName": name,
                "sourceName": unit,
                "abi": out["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + out["evm"]["deployedBytecode"]["object"],
                "userdoc": out.get("userdoc", {}),
            }
    digests = sources_digest(sources)
    manifest = {
        "compiler": {"version": version.split("+")[0], "build": version, "settings": SETTINGS},
        "sourcesHash": _hash_json(digests),
        "sources": digests,
        "contracts": {
            name: {
                "sourceName": a["sourceName"],
                "bytecodeSha256": hashlib.sha256(a["bytecode"].encode()).hexdigest(),
            }
            for name, a in sorted(artifacts.items())
        },
    }
    return BuildResult(artifacts=dict(sorted(artifacts.items())), manifest=manifest)


def write_artifacts(result: BuildResult, out_dir: Path = ARTIFACTS_DIR) -> None:
    """Replace the artifacts in `out_dir` with `result` (stale files of removed contracts go)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.json"):
        old.unlink()
    for name, artifact in result.artifacts.items():
        (out_dir / f"{name}.json").write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
    (out_dir / MANIFEST_NAME).write_text(
        json.dumps(result.manifest, indent=2, sort_keys=True) + "\n"
    )


def _source_path(unit: str, root: Path) -> Path:
    if unit.startswith(_PACKAGE_PREFIXES):
        return NODE_MODULES / unit
    return root / unit


def _resolve_import(importer: str, imported: str) -> str:
    if imported.startswith("."):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), imported))
    return imported


def _hash_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
