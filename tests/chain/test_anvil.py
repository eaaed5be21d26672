"""The embedded node's binary: which Anvil runs, named the way reports and bug reports need."""

from __future__ import annotations

import re

import pytest

from pyclient.chain.anvil import EmbeddedAnvil, anvil_version
from pyclient.chain.client import Chain

pytestmark = pytest.mark.anvil_only("the embedded Anvil's binary and its cache directory")

ANVIL_SAYS = """anvil Version: 1.7.1
Commit SHA: 4072e48705af9d93e3c0f6e29e93b5e9a40caed8
Build Timestamp: 2026-05-08T07:50:55.527285345Z (1778226655)
Build Profile: dist
"""


def test_the_version_is_the_release_and_the_short_commit(tmp_path) -> None:
    fake = tmp_path / "anvil"
    fake.write_text(f"#!/bin/sh\ncat <<'OUT'\n{ANVIL_SAYS}OUT\n")
    fake.chmod(0o755)
    assert anvil_version(fake) == "1.7.1 (4072e48705af)"


def test_the_installed_binary_reports_a_version_and_commit() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+\S* \([0-9a-f]{12}\)", anvil_version())


def test_the_node_keeps_its_spilled_history_in_its_own_directory_and_removes_it() -> None:
    """Anvil writes states older than its in-memory window to disk and never deletes them: by
    default under ~/.foundry, one directory per session, which once filled a disk. The embedded
    node gives it a directory of its own and removes it on stop."""
    with EmbeddedAnvil() as node:
        cache = node.cache_dir
        assert cache is not None and cache.is_dir()
        chain = Chain.connect(node.url)
        chain.w3.provider.make_request("anvil_mine", [hex(1_200)])  # past the in-memory window
        assert any(cache.rglob("*")), "Anvil spilled nothing: the test no longer exercises it"
    assert not cache.exists()
