"""The SDK's layers import only downward (docs/architecture.md), and nothing in it needs tools/.

Each pyclient module is given a layer; a module may import from its own layer and the ones below.
A new module must be placed here, so its place in the picture is a decision, not an accident.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PYCLIENT = Path(__file__).resolve().parents[1] / "pyclient"

# Lowest first. A module is matched by its longest listed prefix.
LAYERS: list[tuple[str, ...]] = [
    ("pyclient.artifacts", "pyclient.abi", "pyclient.errors", "pyclient.units", "pyclient.clock",
     "pyclient.enums"),
    (
        "pyclient.access.registry", "pyclient.access.permissions", "pyclient.access",
        "pyclient.tokens", "pyclient.oracle", "pyclient.collateral", "pyclient.default",
        "pyclient.margin.calendar",
        "pyclient.margin.risk", "pyclient.margin.clearing_fund", "pyclient.margin.futures",
        "pyclient.margin", "pyclient.chain", "pyclient.events", "pyclient.valuation",
        "pyclient.jdr", "pyclient.goods", "pyclient.etf",
    ),
    ("pyclient.contracts",),
    ("pyclient.deployment",),
    ("pyclient.views", "pyclient.reconcile"),
    ("pyclient.margin.engine",),
    ("pyclient.roles",),
    ("pyclient.tables", "pyclient.goods_tables", "pyclient.etf_tables", "pyclient.cli",
     "pyclient.narration"),
    ("pyclient",),  # the package's __init__: the public surface, above everything
]  # fmt: skip


def layer_of(module: str) -> int:
    matches = [
        (len(prefix), i)
        for i, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    if not matches:
        raise AssertionError(f"{module} has no layer in tests/test_layers.py: place it")
    return max(matches)[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(PYCLIENT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(name: str, source: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module) of every pyclient import in the source of module `name`."""
    package = name if is_package else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            targets = [target]
            # `from . import errors` imports a module, not a name of the package.
            if not node.module:
                targets = [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, t) for t in targets if t == "pyclient" or t.startswith("pyclient.")]
    return found


MODULES = sorted(PYCLIENT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_a_module_imports_only_its_layer_and_below(path: Path) -> None:
    name = module_name(path)
    assert not upward(name, path.read_text(), is_package=path.name == "__init__.py")


def upward(name: str, source: str, *, is_package: bool = False) -> list[str]:
    own = layer_of(name)
    return [
        f"line {line}: {target} (layer {layer_of(target)} > {own})"
        for line, target in imports(name, source, is_package=is_package)
        if layer_of(target) > own
    ]


def test_the_installed_package_needs_nothing_from_tools_or_scripts() -> None:
    for path in MODULES:
        text = path.read_text()
        for line, target in ((n, line) for n, line in enumerate(text.splitlines(), 1)):
            stripped = target.strip()
            if stripped.startswith(("import ", "from ")):
                assert "tools" not in stripped.split() and "scripts" not in stripped.split(), (
                    f"{path}:{line} imports a development tool"
                )


def test_the_layer_check_sees_an_upward_import() -> None:
    """The check itself can fail: the engine importing a role, as it once did, is caught."""
    assert upward("pyclient.margin.engine", "from ..roles import Ccp\n") == [
        "line 1: pyclient.roles (layer 6 > 5)"
    ]
    assert upward("pyclient.collateral.vault", "from ..margin.engine import MarginEngine\n")
    assert upward("pyclient.deployment", "from . import cli\n")
    assert not upward("pyclient.contracts.vault", "from ..margin.calendar import call_deadline\n")
