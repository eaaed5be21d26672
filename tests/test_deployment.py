"""One-call deployment, its manifest, and attaching to it from another process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support import World

from pyclient import Ccp, Chain, artifacts, attach, errors


def test_manifest_describes_the_deployment(world: World, tmp_path) -> None:
    path = world.deployment.save(tmp_path / "deployment.json")
    m = json.loads(path.read_text())
    assert m["chainId"] == world.chain.chain_id
    assert m["deployBlock"] >= 1
    assert m["contracts"]["ParticipantRegistry"]["address"] == world.deployment.registry.address
    assert (
        m["contracts"]["ParticipantRegistry"]["bytecodeSha256"]
        == artifacts.load("ParticipantRegistry").sha256
    )
    assert set(m["assets"]) == {"JPY", "USD", "JGB374", "TYO7203", "SPY"}
    assert m["assets"]["JGB374"]["isin"] == "JP1103741003"
    assert m["sourcesHash"] == artifacts.manifest()["sourcesHash"]


def test_deploy_then_attach_from_a_fresh_process(world: World, tmp_path) -> None:
    path = world.deployment.save(tmp_path / "deployment.json")
    world.member_a.transfer("JPY", "member-b", 7)
    script = f"""
import json
from pyclient import Chain, attach
d = attach({str(path)!r}, Chain.connect({world.chain.url!r}))
a = d.participant("member-a")
print(json.dumps({{"name": a.name, "jpy": int(d.token("JPY").balance_of(a.address)),
                  "participants": [p.name for p in d.participants()]}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(out.stdout)
    assert seen["name"] == "member-a" and seen["jpy"] == 999_993
    assert "client-omni" in seen["participants"]


def test_attach_refuses_a_manifest_of_another_chain(world: World) -> None:
    m = world.deployment.manifest() | {"chainId": 1}
    with pytest.raises(errors.DeploymentMismatch, match="chain 1"):
        attach(m, world.chain)


def test_attach_refuses_addresses_without_a_contract(world: World) -> None:
    m = world.deployment.manifest()
    m["assets"]["JPY"]["address"] = world.outsider.address
    with pytest.raises(errors.DeploymentMismatch, match="JPY"):
        attach(m, world.chain)


def test_issuer_handover_leaves_the_operator_without_minting_power(world: World) -> None:
    for symbol in world.deployment.assets:
        token = world.deployment.token(symbol)
        assert token.has_role("ISSUER_ROLE", world.issuer)
        assert not token.has_role("ISSUER_ROLE", world.ccp)


def test_roles_work_through_an_attached_deployment(world: World) -> None:
    again = attach(world.deployment.manifest(), Chain.connect(world.chain.url))
    Ccp(again, world.ccp.signer).register.suspend("member-b", "via attach")
    assert world.deployment.participant("member-b").status.name == "SUSPENDED"
