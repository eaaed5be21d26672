"""The CCP's margin desk: collateral accounts, requirements and calls.

Opening accounts is the operations desk's (CCP_OPERATOR_ROLE); a default is the default desk's
(`Ccp.default`); posting
requirements and following calls are the margin engine's (MARGIN_ENGINE_ROLE), usually driven by
`pyclient.margin.engine.MarginEngine`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ...collateral.vault import AccountKind, CallBatch, CallType, Posting
from ...contracts.base import BatchOutcome, BatchProgress, Outcome
from ...units import Amount
from ..base import Actor


class MarginDesk(Actor):
    """Accounts, requirements, margin calls and their follow-up, all in the collateral vault."""

    def open_account(self, owner: Any, kind: AccountKind) -> Outcome[int]:
        """Open a vault account for `owner` (checked against the register); its value is the id."""
        return self.send(self.deployment.vault.open_account(owner, kind))

    def open_accounts(
        self, entries: Iterable[tuple[Any, AccountKind]], *, progress: BatchProgress | None = None
    ) -> BatchOutcome[list[int]]:
        """Open many accounts, `(owner, kind)` each, pipelined; the value is their ids."""
        return self.send_all(self.deployment.vault.open_accounts(entries), progress=progress)

    def post_requirements(
        self, requirements: Mapping[Any, Amount], *, run_id: str
    ) -> Outcome[Posting]:
        """Set the requirement (whole JPY) of many accounts (by id, label such as
        `"member-a house"`, or participant) in one transaction; their open calls are
        re-evaluated at once. The value says which accounts were skipped (frozen) and why, which
        calls the new requirements met, and whose calls could not be re-evaluated yet."""
        return self.send(self.deployment.vault.post_requirements(requirements, run_id=run_id))

    def issue_margin_calls(
        self,
        accounts: Iterable[Any],
        call_type: CallType,
        *,
        computed_at: dt.datetime | None = None,
    ) -> Outcome[CallBatch]:
        """Call every account given (by id, label or participant) for its shortfall, due by the
        Tokyo timetable.

        `computed_at` defaults to the chain's clock. An account that no longer fits (topped up a
        moment ago, already called, frozen) is skipped, not refused: the value's `calls` were
        issued, its `skipped` say why the others were not. Standing instructions are honoured in
        the same transaction, so a call in the outcome may already be met.
        """
        call = self.deployment.vault.issue_margin_calls(
            accounts, call_type, computed_at=computed_at
        )
        return self.send(call)

    def mark_overdue(self, call_ids: Sequence[int]) -> Outcome[CallBatch]:
        """Mark unmet calls whose deadline has passed overdue (a call covered meanwhile is met);
        the value is the calls processed as the transaction left them, and those skipped (no longer
        open, not yet due, or on an account that cannot be valued now) with the reason."""
        return self.send(self.deployment.vault.mark_overdue(call_ids))
