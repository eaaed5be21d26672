"""Compile Kabuto's Solidity sources into the artifacts that `pyclient` ships (`make compile`).

A development tool, kept out of the installed package: participants never run it. The ABI and
bytecode of every deployable contract are committed in `pyclient/artifacts/`, with a manifest that
records the compiler, the settings and a hash of every source, so deploying needs neither Node nor
solc. Developers run `python tools/compile.py` after changing a contract; a test recompiles and
fails when the committed artifacts are stale.

The same run writes the access table: from the solc AST it finds every external or public
function guarded by `onlyRole(...)`, names the role from `contracts/access/Roles.sol`, and writes
`pyclient/artifacts/access.json` (read by `pyclient.access.permissions`) and `docs/access.md`.

The compiler is found in this order: `$SOLC`; a native solc of the pinned version that py-solc-x
has already installed; `tools/solc`, a node shim over the npm `solc` package.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import posixpath
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from eth_utils import keccak
from solcx.exceptions import SolcError

SOLC_VERSION = "0.8.28"
REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"
NODE_MODULES = REPO_ROOT / "node_modules"
SHIM = REPO_ROOT / "tools" / "solc"
ARTIFACTS_DIR = REPO_ROOT / "pyclient" / "artifacts"
MANIFEST_NAME = "manifest.json"
ACCESS_NAME = "access.json"
ACCESS_DOC = REPO_ROOT / "docs" / "access.md"

# One set of settings for every build: the manifest records it and the staleness test compares it.
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "viaIR": True,
    "evmVersion": "cancun",
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "userdoc"]}
    },
}

# The roles library (source unit name) and OpenZeppelin's admin role, which guards grantRole and
# revokeRole: AccessControl makes it the admin of every role, and the build refuses any contract
# of ours that changes that with `_setRoleAdmin`, so the table can name it outright.
ROLES_UNIT = "contracts/access/Roles.sol"
ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"
ADMIN_ROLE_ENTRY = {
    "id": "0x" + "00" * 32,
    "notice": "Grants and revokes every role: OpenZeppelin AccessControl makes it the admin of "
    "each role, and no Kabuto contract changes that.",
    "holder": "The CCP's operator key, which deployment makes the admin of every contract.",
}

# Import prefixes that resolve into node_modules (npm packages).
_PACKAGE_PREFIXES = ("@openzeppelin/",)
_IMPORT_RE = re.compile(r"""^\s*import\s+(?:[^;]*?\sfrom\s+)?["']([^"']+)["']\s*;""", re.M | re.S)
_NATSPEC_TAG_RE = re.compile(r"@([\w:-]+)\s+(.*?)(?=\s@[\w:-]+\s|\Z)", re.S)


class CompilerNotFound(RuntimeError):
    """No usable solc: neither $SOLC, an installed native solc, nor the node shim."""


class CompilationFailed(RuntimeError):
    """solc reported errors, or the sources break a rule of the access table; says which."""


@dataclass(frozen=True)
class BuildResult:
    """What one compilation produced: artifacts per contract, their manifest, the access table."""

    artifacts: dict[str, dict[str, Any]]
    manifest: dict[str, Any]
    access: dict[str, Any]


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
        root = NODE_MODULES if unit.startswith(_PACKAGE_PREFIXES) else contracts_dir.parent
        sources[unit] = text = (root / unit).read_text(encoding="utf-8")
        for imported in _IMPORT_RE.findall(text):
            if imported.startswith("."):  # relative to the importing unit's directory
                imported = posixpath.normpath(posixpath.join(posixpath.dirname(unit), imported))
            pending.append(imported)
    return dict(sorted(sources.items()))


def sources_digest(sources: dict[str, str]) -> dict[str, str]:
    """SHA-256 of each source unit's text."""
    return {unit: hashlib.sha256(text.encode()).hexdigest() for unit, text in sources.items()}


