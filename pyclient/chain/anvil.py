"""The embedded chain: an Anvil node started from the project's node_modules.

`pyclient` starts one when it is given no RPC URL, so a participant can try every workflow with
nothing but Python and the npm-installed binary. Production connects to a permissioned EVM network
instead (see `pyclient.chain.client.connect`); nothing outside this module and the test helpers in
`pyclient.chain.devnet` knows that Anvil exists.
"""

from __future__ import annotations

import atexit
import ctypes
import fcntl
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..errors import ChainUnavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_CHAIN_ID = 31337
BLOCK_GAS_LIMIT = 30_000_000
PR_SET_PDEATHSIG = 1  # prctl(2)
STATE_INTERVAL = 5  # seconds between saves of a persisted chain, so a crash loses at most these


def find_anvil() -> Path:
    """`$KABUTO_ANVIL`, else the npm platform package's binary, else `anvil` on PATH."""
    env = os.environ.get("KABUTO_ANVIL")
    if env:
        return Path(env)
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = platform.system().lower()
    packaged = (
        REPO_ROOT / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
    )
    if packaged.exists():
        return packaged
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise ChainUnavailable(
        "no Anvil binary: run `npm ci` in the Kabuto checkout, set $KABUTO_ANVIL, "
        "or pass an RPC URL to use an existing chain"
    )


def anvil_version(binary: str | os.PathLike[str] | None = None) -> str:
    """The version of an Anvil binary (default: the one `find_anvil` picks) and its commit, as
    `1.7.1 (4072e48705af)`: what a benchmark or a bug report names the node by."""
    out = subprocess.run(
        [str(binary or find_anvil()), "--version"], capture_output=True, text=True, check=True
    ).stdout
    fields = {
        k.strip(): v.strip() for k, v in (ln.split(":", 1) for ln in out.splitlines() if ":" in ln)
    }
    version = fields.get("anvil Version", out.strip())
    commit = fields.get("Commit SHA", "")[:12]
    return f"{version} ({commit})" if commit else version


