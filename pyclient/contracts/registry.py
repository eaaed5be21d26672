"""The participant register's client: who is who, and the CCP's changes to it.

Reads resolve participants by name, address or role object; names and addresses never change once
admitted, so they are cached, while a record (its status above all) is always read fresh. Calls
are the CCP operator's: admission (one or many), status changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils import is_address, to_checksum_address

from ..access.registry import AccountType, Kind, Participant, Status
from ..errors import InputError, ParticipantNameTaken, ParticipantNotFound
from ..units import to_bytes32
from .base import Call, ContractClient, Outcome


@dataclass(frozen=True)
class Admission:
    """One participant to admit: a client names its clearing member and account type."""

    account: str
    kind: Kind
    name: str
    clearing_member: Any = None
    account_type: AccountType = AccountType.NONE


class RegistryClient(ContractClient):
    artifact = "ParticipantRegistry"
    prefix = "registry"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._known: dict[str, Participant] = {}

    # ------------------------------------------------------------------ reads

    def participant(self, ref: Any) -> Participant:
        """A participant by name, address or role object, read fresh from the chain.

        `ParticipantNotFound` if it is not registered.
        """
        address = getattr(ref, "address", None) or ref
        if not isinstance(address, str):
            raise ParticipantNotFound(f"{ref!r} is not a participant name or address")
        address = to_checksum_address(address) if is_address(address) else self._by_name(address)
        record = Participant.from_chain(
            address, self._read(self.contract.functions.participant(address))
        )
        if record.kind is Kind.NONE:
            raise ParticipantNotFound(f"no participant {address} is registered")
        self._known[address] = record
        return record

    def count(self) -> int:
        """How many participants the register lists (one read)."""
        return int(self._read(self.contract.functions.participantCount()))

    def participants(self) -> list[Participant]:
        """Every registered participant, in admission order, read from the chain now."""
        fns = self.contract.functions
        addresses = self._read_many([fns.participantAt(i) for i in range(self.count())])
        records = self._read_many([fns.participant(a) for a in addresses])
        self._known = {
            a: Participant.from_chain(a, r) for a, r in zip(addresses, records, strict=True)
        }
        return list(self._known.values())

    def address_of(self, ref: Any) -> str:
        """The address of a participant given by name, address or role object.

        Addresses pass through unchecked so that the chain itself can refuse an unregistered one;
        names must be registered.
        """
        address = getattr(ref, "address", None)
        if isinstance(address, str):
            return address
        if isinstance(ref, str) and is_address(ref):
            return to_checksum_address(ref)
        if not isinstance(ref, str):
            raise ParticipantNotFound(f"{ref!r} is not a participant name or address")
        return self._by_name(ref)

    def name_of(self, address: str) -> str | None:
        """The registered name of `address`, or None (best effort: never raises)."""
        known = self._known.get(address)
        if known is not None:
            return known.name
        try:
            record = self.contract.functions.participant(address).call()
        except Exception:  # naming is best effort; whatever is being reported must still surface
            return None
        if record[0] == 0:
            return None
        self._known[address] = Participant.from_chain(address, record)
        return self._known[address].name

    def forget(self) -> None:
        """Drop cached records (after a chain revert in tests, say)."""
        self._known.clear()

    def _by_name(self, name: str) -> str:
        for refresh in (False, True):
            if refresh:
                self.participants()
            found = next((p for p in self._known.values() if p.name == name), None)
            if found is not None:
                return found.address
        raise ParticipantNotFound(f"no participant named {name!r} is registered")

    # ------------------------------------------------------------------ admission

    def admit(self, account: str, kind: Kind, name: str) -> Call[Participant]:
        """Admit a participant that is not a client (a member, trust bank, issuer, oracle...);
        a name the register already has is refused (`ParticipantNameTaken`)."""
        self._names_free([name])
        return self._admit(account, kind, name)

    def _admit(self, account: str, kind: Kind, name: str) -> Call[Participant]:
        fn = self.contract.functions.admit(
            _address(account), int(kind), to_bytes32(name, what="participant name")
        )
        return self._call(fn, "admit", result=self._admitted)

    def admit_client(
        self, account: str, name: str, clearing_member: Any, account_type: AccountType
    ) -> Call[Participant]:
        """Admit a client under `clearing_member`, in a segregated or omnibus account; a name the
        register already has is refused (`ParticipantNameTaken`)."""
        self._names_free([name])
        return self._admit_client(account, name, clearing_member, account_type)

    def _admit_client(
        self, account: str, name: str, clearing_member: Any, account_type: AccountType
    ) -> Call[Participant]:
        fn = self.contract.functions.admitClient(
            _address(account),
            to_bytes32(name, what="participant name"),
            self.address_of(clearing_member),
            int(account_type),
        )
        return self._call(fn, "admitClient", result=self._admitted)

    def admit_many(self, admissions: Iterable[Admission]) -> list[Call[Participant]]:
        """One admission call per entry (send them with `send_all`); a client may name a member
        admitted earlier in the same batch."""
        entries = list(admissions)
        self._names_free([a.name for a in entries])
        in_batch = {a.name: a.account for a in entries}
        return [
            self._admit_client(
                a.account, a.name, in_batch.get(a.clearing_member, a.clearing_member),
                a.account_type,
            )
            if a.kind is Kind.CLIENT
            else self._admit(a.account, a.kind, a.name)
            for a in entries
        ]  # fmt: skip

    def _names_free(self, names: list[str]) -> None:
        """Refuse, before anything is sent, a name given twice or one the register already has
        (read now): names stand for participants everywhere in the SDK and the command line."""
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ParticipantNameTaken(f"{', '.join(map(repr, repeated))} given more than once")
        taken = {p.name: p.address for p in self.participants()}
        for name in names:
            if name in taken:
                raise ParticipantNameTaken(
                    f"the register already has a participant named {name!r} ({taken[name]}): "
                    "each name is given once, as it stands for the participant everywhere"
                )

    def _admitted(self, outcome: Outcome[None]) -> Participant:
        (event,) = outcome.named("ParticipantAdmitted")
        record = Participant(
            address=event["account"],
            name=event["name"].rstrip(b"\0").decode(),
            kind=event["kind"],
            status=Status.ACTIVE,
            account_type=event["accountType"],
            clearing_member=None
            if int(event["clearingMember"], 16) == 0
            else event["clearingMember"],
        )
        self._known[record.address] = record
        return record

    # ------------------------------------------------------------------ status

    def suspend(self, who: Any, reason: str) -> Call[Participant]:
        return self._status("suspend", who, reason)

    def reinstate(self, who: Any, reason: str) -> Call[Participant]:
        return self._status("reinstate", who, reason)

    def set_status(self, who: Any, status: Status, reason: str) -> Call[Participant]:
        address = self.address_of(who)
        fn = self.contract.functions.setStatus(
            address, int(status), to_bytes32(reason, what="reason")
        )
        return self._call(fn, "setStatus", result=lambda _: self.participant(address))

    def _status(self, action: str, who: Any, reason: str) -> Call[Participant]:
        address = self.address_of(who)
        fn = getattr(self.contract.functions, action)(address, to_bytes32(reason, what="reason"))
        return self._call(fn, action, result=lambda _: self.participant(address))


def _address(account: Any) -> str:
    address = getattr(account, "address", account)
    if not isinstance(address, str) or not is_address(address):
        raise InputError(f"{account!r} is not an address")
    return to_checksum_address(address)
