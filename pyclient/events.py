"""The ledger's events: decoded from logs, and each told as one business sentence.

Every state change in Kabuto emits an event that carries what a reconciler needs. This module is
the one place that turns logs into `DecodedEvent`s (for a transaction's receipt, or for a range of
blocks read with `eth_getLogs`) and the one place that says what an event means in words
(`describe`), so the CLI, the demos and a dashboard all tell the same story.

    decoder = EventDecoder.of(deployment)          # or deployment.decode(receipt)
    for event in decoder.decode(receipt.logs):
        print(describe(event, deployment))

`describe` has a sentence for every event of every contract Kabuto deploys (a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic, to_checksum_address
from hexbytes import HexBytes

from .abi import abi_type, bytes_word, typed_arguments
from .clock import from_unix
from .errors import KabutoError
from .etf.model import day_date
from .jdr.model import Operation, Trigger
from .oracle.market_data import Purpose

MAX_UINT = 2**256 - 1


@dataclass(frozen=True)
class DecodedEvent:
    """One log, decoded: which contract emitted which event, with what, where in the chain."""

    contract: str  # the label errors use too: "collateral vault", "JPY token"
    address: str
    name: str
    args: dict[str, Any]
    block_number: int
    log_index: int
    tx_hash: str

    def __getitem__(self, key: str) -> Any:
        return self.args[key]


@dataclass(frozen=True)
class _EventAbi:
    name: str
    indexed: tuple[dict[str, Any], ...]
    data: tuple[dict[str, Any], ...]
    inputs: tuple[dict[str, Any], ...]

    def decode(self, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        indexed = [
            abi_decode([abi_type(p)], t)[0] for p, t in zip(self.indexed, topics[1:], strict=True)
        ]
        plain = iter(abi_decode([abi_type(p) for p in self.data], data))
        by_position = iter(indexed)
        values = [next(by_position) if p.get("indexed") else next(plain) for p in self.inputs]
        return typed_arguments(self.inputs, values)


@dataclass
class EventDecoder:
    """Decodes the logs of a known set of contracts (address -> label and ABI)."""

    _topics: dict[tuple[str, bytes], tuple[str, _EventAbi]] = field(default_factory=dict)

    def add(self, address: str, label: str, abi: Iterable[dict[str, Any]]) -> None:
        address = to_checksum_address(address)
        for item in abi:
            if item["type"] != "event" or item.get("anonymous"):
                continue
            inputs = tuple(item["inputs"])
            event = _EventAbi(
                item["name"],
                tuple(p for p in inputs if p["indexed"]),
                tuple(p for p in inputs if not p["indexed"]),
                inputs,
            )
            self._topics[(address, event_abi_to_log_topic(item))] = (label, event)

    def decode(self, logs: Iterable[Mapping[str, Any]]) -> list[DecodedEvent]:
        """Every log of a known contract, decoded in order; logs of other contracts are skipped."""
        out = []
        for log in logs:
            topics = [bytes(HexBytes(t)) for t in log["topics"]]
            if not topics:
                continue
            found = self._topics.get((to_checksum_address(log["address"]), topics[0]))
            if found is None:
                continue
            label, event = found
            out.append(
                DecodedEvent(
                    contract=label,
                    address=to_checksum_address(log["address"]),
                    name=event.name,
                    args=event.decode(topics, bytes(HexBytes(log["data"]))),
                    block_number=int(log["blockNumber"]),
                    log_index=int(log["logIndex"]),
                    tx_hash=HexBytes(log["transactionHash"]).to_0x_hex(),
                )
            )
        return out


# ---------------------------------------------------------------------- sentences


class Namer(Protocol):
    """What a sentence needs to name things (a `Deployment` is one)."""

    def name(self, address: str) -> str: ...

    def amount(self, value: int, asset: str | None) -> str: ...

    def vault_account(self, account_id: int) -> str: ...

    def currency_of(self, asset: str) -> str: ...


def _jpy(value: int) -> str:
    return f"JPY {value:,}"


def _when(seconds: int) -> str:
    return f"{from_unix(int(seconds)):%Y-%m-%d %H:%M} Tokyo"


def _day(day: int) -> str:
    return f"{day_date(int(day)):%Y-%m-%d}"


def _code(code: bytes) -> str:
    return bytes(code).rstrip(b"\0").decode(errors="replace")


def _enum(value: Any) -> str:
    """An enum in words (`being deregistered`, `creation in kind`), as `_words`."""
    return _words(value) if hasattr(value, "name") else str(value)


def _reference(lead: str, ref: bytes) -> str:
    """`lead “ref”`, or ` (no reference)` for an empty one (not a role's name: the empty bytes32
    is also DEFAULT_ADMIN_ROLE's)."""
    return f"{lead} “{bytes_word(ref)}”" if ref.rstrip(b"\0") else " (no reference)"


def _why(reason: bytes) -> str:
    text = bytes_word(reason)
    return f": “{text}”" if reason.rstrip(b"\0") else ""


def _words(member: Any) -> str:
    """`partially met`, `ETF manager`: an enum's label (its name in words)."""
    label = getattr(member, "label", None)
    return label if isinstance(label, str) else str(member.name).lower().replace("_", " ")


def _price(value_e18: int, currency: str) -> str:
    """`49,250 JPY`, `150.25`: a price or rate (18 decimals), exact without trailing zeros, in
    `currency` when one is given."""
    return f"{_e18(value_e18)} {currency}".rstrip()


def _purposes(mask: int) -> str:
    names = [_words(p) for p in Purpose if mask & (1 << int(p))]
    return " and ".join(names) if names else "nothing"


Sentence = Callable[[DecodedEvent, Namer], str]

_SKIPS = {
    "no shortfall": "it is covered",
    "call open": "a call already open asks for the requirement in force",
    "account frozen": "the account is frozen",
    "owner not active": "its owner is not an active participant",
    "call not open": "the call is no longer open",
    "deadline not passed": "its deadline has not passed",
    "valuation unavailable": "a holding it counts has no current price or FX rate",
    "deadline before open call": "the increase would fall due before the call open below it",
}

# One sentence per event name. Token events name their asset by the emitting contract.
_SENTENCES: dict[str, Sentence] = {
    # ---- register
    "ParticipantAdmitted": lambda e, n: (
        f"{bytes_word(e['name'])} admitted as {_words(e['kind'])}"
        + (
            f" under {n.name(e['clearingMember'])}, {_words(e['accountType'])} account"
            if int(e["accountType"])
            else ""
        )
    ),
    "ParticipantStatusChanged": lambda e, n: (
        f"{n.name(e['account'])} {_words(e['previous'])} → {_words(e['current'])}"
        f"{_why(e['reason'])}"
    ),
    # ---- roles (any contract)
    "RoleGranted": lambda e, n: (
        f"{n.name(e['account'])} given {bytes_word(e['role'])} on {e.contract} "
        f"by {n.name(e['sender'])}"
    ),
    "RoleRevoked": lambda e, n: (
        f"{n.name(e['account'])} loses {bytes_word(e['role'])} on {e.contract} "
        f"(by {n.name(e['sender'])})"
    ),
    "RoleAdminChanged": lambda e, n: (
        f"{bytes_word(e['role'])} on {e.contract} now administered by "
        f"{bytes_word(e['newAdminRole'])} (was {bytes_word(e['previousAdminRole'])})"
    ),
    # ---- tokens
    "Transfer": lambda e, n: (
        _goods_transfer(e, n)
        if "tokenId" in e.args
        else f"{n.amount(e['value'], e.address)} created for {n.name(e['to'])}"
        if int(e["from"], 16) == 0
        else f"{n.amount(e['value'], e.address)} of {n.name(e['from'])} destroyed"
        if int(e["to"], 16) == 0
        else f"{n.amount(e['value'], e.address)} from {n.name(e['from'])} to {n.name(e['to'])}"
    ),
    "ApprovalForAll": lambda e, n: (
        f"{n.name(e['owner'])} "
        + ("lets" if e["approved"] else "no longer lets")
        + f" {n.name(e['operator'])} move its {e.contract}"
    ),
    "Approval": lambda e, n: (
        f"{n.name(e['owner'])} lets {n.name(e['approved'])} move {_document(e)}"
        if "tokenId" in e.args
        else f"{n.name(e['owner'])} lets {n.name(e['spender'])} draw "
        + (
            f"any amount of {e.contract.removesuffix(' token')}"
            if e["value"] == MAX_UINT
            else f"up to {n.amount(e['value'], e.address)}"
        )
    ),
    "Issued": lambda e, n: (
        f"{n.name(e['issuer'])} issued {n.amount(e['amount'], e.address)} to {n.name(e['to'])}"
        + _reference(" against deposit", e["ref"])
    ),
    "Redeemed": lambda e, n: (
        f"{n.name(e['issuer'])} redeemed {n.amount(e['amount'], e.address)} of "
        f"{n.name(e['from'])}" + _reference(", released as", e["ref"])
    ),
    "AccountFreezeChanged": lambda e, n: (
        f"{n.name(e['account'])}'s {e.contract.removesuffix(' token')} "
        f"{'frozen' if e['frozen'] else 'unfrozen'} by {n.name(e['agent'])}{_why(e['reason'])}"
    ),
    "TokensFrozen": lambda e, n: (
        f"{n.amount(e['amount'], e.address)} of {n.name(e['account'])} frozen "
        f"({n.amount(e['totalFrozen'], e.address)} frozen in all){_why(e['reason'])}"
    ),
    "TokensUnfrozen": lambda e, n: (
        f"{n.amount(e['amount'], e.address)} of {n.name(e['account'])} released "
        f"({n.amount(e['totalFrozen'], e.address)} still frozen){_why(e['reason'])}"
    ),
    "ForcedTransfer": lambda e, n: (
        f"{n.name(e['agent'])} moved {n.amount(e['amount'], e.address)} from "
        f"{n.name(e['from'])} to {n.name(e['to'])} without consent{_why(e['reason'])}"
    ),
    # ---- goods tokens (delivery orders, warehouse receipts)
    "GoodsIssued": lambda e, n: (
        f"{n.name(e['warehouse'])} issued {_document(e)} to {n.name(e['to'])}: "
        f"{e['quantity']:,} {bytes_word(e['unit'])} {bytes_word(e['commodity'])}"
        + (
            f" ({bytes_word(e['brand'])})"
            if bytes_word(e["brand"]) not in ("", bytes_word(e["commodity"]))
            else ""
        )
    ),
    "GoodsPresented": lambda e, n: (
        f"{n.name(e['holder'])} presented {_document(e)} to {n.name(e['warehouse'])} "
        "to take the goods out"
    ),
    "PresentationWithdrawn": lambda e, n: (
        f"presentation of {_document(e)} by {n.name(e['holder'])} "
        + ("withdrawn" if e["holder"] == e["by"] else f"refused by {n.name(e['by'])}")
        + _why(e["reason"])
    ),
    "GoodsReleased": lambda e, n: (
        f"{n.name(e['warehouse'])} released the goods of {_document(e)} to {n.name(e['holder'])}"
        f" and burnt it{_why(e['ref'])}"
    ),
    "TokenFreezeChanged": lambda e, n: (
        f"{_document(e)} {'frozen' if e['frozen'] else 'unfrozen'} by {n.name(e['agent'])}"
        f"{_why(e['reason'])}"
    ),
    "GoodsForcedTransfer": lambda e, n: (
        f"{n.name(e['agent'])} moved {_document(e)} from {n.name(e['from'])} to "
        f"{n.name(e['to'])} without consent{_why(e['reason'])}"
    ),
    # ---- goods pools (warehouse receipts as collateral)
    "ReceiptPledged": lambda e, n: (
        f"{n.name(e['holder'])} pledged warehouse receipt #{e['tokenId']} into the "
        f"{e.contract.split(' ')[0]} pool for {n.amount(e['quantity'], e.address)}"
    ),
    "ReceiptRedeemed": lambda e, n: (
        f"{n.name(e['holder'])} returned {n.amount(e['quantity'], e.address)} and took "
        f"warehouse receipt #{e['tokenId']} out of the pool"
    ),
    # ---- delivery settlement (futures physical delivery)
    "DeliveryOpened": lambda e, n: (
        f"delivery {e['deliveryId']} opened: {bytes_word(e['terms'][1])}, "
        f"{e['terms'][2]:,} {bytes_word(e['terms'][6])} a lot at {_jpy(e['terms'][3])} a lot; "
        "shorts deliver by "
        f"{_when(e['terms'][4])}, longs pay by {_when(e['terms'][5])}"
    ),
    "GradeListed": lambda e, n: (
        f"delivery {e['deliveryId']}: grade {bytes_word(e['grade'])} deliverable at "
        + (
            f"{'+' if e['differentialJpyPerLot'] > 0 else '-'}"
            f"{_jpy(abs(e['differentialJpyPerLot']))} a lot"
            if e["differentialJpyPerLot"]
            else "the settlement price"
        )
    ),
    "Allocated": lambda e, n: (
        f"delivery {e['deliveryId']} pair {e['index']}: {n.name(e['short'])} delivers "
        f"{e['lots']:,} lot{'s' * (e['lots'] != 1)} to {n.name(e['long'])}"
    ),
    "GoodsDelivered": lambda e, n: (
        f"delivery {e['deliveryId']} pair {e['index']}: {n.name(e['short'])} delivered "
        f"token #{e['tokenId']} ({e['lots']:,} lot{'s' * (e['lots'] != 1)}, invoice "
        f"{_jpy(e['invoiceJpy'])})"
    ),
    "DeliveryPaid": lambda e, n: (
        f"delivery {e['deliveryId']} pair {e['index']}: {n.name(e['long'])} paid "
        f"{_jpy(e['amountJpy'])} ({_jpy(e['paidJpy'])} in all)"
    ),
    "PairSettled": lambda e, n: (
        f"delivery {e['deliveryId']} pair {e['index']} settled DvP: {e['tokens']:,} "
        f"token{'s' * (e['tokens'] != 1)} ({e['lots']:,} lot{'s' * (e['lots'] != 1)}) to the "
        f"long against "
        f"{_jpy(e['amountJpy'])} to the short"
    ),
    "DeliveryFailed": lambda e, n: (
        f"delivery {e['deliveryId']} pair {e['index']}: {n.name(e['short'])} failed to deliver "
        f"{e['missingLots']:,} lot{'s' * (e['missingLots'] != 1)}"
    ),
    "PaymentFailed": lambda e, n: (
        f"delivery {e['deliveryId']} pair {e['index']}: {n.name(e['long'])} failed to pay "
        f"{_jpy(e['unpaidJpy'])}; {e['tokens']:,} token{'s' * (e['tokens'] != 1)} back to the "
        "short"
    ),
    "PaymentRefunded": lambda e, n: (
        f"delivery {e['deliveryId']} pair {e['index']}: {_jpy(e['amountJpy'])} that bought no "
        f"goods back to {n.name(e['long'])}"
    ),
    "PairClosed": lambda e, n: f"delivery {e['deliveryId']} pair {e['index']} closed",
    "PairSkipped": lambda e, n: (
        f"delivery {e['deliveryId']} pair {e['index']} passed over: {n.name(e['account'])} "
        "cannot receive now"
    ),
    "Paused": lambda e, n: (
        f"{e.contract.removesuffix(' token')} paused by {n.name(e['account'])}: "
        "ordinary transfers halt"
    ),
    "Unpaused": lambda e, n: (
        f"{e.contract.removesuffix(' token')} unpaused by {n.name(e['account'])}"
    ),
    # ---- market data
    "AssetListed": lambda e, n: (
        f"{n.name(e['asset'])} listed for pricing in {e['currency'].decode()} "
        f"({e['decimals']} decimals)"
    ),
    "PricePublished": lambda e, n: (
        f"{n.name(e['asset'])} priced at {_price(e['priceE18'], n.currency_of(e['asset']))} "
        f"as of {_when(e['asOf'])}"
    ),
    "FxRatePublished": lambda e, n: (  # the pair names the currency: "USD/JPY at 150"
        f"{e['currency'].decode()}/JPY at {_price(e['rateE18'], '')} as of {_when(e['asOf'])}"
    ),
    "RiskParametersSet": lambda e, n: (
        f"{n.name(e['asset'])}: haircut {e['haircutBps'] / 100:g}%, concentration limit "
        f"{e['concentrationBps'] / 100:g}%, eligible for {_purposes(e['eligibility'])}"
    ),
    "MaxPriceAgeSet": lambda e, n: (
        f"prices older than {e['maxAge']:,} seconds are stale from now on"
    ),
    "PriceIgnored": lambda e, n: (
        f"{n.name(e['asset'])} price as of {_when(e['asOf'])} not published: the one in force, "
        f"as of {_when(e['currentAsOf'])}, is newer"
    ),
    "FxRateIgnored": lambda e, n: (
        f"{e['currency'].decode()}/JPY rate as of {_when(e['asOf'])} not published: the one in "
        f"force, as of {_when(e['currentAsOf'])}, is newer"
    ),
    # ---- collateral vault
    "AccountOpened": lambda e, n: f"{n.vault_account(e['account'])} opened",
    "CollateralDeposited": lambda e, n: (
        f"{n.amount(e['amount'], e['asset'])} "
        f"{'pulled by standing instruction' if e['automatic'] else 'deposited'} into "
        f"{n.vault_account(e['account'])}"
        + (f" for {n.name(e['beneficialOwner'])}" if int(e["beneficialOwner"], 16) else "")
    ),
    "CollateralWithdrawn": lambda e, n: (
        f"{n.amount(e['amount'], e['asset'])} withdrawn from {n.vault_account(e['account'])}"
        + (f" for {n.name(e['beneficialOwner'])}" if int(e["beneficialOwner"], 16) else "")
        + (
            f", leaving {_jpy(e['valueAfterJpy'])} against {_jpy(e['requirementJpy'])}"
            if e["requirementJpy"]
            else ""
        )
    ),
    "StandingInstructionSet": lambda e, n: (
        f"{n.vault_account(e['account'])} standing instruction: "
        + (
            ", then ".join(f"up to {n.amount(cap, asset)}" for asset, cap in e["instruction"])
            or "none"
        )
    ),
    "RequirementPosted": lambda e, n: (
        f"{n.vault_account(e['account'])}: requirement {_jpy(e['requirementJpy'])} "
        f"(was {_jpy(e['previousJpy'])}), run “{bytes_word(e['runId'])}”"
    ),
    "MarginCallIssued": lambda e, n: (
        f"call #{e['callId']} ({_words(e['callType'])}) on {n.vault_account(e['account'])}: "
        + (
            f"the increase to requirement {_jpy(e['requirementJpy'])} over call "
            f"#{e['previousCallId']}, {_jpy(e['shortfallJpy'])}"
            if e["previousCallId"]
            else f"short {_jpy(e['shortfallJpy'])} (value {_jpy(e['valueJpy'])} vs requirement "
            f"{_jpy(e['requirementJpy'])})"
        )
        + f", due {_when(e['deadline'])}"
    ),
    "AccountSkipped": lambda e, n: (
        f"{n.vault_account(e['account'])} skipped: {_SKIPS.get(_words(e['reason']), '')}"
    ),
    "CallSkipped": lambda e, n: (
        f"call #{e['callId']} skipped: {_SKIPS.get(_words(e['reason']), '')}"
    ),
    "MarginCallPartiallyMet": lambda e, n: (
        f"call #{e['callId']} on {n.vault_account(e['account'])}: "
        f"{_jpy(e['remainingJpy'])} still short"
    ),
    "MarginCallMet": lambda e, n: (
        f"call #{e['callId']} met: value {_jpy(e['valueJpy'])} ≥ requirement "
        f"{_jpy(e['requirementJpy'])}"
    ),
    "MarginCallOverdue": lambda e, n: (
        f"call #{e['callId']} on {n.vault_account(e['account'])} overdue: "
        f"{_jpy(e['remainingJpy'])} still short"
    ),
    "MarginCallPassedOn": lambda e, n: (
        f"call #{e['callId']}: {_jpy(e['amountJpy'])} passed on to {n.name(e['client'])}, "
        f"due {_when(e['deadline'])}"
    ),
    "ClientSharePaid": lambda e, n: (
        f"{n.name(e['payer'])} paid {_jpy(e['valueJpy'])} toward "
        + ("its" if e["payer"] == e["client"] else f"{n.name(e['client'])}'s")
        + f" share of call #{e['callId']}: {_jpy(e['paidJpy'])} of {_jpy(e['amountJpy'])}"
    ),
    "ClientShareMet": lambda e, n: (
        f"{n.name(e['client'])} has paid its whole share of call #{e['callId']}"
    ),
    "ClientShareOverdue": lambda e, n: (
        f"{n.name(e['client'])}'s share of call #{e['callId']} overdue: "
        f"{_jpy(e['remainingJpy'])} unpaid"
    ),
    "ClientShareClosed": lambda e, n: (
        f"call #{e['callId']} {_words(e['status'])} before {n.name(e['client'])} paid its share: "
        f"{_jpy(e['paidJpy'])} of {_jpy(e['amountJpy'])} paid"
    ),
    "ReevaluationDeferred": lambda e, n: (
        f"{n.vault_account(e['account'])}: open calls not re-evaluated, a holding it counts has no "
        "current price or FX rate"
    ),
    "ClientStandingInstructionSet": lambda e, n: (
        f"{n.name(e['client'])}'s standing instruction on {n.vault_account(e['account'])}: "
        + (
            ", then ".join(f"up to {n.amount(cap, asset)}" for asset, cap in e["instruction"])
            or "none"
        )
    ),
    "DefaultDeclared": lambda e, n: (
        f"{n.name(e['member'])} in default (case {e['caseId']}) "
        + (f"over call #{e['callId']}" if e["callId"] else "by decision of the CCP")
        + _why(e["reason"])
    ),
    "DefaultCollateralRecorded": lambda e, n: (
        f"case {e['caseId']} holds {n.amount(e['amount'], e['asset'])} of the member's "
        + ("house margin" if e["origin"] == 0 else "clearing-fund contribution")
    ),
    "DefaultWithdrawn": lambda e, n: (
        f"the default of {n.name(e['member'])} (case {e['caseId']}) withdrawn{_why(e['reason'])}: "
        "collateral returned, accounts unfrozen"
    ),
    "ClientPortAccepted": lambda e, n: (
        f"{n.name(e['member'])} accepts {n.name(e['client'])} (case {e['caseId']})"
    ),
    "ClientPorted": lambda e, n: (
        f"{n.name(e['client'])} ported from {n.name(e['from'])} to {n.name(e['to'])} "
        f"(case {e['caseId']})"
    ),
    "ClientClosedOut": lambda e, n: (
        f"{n.name(e['client'])} closed out (case {e['caseId']}): loss {_jpy(e['lossJpy'])}, "
        f"{_jpy(e['coveredJpy'])} of it covered by its own collateral"
    ),
    "ClientTransferred": lambda e, n: (
        f"{n.name(e['client'])} now clears through {n.name(e['to'])} (was {n.name(e['from'])})"
    ),
    "AccountReassigned": lambda e, n: (
        f"{n.vault_account(e['account'])} now answers to {n.name(e['to'])} (case {e['caseId']})"
    ),
    "CollateralReleased": lambda e, n: (
        f"{n.amount(e['amount'], e['asset'])} returned from {n.vault_account(e['account'])} to "
        f"{n.name(e['to'])} (case {e['caseId']})"
    ),
    "WaterfallApplied": lambda e, n: (
        f"case {e['caseId']}: {_LAYER[e['layer']]} ({n.vault_account(e['account'])}) met "
        f"{_jpy(e['usedJpy'])} of the loss"
    ),
    "CaseSettled": lambda e, n: (
        f"case {e['caseId']} settled: loss {_jpy(e['lossJpy'])}, {_jpy(e['coveredJpy'])} covered"
        + (f", {_jpy(e['uncoveredJpy'])} uncovered" if e["uncoveredJpy"] else "")
    ),
    "AccountFrozen": lambda e, n: f"{n.vault_account(e['account'])} frozen (case {e['caseId']})",
    "AccountUnfrozen": lambda e, n: (
        f"{n.vault_account(e['account'])} unfrozen (case {e['caseId']})"
    ),
    "MarginCallDefaulted": lambda e, n: (
        f"call #{e['callId']} on {n.vault_account(e['account'])} closed by the default "
        f"(case {e['caseId']})"
    ),
    "CollateralSeized": lambda e, n: (
        f"{n.amount(e['amount'], e['asset'])} seized from {n.vault_account(e['fromAccount'])} "
        f"to {n.vault_account(e['toAccount'])}"
    ),
    "CollateralTransferred": lambda e, n: (
        f"{n.amount(e['amount'], e['asset'])} moved from {n.vault_account(e['fromAccount'])} "
        f"to {n.vault_account(e['toAccount'])} (case {e['caseId']})"
    ),
    # ---- collateral substitution
    "Substituted": lambda e, n: (
        f"{n.name(e['caller'])} substituted in {n.vault_account(e['account'])}"
        + (f" for {n.name(e['client'])}" if int(e["client"], 16) else "")
        + f": {_legs(e['out'], n)} out, {_legs(e['into'], n)} in"
        + (
            f", with {n.name(e['counterparty'])} under its signed offer {_nonce(e['nonce'])}"
            if int(e["counterparty"], 16)
            else ""
        )
        + f"; value {_jpy(e['valueBeforeJpy'])} → {_jpy(e['valueAfterJpy'])} against "
        f"requirement {_jpy(e['requirementJpy'])}"
    ),
    "OfferCancelled": lambda e, n: (
        f"{n.name(e['counterparty'])} cancelled its offer {_nonce(e['nonce'])}: it can no longer "
        "be accepted"
    ),
    # ERC-5267: declared by OpenZeppelin's EIP712, never emitted (the domain is fixed at deploy).
    "EIP712DomainChanged": lambda e, n: "the EIP-712 signing domain changed",
    # ---- JDR trusts: the factory, each trust (its JDRs named by its label), each JDR token
    "SeriesCreated": lambda e, n: (
        f"{n.name(e['trustBank'])} created {_jdr_symbol(n.name(e['token']))} ("
        f"{_ratio(e['ratioNumerator'], e['ratioDenominator'])} per "
        f"{n.name(e['underlying']).removesuffix(' token')} unit), settlor {n.name(e['settlor'])}"
        + (f", ISIN {bytes_word(e['isin'])}" if e["isin"].rstrip(b"\0") else "")
    ),
    "CreationRequested": lambda e, n: (
        f"creation #{e['id']}: {n.name(e['requester'])} delivered "
        f"{_etf(e, n, e['underlyingUnits'])} for {_jdrs(e, n, e['jdrUnits'])}"
        + (f" to {n.name(e['recipient'])}" if e["recipient"] != e["requester"] else "")
        + ", pending the trust bank"
    ),
    "CreationApproved": lambda e, n: (
        f"creation #{e['id']} approved by {n.name(e['trustee'])}: "
        f"{_etf(e, n, e['underlyingUnits'])} into the trust, {_jdrs(e, n, e['jdrUnits'])} created "
        f"for {n.name(e['recipient'])}"
    ),
    "CreationRejected": lambda e, n: (
        f"creation #{e['id']} rejected{_why(e['reason'])}: {_etf(e, n, e['underlyingUnits'])} "
        f"returned to {n.name(e['requester'])}"
    ),
    "CancelledInKind": lambda e, n: (
        f"{n.name(e['holder'])} cancelled {_jdrs(e, n, e['jdrUnits'])} for "
        f"{_etf(e, n, e['underlyingUnits'])}, in kind"
    ),
    "RatioChangeProposed": lambda e, n: (
        f"{n.name(e['trustee'])} proposes {_jdr_symbol(e.contract)} ratio "
        f"{_ratio(e['numerator'], e['denominator'])} per ETF unit{_why(e['reason'])}, for the "
        "settlor to confirm"
    ),
    "RatioChanged": lambda e, n: (
        f"{_jdr_symbol(e.contract)} ratio {_ratio(e['oldNumerator'], e['oldDenominator'])} → "
        f"{_ratio(e['numerator'], e['denominator'])} per ETF unit{_why(e['reason'])}: the trust "
        f"holds {_etf(e, n, e['heldAfter'])} (was {_etf(e, n, e['heldBefore'])}), no holder touched"
    ),
    "AuthorisedParticipantSet": lambda e, n: (
        f"{n.name(e['participant'])} "
        + ("named" if e["authorised"] else "no longer")
        + f" an authorised participant for {_jdr_symbol(e.contract)} creations, by "
        f"{n.name(e['trustee'])}"
    ),
    "CancelEligibilitySet": lambda e, n: (
        f"{n.name(e['holder'])} "
        + ("confirmed able" if e["eligible"] else "no longer confirmed able")
        + f" to take the ETF in kind for its {_jdr_symbol(e.contract)}, by {n.name(e['trustee'])}"
    ),
    "OperationSuspended": lambda e, n: (
        f"{_jdr_symbol(e.contract)} {_words(Operation(e['operation']))} suspended by "
        f"{n.name(e['trustee'])}{_why(e['reason'])}"
    ),
    "OperationResumed": lambda e, n: (
        f"{_jdr_symbol(e.contract)} {_words(Operation(e['operation']))} resumed by "
        f"{n.name(e['trustee'])}{_why(e['reason'])}"
    ),
    "RecordDateAnnounced": lambda e, n: (
        f"{_jdr_symbol(e.contract)} distribution #{e['id']}: record date "
        f"{from_unix(int(e['recordTime'])):%Y-%m-%d} (holders at the end of that day, Tokyo), "
        f"announced by {n.name(e['trustee'])}"
    ),
    "DistributionDeclared": lambda e, n: (
        f"{_jdr_symbol(e.contract)} distribution #{e['id']} declared: "
        f"{_foreign(e, n, e['foreignAmount'])} at {_e18(e['fxE18'])} = gross "
        f"{_jpy(e['grossJpy'])}, fee {_jpy(e['feeJpy'])}, net {_jpy(e['netJpy'])} for "
        f"{_jdrs(e, n, e['unitsOfRecord'])} of record"
    ),
    "DistributionClaimed": lambda e, n: (
        f"{n.name(e['holder'])} claimed {_jpy(e['amountJpy'])} of distribution #{e['id']} for "
        f"{_jdrs(e, n, e['units'])} held at the record date"
    ),
    "BuybackRequested": lambda e, n: (
        f"buyback #{e['id']}: {n.name(e['holder'])} asks the settlor to buy "
        f"{_jdrs(e, n, e['units'])} for {_jpy(e['priceJpy'])}"
    ),
    "BuybackSettled": lambda e, n: (
        f"buyback #{e['id']} settled: {_jdrs(e, n, e['units'])} from {n.name(e['holder'])} to "
        f"{n.name(e['settlor'])} against {_jpy(e['priceJpy'])}"
    ),
    "BuybackDeclined": lambda e, n: (
        f"{_jdr_symbol(e.contract)} buyback #{e['id']} declined by the settlor{_why(e['reason'])}"
    ),
    "BuybackWithdrawn": lambda e, n: (
        f"{_jdr_symbol(e.contract)} buyback #{e['id']} withdrawn by its holder"
    ),
    "Disclosed": lambda e, n: (
        f"{_jdr_symbol(e.contract)} as of {_when(e['asOf'])}: NAV {_jpy(e['navTotalJpy'])}, "
        f"JPY {_e18(e['navPerUnitE18'])} per unit, {_jdrs(e, n, e['unitsOutstanding'])} "
        f"outstanding on {_etf(e, n, e['underlyingHeld'])} at {_etf_currency(e, n)}"
        f"{_e18(e['navPerUnderlyingE18'])} a unit, FX {_e18(e['fxE18'])}"
    ),
    "TrustTerminated": lambda e, n: (
        f"{_jdr_symbol(e.contract)} trust terminated by {n.name(e['trustee'])} "
        f"({_trigger(e['trigger'])}){_why(e['reason'])}: "
        f"{_jdrs(e, n, e['unitsOutstanding'])} outstanding on {_etf(e, n, e['underlyingHeld'])}; "
        "its JDRs no longer move"
    ),
    "TrustLiquidated": lambda e, n: (
        f"{n.name(e['trustee'])} sold the {_jdr_symbol(e.contract)} trust's "
        f"{_etf(e, n, e['underlyingSold'])} and paid in {_jpy(e['proceedsJpy'])} for its holders"
    ),
    "TerminationClaimed": lambda e, n: (
        f"{n.name(e['holder'])} surrendered {_jdrs(e, n, e['units'])} for "
        f"{_jpy(e['amountJpy'])} of the termination proceeds"
    ),
    "TokenClosed": lambda e, n: (
        f"{e.contract.removesuffix(' token')} closed by {n.name(e['trust'])} at "
        f"{_when(e['at'])}: it no longer moves"
    ),
    # ETF creation and redemption clearing
    "CalendarPublished": lambda e, n: (
        f"trading calendar published from {_day(e['from'])} to {_day(e['through'])} with "
        f"{len(e['holidays']):,} weekday holiday{'s' * (len(e['holidays']) != 1)}"
    ),
    "TrustBankStatusChanged": lambda e, n: (
        f"{n.name(e['trustBank'])} for ETF clearing: {_enum(e['previous'])} → {_enum(e['status'])}"
    ),
    "EtfNotified": lambda e, n: (
        f"ETF {_code(e['code'])} notified for clearing: units {n.name(e['etf'][0])}, trust bank "
        f"{n.name(e['etf'][1])}, manager {n.name(e['etf'][2])}, listing {_day(e['etf'][3])}, "
        f"{e['etf'][6]:,} units a creation unit"
    ),
    "BasketSet": lambda e, n: (
        f"ETF {_code(e['code'])} basket per creation unit: "
        + (", ".join(n.amount(q, t) for t, q in e["basket"]) or "no securities")
        + f" and {_jpy(e['cashPerCreationUnit'])}"
    ),
    "DelistingDecided": lambda e, n: (
        f"ETF {_code(e['code'])} to be delisted: last trading day {_day(e['lastTradingDay'])}"
    ),
    "Applied": lambda e, n: (
        f"{n.name(e['member'])} applied (#{e['id']}) for {_enum(e['kind'])} "
        f"of {e['creationUnits']:,} creation unit{'s' * (e['creationUnits'] != 1)} of ETF "
        f"{_code(e['code'])}"
    ),
    "ApplicationDeclined": lambda e, n: f"application #{e['id']} declined{_why(e['reason'])}",
    "StatementDrawnUp": lambda e, n: (
        f"statement of application #{e['id']} drawn up: the member "
        + ", ".join(
            f"{'receives' if q > 0 else 'delivers'} {n.amount(abs(q), t)}"
            for t, q in zip(e["tokens"], e["quantities"], strict=True)
        )
        + (
            f", {'receives' if e['cashJpy'] > 0 else 'pays'} {_jpy(abs(e['cashJpy']))}"
            if e["cashJpy"]
            else ""
        )
    ),
    "StatementApproved": lambda e, n: (
        f"statement of application #{e['id']} approved by the trust bank: T is "
        f"{_day(e['statementDay'])}"
    ),
    "Novated": lambda e, n: (
        f"application #{e['id']} novated by the CCP, settling on {_day(e['settlementDay'])}"
    ),
    "NovationRefused": lambda e, n: (
        f"application #{e['id']} refused at novation: not eligible under article 46(2)"
    ),
    "TradeNovated": lambda e, n: (
        f"{n.name(e['member'])} {'bought' if e['buy'] else 'sold'} "
        f"{n.amount(e['quantity'], e['token'])} at {_jpy(e['priceJpy'])}, novated for "
        f"{_day(e['day'])}"
    ),
    "BookOpened": lambda e, n: (
        f"settlement book of {n.name(e['party'])} ({_enum(e['stream'])}) opened for "
        f"{_day(e['day'])}"
    ),
    "ObligationsRecorded": lambda e, n: (
        f"obligations of application #{int.from_bytes(e['ref'], 'big')} recorded: "
        + ", ".join(
            f"{'+' if q > 0 else '-'}{n.amount(abs(q), t)}"
            for t, q in zip(e["tokens"], e["quantities"], strict=True)
        )
        + (f", {'+' if e['cashJpy'] > 0 else '-'}{_jpy(abs(e['cashJpy']))}" if e["cashJpy"] else "")
    ),
    "NettingClosed": lambda e, n: (
        f"netting for {_day(e['day'])} closed: {e['books']:,} "
        f"book{'s' * (e['books'] != 1)} to settle"
    ),
    "DvpPriceSet": lambda e, n: (
        f"DvP clearing price of {n.name(e['token'])} for {_day(e['day'])}: {_jpy(e['priceJpy'])}"
    ),
    "Delivered": lambda e, n: (
        f"{n.amount(e['quantity'], e['token'])} delivered to the CCP (worth {_jpy(e['valueJpy'])})"
    ),
    "CashPaidIn": lambda e, n: f"{_jpy(e['amountJpy'])} paid in to the CCP",
    "Received": lambda e, n: (
        f"{n.amount(e['quantity'], e['token'])} received from the CCP (worth {_jpy(e['valueJpy'])})"
    ),
    "CashPaidOut": lambda e, n: f"{_jpy(e['amountJpy'])} paid out by the CCP",
    "SurplusReturned": lambda e, n: f"{_jpy(e['amountJpy'])} of pre-funding returned",
    "UnitsCreated": lambda e, n: f"{n.amount(e['quantity'], e['token'])} created for delivery",
    "UnitsCancelled": lambda e, n: f"{n.amount(e['quantity'], e['token'])} cancelled",
    "BookSkipped": lambda e, n: "a settlement book passed over: its party cannot receive now",
    "DeliveryRolled": lambda e, n: (
        f"{n.amount(e['quantity'], e['token'])} not delivered (worth {_jpy(e['valueJpy'])}): "
        f"failed, rolled to the next business day with a late charge of {_jpy(e['chargeJpy'])}"
    ),
    "ReceiptRolled": lambda e, n: (
        f"receipt of {n.amount(e['quantity'], e['token'])} (worth {_jpy(e['valueJpy'])}) rolled "
        f"to the next business day, owed a late charge of {_jpy(e['chargeJpy'])}"
    ),
    "BuyInRequested": lambda e, n: (
        f"buy-in of {n.name(e['token'])} asked for: it may be designated from {_day(e['from'])}"
    ),
    "BuyInDesignated": lambda e, n: (
        f"the failing party designated to buy in {n.amount(e['quantity'], e['token'])} on its "
        "own account"
    ),
    "ObligationsVoided": lambda e, n: (
        f"obligations of application #{int.from_bytes(e['ref'], 'big')} voided: it lapsed"
    ),
    "DeliveryReturned": lambda e, n: (
        f"{n.amount(e['quantity'], e['token'])} delivered for a lapsed contract returned"
    ),
    "ApplicationLapsed": lambda e, n: (
        f"application #{e['id']} lapsed: its ETF special participant defaulted before settlement"
    ),
}


def _document(e: DecodedEvent) -> str:
    """`delivery order #3`, `warehouse receipt #12`: a goods token as its event names it."""
    return f"{e.contract.removesuffix('s')} #{e['tokenId']}"


def _goods_transfer(e: DecodedEvent, n: Namer) -> str:
    if int(e["from"], 16) == 0:
        return f"{_document(e)} issued to {n.name(e['to'])}"
    if int(e["to"], 16) == 0:
        return f"{_document(e)} of {n.name(e['from'])} burnt"
    return f"{_document(e)} from {n.name(e['from'])} to {n.name(e['to'])}"


def _jdr_symbol(label: str) -> str:
    """`SPY-JDR` from a trust's or a JDR token's label (`SPY-JDR trust`, `SPY-JDR token`)."""
    return label.removesuffix(" trust").removesuffix(" token")


def _trigger(value: int) -> str:
    """`ETF delisted`: why a trust ended (`Trigger`), in words."""
    said = _words(Trigger(value)).split()
    return " ".join(w.upper() if w in ("etf", "jdr") else w for w in said)


def _ratio(numerator: int, denominator: int) -> str:
    """`10 JDR` or `5/2 JDR`: a trust's ratio, JDR units per ETF unit."""
    return f"{Fraction(int(numerator), int(denominator))} JDR"


def _jdrs(e: DecodedEvent, n: Namer, units: int) -> str:
    """`1,000 SPY-JDR`: JDR units of the trust that emitted `e`."""
    return n.amount(units, _jdr_symbol(e.contract))


def _deed(e: DecodedEvent, n: Namer) -> Any:
    """The deed of the trust that emitted `e`, when the namer finds trusts (a `Deployment` does,
    by `jdr(address)`), else None: the sentence then says `ETF units` and smallest units."""
    find = getattr(n, "jdr", None)
    if find is None:
        return None
    try:
        return find(e.address).deed()
    except KabutoError:
        return None


def _etf(e: DecodedEvent, n: Namer, units: int) -> str:
    """`100 SPY`: ETF units of the trust that emitted `e`."""
    deed = _deed(e, n)
    return n.amount(units, deed.underlying) if deed else f"{units:,} ETF units"


def _etf_currency(e: DecodedEvent, n: Namer) -> str:
    """`USD ` (the ETF's currency, to go before an amount), or nothing when it is not known."""
    deed = _deed(e, n)
    return f"{n.currency_of(deed.underlying)} " if deed else ""


def _e18(value: int) -> str:
    """`151.23`, `9,262.8375`: a figure with 18 decimals, exact, without trailing zeros."""
    return f"{(Decimal(int(value)) / 10**18).normalize():,f}"


def _foreign(e: DecodedEvent, n: Namer, units: int) -> str:
    """`1,234.56 USD`: an amount of the trust's foreign cash (the ETF's currency)."""
    deed = _deed(e, n)
    if deed is None:
        return f"{units:,} smallest units of the ETF's currency"
    return n.amount(units, deed.foreign_cash)


def _legs(legs: Iterable[tuple[str, int]], n: Namer) -> str:
    """`40,000 JGB374 and 8,000,000.00 USD`: a substitution's legs, as (asset, units) pairs."""
    said = [n.amount(units, asset) for asset, units in legs]
    return ", ".join(said[:-1]) + f" and {said[-1]}" if len(said) > 1 else "".join(said)


def _nonce(nonce: int) -> str:
    """`#0x3f9a1c…/0`: a keyed nonce (OpenZeppelin `NoncesKeyed`) as its key, shortened, and
    its sequence on that key."""
    key, sequence = nonce >> 64, nonce & (2**64 - 1)
    return f"#{key:#x}"[:9] + f"…/{sequence}"


_LAYER = (
    "the defaulter's house margin", "the defaulter's clearing-fund contribution",
    "the CCP's own tranche", "a surviving member's clearing-fund contribution",
)  # fmt: skip


def describe(event: DecodedEvent, namer: Namer) -> str:
    """One business sentence for `event`, naming participants, assets and accounts."""
    sentence = _SENTENCES.get(event.name)
    if sentence is None:  # an event of a contract this version does not know the words for
        return ", ".join(f"{k}={v}" for k, v in event.args.items())
    return sentence(event, namer)


def known_events() -> frozenset[str]:
    """Event names `describe` has a sentence for."""
    return frozenset(_SENTENCES)