def free_port() -> int:
    """A TCP port on loopback that nothing is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    """Whether something already listens on `port` of loopback (another chain, say)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds: past TIME_WAIT
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], timeout: float, name: str
) -> None:
    """Return once the node `process` runs answers JSON-RPC at `url`; `ChainUnavailable` if it
    exits first (with what it said) or has not answered within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    body = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}'
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            said = err.strip()[-1_000:] or "no output"
            raise ChainUnavailable(f"{name} exited at start-up: {said}")
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise ChainUnavailable(f"{name} did not answer on {url} within {timeout:.0f}s")


def terminate(process: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """Stop a node with SIGTERM (Anvil saves its state on it), killing it if it has not exited
    after `grace` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _stop_with_parent() -> None:
    """In the node's process before it runs: on Linux, ask for SIGTERM when the Python process
    that started it dies, however it dies (killed, say), so no orphan node keeps the port and
    writes over the state file that a later node loads (SIGTERM: Anvil saves, then exits)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class StateLock:
    """One node per state file: the node that runs a state file holds an exclusive lock on
    `<state file>.lock`, which also says where it answers, so another process uses that node
    instead of starting a second one that would overwrite the file when it stops.

    The lock is the operating system's (`flock`): it goes when its process does, even killed, so
    a stale lock file never blocks anyone."""

    def __init__(self, state_file: str | os.PathLike[str]) -> None:
        state = Path(state_file)
        self.path = state.with_name(state.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock (recording this process); False if another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        self._record({"pid": os.getpid()})
        return True

    def announce(self, url: str) -> None:
        """Say where the node answers, once it does: until then nobody is sent to it."""
        self._record({"pid": os.getpid(), "url": url})

    def _record(self, what: dict[str, object]) -> None:
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(what).encode(), 0)
        os.fsync(self._fd)

    def holder(self) -> dict[str, object] | None:
        """`{"url", "pid"}` of the node another process runs on this state file, or None."""
        if self._fd is not None or not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # held: read who holds it
                try:
                    return json.loads(self.path.read_text() or "{}") or None
                except ValueError:
                    return None
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def running_chain(state_file: str | os.PathLike[str], *, wait: float = 0.0) -> str | None:
    """The URL of the node another process runs on `state_file`, or None if none runs it. A node
    still starting has the file but no URL yet: with `wait`, its URL is waited for that many
    seconds (then None, and starting another node on the file is refused)."""
    deadline = time.monotonic() + wait
    while True:
        holder = StateLock(state_file).holder()
        if holder and holder.get("url"):
            return str(holder["url"])
        if not holder or time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


class EmbeddedAnvil:
    """An Anvil process owned by this Python process; stopped at exit.

    With `state_file`, the chain is loaded from it when it exists, saved to it every
    `STATE_INTERVAL` seconds and when the node stops, so deployments and balances survive a
    restart, and even a crash loses only the last seconds; while it runs it holds the file's
    `StateLock`, so no second node runs (and later overwrites) the same file. With
    `genesis_timestamp` (unix seconds), the chain's clock starts then rather than now: a story set
    on a fixed date.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        state_file: str | os.PathLike[str] | None = None,
        accounts: int = 20,
        chain_id: int = DEV_CHAIN_ID,
        genesis_timestamp: int | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.port = port or free_port()
        self.state_file = Path(state_file) if state_file else None
        self.accounts = accounts
        self.chain_id = chain_id
        self.genesis_timestamp = genesis_timestamp
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = StateLock(self.state_file) if self.state_file else None
        self.cache_dir: Path | None = None  # where Anvil spills old states; removed on stop

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> EmbeddedAnvil:
        if self.running:
            return self
        if self._lock is not None and not self._lock.acquire():
            where = running_chain(self.state_file or "") or "another process"
            raise ChainUnavailable(
                f"a chain already runs on {self.state_file} (at {where}): use it, or stop it first"
            )
        if port_in_use(self.port):
            self._release()
            raise ChainUnavailable(
                f"port {self.port} is in use (another chain?): stop what listens there or choose "
                "another port"
            )
        cmd = [
            str(find_anvil()),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self.accounts),
            "--balance", "1000000",
            "--gas-limit", str(BLOCK_GAS_LIMIT),
            "--mnemonic", DEV_MNEMONIC,
            "--silent",
        ]  # fmt: skip
        if self.genesis_timestamp is not None:
            cmd += ["--timestamp", str(self.genesis_timestamp)]
        if self.state_file:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            cmd += ["--state", str(self.state_file), "--state-interval", str(STATE_INTERVAL)]
        # Past a few hundred blocks Anvil writes older states to disk, by default under
        # ~/.foundry/anvil/tmp, and never removes them: every session would leave its chain's
        # history there (tens of gigabytes over a few days of test runs). A directory of the
        # node's own, removed when it stops, keeps that history for as long as the node runs.
        self.cache_dir = Path(tempfile.mkdtemp(prefix="kabuto-anvil-"))
        cmd += ["--cache-path", str(self.cache_dir)]
        self._process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_stop_with_parent,
        )
        atexit.register(self.stop)
        self._wait_ready()
        self._keep_clock()
        if self._lock is not None:
            self._lock.announce(self.url)
        return self

    def _keep_clock(self) -> None:
        """A chain loaded from its state file carries on from its last block's time: Anvil
        restarts its clock from the wall clock, so a chain whose clock had been moved forward (a
        story, a test) would go back in time, and a deadline already passed would not be again.
        Time never runs backwards: the clock resumes one second after the last block."""
        if not (self.state_file and self.state_file.exists()):
            return
        latest = int(self._rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        if latest >= int(time.time()):
            self._rpc("evm_setTime", [latest + 1])

    def _rpc(self, method: str, params: list[object]) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise ChainUnavailable(f"{method} failed on {self.url}: {answer['error']}")
        return answer["result"]

    def stop(self) -> None:
        """Stop the node; with a state file, Anvil writes the chain to it before exiting."""
        process, self._process = self._process, None
        if process is not None:
            terminate(process)
        if self.cache_dir is not None:
            shutil.rmtree(self.cache_dir, ignore_errors=True)
            self.cache_dir = None
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def _wait_ready(self) -> None:
        assert self._process is not None
        try:
            wait_until_answering(self.url, self._process, self.startup_timeout, "Anvil")
        except ChainUnavailable:
            self.stop()
            raise

    def __enter__(self) -> EmbeddedAnvil:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
