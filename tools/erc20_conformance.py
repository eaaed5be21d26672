"""Check that the permissioned token is an ERC-20 (`make lint`), failing only on real breaches.

A development tool, like `tools/compile.py`. It runs slither's `slither-check-erc` for ERC20 on
`PermissionedToken` (which also reports the tokens built on it, GoodsPool and JdrToken) over the
build that `slither .` has just made (`--ignore-compile`), and sorts what it reports:

* a deviation Kabuto accepts by design is printed with the reason, in ACCEPTED below;
* anything else (a missing function or event, a wrong return type, a getter that is not a view,
  an unindexed event parameter) fails the lint.

slither-check-erc exits 0 whatever it finds, hence this wrapper. Its checks are about the
interface: that a transfer can be refused (an inactive participant, a frozen account or token, a
pause) is Kabuto's rule on top of ERC-20, which permits a transfer to revert, and it reports
nothing about it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECK_ERC = Path(sys.executable).with_name("slither-check-erc")
CONTRACT = "PermissionedToken"

ACCEPTED = {
    "lack_of_erc20_race_condition_protection": (
        "no increaseAllowance/decreaseAllowance: OpenZeppelin 5's ERC20 dropped them; the race "
        "needs a spender that front-runs a change of allowance, and Kabuto's spenders are its own "
        "contracts, which take only what the owner's call or consent names (EIP-20's advice, "
        "set the allowance to 0 first, holds for any other spender)"
    ),
}


def main() -> int:
    run = subprocess.run(
        [str(CHECK_ERC), ".", CONTRACT, "--erc", "ERC20", "--ignore-compile", "--json", "-"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stdout + run.stderr, file=sys.stderr)
        print(f"slither-check-erc gave no report on {CONTRACT} (run `slither .` first)")
        return 1
    if not report.get("success"):
        print(f"slither-check-erc failed on {CONTRACT}: {report.get('error')}")
        return 1
    found = report["results"]["erc-conformance"]
    breaches = 0
    for kind, items in sorted(found.items()):
        if not items:
            continue
        mark = "accepted  " if kind in ACCEPTED else "BREACH    "
        for item in items:
            print(mark + item["description"].strip())
        if kind in ACCEPTED:
            print(f"          by design: {ACCEPTED[kind]}")
        else:
            breaches += len(items)
    verdict = f"{breaches} breach(es)" if breaches else "conforms (deviations above are by design)"
    print(f"ERC20 conformance of {CONTRACT} and the tokens built on it: {verdict}")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
