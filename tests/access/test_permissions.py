"""The generated access table is true of the deployed contracts, complete, and named from Roles.sol.

Every check calls as `world.outsider`, who holds no role, through `eth_call`: nothing is sent.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import function_abi_to_4byte_selector, get_abi_input_types, keccak
from support import abi_value, clients_by_artifact
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from pyclient import errors
from pyclient.access import permissions

ROLES_SOL = Path(__file__).resolve().parents[2] / "contracts" / "access" / "Roles.sol"


def _raw_contracts(d) -> dict[str, Contract]:
    """Every deployed contract as a plain web3 object by artifact name; one asset stands for all."""
    return {name: client.contract for name, client in clients_by_artifact(d).items()}


def _outsider_call(contract: Contract, item: dict[str, Any], caller: str) -> Exception | None:
    """What ABI function `item` reverts with when `caller` calls it with dummy arguments."""
    args = [abi_value(p, address=caller, number=1) for p in item["inputs"]]
    data = function_abi_to_4byte_selector(item) + encode(get_abi_input_types(item), args)
    try:
        contract.w3.eth.call({"from": caller, "to": contract.address, "data": data})
    except ContractLogicError as exc:  # Hardhat's EDR nests the data one level deeper
        data = exc.data.get("data") if isinstance(exc.data, dict) else exc.data
        return errors.decode_revert(data if isinstance(data, str) else None)
    return None


def _function(contract: Contract, name: str) -> dict[str, Any]:
    (item,) = [i for i in contract.abi if i["type"] == "function" and i["name"] == name]
    return item


def test_an_outsider_is_refused_every_restricted_function_for_the_role_the_table_names(
    jdr,
) -> None:
    world = jdr.world  # with a JDR series, so that its trust and token are deployed too
    contracts = _raw_contracts(world.deployment)
    outsider = world.outsider.address
    rules = permissions.access_table()
    assert {r.contract for r in rules} <= contracts.keys()
    block = world.chain.w3.eth.block_number
    for rule in rules:
        contract = contracts[rule.contract]
        refusal = _outsider_call(contract, _function(contract, rule.function), outsider)
        assert isinstance(refusal, errors.AccessControlUnauthorizedAccount), (rule, refusal)
        assert refusal.account == outsider
        assert refusal.neededRole == permissions.role_id(rule.role), rule
    assert world.chain.w3.eth.block_number == block, "nothing may be sent"


def test_every_function_that_refuses_an_outsider_for_a_role_is_in_the_table(world) -> None:
    outsider = world.outsider.address
    refused_for_a_role = set()
    for name, contract in _raw_contracts(world.deployment).items():
        for item in contract.abi:
            if item["type"] != "function" or item["stateMutability"] in ("view", "pure"):
                continue
            refusal = _outsider_call(contract, item, outsider)
            if isinstance(refusal, errors.AccessControlUnauthorizedAccount):
                refused_for_a_role.add((name, item["name"]))
    listed = {(r.contract, r.function) for r in permissions.access_table()}
    assert refused_for_a_role, "the probe reached no guard at all"
    assert refused_for_a_role - listed == set(), "guarded but missing from access.json"


def test_role_ids_are_the_deployed_getters_and_ROLES_are_the_constants_of_Roles_sol(
    jdr,
) -> None:
    world = jdr.world  # with a JDR series, so that its trust and token are deployed too
    contracts = _raw_contracts(world.deployment)
    for name, contract in contracts.items():
        getters = [
            i["name"]
            for i in contract.abi
            if i["type"] == "function" and i["name"].endswith("_ROLE") and not i["inputs"]
        ]
        if not any(i.get("name") == "hasRole" for i in contract.abi):
            # No roles at all: the substitution contract answers to account owners and signatures.
            assert not getters, name
            continue
        assert getters, name
        for getter in getters:
            deployed = getattr(contract.functions, getter)().call()
            assert deployed == permissions.role_id(getter), f"{name}.{getter}"
    for rule in permissions.access_table():
        getter = getattr(contracts[rule.contract].functions, rule.role)
        assert getter().call() == permissions.role_id(rule.role), rule

    declared = re.findall(
        r'bytes32\s+internal\s+constant\s+(\w+)\s*=\s*keccak256\("(\w+)"\)', ROLES_SOL.read_text()
    )
    assert declared
    assert all(hashed == f"{name}_ROLE" for name, hashed in declared)
    assert dict(permissions.ROLES) == {hashed: keccak(text=hashed) for _, hashed in declared}


def test_an_unknown_role_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(errors.InputError, match="CCP_OPERATOR_ROLE") as info:
        permissions.role_id("OPERATOR")
    assert "'OPERATOR'" in str(info.value)
    assert permissions.role_id(permissions.ADMIN_ROLE) == bytes(32)


def test_required_role_names_the_guard_or_none_and_refuses_what_does_not_exist() -> None:
    assert permissions.required_role("CollateralVault", "openAccount") == "CCP_OPERATOR_ROLE"
    assert permissions.required_role("PermissionedToken", "grantRole") == permissions.ADMIN_ROLE
    assert permissions.required_role("PermissionedToken", "transfer") is None
    with pytest.raises(errors.InputError, match="CollateralVault"):
        permissions.required_role("Vault", "openAccount")
    with pytest.raises(errors.InputError, match="openAcount"):
        permissions.required_role("CollateralVault", "openAcount")
