"""The node the suite runs on: the embedded Anvil (the default, `make test`), or Hardhat's EDR node
(`KABUTO_TEST_NODE=edr`, `make test-edr`), a second implementation of the same JSON-RPC.

Running the suite on both keeps `pyclient` honest about what it needs from a node: anything it
does on one and not the other is a finding. EDR comes from npm (`hardhat`, pinned with its
lockfile in `tools/edr/`, installed only by `make test-edr`), configured like the embedded Anvil:
chain id 31337, the development mnemonic, 30M gas blocks (`tools/edr/hardhat.config.cjs`).

A test that needs Anvil itself (the embedded node, its state file, the command line that runs it,
a method EDR does not answer) is marked `@pytest.mark.anvil_only("why")`; on EDR it is skipped
with that reason, so the skipped list says exactly what is not portable and why.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pyclient.chain.anvil import free_port, terminate, wait_until_answering
from pyclient.errors import ChainUnavailable

NODES = ("anvil", "edr")
EDR_DIR = Path(__file__).resolve().parents[1] / "tools" / "edr"
EDR_BIN = EDR_DIR / "node_modules" / ".bin" / "hardhat"


def node_kind() -> str:
    """Which node the session runs on, from `$KABUTO_TEST_NODE` (default: anvil)."""
    kind = os.environ.get("KABUTO_TEST_NODE", "anvil").strip().lower()
    if kind not in NODES:
        raise ChainUnavailable(f"KABUTO_TEST_NODE={kind!r}: choose one of {', '.join(NODES)}")
    return kind


class EdrNode:
    """Hardhat's EDR node in a process of its own, for the length of a test session."""

    def __init__(self, *, startup_timeout: float = 60.0) -> None:
        self.port = free_port()
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EdrNode:
        if not EDR_BIN.exists():
            raise ChainUnavailable(
                f"no EDR node at {EDR_BIN}: `make test-edr` installs it (npm ci in tools/edr)"
            )
        self._process = subprocess.Popen(
            [str(EDR_BIN), "node", "--hostname", "127.0.0.1", "--port", str(self.port),
             "--config", str(EDR_DIR / "hardhat.config.cjs")],
            cwd=EDR_DIR, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            wait_until_answering(self.url, self._process, self.startup_timeout, "the EDR node")
        except ChainUnavailable:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            terminate(process)

    def __enter__(self) -> EdrNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