def compile_contracts(contracts_dir: Path = CONTRACTS_DIR, solc: Path | None = None) -> BuildResult:
    """Compile every contract under `contracts_dir` and return artifacts, manifest, access table."""
    solc = solc or find_solc()
    sources = collect_sources(contracts_dir)
    # The AST feeds only the access table. Output selection does not change the bytecode, so the
    # manifest keeps recording SETTINGS, the settings that do.
    settings = copy.deepcopy(SETTINGS)
    settings["outputSelection"]["*"][""] = ["ast"]
    standard_input = {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": settings,
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
        "sourcesHash": hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest(),
        "sources": digests,
        "contracts": {
            name: {
                "sourceName": a["sourceName"],
                "bytecodeSha256": hashlib.sha256(a["bytecode"].encode()).hexdigest(),
            }
            for name, a in sorted(artifacts.items())
        },
    }
    asts = {unit: out["ast"] for unit, out in output["sources"].items()}
    deployable = {name: a["sourceName"] for name, a in artifacts.items()}
    access = access_table(asts, deployable, own_prefix)
    return BuildResult(dict(sorted(artifacts.items())), manifest, access)


def write_artifacts(result: BuildResult, out_dir: Path = ARTIFACTS_DIR) -> None:
    """Replace the artifacts in `out_dir` with `result` (stale files of removed contracts go)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.json"):
        old.unlink()
    for name, artifact in result.artifacts.items():
        (out_dir / f"{name}.json").write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
    for name, table in ((MANIFEST_NAME, result.manifest), (ACCESS_NAME, result.access)):
        (out_dir / name).write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")


# ------------------------------------------------------------------ access table


def access_table(
    asts: dict[str, dict[str, Any]], deployable: dict[str, str], own_prefix: str = "contracts/"
) -> dict[str, Any]:
    """Who may call what, read from the solc ASTs of every source unit.

    `deployable` maps each deployable contract to its source unit. The result has `roles` (every
    constant of `library Roles`: id, what it allows from `@dev`, who holds it from
    `@custom:holder`), `adminRole` (OpenZeppelin's DEFAULT_ADMIN_ROLE) and `contracts`: for each
    deployable contract, every external or public function it has or inherits that carries an
    `onlyRole(...)` modifier, mapped to the role's name.
    """
    nodes = {n["id"]: n for ast in asts.values() for n in _walk(ast)}
    roles, role_by_declaration = _roles(asts[ROLES_UNIT])
    own = [(u, n) for u, ast in asts.items() if u.startswith(own_prefix) for n in _walk(ast)]
    for unit, node in own:
        if node["nodeType"] == "Identifier" and node["name"] == "_setRoleAdmin":
            raise CompilationFailed(
                f"{unit} calls _setRoleAdmin: the access table assumes {ADMIN_ROLE} "
                "administers every role; teach tools/compile.py otherwise"
            )
        if _is_role_getter(node) and node["name"] != ADMIN_ROLE:
            # A `X_ROLE()` getter must publish the Roles constant hashed from its own name.
            where = f"{nodes[node['scope']]['name']}.{node['name']}"
            if _resolve_role(node["value"], nodes, role_by_declaration, where) != node["name"]:
                raise CompilationFailed(
                    f"{where} is not Roles.{node['name'].removesuffix('_ROLE')}"
                )

    contracts: dict[str, dict[str, str]] = {}
    for name, unit in sorted(deployable.items()):
        definition = next(n for n in _definitions(asts[unit]) if n["name"] == name)
        guarded: dict[str, str] = {}
        for fn in _callable_functions(definition, nodes):
            guards = [
                m
                for m in fn["modifiers"]
                if m.get("kind") == "modifierInvocation" and m["modifierName"]["name"] == "onlyRole"
            ]
            if not guards:
                continue
            where = f"{name}.{fn['name']}"
            if len(guards) > 1 or fn["name"] in guarded:
                raise CompilationFailed(f"{where}: one onlyRole per function name, please")
            guarded[fn["name"]] = _resolve_role(
                guards[0]["arguments"][0], nodes, role_by_declaration, where
            )
        contracts[name] = dict(sorted(guarded.items()))
    return {
        "roles": roles,
        "adminRole": {"name": ADMIN_ROLE, **ADMIN_ROLE_ENTRY},
        "contracts": contracts,
    }


def render_access_doc(access: dict[str, Any]) -> str:
    """The access table as Markdown: one row per restricted function, then the roles."""
    roles = {**access["roles"], ADMIN_ROLE: access["adminRole"]}
    lines = [
        "# Who may call what",
        "",
        "Generated by `make compile` (`tools/compile.py`) from the `onlyRole` guards of the",
        "contracts and the roles in `contracts/access/Roles.sol`; do not edit. The same table",
        "ships as `pyclient/artifacts/access.json`, read by `pyclient.access.permissions`.",
        "",
        "`grantRole` and `revokeRole` need the admin of the role in question: that is",
        f"`{ADMIN_ROLE}` for every role, OpenZeppelin's default, which no Kabuto contract",
        "changes (the compile step refuses `_setRoleAdmin`).",
        "",
        "| Contract | Function | Who may call | What the role allows |",
        "|---|---|---|---|",
    ]
    for contract, functions in access["contracts"].items():
        for function, role in functions.items():
            who = f"`{role}`"
            if function in ("grantRole", "revokeRole"):
                who += " (admin of the role)"
            lines.append(f"| {contract} | `{function}` | {who} | {roles[role]['notice']} |")
    unrestricted = [c for c, functions in access["contracts"].items() if not functions]
    if unrestricted:
        lines += ["", f"No restricted functions: {', '.join(unrestricted)}."]
    lines += ["", "## Roles", "", "| Role | Id | Held by |", "|---|---|---|"]
    for role in sorted(roles):
        lines.append(f"| `{role}` | `{roles[role]['id']}` | {roles[role]['holder']} |")
    return "\n".join(lines) + "\n"


def _roles(ast: dict[str, Any]) -> tuple[dict[str, dict[str, str]], dict[int, str]]:
    """The constants of `library Roles`, by role name, and the role name by declaration id."""
    library = next(n for n in _definitions(ast) if n["contractKind"] == "library")
    roles: dict[str, dict[str, str]] = {}
    by_declaration: dict[int, str] = {}
    for decl in library["nodes"]:
        if decl["nodeType"] != "VariableDeclaration":
            continue
        name, value = decl["name"], decl.get("value") or {}
        hashed = value.get("arguments") or [{}]
        role = hashed[0].get("value")
        if (
            value.get("nodeType") != "FunctionCall"
            or value["expression"].get("name") != "keccak256"
            or role != f"{name}_ROLE"
        ):
            raise CompilationFailed(f'Roles.{name} must be keccak256("{name}_ROLE")')
        tags = _natspec((decl.get("documentation") or {}).get("text", ""))
        if "dev" not in tags or "custom:holder" not in tags:
            raise CompilationFailed(
                f"Roles.{name} needs @dev (what it allows) and @custom:holder (who holds it)"
            )
        roles[role] = {
            "id": "0x" + keccak(text=role).hex(),
            "notice": tags["dev"],
            "holder": tags["custom:holder"],
        }
        by_declaration[decl["id"]] = role
    return roles, by_declaration


def _resolve_role(
    expr: dict[str, Any], nodes: dict[int, Any], role_by_declaration: dict[int, str], where: str
) -> str:
    """The role name an `onlyRole` argument (or a getter's value) stands for."""
    if expr["nodeType"] in ("Identifier", "MemberAccess"):
        declaration = expr.get("referencedDeclaration")
        if declaration in role_by_declaration:
            return role_by_declaration[declaration]
        decl = nodes.get(declaration, {})
        if decl.get("name") == ADMIN_ROLE:
            return ADMIN_ROLE
        if decl.get("nodeType") == "VariableDeclaration" and decl.get("constant"):
            return _resolve_role(decl["value"], nodes, role_by_declaration, where)
    if expr["nodeType"] == "FunctionCall" and expr["expression"].get("name") == "getRoleAdmin":
        return ADMIN_ROLE
    raise CompilationFailed(
        f"{where}: its role is not a constant of {ROLES_UNIT} (declare it there, use Roles.X)"
    )


def _callable_functions(contract: dict[str, Any], nodes: dict[int, Any]) -> Iterator[dict]:
    """External and public functions of `contract`, inherited ones included, most derived first.

    An override without a guard that calls `super.<its name>` keeps the guard of what it
    overrides (JdrToken's and GoodsPool's `grantRole`, which refuse the issuer role and then defer
    to AccessControl's): it is reported as the overridden function with its modifiers."""
    seen: set[str] = set()
    deferring: dict[str, dict[str, Any]] = {}  # selector -> the override that calls super
    for base in contract["linearizedBaseContracts"]:
        for fn in nodes[base]["nodes"]:
            if (
                fn["nodeType"] != "FunctionDefinition"
                or fn["kind"] != "function"
                or fn["visibility"] not in ("external", "public")
                or not fn["implemented"]
            ):
                continue
            selector = fn["functionSelector"]
            if selector in deferring and not _guarded(fn):
                continue  # still deferring further up
            if selector in deferring:
                deferring.pop(selector)
                yield fn
                continue
            if selector in seen:
                continue
            seen.add(selector)
            if not _guarded(fn) and _calls_super(fn):
                deferring[selector] = fn
                continue
            yield fn
    yield from deferring.values()  # deferred to nothing guarded: reported as they are


def _guarded(fn: dict[str, Any]) -> bool:
    return any(
        m.get("kind") == "modifierInvocation" and m["modifierName"]["name"] == "onlyRole"
        for m in fn["modifiers"]
    )


def _calls_super(fn: dict[str, Any]) -> bool:
    return any(
        n["nodeType"] == "MemberAccess"
        and n["memberName"] == fn["name"]
        and n["expression"].get("name") == "super"
        for n in _walk(fn.get("body") or {})
    )


def _definitions(ast: dict[str, Any]) -> list[dict[str, Any]]:
    """The contracts, interfaces and libraries a source unit defines, at its top level."""
    return [n for n in ast["nodes"] if n["nodeType"] == "ContractDefinition"]


def _is_role_getter(node: dict[str, Any]) -> bool:
    return (
        node["nodeType"] == "VariableDeclaration"
        and node.get("stateVariable", False)
        and node.get("constant", False)
        and node["visibility"] == "public"
        and node["name"].endswith("_ROLE")
    )


def _natspec(text: str) -> dict[str, str]:
    """NatSpec tags of a doc comment, each value on one line."""
    return {m[1]: " ".join(m[2].split()) for m in _NATSPEC_TAG_RE.finditer(text)}


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every AST node under `node` (itself included)."""
    if isinstance(node, dict):
        if "nodeType" in node and "id" in node:
            yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def main() -> None:
    solc = find_solc()
    started = time.monotonic()
    print(f"compiling with {solc} ...", flush=True)
    result = compile_contracts(solc=solc)
    write_artifacts(result)
    ACCESS_DOC.write_text(render_access_doc(result.access))  # the Markdown of access.json
    elapsed = time.monotonic() - started
    print(
        f"wrote {len(result.artifacts)} artifacts to {ARTIFACTS_DIR} "
        f"(solc {result.manifest['compiler']['build']}, {elapsed:.1f}s):"
    )
    for name, artifact in result.artifacts.items():
        size = (len(artifact["deployedBytecode"]) - 2) // 2
        print(f"  {name:<28} {size:>6} bytes  {artifact['sourceName']}")
    restricted = sum(len(functions) for functions in result.access["contracts"].values())
    print(f"wrote {ACCESS_NAME} and {ACCESS_DOC.relative_to(REPO_ROOT)}: {restricted} restricted")


if __name__ == "__main__":
    main()
