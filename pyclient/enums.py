"""The base of every enum that mirrors a Solidity enum: a number on chain, a name to a person.

A Solidity enum travels as a small integer, so its Python mirror is an `IntEnum`: it encodes into
a call's arguments, compares with what the chain returns and indexes tables as the number. What a
person reads is its name: `print(call.status)` says `PARTIALLY_MET`, not `2`, and
`f"{call.status}"` too (Python 3.11's `IntEnum` prints the number). A spec only a number takes
(`f"{status:d}"`, `f"{status:02x}"`, `f"{status:,}"`) still formats the number. `label` is the
name in words, as sentences and tables put it: `partially met`, `clearing member`, `ETF manager`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Self

from .errors import InputError

# Spec types that ask for the number, as `format(int, spec)` reads them.
_NUMERIC = frozenset("bcdoxXneEfFgG%")
# Words kept in capitals when a name is put into words.
_ACRONYMS = frozenset({"CCP", "ETF", "JDR", "FX", "DVP", "JPY", "USD"})


class ChainEnum(IntEnum):
    """An enum the contracts store as a number: an `int` for the chain, its name for people."""

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        if spec and spec[-1] in _NUMERIC:
            return int.__format__(int(self), spec)
        try:
            return format(self.name, spec)
        except ValueError:  # a spec only a number takes (`,`, `+`): the number
            return int.__format__(int(self), spec)

    @property
    def label(self) -> str:
        """The name in words: `SYSTEM_CONTRACT` is `system contract`, `ETF_MANAGER` `ETF
        manager` (what tables and sentences show)."""
        return " ".join(w if w in _ACRONYMS else w.lower() for w in self.name.split("_"))

    @classmethod
    def coerce(cls, value: Any, *, what: str | None = None) -> Self:
        """`value` as a member: a member, its number, or its name or label in any case
        (`"clearing fund"`, `"CLEARING_FUND"`, `"clearing-fund"`); anything else is a typed
        `InputError` naming the members, refused before anything is sent (a number out of range
        reaches a contract as a revert without a reason)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        elif isinstance(value, str):
            key = value.strip().upper().replace("-", "_").replace(" ", "_")
            if key in cls.__members__:
                return cls.__members__[key]
        names = ", ".join(m.label for m in cls)
        raise InputError(f"{what or cls.__name__} {value!r} is not one of: {names}")
