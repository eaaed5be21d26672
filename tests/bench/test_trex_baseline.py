"""The benchmark's T-REX baseline deploys, and its verified investors can be minted to and trade.

`scripts/trex_baseline.py` deploys the T-REX v4 suite from the artifacts of its npm package; the
bench measures its mint and transfers against Kabuto's. Here the same suite is deployed on a
throwaway Anvil, in seconds rather than a whole bench run, so a break shows before `make bench`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import load_script

from pyclient import Chain

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


if not (SCRIPTS / "trex_baseline.py").exists():
    pytest.skip("needs the repository checkout", allow_module_level=True)
trex = load_script(SCRIPTS / "trex_baseline.py", "bench_trex_baseline")

pytestmark = [
    pytest.mark.skipif(
        not trex.TREX_ARTIFACTS.is_dir(), reason="needs @tokenysolutions/t-rex: run `npm ci`"
    ),
    pytest.mark.anvil_only("the baseline deploys on an embedded Anvil of its own"),
]


def test_a_suite_deploys_through_the_factory_and_its_investors_trade() -> None:
    with Chain.connect() as chain:
        deployer, alice, bob = chain.dev_accounts(3)
        suite = trex.deploy_trex(chain, deployer, [alice, bob])
        minted = trex.mint(suite, chain, alice.address, 1_000)
        cold = trex.transfer(suite, chain, alice, bob.address, 100)
        warm = trex.transfer(suite, chain, alice, bob.address, 100)
        balances = [suite.token.functions.balanceOf(a.address).call() for a in (alice, bob)]
        assert suite.token.functions.paused().call() is False
    assert balances == [800, 200]
    # The first transfer gives bob a balance (a storage slot from zero), the second adds to it.
    assert minted > 0 and cold > warm > 0


def test_the_dvd_transfer_manager_swaps_two_tokens_between_their_investors() -> None:
    with Chain.connect() as chain:
        deployer, maker, taker = chain.dev_accounts(3)
        first, second = (trex.deploy_trex(chain, deployer, [maker, taker]) for _ in range(2))
        trex.mint(first, chain, maker.address, 1_000)
        trex.mint(second, chain, taker.address, 1_000)
        dvd = trex.deploy_dvd(chain, deployer)
        trex.approve(first, chain, maker, dvd.address, 1_000)
        trex.approve(second, chain, taker, dvd.address, 1_000)
        initiated, taken = trex.dvd_swap(chain, dvd, (maker, first, 100), (taker, second, 300))
        balances = [
            [suite.token.functions.balanceOf(a.address).call() for a in (maker, taker)]
            for suite in (first, second)
        ]
        allowance = first.token.functions.allowance(maker.address, dvd.address).call()
    # Both legs moved in the take, by transferFrom against the parties' allowances.
    assert balances == [[900, 100], [300, 700]]
    assert allowance == 900
    assert initiated > 0 and taken > initiated
