"""A chain restarted from its state file: one node per file, everything kept, and a clock that
never runs backwards (a call overdue before the restart is still past its deadline after)."""

from __future__ import annotations

import time

import pytest

from pyclient import AccountKind, CallType, Ccp, Kind, Oracle, RiskParameters, deploy
from pyclient.chain import devnet
from pyclient.chain.anvil import EmbeddedAnvil, running_chain
from pyclient.chain.client import Chain
from pyclient.deployment import attach
from pyclient.errors import ChainUnavailable

pytestmark = pytest.mark.anvil_only("a state file belongs to the embedded Anvil")


def test_a_restarted_chain_keeps_its_ledger_and_its_clock(tmp_path) -> None:
    state = tmp_path / "chain-state.json"
    with Chain.connect(state_file=str(state)) as chain:
        keys = chain.dev_accounts(3)
        d = deploy(chain, keys[0])
        ccp = Ccp(d, keys[0])
        ccp.register.admit(keys[1].address, Kind.CLEARING_MEMBER, "member-a")
        Oracle(d, keys[0]).publish_prices({"JPY": 1})
        Oracle(d, keys[0]).set_risk_parameters({"JPY": RiskParameters(haircut_bps=0)})
        house = ccp.margin.open_account("member-a", AccountKind.HOUSE).value
        ccp.margin.post_requirements({house: 1_000_000}, run_id="restart")
        call = ccp.margin.issue_margin_calls([house], CallType.REGULAR).value.calls[0]
        devnet.increase_time(chain, 3 * 86_400)  # past the deadline, by the chain's clock
        Oracle(d, keys[0]).publish_prices({"JPY": 1})  # a price as fresh as the clock
        before = chain.w3.eth.get_block("latest")["timestamp"]
        d.save(tmp_path / "deployment.json")
    assert before > time.time() + 2 * 86_400

    with Chain.connect(state_file=str(state)) as chain:
        d = attach(tmp_path / "deployment.json", chain)
        assert d.participant("member-a").kind is Kind.CLEARING_MEMBER
        assert d.vault.account(house).requirement_jpy == 1_000_000
        devnet.mine(chain)
        assert chain.w3.eth.get_block("latest")["timestamp"] > before  # not back to wall time
        marked = Ccp(d, chain.dev_accounts(1)[0]).margin.mark_overdue([call.id]).value
        assert [c.id for c in marked.calls] == [call.id] and not marked.skipped


def test_one_node_per_state_file(tmp_path) -> None:
    state = tmp_path / "chain-state.json"
    with EmbeddedAnvil(state_file=state) as node:
        assert running_chain(state) == node.url  # where every other user of the file goes
        attached = Chain.connect(state_file=str(state))
        assert attached.node is None and attached.url == node.url
        with pytest.raises(ChainUnavailable, match="a chain already runs on"):
            EmbeddedAnvil(state_file=state).start()
        assert node.running
    assert running_chain(state) is None
    again = EmbeddedAnvil(state_file=state).start()  # the lock went with the node
    again.stop()
