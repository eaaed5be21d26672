"""Kabuto's benchmark: gas per operation against OpenZeppelin ERC-20 and T-REX, and throughput.

`make bench` runs this script (`.venv/bin/python scripts/bench.py`). Everything happens in one run
on one fresh embedded Anvil (`pyclient.Chain.connect()`):

1. deploy Kabuto (`pyclient.deploy`, JPY and USD tokens), the plain OpenZeppelin ERC-20 floor
   (`PlainERC20`, built with the same compiler settings as Kabuto's tokens) and T-REX v4
   (`trex_baseline`, from the artifacts shipped in its npm package); publish prices, FX rates and
   risk parameters;
2. measure transfer gas of the three tokens the same way: same raw amount, a warm recipient
   (already holding a non-zero balance) and a cold one (holding zero), the sender keeping a
   non-zero balance;
3. measure the gas of Kabuto's other operations: token agent operations, admission, the collateral
   vault (deposit, withdrawal), margin calls (met by standing instruction, met by a deposit) and a
   default declaration;
4. measure throughput: sequential, pipelined and raw pre-signed token transfers;
5. measure how batched margin operations scale: requirement batches and margin-call batches at
   N = 1, 10, 100, 500 accounts, and the largest batch that fits in one block (verified by sending
   it);
6. write `bench/results.json` and the report `bench/RESULTS.md`.

Every gas figure is the `gasUsed` of a receipt from this run (besides the gas the next larger batch
would need, an eth_estimateGas of this run, and figures fitted to receipts). Operations that have
not landed yet appear as rows with `"gas": null` and a `"pending"` reason.

Adding a measurement is one function: write `measure_x(bench) -> list[Operation]` and append it
to `OPERATIONS`; then drop the matching row from `PENDING`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trex_baseline
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import RPCEndpoint

from pyclient import (
    DEFAULT_ASSETS,
    AccountKind,
    CallStatus,
    CallType,
    Ccp,
    Chain,
    ClearingMember,
    Deployment,
    Kind,
    Oracle,
    RiskParameters,
    TokenIssuer,
    artifacts,
    deploy,
)
from pyclient.chain import devnet
from pyclient.chain.anvil import BLOCK_GAS_LIMIT, find_anvil
from pyclient.chain.client import ErrorContext, Receipt
from pyclient.collateral.vault import account_id
from pyclient.margin import call_deadline, from_unix, to_unix
from pyclient.units import to_bytes32

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "bench"

# Kabuto's JPY token has zero decimals, like T-REX's benchmark token, so the same raw amounts (in
# calldata of the same size) go to all three tokens. PlainERC20 has 18 decimals; raw units count.
ASSET = "JPY"
SENDER_FUNDS = 1_000_000  # raw units the sender starts with, on every token
SEED = 1_000  # raw units the warm recipient gets (unmeasured) before it is measured
AMOUNT = 100  # raw units of every measured transfer, mint and burn
WARM_SAMPLES = 3  # warm transfers measured per token; expected to agree
THROUGHPUT_TXS = 300  # K, transfers per throughput mode and round
THROUGHPUT_ROUNDS = 3  # every mode runs this many times, in rotated order; medians are reported
STEADY_STATE_BLOCK = 600  # throughput is timed past Anvil's in-memory state history (~500 blocks)
RECEIPT_POLL = 0.02  # seconds between receipt polls; the same as pyclient's Chain.wait

# Collateral and margin. The vault values JPY at 1 and USD at 150 JPY less a 2% haircut.
MARGIN_ASSETS = ("JPY", "USD")  # deployed; JPY is the only one the transfer measurements use
PRICES = {"JPY": 1, "USD": 1}
FX_RATES = {"USD": "150"}
RISK = {"JPY": RiskParameters(0), "USD": RiskParameters(200)}
MEMBER_FUNDS = 1_000_000  # JPY each margin member starts with
WITHDRAW_REQUIREMENT = 1_000  # JPY; non-zero, so a withdrawal values the account
CALL_REQUIREMENT = 100_000  # JPY; with SEED JPY deposited, the call is for the rest
PULL_CAP = 500_000  # JPY the standing instruction may pull per call (covers the call)
DEFAULT_HOLDINGS = {"JPY": 300_000, "USD": "100.00"}  # the defaulter's house collateral
DEFAULT_REQUIREMENT = 1_000_000  # JPY

# Scale: batches of N accounts, each of a clearing member admitted for the purpose. The members
# never sign anything, so they are addresses derived from a fixed seed (the same every run, so the
# calldata, whose cost depends on its zero bytes, is the same every run).
SCALE_NS = (1, 10, 100, 500)
SCALE_REQUIREMENT = 1_000_000  # JPY; round r posts SCALE_REQUIREMENT + r * 1_000 + i
FLAT_TOLERANCE = 1.05  # "flat": marginal gas per account from N=100 to 500 within 5% of 10 to 100
EIP7825_TX_GAS_CAP = 2**24  # Osaka's per-transaction gas cap (Anvil here does not enforce it)
RAISED_BLOCK_GAS_LIMIT = 200_000_000  # for the one batch that needs more than a block
VERIFY_SLACK = 40  # accounts beyond the model's largest batch, for the search around it
VERIFY_MAX_ACCOUNTS = 10_000  # most accounts the bench opens to verify the largest batch
SETUP_BATCH = 1_000  # accounts per unmeasured requirement posting during set-up

# External reference points (thousands of gas), quoted in the T-REX section of the report and never
# used as measurements: T-REX's own CI gas report, and the same T-REX deployment and transfers as
# here run separately on throwaway Anvils with `--hardfork istanbul` and `--hardfork berlin`.
TREX_PUBLISHED_TRANSFER_KGAS = 156
TREX_ISTANBUL_KGAS = (144, 161)  # (warm, cold)
TREX_BERLIN_KGAS = (200, 217)  # (warm, cold)
TREX_PACKAGE_JSON = trex_baseline.NODE_MODULES / "@tokenysolutions/t-rex/package.json"

PENDING_SWAP = "atomic substitution not landed"

Say = Callable[[str], None]


# ---------------------------------------------------------------------- result rows


@dataclass
class Operation:
    """One row of `operations`: Kabuto's gas for an operation and its baselines' gas."""

    name: str
    gas: int | None
    baselines: dict[str, int | None] = field(default_factory=dict)
    note: str = ""
    pending: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"name": self.name, "gas": self.gas, "baselines": self.baselines}
        if self.pending is not None:
            row["pending"] = self.pending
        if self.note:
            row["note"] = self.note
        return row | self.extra


@dataclass(frozen=True)
class ScalePoint:
    """One row of `scale`: gas per item of a batched operation at batch size `n`."""

    operation: str
    n: int
    gas_per_item: int

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "n": self.n, "gas_per_item": self.gas_per_item}


@dataclass(frozen=True)
class Target:
    """A gas target: `operation` costs at most `max_ratio` times `baseline`."""

    operation: str
    baseline: str
    max_ratio: float
    description: str


TARGETS = (
    Target("token.transfer", "openzeppelin.erc20.transfer", 1.5, "transfer (warm) ≤ 1.5× OZ"),
    Target(
        "token.transfer.cold", "openzeppelin.erc20.transfer.cold", 1.5, "transfer (cold) ≤ 1.5× OZ"
    ),
    Target("token.transfer", "trex.transfer", 0.5, "transfer (warm) ≤ 0.5× T-REX"),
    Target("token.transfer.cold", "trex.transfer.cold", 0.5, "transfer (cold) ≤ 0.5× T-REX"),
)
FLAT_TARGET = "per-account gas of requirement batches stays flat with N"


# ---------------------------------------------------------------------- the bench


@dataclass
class Bench:
    """Everything deployed on the bench chain, and who plays which part."""

    chain: Chain
    kabuto: Deployment
    ccp: Ccp
    issuer: TokenIssuer
    members: dict[str, ClearingMember]  # "sender", "warm", "cold"
    newcomer: LocalAccount  # admitted by the registry.admit measurement
    oz: Contract
    oz_accounts: dict[str, LocalAccount]  # "sender", "warm", "cold"
    trex: trex_baseline.TrexSuite
    trex_accounts: dict[str, LocalAccount]  # "sender", "warm", "cold"
    oracle: Oracle
    spare_keys: list[LocalAccount]  # funded keys for the vault and margin measurements
    say: Say

    @property
    def token(self) -> Contract:
        return self.kabuto.token(ASSET)


PARTS = ("sender", "warm", "cold")


def setup(chain: Chain, say: Say) -> Bench:
    """Deploy Kabuto and both baselines on `chain`; fund each sender with `SENDER_FUNDS`."""
    keys = chain.dev_accounts(20)
    say(f"deploying Kabuto with pyclient.deploy() ({', '.join(MARGIN_ASSETS)} tokens)")
    kabuto, ccp, issuer = _deploy_kabuto(chain, keys[0], keys[1], say)
    say("publishing FX rates, prices and risk parameters")
    oracle = Oracle(kabuto, keys[0])  # deploy() leaves the oracle role with the operator
    oracle.set_risk_parameters(RISK)
    _publish_market_data(oracle)
    members: dict[str, ClearingMember] = {}
    for part, key in zip(PARTS, keys[2:5], strict=True):
        ccp.admit_member(key.address, f"bench-{part}")
        members[part] = ClearingMember(kabuto, key)
    issuer.issue(ASSET, members["sender"], SENDER_FUNDS, ref="bench funding")

    say("deploying OpenZeppelin PlainERC20")
    oz_accounts = dict(zip(PARTS, keys[6:9], strict=True))
    oz, _ = chain.deploy(
        "PlainERC20", ["Plain", "PLAIN", oz_accounts["sender"].address, SENDER_FUNDS], keys[6]
    )

    say("deploying T-REX v4 through TREXFactory (implementations, proxies, 3 investors)")
    trex_accounts = dict(zip(PARTS, keys[10:13], strict=True))
    suite = trex_baseline.deploy_trex(chain.w3, keys[9], list(trex_accounts.values()))
    trex_baseline.mint(suite, chain.w3, trex_accounts["sender"].address, SENDER_FUNDS)

    return Bench(
        chain=chain,
        kabuto=kabuto,
        ccp=ccp,
        issuer=issuer,
        members=members,
        newcomer=keys[5],
        oz=oz,
        oz_accounts=oz_accounts,
        trex=suite,
        trex_accounts=trex_accounts,
        oracle=oracle,
        spare_keys=keys[13:20],
        say=say,
    )


def _deploy_kabuto(
    chain: Chain, operator: LocalAccount, issuer_key: LocalAccount, say: Say
) -> tuple[Deployment, Ccp, TokenIssuer]:
    specs = [next(a for a in DEFAULT_ASSETS if a.symbol == s) for s in MARGIN_ASSETS]
    kabuto = deploy(
        chain, operator, assets=specs, issuer=issuer_key.address, progress=lambda m: say(f"  {m}")
    )
    return kabuto, Ccp(kabuto, operator), TokenIssuer(kabuto, issuer_key)


def _publish_market_data(oracle: Oracle) -> None:
    """FX rates and prices as of now (they go stale after the deployment's 24 hours)."""
    oracle.publish_fx_rates(FX_RATES)
    oracle.publish_prices(PRICES)


def _last_gas(chain: Chain, label: str) -> int:
    """Gas of the latest receipt, which must carry `label` (for calls that return no receipt)."""
    record = chain.gas_log[-1]
    if record.label != label:
        raise RuntimeError(f"expected the last receipt to be {label}, got {record.label}")
    return record.gas_used


# ---------------------------------------------------------------------- transfers, the same way


@dataclass(frozen=True)
class Subject:
    """A token under test, reduced to what the transfer measurement needs."""

    prefix: str  # row or baseline name: "token", "openzeppelin.erc20", "trex"
    transfer: Callable[[str, int], int]  # sender -> part ("warm"/"cold"); returns gas used
    balance: Callable[[str], int]  # raw balance of a part


def _kabuto_subject(b: Bench) -> Subject:
    def transfer(to: str, amount: int) -> int:
        return b.members["sender"].transfer(ASSET, b.members[to], amount).gas_used

    def balance(part: str) -> int:
        return int(b.token.functions.balanceOf(b.members[part].address).call())

    return Subject("token", transfer, balance)


def _oz_subject(b: Bench) -> Subject:
    def transfer(to: str, amount: int) -> int:
        fn = b.oz.functions.transfer(b.oz_accounts[to].address, amount)
        sender = b.oz_accounts["sender"]
        return b.chain.transact(fn, sender, label="openzeppelin.erc20.transfer").gas_used

    def balance(part: str) -> int:
        return int(b.oz.functions.balanceOf(b.oz_accounts[part].address).call())

    return Subject("openzeppelin.erc20", transfer, balance)


def _trex_subject(b: Bench) -> Subject:
    def transfer(to: str, amount: int) -> int:
        sender = b.trex_accounts["sender"]
        return trex_baseline.transfer(
            b.trex, b.chain.w3, sender, b.trex_accounts[to].address, amount
        )

    def balance(part: str) -> int:
        return int(b.trex.token.functions.balanceOf(b.trex_accounts[part].address).call())

    return Subject("trex", transfer, balance)


@dataclass(frozen=True)
class TransferGas:
    warm: int
    warm_samples: list[int]
    cold: int


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(f"benchmark precondition failed: {message}")


def measure_transfer_pair(subject: Subject, say: Say) -> TransferGas:
    """Seed the warm recipient, then measure warm transfers and one cold transfer."""
    _check(subject.balance("warm") == 0, f"{subject.prefix}: warm recipient starts empty")
    subject.transfer("warm", SEED)  # unmeasured: makes the recipient warm, identically everywhere
    samples = []
    for _ in range(WARM_SAMPLES):
        _check(subject.balance("warm") > 0, f"{subject.prefix}: warm recipient holds tokens")
        samples.append(subject.transfer("warm", AMOUNT))
    if len(set(samples)) != 1:
        say(f"  note: {subject.prefix} warm transfers differ: {samples}; reporting the median")
    _check(subject.balance("cold") == 0, f"{subject.prefix}: cold recipient holds nothing")
    cold = subject.transfer("cold", AMOUNT)
    _check(subject.balance("sender") > 0, f"{subject.prefix}: sender keeps a balance")
    return TransferGas(int(statistics.median(samples)), samples, cold)


def measure_transfers(b: Bench) -> list[Operation]:
    """`token.transfer` and `token.transfer.cold`, with both baselines measured the same way."""
    gas: dict[str, TransferGas] = {}
    for subject in (_kabuto_subject(b), _oz_subject(b), _trex_subject(b)):
        pair = gas[subject.prefix] = measure_transfer_pair(subject, b.say)
        b.say(f"  {subject.prefix:<20} warm {pair.warm:>7,}  cold {pair.cold:>7,}")
    ours, oz, trex = gas["token"], gas["openzeppelin.erc20"], gas["trex"]
    samples = {f"{k}.warm_samples": v.warm_samples for k, v in gas.items()}
    return [
        Operation(
            "token.transfer",
            ours.warm,
            {"openzeppelin.erc20.transfer": oz.warm, "trex.transfer": trex.warm},
            note="recipient already holds a non-zero balance; sender keeps a non-zero balance",
            extra={"samples": samples},
        ),
        Operation(
            "token.transfer.cold",
            ours.cold,
            {"openzeppelin.erc20.transfer.cold": oz.cold, "trex.transfer.cold": trex.cold},
            note="recipient holds zero before; sender keeps a non-zero balance",
        ),
    ]


# ---------------------------------------------------------------------- Kabuto's other operations


def measure_forced_transfer(b: Bench) -> list[Operation]:
    m = b.members
    receipt = b.ccp.forced_transfer(ASSET, m["sender"], m["warm"], AMOUNT, reason="bench")
    note = "agent moves tokens of an unfrozen holder to a warm recipient; nothing to unfreeze"
    return [Operation("token.forced_transfer", receipt.gas_used, note=note)]


def measure_mint(b: Bench) -> list[Operation]:
    """`token.mint` to a holder with a balance; T-REX's agent mint measured the same way."""
    ours = b.issuer.issue(ASSET, b.members["warm"], AMOUNT, ref="bench mint").gas_used
    trex = trex_baseline.mint(b.trex, b.chain.w3, b.trex_accounts["warm"].address, AMOUNT)
    note = "to a holder with a non-zero balance, total supply already non-zero"
    return [Operation("token.mint", ours, {"trex.mint": trex}, note=note)]


def measure_burn(b: Bench) -> list[Operation]:
    receipt = b.issuer.redeem(ASSET, b.members["warm"], AMOUNT, ref="bench burn")
    note = "from a holder that keeps a non-zero balance"
    return [Operation("token.burn", receipt.gas_used, note=note)]


def measure_freeze_tokens(b: Bench) -> list[Operation]:
    receipt = b.ccp.freeze_tokens(ASSET, b.members["cold"], AMOUNT // 2, reason="bench")
    note = "first partial freeze on the holder (frozen amount goes from zero to non-zero)"
    return [Operation("token.freeze_tokens", receipt.gas_used, note=note)]


def measure_admit(b: Bench) -> list[Operation]:
    listed = b.kabuto.registry.functions.participantCount().call()
    b.ccp.admit_member(b.newcomer.address, "bench-newcomer")
    gas = _last_gas(b.chain, "registry.admit")
    note = f"a clearing member, into a registry already listing {listed} participants"
    return [Operation("registry.admit", gas, note=note)]


# ---------------------------------------------------------------------- collateral and margin


def _margin_member(b: Bench, key: LocalAccount, name: str) -> tuple[ClearingMember, int]:
    """A clearing member holding `MEMBER_FUNDS` JPY, with a house account and the vault approved.

    The approval is unlimited, as a standing instruction needs it: OpenZeppelin's `transferFrom`
    then leaves the allowance as it is, the steady state of a member that posts collateral often.
    """
    b.ccp.admit_member(key.address, f"bench-{name}")
    member = ClearingMember(b.kabuto, key)
    b.issuer.issue(ASSET, member, MEMBER_FUNDS, ref=f"bench {name}")
    account = b.ccp.open_account(member, AccountKind.HOUSE)
    member.approve_vault(ASSET)
    return member, account


def _holding(b: Bench, account: int, symbol: str) -> int:
    asset = b.kabuto.assets[symbol].address
    return int(b.kabuto.vault.functions.holding(account, asset).call())


def _vault_events(b: Bench, event: str, receipt: Receipt) -> list[dict[str, Any]]:
    return b.chain.events(b.kabuto.vault, event, receipt)


def measure_vault(b: Bench) -> list[Operation]:
    """`vault.deposit` into a house account already holding JPY; `vault.withdraw` out of it."""
    member, account = _margin_member(b, b.spare_keys[0], "depositor")
    member.deposit(ASSET, SEED)  # unmeasured: the account's JPY holding becomes non-zero
    samples = []
    for _ in range(WARM_SAMPLES):
        _check(_holding(b, account, ASSET) > 0, "the house account already holds JPY")
        samples.append(member.deposit(ASSET, AMOUNT).gas_used)
    if len(set(samples)) != 1:
        b.say(f"  note: deposits differ: {samples}; reporting the median")
    deposit = int(statistics.median(samples))

    b.ccp.post_requirements({account: WITHDRAW_REQUIREMENT}, run_id="bench withdraw")
    _check(len(b.kabuto.vault.functions.assetsOf(account).call()) == 1, "one asset held")
    receipt = member.withdraw(ASSET, AMOUNT)
    (event,) = _vault_events(b, "CollateralWithdrawn", receipt)
    _check(
        event["requirementJpy"] == WITHDRAW_REQUIREMENT
        and event["valueAfterJpy"] >= WITHDRAW_REQUIREMENT,
        "the withdrawal is valued against a non-zero requirement and stays above it",
    )
    _check(_holding(b, account, ASSET) > 0, "the house account keeps a non-zero holding")
    b.say(f"  vault.deposit {deposit:,}  vault.withdraw {receipt.gas_used:,}")
    return [
        Operation(
            "vault.deposit",
            deposit,
            note="JPY into a house account already holding JPY, vault approved for an unlimited "
            "amount (the allowance is not rewritten); no open call",
            extra={"samples": samples},
        ),
        Operation(
            "vault.withdraw",
            receipt.gas_used,
            note=f"JPY out of a house account holding only JPY, against a requirement of "
            f"{WITHDRAW_REQUIREMENT:,} JPY (non-zero, so the account is valued: one quote read); "
            "the holding stays non-zero",
        ),
    ]


def _short_account(b: Bench, key: LocalAccount, name: str) -> tuple[ClearingMember, int]:
    """A member whose house account holds `SEED` JPY against a requirement of `CALL_REQUIREMENT`."""
    member, account = _margin_member(b, key, name)
    member.deposit(ASSET, SEED)
    b.ccp.post_requirements({account: CALL_REQUIREMENT}, run_id=f"bench {name}")
    return member, account


def measure_call_with_auto_pull(b: Bench) -> list[Operation]:
    """A margin call met in its own transaction by the member's standing instruction."""
    member, account = _short_account(b, b.spare_keys[1], "auto-pull")
    member.set_standing_instruction([(ASSET, PULL_CAP)])
    (call,) = b.ccp.issue_margin_calls([account], CallType.REGULAR)
    gas = _last_gas(b.chain, "vault.issueMarginCalls")
    _check(call.status is CallStatus.MET, "the standing instruction met the call")
    _check(_holding(b, account, ASSET) == CALL_REQUIREMENT, "exactly the shortfall was pulled")
    note = (
        f"one account holding {SEED:,} JPY against a requirement of {CALL_REQUIREMENT:,}: the call "
        f"is issued and its standing instruction (JPY, up to {PULL_CAP:,} a call) pulls the "
        f"{call.shortfall_jpy:,} JPY short, meeting it in the same transaction"
    )
    return [Operation("margin.call_with_auto_pull", gas, note=note)]


def measure_call_met_by_deposit(b: Bench) -> list[Operation]:
    """The deposit that meets an open margin call (the call itself issued beforehand)."""
    member, account = _short_account(b, b.spare_keys[2], "call-payer")
    (call,) = b.ccp.issue_margin_calls([account], CallType.REGULAR)
    issued = _last_gas(b.chain, "vault.issueMarginCalls")
    _check(call.status is CallStatus.ISSUED, "no standing instruction: the call stays open")
    receipt = member.deposit(ASSET, call.shortfall_jpy)
    _check(b.kabuto.margin_call(call.id).status is CallStatus.MET, "the deposit met the call")
    _check(len(_vault_events(b, "MarginCallMet", receipt)) == 1, "the deposit says so")
    note = (
        f"deposit of the {call.shortfall_jpy:,} JPY short into a house account already holding "
        "JPY, with a call open: the account is valued and the call closed in the same transaction"
    )
    extra = {"call_issued_gas": issued}
    return [Operation("margin.call_met_by_deposit", receipt.gas_used, note=note, extra=extra)]


def measure_default_declaration(b: Bench) -> list[Operation]:
    """`declareDefault` on an overdue call, seizing house collateral in two assets."""
    member, account = _margin_member(b, b.spare_keys[3], "defaulter")
    b.issuer.issue("USD", member, "1000.00", ref="bench defaulter")
    member.approve_vault("USD")
    for symbol, amount in DEFAULT_HOLDINGS.items():
        member.deposit(symbol, amount)
    b.ccp.post_requirements({account: DEFAULT_REQUIREMENT}, run_id="bench default")
    (call,) = b.ccp.issue_margin_calls([account], CallType.REGULAR)
    # Past the deadline; prices are refreshed as the oracle does daily (they go stale after 24 h).
    devnet.increase_time(b.chain, to_unix(call.deadline) - b.kabuto.chain_time() + 60)
    _publish_market_data(b.oracle)
    overdue = b.ccp.mark_overdue([call.id]).gas_used
    _check(b.kabuto.margin_call(call.id).status is CallStatus.OVERDUE, "the call is overdue")
    vault = b.kabuto.vault.functions
    pool = vault.defaultManagementAccount().call()
    _check(not vault.assetsOf(pool).call(), "the default-management account holds nothing yet")
    receipt = b.ccp.declare_default_for_call(call.id, "bench default")
    seized = _vault_events(b, "CollateralSeized", receipt)
    _check(len(seized) == len(DEFAULT_HOLDINGS), "both house assets were seized")
    _check(b.kabuto.margin_call(call.id).status is CallStatus.DEFAULT_DECLARED, "default declared")
    note = (
        "on an overdue call (marked overdue beforehand, after the deadline): registry status to "
        "defaulted, house account frozen, its JPY and USD moved to the CCP's default-management "
        "account, which held nothing before (a first default); no omnibus or clearing-fund "
        "account"
    )
    extra = {"mark_overdue_gas": overdue}
    return [Operation("margin.default_declaration", receipt.gas_used, note=note, extra=extra)]


Measure = Callable[[Bench], list[Operation]]
OPERATIONS: tuple[Measure, ...] = (
    measure_transfers,
    measure_forced_transfer,
    measure_mint,
    measure_burn,
    measure_freeze_tokens,
    measure_admit,
    measure_vault,
    measure_call_with_auto_pull,
    measure_call_met_by_deposit,
    measure_default_declaration,
)

PENDING: tuple[Operation, ...] = (
    Operation("swap.two_leg", None, {"trex.dvd_transfer_manager.swap": None}, pending=PENDING_SWAP),
)

ROW_ORDER = (
    "token.transfer",
    "token.transfer.cold",
    "token.forced_transfer",
    "token.mint",
    "token.burn",
    "token.freeze_tokens",
    "registry.admit",
    "vault.deposit",
    "vault.withdraw",
    "margin.requirements_batch.per_account",
    "margin.call_with_auto_pull",
    "margin.call_met_by_deposit",
    "margin.default_declaration",
    "swap.two_leg",
)


# ---------------------------------------------------------------------- scale: batched margin

REQUIREMENTS = "margin.requirements_batch"
CALLS = "margin.issue_calls"
PER_ACCOUNT_N = 100  # the batch size `margin.requirements_batch.per_account` is read at


@dataclass
class ScaleResult:
    points: list[ScalePoint]
    detail: dict[str, Any]
    max_batch: dict[str, int]
    per_account: Operation


def _rpc(b: Bench, method: str, params: list[Any]) -> Any:
    response = b.chain.w3.provider.make_request(RPCEndpoint(method), params)
    if "error" in response:
        raise RuntimeError(f"{method} failed: {response['error']}")
    return response.get("result")


@contextlib.contextmanager
def _block_gas_limit(b: Bench, limit: int) -> Iterator[None]:
    """Raise the node's block gas limit for the `with` body only."""
    _rpc(b, "evm_setBlockGasLimit", [hex(limit)])
    try:
        yield
    finally:
        _rpc(b, "evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])


def _scale_addresses(start: int, count: int) -> list[str]:
    seeds = (f"kabuto-bench-member-{i}" for i in range(start, start + count))
    return [to_checksum_address(Web3.keccak(text=s)[12:]) for s in seeds]


def _member_name(index: int) -> bytes:
    return to_bytes32(f"bench-scale-{index:05d}", what="participant name")


def _open_members(b: Bench, addresses: list[str]) -> list[int]:
    """Admit `addresses` as clearing members and open their house accounts: pipelined sends."""
    reg, vault = b.kabuto.registry.functions, b.kabuto.vault.functions
    operator = b.ccp.signer
    first = reg.participantCount().call()

    def progress(what: str) -> Callable[[int, int], None]:
        def report(i: int, n: int) -> None:
            if i % 100 == 0 or i == n:
                b.say(f"  {what}: sent {i}/{n}")

        return report

    admits = [
        (reg.admit(a, int(Kind.CLEARING_MEMBER), _member_name(first + i)), operator)
        for i, a in enumerate(addresses)
    ]
    b.chain.transact_many(admits, label="registry.admit", progress=progress("admit"))
    opens = [(vault.openAccount(a, int(AccountKind.HOUSE)), operator) for a in addresses]
    b.chain.transact_many(opens, label="vault.openAccount", progress=progress("openAccount"))
    return [account_id(a, AccountKind.HOUSE) for a in addresses]


def _open_members_fast(b: Bench, addresses: list[str]) -> list[int]:
    """`_open_members` for thousands: transactions signed by the node, many mined per block.

    Signing thousands of set-up transactions locally (a few ms each) would dominate the run, so
    they go to the node unsigned instead (`eth_sendTransaction` from
    the operator, a development account whose key the node holds) with automine off, and are mined
    in full blocks. Only set-up goes this way; nothing measured does.
    """
    reg, vault = b.kabuto.registry, b.kabuto.vault
    first = reg.functions.participantCount().call()
    kind = int(Kind.CLEARING_MEMBER)
    admits = [
        (reg.address, reg.encode_abi("admit", [a, kind, _member_name(first + i)]))
        for i, a in enumerate(addresses)
    ]
    _flood(b, "admit", admits, gas=200_000)
    admitted = reg.functions.participantCount().call() - first
    _check(admitted == len(addresses), f"{len(addresses)} members admitted, not {admitted}")
    house = int(AccountKind.HOUSE)
    opens = [(vault.address, vault.encode_abi("openAccount", [a, house])) for a in addresses]
    _flood(b, "openAccount", opens, gas=150_000)
    return [account_id(a, AccountKind.HOUSE) for a in addresses]


def _flood(b: Bench, what: str, txs: list[tuple[str, str]], *, gas: int) -> None:
    """Send `(to, data)` transactions from the operator, node-signed, then mine them all."""
    w3, operator = b.chain.w3, b.ccp.address
    nonce = w3.eth.get_transaction_count(operator, "pending")
    tip = w3.eth.max_priority_fee
    # Full blocks raise the base fee 12.5% each; a generous cap keeps every one includable.
    fee_cap = 100 * w3.eth.get_block("latest")["baseFeePerGas"] + tip
    fees = {"maxFeePerGas": hex(fee_cap), "maxPriorityFeePerGas": hex(tip)}
    _rpc(b, "evm_setAutomine", [False])
    try:
        for i, (to, data) in enumerate(txs, 1):
            tx = {
                "from": operator,
                "to": to,
                "data": data,
                "gas": hex(gas),
                "nonce": hex(nonce + i - 1),
            }
            _rpc(b, "eth_sendTransaction", [tx | fees])
            if i % 1000 == 0 or i == len(txs):
                b.say(f"  {what}: sent {i}/{len(txs)} (node-signed)")
        for _ in range(len(txs)):
            if w3.eth.get_transaction_count(operator) >= nonce + len(txs):
                break
            _rpc(b, "anvil_mine", ["0x1"])
        _check(
            w3.eth.get_transaction_count(operator) == nonce + len(txs), f"every {what} was mined"
        )
    finally:
        _rpc(b, "evm_setAutomine", [True])
        b.chain.nonces.forget(operator)


def _needed_gas(b: Bench, fn: Any) -> int | None:
    """Gas `fn` needs from the operator (eth_estimateGas), or None if more than a block holds."""
    try:
        return int(fn.estimate_gas({"from": b.ccp.address}))
    except ContractLogicError as exc:
        raise ErrorContext(contract="collateral vault", formatter=b.kabuto).decode(
            exc.data
        ) from None
    except Web3RPCError as exc:
        if "gas required exceeds" in str(exc):
            return None
        raise


def _send_batch(b: Bench, fn: Any, label: str) -> tuple[int, bool]:
    """Send a batch; returns its gas and whether it needed more gas than a block holds.

    A batch that does not fit is sent with the block gas limit raised for that one transaction
    (the gas it uses does not depend on the limit), so that its gas per item is still measured.
    """
    needed = _needed_gas(b, fn)
    if needed is not None:
        gas = min(int(needed * 1.1), BLOCK_GAS_LIMIT)
        return b.chain.transact(fn, b.ccp.signer, label=label, gas=gas).gas_used, False
    with _block_gas_limit(b, RAISED_BLOCK_GAS_LIMIT):
        needed = _needed_gas(b, fn)
        _check(needed is not None, f"{label} fits under {RAISED_BLOCK_GAS_LIMIT:,} gas")
        assert needed is not None
        receipt = b.chain.transact(fn, b.ccp.signer, label=label, gas=int(needed * 1.1))
    return receipt.gas_used, True


def _post(b: Bench, accounts: Sequence[int], run: int) -> Any:
    """postRequirements on `accounts`, every value new (run `run` differs from every other)."""
    values = [SCALE_REQUIREMENT + run * 1_000 + i for i in range(len(accounts))]
    return b.kabuto.vault.functions.postRequirements(
        list(accounts), values, to_bytes32(f"bench scale {run}", what="run id")
    )


def _issue(b: Bench, accounts: Sequence[int]) -> Any:
    """issueMarginCalls (regular, due by the Tokyo timetable) on `accounts`."""
    deadline = to_unix(call_deadline(CallType.REGULAR, from_unix(b.kabuto.chain_time())))
    return b.kabuto.vault.functions.issueMarginCalls(
        list(accounts), int(CallType.REGULAR), deadline
    )


@dataclass(frozen=True)
class LinearFit:
    """Gas of a batch of N as `fixed + marginal * N`, from the two largest measured N."""

    fixed: float
    marginal: float

    @classmethod
    def of(cls, gas: dict[int, int]) -> LinearFit:
        lo, hi = SCALE_NS[-2], SCALE_NS[-1]
        marginal = (gas[hi] - gas[lo]) / (hi - lo)
        return cls(gas[lo] - lo * marginal, marginal)

    def largest_within(self, limit: int) -> int:
        return int((limit - self.fixed) // self.marginal)


def _marginal(gas: dict[int, int], lo: int, hi: int) -> float:
    return (gas[hi] - gas[lo]) / (hi - lo)


def measure_scale(b: Bench) -> ScaleResult:
    """Requirement and margin-call batches at each N in SCALE_NS; the largest that fits a block."""
    total = sum(SCALE_NS)
    b.say(f"scale: admitting {total} clearing members and opening their house accounts")
    accounts = _open_members(b, _scale_addresses(0, total))
    label_req, label_calls = "vault.postRequirements", "vault.issueMarginCalls"

    # The requirement shares its storage slot with the account's owner, so the slot is never
    # zero; the first posting is measured anyway, to show it costs the same as a re-posting.
    first, _ = _send_batch(b, _post(b, accounts, 0), label_req)
    b.say(f"scale: first posting on all {total} accounts: {first / total:,.0f} gas/account")
    req_gas: dict[int, int] = {}
    for run, n in enumerate(SCALE_NS, 1):
        req_gas[n], over = _send_batch(b, _post(b, accounts[:n], run), label_req)
        _check(not over, f"a requirement batch of {n} fits in a block")
        b.say(f"scale: {REQUIREMENTS} N={n}: {req_gas[n]:,} gas, {req_gas[n] / n:,.0f}/account")

    call_gas: dict[int, int] = {}
    over_block: list[int] = []
    start = 0
    calls_before = b.kabuto.vault.functions.marginCallCount().call()
    for n in SCALE_NS:  # disjoint accounts: an account with a call open cannot be called again
        call_gas[n], over = _send_batch(b, _issue(b, accounts[start : start + n]), label_calls)
        start += n
        if over:
            over_block.append(n)
        extra = " (more than a block: sent with the limit raised)" if over else ""
        b.say(f"scale: {CALLS} N={n}: {call_gas[n]:,} gas, {call_gas[n] / n:,.0f}/call{extra}")
    issued = b.kabuto.vault.functions.marginCallCount().call() - calls_before
    _check(issued == total, f"{total} calls issued, not {issued}")

    fits = {REQUIREMENTS: LinearFit.of(req_gas), CALLS: LinearFit.of(call_gas)}
    verified = _verify_largest(b, accounts, fits, run=len(SCALE_NS) + 1)

    detail: dict[str, Any] = {"block_gas_limit": BLOCK_GAS_LIMIT}
    for op, gas in ((REQUIREMENTS, req_gas), (CALLS, call_gas)):
        fit = fits[op]
        detail[op] = {
            "total_gas": {str(n): g for n, g in gas.items()},
            "marginal_gas_per_item": {
                f"{lo}-{hi}": round(_marginal(gas, lo, hi))
                for lo, hi in itertools.pairwise(SCALE_NS)
            },
            "fixed_gas": round(fit.fixed),
            "largest_batch_in_block": verified[op],
            "largest_batch_in_tx_at_eip7825_cap": fit.largest_within(EIP7825_TX_GAS_CAP),
        }
    detail[REQUIREMENTS]["first_posting"] = {"n": total, "gas": first}
    detail[CALLS]["more_than_a_block_at"] = over_block

    points = [
        ScalePoint(op, n, round(g / n))
        for op, gas in ((REQUIREMENTS, req_gas), (CALLS, call_gas))
        for n, g in gas.items()
    ]
    max_batch = {op: int(v.get("verified") or v["model"]) for op, v in verified.items()}
    m = _marginal(req_gas, SCALE_NS[-2], SCALE_NS[-1])
    per_account = Operation(
        "margin.requirements_batch.per_account",
        round(req_gas[PER_ACCOUNT_N] / PER_ACCOUNT_N),
        note=f"postRequirements on {PER_ACCOUNT_N} house accounts whose requirement was already "
        f"non-zero, each set to a new value: receipt gas ÷ {PER_ACCOUNT_N}, a 1/{PER_ACCOUNT_N} "
        f"share of the fixed cost (21,000 intrinsic and more) included; marginal per account "
        f"from N={SCALE_NS[-2]} to {SCALE_NS[-1]}: {m:,.0f}",
    )
    return ScaleResult(points, detail, max_batch, per_account)


def _verify_largest(
    b: Bench, accounts: list[int], fits: dict[str, LinearFit], run: int
) -> dict[str, dict[str, Any]]:
    """Send the largest batch of each operation that fits in one block, found around the model.

    The model (`LinearFit`) gives a first N; eth_estimateGas (the least gas limit the batch
    succeeds with) then moves it to the largest N that needs at most the block gas limit, and that
    batch is sent with the block gas limit as its gas limit.
    """
    model = {op: fit.largest_within(BLOCK_GAS_LIMIT) for op, fit in fits.items()}
    out: dict[str, dict[str, Any]] = {op: {"model": n} for op, n in model.items()}
    want_req = model[REQUIREMENTS] + VERIFY_SLACK
    fresh_calls = model[CALLS] + VERIFY_SLACK  # accounts with no call open yet
    if want_req > VERIFY_MAX_ACCOUNTS:
        out[REQUIREMENTS]["not_verified"] = (
            f"needs {want_req:,} accounts; the bench opens at most {VERIFY_MAX_ACCOUNTS:,}"
        )
        want_req = 0
    extra = max(want_req - len(accounts), fresh_calls)
    b.say(f"scale: opening {extra:,} more accounts to verify the largest batches")
    extras = _open_members_fast(b, _scale_addresses(len(accounts), extra))
    for i in range(0, len(extras), SETUP_BATCH):  # their requirements become non-zero too
        _send_batch(b, _post(b, extras[i : i + SETUP_BATCH], run), "vault.postRequirements")
    pool = accounts + extras

    searches: list[tuple[str, Callable[[int], Any], int]] = [
        (CALLS, lambda n: _issue(b, extras[:n]), fresh_calls)
    ]
    if want_req:
        searches.insert(0, (REQUIREMENTS, lambda n: _post(b, pool[:n], run + 1), len(pool)))
    for op, make, available in searches:
        n, needed, needed_next = _largest_fitting(b, make, model[op], available)
        receipt = b.chain.transact(make(n), b.ccp.signer, label=op, gas=BLOCK_GAS_LIMIT)
        out[op] |= {
            "verified": n,
            "gas_used": receipt.gas_used,
            "gas_needed": needed,
            "gas_needed_one_more": needed_next,
        }
        b.say(
            f"scale: {op}: {n} in one block verified ({receipt.gas_used:,} gas used; model "
            f"{model[op]}; {n + 1} would need {needed_next:,})"
        )
    return out


def _largest_fitting(
    b: Bench, make: Callable[[int], Any], start: int, available: int
) -> tuple[int, int, int]:
    """(n, gas n needs, gas n + 1 needs) for the largest n whose batch fits in a block."""
    needs: dict[int, int] = {}

    def need(n: int) -> int:
        if n not in needs:
            gas = _needed_gas(b, make(n))
            assert gas is not None  # the limit is raised: every batch here fits
            needs[n] = gas
        return needs[n]

    with _block_gas_limit(b, RAISED_BLOCK_GAS_LIMIT):
        n = min(start, available - 1)
        while need(n) > BLOCK_GAS_LIMIT:
            n -= 1
        while n + 1 < available and need(n + 1) <= BLOCK_GAS_LIMIT:
            n += 1
        _check(need(n + 1) > BLOCK_GAS_LIMIT, "enough accounts to find the largest batch")
        return n, need(n), need(n + 1)


# ---------------------------------------------------------------------- throughput


@dataclass(frozen=True)
class Run:
    """K confirmed transfers and how long sending and confirming them took."""

    mode: str
    transactions: int
    seconds: float
    gas: frozenset[int]

    @property
    def tps(self) -> float:
        return self.transactions / self.seconds


def _throughput_call(b: Bench) -> Any:
    return b.token.functions.transfer(b.members["warm"].address, AMOUNT)


def run_sequential(b: Bench, k: int) -> Run:
    """`chain.transact` K times: each transfer waits for its receipt before the next is sent."""
    sender = b.members["sender"].signer
    start = time.perf_counter()
    receipts = [b.chain.transact(_throughput_call(b), sender, label="bench.seq") for _ in range(k)]
    return Run("sequential", k, time.perf_counter() - start, _gas_of(receipts))


def run_pipelined(b: Bench, k: int) -> Run:
    """`chain.send` K times back to back (client-side nonces), then `chain.wait` for each."""
    sender = b.members["sender"].signer
    start = time.perf_counter()
    pending = [b.chain.send(_throughput_call(b), sender, label="bench.pipe") for _ in range(k)]
    receipts = [b.chain.wait(p) for p in pending]
    return Run("pipelined", k, time.perf_counter() - start, _gas_of(receipts))


def run_raw(b: Bench, k: int) -> Run:
    """The ceiling: K transfers signed beforehand (untimed), sent raw, then receipts awaited."""
    signed = _presign(b, k)
    w3 = b.chain.w3
    start = time.perf_counter()
    hashes = [w3.eth.send_raw_transaction(raw) for raw in signed]
    receipts = [
        w3.eth.wait_for_transaction_receipt(h, timeout=120, poll_latency=RECEIPT_POLL)
        for h in hashes
    ]
    seconds = time.perf_counter() - start
    b.chain.nonces.forget(b.members["sender"].address)  # the node counted these, not the client
    failed = [HexBytes(r["transactionHash"]).to_0x_hex() for r in receipts if r["status"] != 1]
    _check(not failed, f"raw transfers reverted: {failed[:3]}")
    return Run("raw", k, seconds, frozenset(int(r["gasUsed"]) for r in receipts))


def _presign(b: Bench, k: int) -> list[bytes]:
    sender = b.members["sender"].signer
    w3 = b.chain.w3
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    gas = int(_throughput_call(b).estimate_gas({"from": sender.address}) * 1.2)
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = w3.eth.max_priority_fee
    common = {
        "from": sender.address,
        "chainId": b.chain.chain_id,
        "gas": gas,
        "maxFeePerGas": 2 * base_fee + tip,
        "maxPriorityFeePerGas": tip,
    }
    return [
        bytes(
            sender.sign_transaction(
                _throughput_call(b).build_transaction({**common, "nonce": nonce + i})
            ).raw_transaction
        )
        for i in range(k)
    ]


def _gas_of(receipts: Sequence[Receipt]) -> frozenset[int]:
    return frozenset(r.gas_used for r in receipts)


MODES: tuple[Callable[[Bench, int], Run], ...] = (run_sequential, run_pipelined, run_raw)


def measure_throughput(b: Bench, k: int, rounds: int) -> dict[str, Any]:
    """Run every mode `rounds` times, rotating their order, and keep each mode's median rate.

    Rotating spreads whatever drifts during the run (the chain growing, other load on the
    machine) over all modes instead of charging it to whichever runs last.
    """
    start_block, mined = _reach_steady_state(b)
    b.say(f"throughput: mined {mined} empty blocks first (head was {start_block})")
    runs: dict[str, list[Run]] = {}
    for r in range(rounds):
        for mode in MODES[r % len(MODES) :] + MODES[: r % len(MODES)]:
            run = mode(b, k)
            runs.setdefault(run.mode, []).append(run)
            b.say(f"throughput round {r + 1}/{rounds}: {run.mode:<10} {run.tps:6.1f} tps")
    tps = {mode: statistics.median(x.tps for x in rs) for mode, rs in runs.items()}
    return {
        "sequential_tps": round(tps["sequential"], 1),
        "pipelined_tps": round(tps["pipelined"], 1),
        "raw_tps": round(tps["raw"], 1),
        "sequential_over_raw": round(tps["sequential"] / tps["raw"], 3),
        "pipelined_over_raw": round(tps["pipelined"] / tps["raw"], 3),
        "transactions_per_mode": k,
        "rounds": rounds,
        "tps_per_round": {mode: [round(x.tps, 1) for x in rs] for mode, rs in runs.items()},
        "gas_per_transfer": sorted(set().union(*(x.gas for rs in runs.values() for x in rs))),
        "empty_blocks_mined_first": mined,
    }


def _reach_steady_state(b: Bench) -> tuple[int, int]:
    """Mine empty blocks up to `STEADY_STATE_BLOCK`; returns the head before and the count mined.

    Anvil keeps the state of its latest ~500 blocks in memory and moves older ones to a disk
    cache, so once a chain passes that point every block costs the node more (sequential
    transfers/s drop by about a third here). The throughput runs add thousands of blocks; mining
    past the threshold first times every round and mode in the same, steady regime.
    """
    head = b.chain.w3.eth.block_number
    missing = max(0, STEADY_STATE_BLOCK - head)
    if missing:
        b.chain.w3.provider.make_request(RPCEndpoint("anvil_mine"), [hex(missing)])
    return head, missing


# ---------------------------------------------------------------------- metadata and targets


def metadata(chain: Chain) -> dict[str, Any]:
    build = artifacts.manifest()["compiler"]
    return {
        "chain": {
            "chain_id": chain.chain_id,
            "node": "embedded anvil (pyclient.Chain.connect())",
            "hardfork": _hardfork(chain),
        },
        "anvil_version": _anvil_version(),
        "solc_version": build["build"],
        "solc_settings": {
            "optimizer_runs": build["settings"]["optimizer"]["runs"],
            "evm_version": build["settings"]["evmVersion"],
        },
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _anvil_version() -> str:
    out = subprocess.run(
        [str(find_anvil()), "--version"], capture_output=True, text=True, check=True
    ).stdout
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    version = fields.get("anvil Version", out.strip()).strip()
    commit = fields.get("Commit SHA", "").strip()[:12]
    return f"{version} ({commit})" if commit else version


def _hardfork(chain: Chain) -> str | None:
    info = chain.w3.provider.make_request(RPCEndpoint("anvil_nodeInfo"), [])
    return info.get("result", {}).get("hardFork")


def evaluate_targets(
    operations: Sequence[dict[str, Any]], scale_detail: dict[str, Any]
) -> list[dict[str, Any]]:
    rows = {op["name"]: op for op in operations}
    out: list[dict[str, Any]] = []
    for t in TARGETS:
        ours = rows[t.operation]["gas"]
        base = rows[t.operation]["baselines"][t.baseline]
        ratio = ours / base
        out.append(
            {
                "target": t.description,
                "operation": t.operation,
                "baseline": t.baseline,
                "limit": t.max_ratio,
                "ratio": round(ratio, 3),
                "status": "PASS" if ratio <= t.max_ratio else "MISS",
            }
        )
    out.append(_flatness(scale_detail[REQUIREMENTS]["marginal_gas_per_item"]))
    return out


def _flatness(marginal: dict[str, int]) -> dict[str, Any]:
    """Flat: the marginal gas per account from N=100 to 500 within 5% of that from 10 to 100."""
    small, large = (f"{lo}-{hi}" for lo, hi in itertools.pairwise(SCALE_NS[1:]))
    ratio = marginal[large] / marginal[small]
    return {
        "target": FLAT_TARGET,
        "operation": REQUIREMENTS,
        "baseline": f"marginal gas per account, N={small.replace('-', ' to ')}",
        "measured": f"marginal gas per account, N={large.replace('-', ' to ')}",
        "limit": FLAT_TOLERANCE,
        "ratio": round(ratio, 3),
        "status": "PASS" if ratio <= FLAT_TOLERANCE else "MISS",
    }


# ---------------------------------------------------------------------- the report


def _gas(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _ratio(ours: int | None, base: int | None) -> str:
    return "—" if ours is None or base is None else f"{ours / base:.2f}×"


def _baseline(op: dict[str, Any], prefix: str) -> tuple[str, int | None] | None:
    found = [(k, v) for k, v in op["baselines"].items() if k.startswith(prefix)]
    return found[0] if found else None


def _operation_row(op: dict[str, Any]) -> str:
    cells = [f"`{op['name']}`", _gas(op["gas"]) if op["gas"] is not None else "pending"]
    for prefix in ("openzeppelin.", "trex."):
        base = _baseline(op, prefix)
        if base is None:
            cells += ["", ""]
        else:
            name, gas = base
            shown = f"{_gas(gas)} (`{name}`)" if gas is not None else f"pending (`{name}`)"
            cells += [shown, _ratio(op["gas"], gas)]
    cells.append(op.get("pending") or op.get("note", ""))
    return "| " + " | ".join(cells) + " |"


def render_markdown(results: dict[str, Any]) -> str:
    rows = {op["name"]: op for op in results["operations"]}
    warm, cold = rows["token.transfer"], rows["token.transfer.cold"]
    tp = results["throughput"]
    lines = [
        "# Kabuto benchmark results",
        "",
        f"Generated by `make bench` (`scripts/bench.py`) on {results['date']}: one fresh embedded "
        f"Anvil {results['anvil_version']}, hardfork `{results['chain']['hardfork']}`, chain id "
        f"{results['chain']['chain_id']}; everything below comes from that one run. Raw data: "
        "`bench/results.json`.",
        "",
        "## Headline",
        "",
        *_headline(warm, cold, tp),
        *_margin_headline(results),
        "",
        "## Gas per operation",
        "",
        "Gas is `gasUsed` from each receipt (21,000 intrinsic and calldata included). Ratio = "
        "Kabuto ÷ baseline.",
        "",
        "| Operation | Kabuto | OpenZeppelin ERC-20 | ratio | T-REX v4 | ratio | Conditions |",
        "|---|---:|---:|---:|---:|---:|---|",
        *(_operation_row(op) for op in results["operations"]),
        "",
        "## Targets",
        "",
        "| Target | Ratio | Result |",
        "|---|---:|---|",
        *(_target_row(t) for t in results["targets"]),
        "",
        *_trex_section(warm, cold, results),
        "",
        "## Scale",
        "",
        *_scale_section(results),
        "",
        "## Throughput",
        "",
        *_throughput_section(tp),
        "",
        "## How measured",
        "",
        *_how_measured(results),
        "",
        "## What ours enforces on every transfer",
        "",
        "Registry status of both parties (each must be an active participant, checked in "
        "`ParticipantRegistry.requireActive`), full-account freeze of both parties, partial "
        "freeze of the sender (only its free balance moves), and the token's pause. Neither "
        "baseline is asked to do the same: the ERC-20 checks nothing, T-REX checks identity "
        "claims, its own freezes and pause, and its (here empty) compliance modules.",
        "",
    ]
    return "\n".join(lines)


def _headline(warm: dict[str, Any], cold: dict[str, Any], tp: dict[str, Any]) -> list[str]:
    def line(op: dict[str, Any], kind: str, oz: str, trex: str) -> str:
        b = op["baselines"]
        return (
            f"- Permissioned transfer, {kind} recipient: **{op['gas']:,} gas** = "
            f"**{_ratio(op['gas'], b[oz])}** a plain OpenZeppelin ERC-20 ({b[oz]:,}) and "
            f"**{_ratio(op['gas'], b[trex])}** a T-REX v4 transfer ({b[trex]:,})."
        )

    return [
        line(warm, "warm", "openzeppelin.erc20.transfer", "trex.transfer"),
        line(cold, "cold", "openzeppelin.erc20.transfer.cold", "trex.transfer.cold"),
        f"- Throughput through pyclient: sequential = **{tp['sequential_over_raw']:.2f}×** and "
        f"pipelined = **{tp['pipelined_over_raw']:.2f}×** the raw pre-signed ceiling on the "
        "same node (absolute rates below are machine-dependent).",
    ]


def _margin_headline(results: dict[str, Any]) -> list[str]:
    gas = {op["name"]: op["gas"] for op in results["operations"]}
    d, best = results["scale_detail"], results["max_batch_in_block"]
    per_item = {(p["operation"], p["n"]): p["gas_per_item"] for p in results["scale"]}
    lo, hi = SCALE_NS[-2], SCALE_NS[-1]
    flat = next(t for t in results["targets"] if t["target"] == FLAT_TARGET)
    block = f"{d['block_gas_limit'] / 1e6:.0f}M-gas block"
    return [
        f"- Collateral: deposit **{gas['vault.deposit']:,}**, withdrawal "
        f"**{gas['vault.withdraw']:,}**; a margin call met by standing instruction in its own "
        f"transaction **{gas['margin.call_with_auto_pull']:,}**; the deposit that meets a call "
        f"**{gas['margin.call_met_by_deposit']:,}**; a default declaration "
        f"**{gas['margin.default_declaration']:,}** gas.",
        f"- Requirement batches: **{gas['margin.requirements_batch.per_account']:,} gas per "
        f"account** at N = {PER_ACCOUNT_N} "
        f"({d[REQUIREMENTS]['marginal_gas_per_item'][f'{lo}-{hi}']:,} marginal); flat with N: "
        f"**{flat['status']}**; at most **{best[REQUIREMENTS]:,} accounts** in one {block} "
        "(sent and verified).",
        f"- Margin-call batches: **{per_item[CALLS, hi]:,} gas per call** at N = {hi}; at most "
        f"**{best[CALLS]:,} calls** in one {block} (sent and verified), so a batch of {hi} needs "
        "several blocks.",
    ]


def _target_row(t: dict[str, Any]) -> str:
    if t["status"] == "PENDING":
        return f"| {t['target']} | — | PENDING: {t['pending']} |"
    if "measured" in t:
        ratio = f"{t['ratio']:.3f} ({t['measured']} ÷ {t['baseline']}; limit {t['limit']})"
        return f"| {t['target']} | {ratio} | **{t['status']}** |"
    return f"| {t['target']} | {t['ratio']:.2f}× (limit {t['limit']}×) | **{t['status']}** |"


def _trex_section(warm: dict[str, Any], cold: dict[str, Any], results: dict[str, Any]) -> list[str]:
    w, c = warm["baselines"]["trex.transfer"], cold["baselines"]["trex.transfer.cold"]
    published = TREX_PUBLISHED_TRANSFER_KGAS * 1000
    ist_w, ist_c = TREX_ISTANBUL_KGAS
    ber_w, ber_c = TREX_BERLIN_KGAS
    return [
        f"## T-REX: our figure against its published {TREX_PUBLISHED_TRANSFER_KGAS}k",
        "",
        f"T-REX's own CI publishes about {published:,} gas per transfer. In this run T-REX "
        f"{results['trex_version']} (npm package; `Token.version()` reports "
        f"{results['trex_token_version']}), deployed from its shipped artifacts through "
        f"`TREXFactory` so that every call goes through its proxies, measures **{w:,} gas warm / "
        f"{c:,} gas cold**: {w / published:.2f}× / {c / published:.2f}× the published figure. "
        "Identity verification dominates: every transfer consults the identity registry, its "
        "storage, both investors' ONCHAINID contracts and the claim issuer, through proxies, so "
        "it makes many first-touch (cold) account accesses and storage reads.",
        "",
        "Likely reason for the gap: gas pricing. Since Berlin (EIP-2929) a cold account access "
        "costs 2,600 gas and a cold storage read 2,100 (before: 700 and 800). The same deployment "
        "and transfers run separately (not part of this run) on throwaway Anvils cost about "
        f"{ist_w}k warm / {ist_c}k cold with pre-Berlin `--hardfork istanbul` pricing, which "
        f"brackets the published {TREX_PUBLISHED_TRANSFER_KGAS}k, and already about {ber_w}k / "
        f"{ber_c}k with `--hardfork berlin`. We report the figure measured under current pricing "
        "and changed nothing to approach the published one; the ratios above compare all three "
        "tokens on the same chain under the same pricing.",
    ]


def _scale_section(results: dict[str, Any]) -> list[str]:
    d, best = results["scale_detail"], results["max_batch_in_block"]
    req, calls = d[REQUIREMENTS], d[CALLS]
    limit = d["block_gas_limit"]
    per_item = {(p["operation"], p["n"]): p["gas_per_item"] for p in results["scale"]}
    total = sum(SCALE_NS)
    lo, hi = SCALE_NS[-2], SCALE_NS[-1]
    pairs = [f"{a}-{b}" for a, b in itertools.pairwise(SCALE_NS)]
    rows = [
        f"| {n} | {per_item[REQUIREMENTS, n]:,} | {req['total_gas'][str(n)]:,} | "
        f"{per_item[CALLS, n]:,} | {calls['total_gas'][str(n)]:,}"
        f"{' (more than a block)' if n in calls['more_than_a_block_at'] else ''} |"
        for n in SCALE_NS
    ]
    rows += [
        f"| marginal, N = {p.replace('-', ' to ')} | {req['marginal_gas_per_item'][p]:,} | | "
        f"{calls['marginal_gas_per_item'][p]:,} | |"
        for p in pairs
    ]
    rows.append(
        f"| fixed (fit on N = {lo} and {hi}) | | {req['fixed_gas']:,} | | {calls['fixed_gas']:,} |"
    )
    first = req["first_posting"]
    m_req, m_calls = req["marginal_gas_per_item"], calls["marginal_gas_per_item"]
    flat = next(t for t in results["targets"] if t["target"] == FLAT_TARGET)
    call_growth = m_calls[pairs[-1]] / m_calls[pairs[-2]] - 1
    ops = {op["name"]: op for op in results["operations"]}
    one_held = ops["margin.call_met_by_deposit"]["call_issued_gas"]
    over = calls["more_than_a_block_at"]
    over_gas = ", ".join(f"{calls['total_gas'][str(n)]:,}" for n in over)
    over_text = (
        f"The batch of {', '.join(str(n) for n in over)} calls needed {over_gas} gas, more than a "
        f"{limit:,}-gas block: it was sent with the node's block gas limit raised for that one "
        "transaction (`evm_setBlockGasLimit`; the gas a transaction uses does not depend on the "
        "limit), so that its gas per call is measured; on this chain such a batch has to be split."
        if over
        else ""
    )
    return [
        "Both operations are sent by the CCP (margin-engine role), one transaction per batch, "
        f"over the house accounts of N clearing members admitted for the purpose: {total} = "
        f"{' + '.join(str(n) for n in SCALE_NS)} members, admitted and given house accounts with "
        "pipelined sends (`chain.transact_many`); their addresses are derived from a fixed seed "
        "(they never sign). Gas per item = the batch's receipt `gasUsed` ÷ N, so it carries a 1/N "
        "share of the fixed cost (21,000 intrinsic gas, the role check, the arrays' calldata "
        "headers) besides each item's own calldata (a 32-byte account id, plus a 32-byte "
        "requirement for requirement batches). Marginal gas per item = the difference of two "
        "batches' gas ÷ the difference of their N: the cost of one more account without the fixed "
        "part, the better measure of flatness.",
        "",
        "| N | requirements: gas per account | total | margin calls: gas per call | total |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"- `{REQUIREMENTS}`: `postRequirements` on the first N accounts, each of whose "
        "requirement was already non-zero (posted earlier in the run) and is set to a new non-zero "
        "value. The requirement shares its storage slot with the account's owner and kind, so that "
        "slot is never zero and even a first posting rewrites a non-zero slot: the first posting "
        f"on all {first['n']} accounts cost {first['gas'] / first['n']:,.0f} gas per account, the "
        f"same as re-posting ({per_item[REQUIREMENTS, hi]:,} at N = {hi}).",
        f"- `{CALLS}`: `issueMarginCalls` (regular) on N accounts, each short: a non-zero "
        "requirement and nothing deposited (value 0, so no price is read), no standing "
        "instruction; every N on accounts of its own, since an account with a call open cannot be "
        "called again. A call stores a new margin-call record of two storage slots (2 × 22,100 "
        "gas of fresh storage), marks the call on the account, checks the owner in the register "
        "(an external call) and values the account. An account holding collateral costs more, "
        "mostly a price read per asset held: one call on an account holding JPY cost "
        f"{one_held:,} gas (`call_issued_gas` of `margin.call_met_by_deposit`) against "
        f"{per_item[CALLS, 1]:,} at N = 1 here. {over_text}",
        f"- Flatness (target): the marginal gas per account of requirement batches is "
        f"{m_req[pairs[-1]]:,} from N = {lo} to {hi} against {m_req[pairs[-2]]:,} from "
        f"{pairs[-2].replace('-', ' to ')}, a ratio of {flat['ratio']:.3f} (limit "
        f"{FLAT_TOLERANCE}): **{flat['status']}**. Gas per account including the fixed share only "
        f"falls with N ({per_item[REQUIREMENTS, SCALE_NS[0]]:,} at N = {SCALE_NS[0]} to "
        f"{per_item[REQUIREMENTS, hi]:,} at N = {hi}) as the fixed ~{req['fixed_gas']:,} gas is "
        f"spread. Margin calls are flat too: {m_calls[pairs[-1]]:,} marginal from {lo} to {hi} "
        f"against {m_calls[pairs[-2]]:,} from {pairs[-2].replace('-', ' to ')} "
        f"({call_growth:+.2%}, consistent with the transaction's memory, which Solidity never "
        "frees: a few words per call, priced quadratically, negligible at these sizes; it also "
        "pulls the fit's fixed part for calls down to about the 21,000 intrinsic gas, though the "
        "first call of a batch costs more than the next, as it finds the contracts it touches "
        "cold).",
        "",
        *_largest_batch_lines(d, best),
    ]


def _largest_batch_lines(d: dict[str, Any], best: dict[str, int]) -> list[str]:
    limit = d["block_gas_limit"]
    lines = [
        f"Largest batch in one {limit:,}-gas block (`max_batch_in_block` in results.json): the "
        f"fit on N = {SCALE_NS[-2]} and {SCALE_NS[-1]} (fixed + marginal × N) gives a first N = "
        "(block gas − fixed) ÷ marginal; eth_estimateGas (the least gas limit a batch succeeds "
        "with) on the batches around it then finds the largest N needing at most the block, and "
        "that batch is sent with the block gas limit as its gas limit.",
        "",
        "| Operation | Fit | Largest verified | Gas used | One more would need |",
        "|---|---:|---:|---:|---:|",
    ]
    for op in (REQUIREMENTS, CALLS):
        v = d[op]["largest_batch_in_block"]
        if "verified" in v:
            lines.append(
                f"| `{op}` | {v['model']:,} | **{v['verified']:,}** | {v['gas_used']:,} | "
                f"{v['gas_needed_one_more']:,} |"
            )
        else:
            lines.append(f"| `{op}` | {v['model']:,} | not verified: {v['not_verified']} | | |")
    cap = EIP7825_TX_GAS_CAP
    lines += [
        "",
        "The verification needs as many open accounts as the largest requirement batch; the ones "
        "beyond the scale set were admitted and opened with node-signed transactions mined many "
        "to a block (set-up only: signing thousands of transactions locally would dominate the "
        "run).",
        "",
        f"That is per block, not per transaction: Osaka's EIP-7825 caps a transaction at 2^24 = "
        f"{cap:,} gas. This Anvil accepted the {limit:,}-gas-limit transactions above, but on a "
        "network that enforces the cap one transaction holds at most about "
        f"{d[REQUIREMENTS]['largest_batch_in_tx_at_eip7825_cap']:,} requirements or "
        f"{d[CALLS]['largest_batch_in_tx_at_eip7825_cap']:,} margin calls by the same fit (not "
        f"verified), and a block's worth ({best[REQUIREMENTS]:,} / {best[CALLS]:,}) takes two "
        "transactions.",
    ]
    return lines


def _throughput_section(tp: dict[str, Any]) -> list[str]:
    k, rounds = tp["transactions_per_mode"], tp["rounds"]

    def row(mode: str, how: str, ratio: float) -> str:
        per_round = ", ".join(f"{x:,.0f}" for x in tp["tps_per_round"][mode])
        return f"| {mode} | {how} | {tp[f'{mode}_tps']:,.0f} | {ratio:.2f} | {per_round} |"

    return [
        f"{k} Kabuto token transfers per mode and round, each sent and confirmed (receipt "
        f"fetched) against the embedded Anvil; {rounds} rounds with the order of the modes "
        "rotated, median reported. Before the first round, "
        f"{tp['empty_blocks_mined_first']} empty blocks (`anvil_mine`) take the chain "
        f"to block {STEADY_STATE_BLOCK}, past the ~500 blocks of state Anvil keeps in memory; "
        "beyond that point each block costs the node more, so every round runs in that steady "
        "regime rather than the first rounds running faster. Only the ratios carry over to "
        "other machines; the absolute rates depend on this one and on whatever else it was "
        "running.",
        "",
        "| Mode | How | tps (median) | ÷ raw | tps per round |",
        "|---|---|---:|---:|---|",
        row(
            "sequential",
            "`chain.transact` each, waiting for its receipt",
            tp["sequential_over_raw"],
        ),
        row(
            "pipelined",
            "`chain.send` all back to back (client-side nonces), then `chain.wait` each",
            tp["pipelined_over_raw"],
        ),
        row("raw", "pre-signed (untimed), `send_raw_transaction` all, then receipts", 1.0),
        "",
        *_throughput_explanation(tp),
        *_spread_note(tp["tps_per_round"]),
    ]


def _throughput_explanation(tp: dict[str, Any]) -> list[str]:
    k, rounds = tp["transactions_per_mode"], tp["rounds"]
    gas = ", ".join(f"{g:,}" for g in tp["gas_per_transfer"])
    extra_ms = 1000 / tp["sequential_tps"] - 1000 / tp["pipelined_tps"]
    poll_ms = RECEIPT_POLL * 1000
    return [
        "The node has no block time: it mines each transaction as it arrives. Sequential: "
        f"each `chain.transact` sends, then polls for the receipt every {poll_ms:.0f} ms, and a "
        "transfer not yet mined at the first poll pays a sleep; here sequential spends "
        f"{extra_ms:.0f} ms more per transfer than pipelined. Pipelined: receipts are awaited "
        "only after everything is sent, so what remains is the client's own work per "
        "transaction inside the timed loop (signing; a gas estimate, so that a call that would "
        "revert is refused unsent; web3's request handling). Raw: the node's work and the RPC "
        "round trips only. On a network with real block times, pipelining gains far more.",
        "",
        f"Gas per transfer across all {3 * k * rounds} throughput transfers: {gas}.",
    ]


def _spread_note(per_round: dict[str, list[float]]) -> list[str]:
    """Warn when a mode's rate varied widely between rounds (a busy machine, usually)."""
    wide = {m: r for m, r in per_round.items() if max(r) > 1.5 * min(r)}
    if not wide:
        return []
    spans = "; ".join(f"{m} {min(r):,.0f} to {max(r):,.0f} tps" for m, r in wide.items())
    return [
        "",
        f"Rates varied widely between rounds ({spans}), most likely because other work shared "
        "the machine during the run; rerun on an idle machine for tighter figures. Gas figures "
        "are unaffected.",
    ]


def _how_measured(results: dict[str, Any]) -> list[str]:
    st = results["solc_settings"]
    compiler = (
        f"solc {results['solc_version']}, optimizer {st['optimizer_runs']} runs, EVM "
        f"`{st['evm_version']}`"
    )
    samples = next(op for op in results["operations"] if op["name"] == "token.transfer")["samples"]
    same = all(len(set(v)) == 1 for v in samples.values())
    agree = "they agree on every token" if same else "they differ, see `samples` in results.json"
    return [
        f"- One fresh embedded Anvil {results['anvil_version']}, started by "
        "`pyclient.Chain.connect()`; all contracts and all measurements in the same run.",
        f"- Kabuto: `pyclient.deploy()` with the {' and '.join(MARGIN_ASSETS)} tokens ({ASSET}, "
        "the one transferred, has zero decimals); participants admitted and vault accounts opened "
        "through `Ccp`, tokens issued by `TokenIssuer`, transfers, deposits and withdrawals by "
        "`ClearingMember`, requirements, calls and defaults by `Ccp`.",
        f"- Market data, published by the operator (`deploy()` leaves it the oracle role): "
        f"{_market_data_text()}; republished after the clock is moved past a call's deadline "
        "for the default declaration, since prices go stale after 24 hours.",
        "- Vault and margin: every measured operation has a clearing member of its own (a funded "
        f"development key) with a house account, {MEMBER_FUNDS:,} JPY and the vault approved for "
        "an unlimited amount; the operation's conditions are in its row above. Where a `Ccp` "
        "method returns no receipt (issuing calls returns the calls), the gas is that "
        "transaction's receipt as recorded in pyclient's gas log.",
        "- OpenZeppelin baseline: `PlainERC20` (OpenZeppelin `ERC20`, no restrictions), built "
        f"with the same compiler settings as Kabuto's contracts: {compiler}.",
        f"- T-REX baseline: v{results['trex_version']} from the compiled artifacts shipped in "
        "`@tokenysolutions/t-rex` (no recompilation), deployed by `scripts/trex_baseline.py`: "
        "one claim topic, one trusted claim issuer, no compliance modules, verified investors.",
        f"- Transfers, identically on all three tokens: the sender holds {SENDER_FUNDS:,} raw "
        f"units; an unmeasured transfer of {SEED:,} makes the warm recipient hold a balance; "
        f"then {WARM_SAMPLES} warm transfers of {AMOUNT} (median reported; {agree}) and one "
        f"cold transfer of {AMOUNT} to a recipient holding zero. The sender keeps a non-zero "
        "balance throughout, so no storage slot is cleared and no refund applies.",
        "- Every gas figure is a receipt's `gasUsed` from this run, except the gas the next "
        "larger batch would need in the Scale section (eth_estimateGas, this run) and the fit's "
        "figures derived from receipts; the only figures not from this run are the T-REX "
        "reference points quoted (and labelled) in the T-REX section.",
    ]


def _market_data_text() -> str:
    parts = []
    for symbol in MARGIN_ASSETS:
        fx = FX_RATES.get(symbol)
        price = f"price {PRICES[symbol]}" + (f" USD × {fx} JPY/USD" if fx else " JPY")
        parts.append(f"{symbol} {price}, haircut {RISK[symbol].haircut_bps / 100:g}%")
    return "; ".join(parts)


# ---------------------------------------------------------------------- main


def run(out_dir: Path, k: int, rounds: int, say: Say) -> dict[str, Any]:
    say("starting a fresh embedded Anvil")
    with Chain.connect() as chain:
        results: dict[str, Any] = metadata(chain)
        say(f"anvil {results['anvil_version']}, hardfork {results['chain']['hardfork']}")
        b = setup(chain, say)
        results["trex_version"] = json.loads(TREX_PACKAGE_JSON.read_text())["version"]
        results["trex_token_version"] = b.trex.token.functions.version().call()
        operations: list[Operation] = []
        for measure in OPERATIONS:
            say(f"measuring {measure.__name__.removeprefix('measure_')}")
            operations += measure(b)
        # Throughput before scale: the scale set-up adds thousands of members and blocks.
        throughput = measure_throughput(b, k, rounds)
        scale = measure_scale(b)
        say("stopping Anvil")
    operations += [scale.per_account, *PENDING]
    operations.sort(key=lambda op: ROW_ORDER.index(op.name))
    results["operations"] = [op.to_json() for op in operations]
    results["scale"] = [p.to_json() for p in scale.points]
    results["scale_detail"] = scale.detail
    results["max_batch_in_block"] = scale.max_batch
    results["throughput"] = throughput
    results["targets"] = evaluate_targets(results["operations"], scale.detail)
    _write(out_dir, results, say)
    return results


def _write(out_dir: Path, results: dict[str, Any], say: Say) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "RESULTS.md").write_text(render_markdown(results))
    say(f"wrote {out_dir / 'results.json'} and {out_dir / 'RESULTS.md'}")


def _progress() -> Say:
    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"[bench {time.perf_counter() - start:6.1f}s] {message}", flush=True)

    return say


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--transactions", type=int, default=THROUGHPUT_TXS, help="K, transfers per throughput mode"
    )
    parser.add_argument(
        "--rounds", type=int, default=THROUGHPUT_ROUNDS, help="throughput rounds (median kept)"
    )
    args = parser.parse_args(argv)
    results = run(args.out, args.transactions, args.rounds, _progress())
    for target in results["targets"]:
        print(f"  {target['status']:<7} {target['target']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
