"""Load the compiled contracts shipped in `pyclient/artifacts/` (written by `tools/compile.py`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
# JSON files beside the contract artifacts that describe the build rather than one contract.
_NOT_CONTRACTS = frozenset({"manifest", "access"})


@dataclass(frozen=True)
class Artifact:
    """ABI and bytecode of one deployable contract."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    userdoc: dict[str, Any]

    @property
    def sha256(self) -> str:
        """Hash of the creation bytecode, recorded in deployment manifests."""
        return hashlib.sha256(self.bytecode.encode()).hexdigest()


@cache
def load(name: str) -> Artifact:
    """The artifact of contract `name`; KeyError names the contracts that exist."""
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.exists():
        raise KeyError(f"no artifact {name!r}; known: {', '.join(names())}")
    raw = json.loads(path.read_text())
    return Artifact(
        name=raw["contractName"],
        source=raw["sourceName"],
        abi=raw["abi"],
        bytecode=raw["bytecode"],
        userdoc=raw.get("userdoc", {}),
    )


@cache
def names() -> tuple[str, ...]:
    """Every contract with an artifact."""
    return tuple(
        sorted(p.stem for p in ARTIFACTS_DIR.glob("*.json") if p.stem not in _NOT_CONTRACTS)
    )


@cache
def manifest() -> dict[str, Any]:
    """The build manifest: compiler, settings, source hashes."""
    return json.loads((ARTIFACTS_DIR / "manifest.json").read_text())


@cache
def access() -> dict[str, Any]:
    """The access table: roles and, per contract, the role each restricted function needs."""
    return json.loads((ARTIFACTS_DIR / "access.json").read_text())
