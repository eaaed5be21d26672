"""Who may call what: the role each restricted contract function needs, and the roles' ids.

`make compile` (`tools/compile.py`) reads the `onlyRole(...)` guards from the solc AST of every
deployable contract and the role constants of `contracts/access/Roles.sol`, and ships the result
as `pyclient/artifacts/access.json` (rendered for people as `docs/access.md`). This module serves
that table, so Python names and hashes roles exactly as the contracts do and never keeps a list
of its own.

`grantRole` and `revokeRole` need the admin of the role they change; the table names that admin,
`DEFAULT_ADMIN_ROLE` (`ADMIN_ROLE`), because OpenZeppelin makes it the admin of every role and no
Kabuto contract changes that (the compile step refuses `_setRoleAdmin`). It is not one of `ROLES`,
which holds exactly the constants of Roles.sol, but `role_id` knows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .. import artifacts
from ..errors import InputError

ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"


@dataclass(frozen=True)
class AccessRule:
    """Only holders of `role` may call `function` of `contract` (an artifact name)."""

    contract: str
    function: str
    role: str


def _id(entry: Mapping[str, str]) -> bytes:
    return bytes.fromhex(entry["id"].removeprefix("0x"))


_TABLE = artifacts.access()

# Every role of Roles.sol by its getter name (`"CCP_OPERATOR_ROLE"`), as the 32-byte role id.
ROLES: Mapping[str, bytes] = MappingProxyType(
    {name: _id(entry) for name, entry in sorted(_TABLE["roles"].items())}
)

_ALL_ROLES: Mapping[str, bytes] = {**ROLES, ADMIN_ROLE: _id(_TABLE["adminRole"])}


def role_id(name: str) -> bytes:
    """The 32-byte id of role `name` (`"ISSUER_ROLE"`, or `ADMIN_ROLE`), as `hasRole` takes it."""
    try:
        return _ALL_ROLES[name]
    except KeyError:
        raise InputError(f"unknown role {name!r}; known: {', '.join(sorted(_ALL_ROLES))}") from None


def required_role(contract: str, function: str) -> str | None:
    """The role `contract.function` needs, or None when anyone may call it.

    Refuses with `InputError` a contract or function that does not exist, so that a typo does
    not read as "unrestricted".
    """
    guarded = _TABLE["contracts"].get(contract)
    if guarded is None:
        known = ", ".join(sorted(_TABLE["contracts"]))
        raise InputError(f"no contract {contract!r} in the access table; known: {known}")
    if function not in guarded and not any(
        item["type"] == "function" and item["name"] == function
        for item in artifacts.load(contract).abi
    ):
        raise InputError(f"{contract} has no function {function!r}")
    return guarded.get(function)


def roles_of(contract: str) -> frozenset[str]:
    """The roles of Roles.sol that guard some function of `contract` (an artifact name)."""
    guarded = _TABLE["contracts"].get(contract)
    if guarded is None:
        known = ", ".join(sorted(_TABLE["contracts"]))
        raise InputError(f"no contract {contract!r} in the access table; known: {known}")
    return frozenset(role for role in guarded.values() if role in ROLES)


def access_table() -> list[AccessRule]:
    """Every restricted function of every deployable contract, by contract then function."""
    return [
        AccessRule(contract, function, role)
        for contract, guarded in sorted(_TABLE["contracts"].items())
        for function, role in sorted(guarded.items())
    ]
