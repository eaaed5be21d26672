"""Compile the contracts and refresh `pyclient/artifacts/` (run by `make compile`)."""

from __future__ import annotations

import time

from pyclient.compiler import ARTIFACTS_DIR, compile_contracts, find_solc, write_artifacts


def main() -> None:
    solc = find_solc()
    started = time.monotonic()
    print(f"compiling with {solc} ...", flush=True)
    result = compile_contracts(solc=solc)
    write_artifacts(result)
    elapsed = time.monotonic() - started
    print(
        f"wrote {len(result.artifacts)} artifacts to {ARTIFACTS_DIR} "
        f"(solc {result.manifest['compiler']['build']}, {elapsed:.1f}s):"
    )
    for name, artifact in result.artifacts.items():
        size = (len(artifact["deployedBytecode"]) - 2) // 2
        print(f"  {name:<28} {size:>6} bytes  {artifact['sourceName']}")


if __name__ == "__main__":
    main()
