"""The CCP's register desk: who may take part, and in what standing (CCP_OPERATOR_ROLE)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...access.registry import AccountType, Kind, Participant, Status
from ...contracts.base import BatchOutcome, BatchProgress, Outcome
from ...contracts.registry import Admission
from ..base import Actor


class RegisterDesk(Actor):
    """Admissions and status changes; every change is an event in the register."""

    def admit(self, account: str, kind: Kind, name: str) -> Outcome[Participant]:
        """Admit a participant that is not a client (a member, trust bank, issuer, oracle...)."""
        return self.send(self.deployment.registry.admit(account, kind, name))

    def admit_member(self, account: str, name: str) -> Outcome[Participant]:
        return self.admit(account, Kind.CLEARING_MEMBER, name)

    def admit_client(
        self, account: str, name: str, clearing_member: Any, account_type: AccountType
    ) -> Outcome[Participant]:
        """Admit a client under `clearing_member`, in a segregated or omnibus account."""
        call = self.deployment.registry.admit_client(account, name, clearing_member, account_type)
        return self.send(call)

    def admit_many(
        self, admissions: Iterable[Admission], *, progress: BatchProgress | None = None
    ) -> BatchOutcome[list[Participant]]:
        """Admit many participants, pipelined; the value is their records, in order."""
        return self.send_all(self.deployment.registry.admit_many(admissions), progress=progress)

    def register_system_contract(self, address: str, name: str) -> Outcome[Participant]:
        """Let a Kabuto contract (a vault, say) hold assets."""
        return self.admit(address, Kind.SYSTEM_CONTRACT, name)

    def suspend(self, who: Any, reason: str) -> Outcome[Participant]:
        """Suspend `who`: it can neither send nor receive until reinstated."""
        return self.send(self.deployment.registry.suspend(who, reason))

    def reinstate(self, who: Any, reason: str) -> Outcome[Participant]:
        return self.send(self.deployment.registry.reinstate(who, reason))

    def set_status(self, who: Any, status: Status, reason: str) -> Outcome[Participant]:
        return self.send(self.deployment.registry.set_status(who, status, reason))
