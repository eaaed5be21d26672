"""Reading ABI-encoded values the way a person reads them: enums by name, roles by name.

Revert data (`pyclient.errors`) and event logs (`pyclient.events`) carry the same ABI values, and
both turn them into Python the same way: a Solidity enum into its Python enum (each model module
registers its enums here), an address into its checksummed form, a role hash into its name.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from eth_utils import to_checksum_address

from . import artifacts

# Solidity enums decoded into Python enums, by ABI internal type ("IParticipantRegistry.Status").
_ENUMS: dict[str, type[enum.Enum]] = {}


def register_enum(internal_type: str, python_enum: type[enum.Enum]) -> None:
    """Decode values of Solidity enum `internal_type` into `python_enum` members."""
    _ENUMS[internal_type] = python_enum


def abi_type(param: dict[str, Any]) -> str:
    """The canonical type of an ABI parameter, tuples spelled out: `(address,uint256)[]`."""
    if param["type"].startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


def typed_arguments(params: Sequence[dict[str, Any]], values: Sequence[Any]) -> dict[str, Any]:
    """Decoded ABI `values` by parameter name, enums and addresses made Python-typed."""
    args: dict[str, Any] = {}
    for param, value in zip(params, values, strict=True):
        internal = param.get("internalType", "").removeprefix("enum ")
        if internal in _ENUMS:
            value = _ENUMS[internal](value)
        elif param["type"] == "address":
            value = to_checksum_address(value)
        args[param["name"] or f"arg{len(args)}"] = value
    return args


# AccessControl roles by their id, as the access table generated from contracts/access/Roles.sol
# names them (the admin role is zero).
_TABLE = artifacts.access()
ROLE_NAMES: dict[bytes, str] = {
    bytes.fromhex(entry["id"].removeprefix("0x")): name
    for name, entry in [
        *_TABLE["roles"].items(),
        (_TABLE["adminRole"]["name"], _TABLE["adminRole"]),
    ]
}


def bytes_word(value: bytes) -> str:
    """A bytes32 as a person reads it: a role's name, a short text, else hex."""
    if value in ROLE_NAMES:
        return ROLE_NAMES[value]
    stripped = value.rstrip(b"\0")
    if stripped and all(32 <= c < 127 for c in stripped):
        return stripped.decode()
    return "0x" + value.hex()
