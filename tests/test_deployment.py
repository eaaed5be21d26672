"""One-call deployment, its manifest, and attaching to it from another process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support import World

from pyclient import Ccp, Chain, artifacts, attach, errors
from pyclient.contracts.goods_pool import GoodsPoolClient


def test_manifest_describes_the_deployment(world: World, tmp_path) -> None:
    path = world.deployment.save(tmp_path / "deployment.json")
    m = json.loads(path.read_text())
    assert m["chainId"] == world.chain.chain_id
    assert m["deployBlock"] >= 1
    assert m["contracts"]["registry"]["address"] == world.deployment.registry.address
    assert m["contracts"]["registry"]["artifact"] == "ParticipantRegistry"
    assert (
        m["contracts"]["registry"]["bytecodeSha256"] == artifacts.load("ParticipantRegistry").sha256
    )
    # Two parts of one artifact are told apart by their keys.
    orders, receipts = m["contracts"]["delivery_orders"], m["contracts"]["warehouse_receipts"]
    assert orders["artifact"] == receipts["artifact"] == "GoodsToken"
    assert orders["address"] != receipts["address"]
    assert set(m["assets"]) == {
        "JPY",
        "USD",
        "JGB374",
        "TYO7203",
        "SPY",
        "TYO6758",
        "ETF1306",
        "ETF2558",
        "GOLD",
    }
    assert m["assets"]["GOLD"]["poolCommodity"] == "GOLD"
    assert m["assets"]["GOLD"]["bytecodeSha256"] == artifacts.load("GoodsPool").sha256
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
    for symbol, asset in world.deployment.assets.items():
        token = world.deployment.token(symbol)
        # A goods pool's units are minted by pledges of receipts only: nobody is its issuer.
        assert token.has_role("ISSUER_ROLE", world.issuer) is (asset.spec.pool_commodity is None)
        assert not token.has_role("ISSUER_ROLE", world.ccp)


def test_roles_work_through_an_attached_deployment(world: World) -> None:
    again = attach(world.deployment.manifest(), Chain.connect(world.chain.url))
    Ccp(again, world.ccp.signer).register.suspend("member-b", "via attach")
    assert world.deployment.participant("member-b").status.name == "SUSPENDED"


def test_each_duty_has_its_own_key_and_none_can_grant_itself_another(world: World) -> None:
    """The review found one key controlling the register, the oracle, the vault and every token,
    able to grant itself the issuer role back. With `Duties`, each role sits with its own key, the
    role admin with another that holds no duty, and the deployer keeps nothing."""
    from dataclasses import replace

    from pyclient import Duties, deploy
    from pyclient.access.permissions import ADMIN_ROLE

    chain = world.chain
    keys = chain.dev_accounts(18)[10:17]
    deployer, admin, register, margin, oracle, issuer, agent = keys
    duties = Duties(
        admin=admin.address, register=register.address, margin=margin.address,
        oracle=oracle.address, issuer=issuer.address, agent=agent.address,
    )  # fmt: skip
    d = deploy(chain, deployer, duties=duties)
    holders = {
        "CCP_OPERATOR_ROLE": register, "MARGIN_ENGINE_ROLE": margin, "ORACLE_ROLE": oracle,
        "ISSUER_ROLE": issuer, "AGENT_ROLE": agent, "PAUSER_ROLE": agent, ADMIN_ROLE: admin,
    }  # fmt: skip
    for client in d.contracts():
        if not client.governed:  # the substitution contract: no roles, nothing to hand over
            continue
        getters = {i["name"] for i in client.contract.abi if i["type"] == "function"}
        for role, holder in holders.items():
            if role != ADMIN_ROLE and role not in getters:
                continue
            if role == "ISSUER_ROLE" and isinstance(client, GoodsPoolClient):
                assert not any(client.has_role(role, key.address) for key in keys)
                continue  # minted by pledges of receipts only
            for key in keys:
                assert client.has_role(role, key.address) is (key is holder), (client, role, key)
    # The register key cannot make itself an issuer; the admin can, and that is all it can do.
    token = d.token("JPY")
    with pytest.raises(errors.AccessControlUnauthorizedAccount):
        token.grant_role("ISSUER_ROLE", register.address).send(register)
    with pytest.raises(errors.AccessControlUnauthorizedAccount):
        Ccp(d, admin).register.suspend("ccp", "x")
    with pytest.raises(errors.DeploymentMismatch, match="could grant itself any other"):
        deploy(chain, deployer, duties=replace(duties, register=admin.address))
    with pytest.raises(errors.DeploymentMismatch, match="missing: margin"):
        deploy(chain, deployer, duties=replace(duties, margin=None))
    with pytest.raises(errors.DeploymentMismatch, match="duties share a key"):
        deploy(chain, deployer, duties=replace(duties, agent=issuer.address))


def test_a_jdr_series_created_after_a_hand_over_gives_its_roles_to_the_duties(
    world: World,
) -> None:
    """A series is created long after deployment; its token's agent, pauser and admin are the
    holders of the factory's roles then (the CCP's agent and the role admin), its only issuer is
    its trust, the trust bank is trustee of nothing else, and nobody administers the trust's
    roles (the deed fixes its trustee and settlor)."""
    import datetime as dt

    from pyclient import Admission, Duties, Kind, TrustBank, deploy
    from pyclient.access.permissions import ADMIN_ROLE

    chain = world.chain
    keys = chain.dev_accounts(20)[10:20]
    deployer, admin, register, margin, oracle, issuer, agent, bank, settlor, _ = keys
    duties = Duties(
        admin=admin.address, register=register.address, margin=margin.address,
        oracle=oracle.address, issuer=issuer.address, agent=agent.address,
    )  # fmt: skip
    d = deploy(chain, deployer, duties=duties)
    Ccp(d, register).register.admit_many(
        [
            Admission(bank.address, Kind.TRUST_BANK, "trust-bank"),
            Admission(settlor.address, Kind.ETF_MANAGER, "etf-manager"),
        ]
    )
    created = TrustBank(d, bank).create_series(
        symbol="SPY-JDR", name="SPY JDR", underlying="SPY", settlor="etf-manager",
        ratio=10, trust_fee_bps=20, listing_date=dt.date(2026, 12, 1),
    )  # fmt: skip
    trust_address = created.value
    trust, token = d.jdr("SPY-JDR"), d.token("SPY-JDR")
    assert trust.address == trust_address
    expected = {
        token: {"AGENT_ROLE": agent, "PAUSER_ROLE": agent, ADMIN_ROLE: admin},
        trust: {"TRUSTEE_ROLE": bank, "SETTLOR_ROLE": settlor, ADMIN_ROLE: None},
    }
    for client, holders in expected.items():
        for role, holder in holders.items():
            if role == "ISSUER_ROLE" and isinstance(client, GoodsPoolClient):
                assert not any(client.has_role(role, key.address) for key in keys)
                continue  # minted by pledges of receipts only
            for key in keys:
                assert client.has_role(role, key.address) is (key is holder), (client, role, key)
    assert not trust.has_role(ADMIN_ROLE, d.jdr_factory.address)
    assert token.has_role("ISSUER_ROLE", trust.address)
    assert not any(token.has_role("ISSUER_ROLE", k.address) for k in keys)
