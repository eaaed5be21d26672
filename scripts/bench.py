"""Kabuto's benchmark: gas per operation against OpenZeppelin ERC-20 and T-REX, throughput, scale.

`make bench` runs this script: one fresh embedded Anvil, Kabuto and both baselines deployed on it,
every measurement, then `bench/results.json`, and `bench/RESULTS.md` written from it by
`bench_report.py` (whose template says how each figure is measured). Kabuto is driven through the
SDK only: role methods and their `Outcome`s, the vault client's `Call`s for batches that need a
gas limit of their own, and `pyclient.chain.devnet` for what only Anvil answers. A measurement is
a function `measure_x(bench) -> list of rows` in `OPERATIONS`; one not landed yet is in `PENDING`.
Throughput (`measure_throughput`) runs each of its rounds on a fresh chain of its own. Goods
(`measure_goods`: delivery orders, delivery versus payment, warehouse receipts as margin) runs after
the scale batches, on keys of its own. The JDR trust's lifecycle (`measure_jdr`) runs after them,
so that its thousand holders and months of chain time stay out of every other figure; ETF creation
clearing (`measure_etf`, its chain work in `bench_etf`) runs last, on assets and members of its own.
`--only SECTION` runs some sections alone (`--only jdr`, say): results.json then holds what was
measured, and no RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import itertools
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import bench_etf
import bench_report
import trex_baseline
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

from pyclient import (
    DEFAULT_ASSETS,
    AccountKind,
    AccountType,
    Admission,
    AssetClass,
    AssetSpec,
    CallStatus,
    CallType,
    Ccp,
    Chain,
    ClearingMember,
    Client,
    Kind,
    Oracle,
    Outcome,
    RiskParameters,
    Settlor,
    TokenIssuer,
    Trigger,
    TrustBank,
    artifacts,
    deploy,
)
from pyclient.chain import anvil, devnet
from pyclient.chain.client import RECEIPT_POLL, RECEIPT_POLL_FIRST
from pyclient.clock import from_unix, to_unix
from pyclient.collateral.vault import SkipReason, account_id, split_account_id
from pyclient.contracts import Call
from pyclient.contracts.base import BatchProgress
from pyclient.contracts.jdr import JdrTrustClient
from pyclient.errors import GasLimitExceeded
from pyclient.etf.model import ApplicationKind
from pyclient.goods.delivery import Pair, price_per_lot
from pyclient.goods.model import DocumentKind, Goods
from pyclient.jdr.schedule import earliest_record_date
from pyclient.roles import Warehouse

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "bench"

# Kabuto's JPY token has zero decimals, like T-REX's benchmark token, so the same raw amounts (in
# calldata of the same size) go to all three tokens. PlainERC20 has 18 decimals; raw units count.
ASSET = "JPY"
SENDER_FUNDS = 1_000_000  # raw units the sender starts with, on every token
SEED = 1_000  # raw units the warm recipient gets (unmeasured) before it is measured
AMOUNT = 100  # raw units of every measured transfer, mint and burn
WARM_SAMPLES = 3  # warm transfers measured per token; expected to agree
THROUGHPUT_TXS = 300  # K, transfers per throughput mode and round
THROUGHPUT_ROUNDS = 5  # rounds, each on a fresh chain, modes in rotated order; medians reported
STEADY_STATE_BLOCK = 600  # throughput is timed past Anvil's in-memory state history (~500 blocks)

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

# Collateral substitution: n legs out and n in (n in SUBSTITUTION_SIZES) of 2n distinct assets, so
# 16 more assets eligible for initial margin, alike: whole units priced SUB_PRICE JPY, a 10%
# haircut and no concentration limit, so every substitution here is value-neutral. An account
# holds SUB_HELD of each asset of its legs (its wallet twice that); every leg moves SUB_LEG.
SUBSTITUTION_SIZES = (1, 2, 4, 8)
SUB_ASSETS = tuple(
    AssetSpec(f"SUB{i:02d}", f"Bench collateral {i:02d}", 0, AssetClass.EQUITY, "JPY")
    for i in range(1, 2 * max(SUBSTITUTION_SIZES) + 1)
)
SUB_SYMBOLS = tuple(a.symbol for a in SUB_ASSETS)
SUB_PRICE, SUB_RISK = 1_000, RiskParameters(1_000)
SUB_HELD, SUB_LEG = 1_000, 100
SWAP_LEGS = 2  # the counterparty swap: 2 legs each way, against 2 T-REX DVD swaps
TREX_DVD_AMOUNT = 100  # raw units of each T-REX DVD leg (both T-REX tokens have zero decimals)

# The JDR trust: a series of SPY JDRs (SPY deployed for it), 10 JDR per SPY unit, a 0.20% trust fee
# on distributions, cancellation in kind for holders the trust bank confirms. Its holders are
# clients of the bench's sending member; the measured claimant holds JDR_HELD throughout.
JDR, JDR_UNDERLYING = "SPY-JDR", "SPY"
JDR_RATIO, JDR_FEE_BPS = 10, 20
JDR_SEEDED = 1_200  # SPY units of the unmeasured first creation: 12,000 JDR to the settlor
JDR_CREATION = 10  # SPY units of the measured creation (100 JDR)
JDR_CANCEL = JDR_RATIO  # JDR units of each cancellation in kind: one SPY unit back
JDR_CANCELLER = 100  # JDR units the canceller holds before its two cancellations
JDR_HELD = 10  # JDR units of every other holder of record, from one transfer by the settlor
JDR_HOLDERS = (10, 100, 1_000)  # holders of record at the record dates of three distributions
JDR_DISTRIBUTION_USD = Decimal("2000.00")  # the ETF's distribution the trust received, each time
JDR_SPY_USD = 600  # SPY's price, published before the liquidation (checked against the proceeds)
JDR_PROCEEDS_PER_UNIT = 9_000  # JPY per JDR the liquidation raises (SPY at 600 USD × 150 ÷ 10)
JDR_BANK_JPY = 200_000_000  # what the trust bank starts with: distributions and proceeds
JDR_FLAT_TOLERANCE = 1.01  # a claim's gas at 10, 100 and 1,000 holders: largest ÷ smallest
JDR_KEY_OFFSET = 20 + len(SUBSTITUTION_SIZES) + 1  # development keys after the substitution's
JDR_PARTS = ("bank", "settlor", "first", "claimant", "canceller")  # who signs; the rest never do
JDR_CLAIM = "jdr.claim_distribution"

# Goods: rubber delivery orders of one lot each (5,000 kg of RSS3, a description of a few short
# words) from one registered warehouse; physical delivery through the CCP's delivery settlement at
# DELIVERY_PRICE a lot; gold warehouse receipts (GOLD_BAR grams each, GOLD deployed for them, last)
# posted as margin through the GOLD pool. Its parties are development keys beyond the JDR's.
GOODS_KEY_OFFSET = JDR_KEY_OFFSET + len(JDR_PARTS)
GOODS_PARTS = ("warehouse", "holder", "recipient", "depositor", "short", "long")
GOODS_PAIRS = 10  # shorts and longs of the settlement batches, paired one to one
LOT_KG = 5_000
DELIVERY_PRICE = price_per_lot("300", LOT_KG)  # JPY a lot: 300 JPY/kg
DELIVERY_BATCHES = {1: 1, 10: 2, 100: GOODS_PAIRS}  # lots settled in one transaction: its pairs
DELIVERY_FLAT_TOLERANCE = 1.05  # settlement gas per lot at 10 and 100 lots: largest ÷ smallest
DELIVERY_FUNDS = 50_000_000  # JPY each long starts with
DAY = 24 * 3600
SETTLE = "delivery.settle"
GOLD, GOLD_BAR = "GOLD", 1_000  # grams of every receipt
GOLD_PRICE, GOLD_RISK = Decimal("14000"), RiskParameters(1_500)  # JPY a gram; 15% haircut

# ETF creation clearing (bench_etf): one clearing day for each group of ETF_MEMBERS clearing
# members (disjoint groups, generated keys), each member in one pair trading TYO7203, a tenth of
# them also applying for an in-kind creation of ETF1306 and a tenth for a cash creation of ETF2558
# (one creation unit each); the application steps are read from the largest day.
ETF_MEMBERS = (10, 100, 500)
ETF_FLAT_TOLERANCE = 1.05  # per-member gas at the most members ÷ at the fewest
ETF_SETTLE, ETF_TRADES = "etf.settlement", "etf.record_trades"

# Scale: batches of N house accounts, each of a clearing member admitted for the purpose.
SCALE_NS = (1, 10, 100, 500)
PER_ACCOUNT_N = 100  # the batch size `margin.requirements_batch.per_account` is read at
SCALE_REQUIREMENT = 1_000_000  # JPY; round r posts SCALE_REQUIREMENT + r * 1_000 + i
FLAT_TOLERANCE = 1.05  # "flat": marginal gas per account from N=100 to 500 within 5% of 10 to 100
EIP7825_TX_GAS_CAP = 2**24  # Osaka's per-transaction gas cap (Anvil here does not enforce it)
RAISED_BLOCK_GAS_LIMIT = 200_000_000  # for the one batch that needs more than a block
VERIFY_SLACK = 40  # accounts beyond the model's largest batch, for the search around it
SETUP_BATCH = 1_000  # accounts per unmeasured requirement posting during set-up
REQUIREMENTS, CALLS = "margin.requirements_batch", "margin.issue_calls"

# External reference points (thousands of gas), quoted in the T-REX section of the report and never
# used as measurements: T-REX's own CI gas report, and the same T-REX deployment and transfers as
# here run separately on throwaway Anvils with `--hardfork istanbul` and `--hardfork berlin`.
TREX_REFERENCE_KGAS = {"published_transfer": 156, "istanbul": [144, 161], "berlin": [200, 217]}
TREX_PACKAGE_JSON = trex_baseline.NODE_MODULES / "@tokenysolutions/t-rex/package.json"

SKIPPED = 10  # of the PER_ACCOUNT_N accounts of a call batch, this many are skipped
SKIPPED_ROW = "margin.issue_calls.ten_percent_skipped"
CALLS_PER_CALL = "margin.issue_calls.per_call"
# Gas per call of a batch of PER_ACCOUNT_N, measured by this bench before a batch could skip an
# account (bench/results.json of commit 7952dcd): the figure a skipping batch must stay near.
PER_CALL_BEFORE_SKIPPING = 83_136
BEFORE_SKIPPING = "margin.issue_calls.per_call.before_skipping"

TARGETS = (  # (operation, baseline, the most Kabuto ÷ baseline may be, description)
    ("token.transfer", "openzeppelin.erc20.transfer", 1.5, "transfer (warm) ≤ 1.5× OZ"),
    ("token.transfer.cold", "openzeppelin.erc20.transfer.cold", 1.5, "transfer (cold) ≤ 1.5× OZ"),
    ("token.transfer", "trex.transfer", 0.5, "transfer (warm) ≤ 0.5× T-REX"),
    ("token.transfer.cold", "trex.transfer.cold", 0.5, "transfer (cold) ≤ 0.5× T-REX"),
    (
        SKIPPED_ROW,
        CALLS_PER_CALL,
        1.05,
        "gas per call, 10% of a batch skipped ≤ 1.05× none skipped",
    ),
    (
        SKIPPED_ROW,
        BEFORE_SKIPPING,
        1.05,
        "gas per call, 10% skipped ≤ 1.05× before batches skipped",
    ),
    (
        "substitution.in_account.2x2",
        "vault.separate_legs.2x2",
        1.0,
        "in-account substitution 2/2 < its 4 legs as 2 deposits and 2 withdrawals",
    ),
    (
        "substitution.counterparty.2x2",
        "trex.dvd.two_swaps",
        1.0,
        "counterparty swap 2/2 < two T-REX DVD swaps (initiate + take each)",
    ),
)
PENDING: list[dict[str, Any]] = []

Say = Callable[[str], None]
Row = dict[str, Any]
Fit = tuple[float, float]  # (fixed, marginal): a batch of N needs fixed + marginal × N gas


def row(
    name: str, gas: int, note: str, baselines: dict[str, int] | None = None, **extra: Any
) -> Row:
    """One row of `operations`: Kabuto's gas, its baselines' gas, the conditions measured under."""
    return {"name": name, "gas": gas, "baselines": baselines or {}, "note": note, **extra}


def check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(f"benchmark precondition failed: {message}")


def median(samples: list[int], what: str, say: Say) -> int:
    if len(set(samples)) != 1:
        say(f"  note: {what} differ: {samples}; reporting the median")
    return int(statistics.median(samples))


# ---------------------------------------------------------------------- the bench


PARTS = ("sender", "warm", "cold")


class Bench:
    """Kabuto and both baselines deployed on one chain, and who plays which part."""

    def __init__(self, chain: Chain, say: Say) -> None:
        self.chain, self.say = chain, say
        keys = chain.dev_accounts(20)
        say(f"deploying Kabuto with pyclient.deploy() ({', '.join(MARGIN_ASSETS)} tokens, "
            f"{len(SUB_ASSETS)} for substitutions, {JDR_UNDERLYING} for the JDR and the {GOLD} "
            "pool for warehouse receipts)")  # fmt: skip
        specs = [next(a for a in DEFAULT_ASSETS if a.symbol == s) for s in MARGIN_ASSETS]
        # SPY, for the JDR trust, then GOLD, for the goods section, last: the other tokens keep
        # the addresses they had without them.
        specs += [*SUB_ASSETS, *(a for s in (JDR_UNDERLYING, GOLD) for a in DEFAULT_ASSETS
                                 if a.symbol == s)]  # fmt: skip
        self.kabuto = deploy(
            chain, keys[0], assets=specs, issuer=keys[1].address, progress=lambda m: say(f"  {m}")
        )
        self.ccp, self.issuer = Ccp(self.kabuto, keys[0]), TokenIssuer(self.kabuto, keys[1])
        say("publishing FX rates, prices and risk parameters")
        self.oracle = Oracle(self.kabuto, keys[0])  # deploy() leaves the operator the oracle
        self.oracle.set_risk_parameters(RISK | dict.fromkeys(SUB_SYMBOLS, SUB_RISK))
        self.publish_market_data()
        parts = dict(zip(PARTS, keys[2:5], strict=True))
        self.ccp.register.admit_many(
            Admission(k.address, Kind.CLEARING_MEMBER, f"bench-{p}") for p, k in parts.items()
        )
        self.members = {p: ClearingMember(self.kabuto, k) for p, k in parts.items()}
        self.issuer.issue(ASSET, self.members["sender"], SENDER_FUNDS, ref="bench funding")
        self.newcomer = keys[5]  # admitted by the registry.admit measurement
        self.spare_keys = keys[13:20]  # funded keys for the vault and margin measurements

        say("deploying OpenZeppelin PlainERC20")
        self.oz_keys = dict(zip(PARTS, keys[6:9], strict=True))
        args = ["Plain", "PLAIN", keys[6].address, SENDER_FUNDS]
        self.oz: Contract = chain.deploy("PlainERC20", args, keys[6])[0]
        say("deploying T-REX v4 through TREXFactory (implementations, proxies, 3 investors)")
        self.trex_keys = dict(zip(PARTS, keys[10:13], strict=True))
        self.trex = trex_baseline.deploy_trex(chain, keys[9], list(self.trex_keys.values()))
        trex_baseline.mint(self.trex, chain, self.trex_keys["sender"].address, SENDER_FUNDS)
        say("deploying a second T-REX token (same investors) and T-REX's DVDTransferManager")
        dvd_parties = [self.trex_keys["sender"], self.trex_keys["warm"]]
        self.trex_second = trex_baseline.deploy_trex(chain, keys[9], dvd_parties)
        for party in dvd_parties:
            trex_baseline.mint(self.trex_second, chain, party.address, SENDER_FUNDS)
        self.dvd = trex_baseline.deploy_dvd(chain, keys[9])

    def publish_market_data(self) -> None:
        """FX rates and prices as of now (they go stale after the deployment's 24 hours)."""
        self.oracle.publish_fx_rates(FX_RATES)
        self.oracle.publish_prices(PRICES | dict.fromkeys(SUB_SYMBOLS, SUB_PRICE))


# ---------------------------------------------------------------------- transfers, the same way


def subjects(b: Bench) -> dict[str, tuple[Callable[[str, int], int], Callable[[str], int]]]:
    """The three tokens: a transfer from the sender to a part (returns gas), a part's balance."""
    m, token, oz, trex, chain = b.members, b.kabuto.token(ASSET), b.oz.functions, b.trex, b.chain
    trex_token = trex.token.functions

    def kabuto(to: str, amount: int) -> int:
        return m["sender"].transfer(ASSET, m[to], amount).gas_used

    def openzeppelin(to: str, amount: int) -> int:
        fn = oz.transfer(b.oz_keys[to].address, amount)
        return chain.transact(fn, b.oz_keys["sender"], label="erc20.transfer").gas_used

    def trex_transfer(to: str, amount: int) -> int:
        sender, recipient = b.trex_keys["sender"], b.trex_keys[to].address
        return trex_baseline.transfer(trex, chain, sender, recipient, amount)

    return {
        "token": (kabuto, lambda p: int(token.balance_of(m[p]))),
        "openzeppelin.erc20": (openzeppelin, lambda p: oz.balanceOf(b.oz_keys[p].address).call()),
        "trex": (trex_transfer, lambda p: trex_token.balanceOf(b.trex_keys[p].address).call()),
    }


def measure_transfers(b: Bench) -> list[Row]:
    """Seed the warm recipient (unmeasured), then warm transfers and one cold one, on each token."""
    warm, cold, samples = {}, {}, {}
    for prefix, (transfer, balance) in subjects(b).items():
        check(balance("warm") == 0, f"{prefix}: warm recipient starts empty")
        transfer("warm", SEED)
        samples[f"{prefix}.warm_samples"] = runs = []
        for _ in range(WARM_SAMPLES):
            check(balance("warm") > 0, f"{prefix}: warm recipient holds tokens")
            runs.append(transfer("warm", AMOUNT))
        warm[prefix] = median(runs, f"{prefix} warm transfers", b.say)
        check(balance("cold") == 0, f"{prefix}: cold recipient holds nothing")
        cold[prefix] = transfer("cold", AMOUNT)
        check(balance("sender") > 0, f"{prefix}: sender keeps a balance")
        b.say(f"  {prefix:<20} warm {warm[prefix]:>7,}  cold {cold[prefix]:>7,}")
    oz, trex = "openzeppelin.erc20", "trex"
    return [
        row("token.transfer", warm["token"],
            "recipient already holds a non-zero balance; sender keeps a non-zero balance",
            {f"{oz}.transfer": warm[oz], f"{trex}.transfer": warm[trex]}, samples=samples),
        row("token.transfer.cold", cold["token"],
            "recipient holds zero before; sender keeps a non-zero balance",
            {f"{oz}.transfer.cold": cold[oz], f"{trex}.transfer.cold": cold[trex]}),
    ]  # fmt: skip


def measure_token_operations(b: Bench) -> list[Row]:
    """The CCP's agent and register desks and the issuer; T-REX's agent mint likewise."""
    m, agent = b.members, b.ccp.agent
    forced = agent.forced_transfer(ASSET, m["sender"], m["warm"], AMOUNT, reason="bench")
    mint = b.issuer.issue(ASSET, m["warm"], AMOUNT, ref="bench mint")
    trex_mint = trex_baseline.mint(b.trex, b.chain, b.trex_keys["warm"].address, AMOUNT)
    burn = b.issuer.redeem(ASSET, m["warm"], AMOUNT, ref="bench burn")
    freeze = agent.freeze_tokens(ASSET, m["cold"], AMOUNT // 2, reason="bench")
    listed = len(b.kabuto.participants())
    admit = b.ccp.register.admit_member(b.newcomer.address, "bench-newcomer")
    return [
        row("token.forced_transfer", forced.gas_used,
            "agent moves tokens of an unfrozen holder to a warm recipient; nothing to unfreeze"),
        row("token.mint", mint.gas_used,
            "to a holder with a non-zero balance, total supply already non-zero",
            {"trex.mint": trex_mint}),
        row("token.burn", burn.gas_used, "from a holder that keeps a non-zero balance"),
        row("token.freeze_tokens", freeze.gas_used,
            "first partial freeze on the holder (frozen amount goes from zero to non-zero)"),
        row("registry.admit", admit.gas_used,
            f"a clearing member, into a registry already listing {listed} participants"),
    ]  # fmt: skip


# ---------------------------------------------------------------------- collateral and margin


def margin_member(b: Bench, key: LocalAccount, name: str) -> tuple[ClearingMember, int]:
    """A clearing member holding `MEMBER_FUNDS` JPY, with a house account and the vault approved
    for an unlimited amount (as a standing instruction needs; the allowance is never rewritten)."""
    b.ccp.register.admit_member(key.address, f"bench-{name}")
    member = ClearingMember(b.kabuto, key)
    b.issuer.issue(ASSET, member, MEMBER_FUNDS, ref=f"bench {name}")
    account = b.ccp.margin.open_account(member, AccountKind.HOUSE).value
    member.approve_vault(ASSET)
    return member, account


def measure_vault(b: Bench) -> list[Row]:
    """`vault.deposit` into a house account already holding JPY; `vault.withdraw` out of it."""
    member, account = margin_member(b, b.spare_keys[0], "depositor")
    vault = b.kabuto.vault
    member.deposit(ASSET, SEED)  # unmeasured: the account's JPY holding becomes non-zero
    samples = []
    for _ in range(WARM_SAMPLES):
        check(vault.holdings(account)[ASSET] > 0, "the house account holds JPY")
        samples.append(member.deposit(ASSET, AMOUNT).gas_used)
    deposit = median(samples, "deposits", b.say)

    b.ccp.margin.post_requirements({account: WITHDRAW_REQUIREMENT}, run_id="bench withdraw")
    check(len(vault.raw_holdings(account)) == 1, "one asset held")
    withdrawal = member.withdraw(ASSET, AMOUNT)
    (event,) = withdrawal.named("CollateralWithdrawn")
    valued = event["requirementJpy"] == WITHDRAW_REQUIREMENT <= event["valueAfterJpy"]
    check(valued, "the withdrawal is valued against a non-zero requirement and stays above it")
    check(vault.holdings(account)[ASSET] > 0, "the house account keeps JPY")
    b.say(f"  vault.deposit {deposit:,}  vault.withdraw {withdrawal.gas_used:,}")
    return [
        row("vault.deposit", deposit,
            "JPY into a house account already holding JPY, vault approved for an unlimited "
            "amount (the allowance is not rewritten); no open call", samples=samples),
        row("vault.withdraw", withdrawal.gas_used,
            f"JPY out of a house account holding only JPY, against a requirement of "
            f"{WITHDRAW_REQUIREMENT:,} JPY (non-zero, so the account is valued: one quote read); "
            "the holding stays non-zero"),
    ]  # fmt: skip


def short_account(b: Bench, key: LocalAccount, name: str) -> tuple[ClearingMember, int]:
    """A member whose house account holds `SEED` JPY against a requirement of `CALL_REQUIREMENT`."""
    member, account = margin_member(b, key, name)
    member.deposit(ASSET, SEED)
    b.ccp.margin.post_requirements({account: CALL_REQUIREMENT}, run_id=f"bench {name}")
    return member, account


def measure_margin_calls(b: Bench) -> list[Row]:
    """A call met in its own transaction by a standing instruction; the deposit meeting a call."""
    member, account = short_account(b, b.spare_keys[1], "auto-pull")
    member.set_standing_instruction([(ASSET, PULL_CAP)])
    pulled = b.ccp.margin.issue_margin_calls([account], CallType.REGULAR)
    check(pulled.value.calls[0].status is CallStatus.MET, "the standing instruction met the call")
    check(b.kabuto.vault.holdings(account)[ASSET] == CALL_REQUIREMENT, "the shortfall pulled")

    member, account = short_account(b, b.spare_keys[2], "call-payer")
    issued = b.ccp.margin.issue_margin_calls([account], CallType.REGULAR)
    (call,) = issued.value.calls
    check(call.status is CallStatus.ISSUED, "no standing instruction: the call stays open")
    paid = member.deposit(ASSET, call.shortfall_jpy)
    check(b.kabuto.vault.margin_call(call.id).status is CallStatus.MET, "the deposit met the call")
    check(len(paid.named("MarginCallMet")) == 1, "the deposit says so")
    short = call.shortfall_jpy
    return [
        row("margin.call_with_auto_pull", pulled.gas_used,
            f"one account holding {SEED:,} JPY against a requirement of {CALL_REQUIREMENT:,}: the "
            f"call is issued and its standing instruction (JPY, up to {PULL_CAP:,} a call) pulls "
            f"the {short:,} JPY short, meeting it in the same transaction"),
        row("margin.call_met_by_deposit", paid.gas_used,
            f"deposit of the {short:,} JPY short into a house account already holding JPY, with a "
            "call open: the account is valued and the call closed in the same transaction",
            call_issued_gas=issued.gas_used),
    ]  # fmt: skip


def measure_default_declaration(b: Bench) -> list[Row]:
    """A default declared on an overdue call, seizing house collateral in two assets."""
    member, account = margin_member(b, b.spare_keys[3], "defaulter")
    b.issuer.issue("USD", member, "1000.00", ref="bench defaulter")
    member.approve_vault("USD")
    for symbol, amount in DEFAULT_HOLDINGS.items():
        member.deposit(symbol, amount)
    margin, vault = b.ccp.margin, b.kabuto.vault
    margin.post_requirements({account: DEFAULT_REQUIREMENT}, run_id="bench default")
    (call,) = margin.issue_margin_calls([account], CallType.REGULAR).value.calls
    # Past the deadline; prices are refreshed as the oracle does daily (they go stale after 24 h).
    devnet.increase_time(b.chain, to_unix(call.deadline) - b.kabuto.chain_time() + 60)
    b.publish_market_data()
    overdue = margin.mark_overdue([call.id])
    check(overdue.value.calls[0].status is CallStatus.OVERDUE, "the call is overdue")
    pool = b.kabuto.default_manager.management_account()
    check(not vault.raw_holdings(pool), "the default-management account holds nothing yet")
    declared = b.ccp.default.declare(call.id, "bench default")
    check(len(declared.named("CollateralSeized")) == len(DEFAULT_HOLDINGS), "both assets seized")
    check(vault.margin_call(call.id).status is CallStatus.DEFAULT_DECLARED, "default declared")
    b.ccp.margin.open_account(b.ccp.address, AccountKind.CLEARING_FUND)  # the CCP's tranche
    case = declared.value
    devnet.increase_time(b.chain, to_unix(case.porting_deadline) - b.kabuto.chain_time() + 60)
    b.publish_market_data()
    settled = b.ccp.default.settle(case.id, 200_000)
    check(settled.value.uncovered_jpy == 0, "the house margin covers the loss")
    return [
        row("default.settle", settled.gas_used,
            "DefaultManager.settle of a 200,000 JPY loss the defaulter's seized house margin "
            "(300,000 JPY and 100 USD) covers: 200,000 JPY used, the rest returned to the house "
            "account, an event per layer reached (house, clearing fund, CCP tranche); survivors "
            "not reached"),
        row("margin.default_declaration", declared.gas_used,
            "DefaultManager.declareDefault on an overdue call (marked overdue beforehand, after "
            "the deadline): case opened, registry status to defaulted, the member's one account "
            "(house) frozen, its JPY and USD seized into the DefaultManager's account, which held "
            "nothing before (a first default), with the case's ledger of origin; no omnibus, "
            "clearing-fund or client account", mark_overdue_gas=overdue.gas_used),
    ]  # fmt: skip


# ---------------------------------------------------------------------- collateral substitution


def substitution_member(
    b: Bench, key: LocalAccount, name: str, symbols: Sequence[str]
) -> tuple[ClearingMember, int]:
    """A clearing member (a development key beyond Anvil's funded twenty, given gas money) whose
    wallet holds 2 × SUB_HELD of each of `symbols` and whose house account holds SUB_HELD of each,
    the vault approved without limit on each (so no allowance is rewritten)."""
    devnet.set_balance(b.chain, key.address, 10**20)
    member, account = margin_member(b, key, name)
    b.issuer.issue_many([(s, member, 2 * SUB_HELD, f"bench {name}") for s in symbols])
    vault = b.kabuto.vault
    member.send_all([b.kabuto.token(s).approve(vault.address) for s in symbols])
    member.send_all([vault.deposit(account, s, SUB_HELD) for s in symbols])
    return member, account


def measure_substitution(b: Bench) -> list[Row]:
    """In-account substitutions of n legs out and n in, each against the same legs as n deposits
    then n withdrawals on the same account; a counterparty's signed 2/2 swap against two T-REX DVD
    swaps. Every holding and wallet balance involved is non-zero before and after."""
    keys = b.chain.dev_accounts(20 + len(SUBSTITUTION_SIZES) + 1)[20:]
    members = {
        n: substitution_member(b, key, f"substituter-{n}", SUB_SYMBOLS[: 2 * n])
        for n, key in zip(SUBSTITUTION_SIZES, keys, strict=False)
    }
    swapped = SUB_SYMBOLS[: 2 * SWAP_LEGS]
    counterparty = substitution_member(b, keys[-1], "counterparty", swapped)[0]
    value = {n: 2 * n * SUB_HELD * SUB_PRICE * (10_000 - SUB_RISK.haircut_bps) // 10_000
             for n in SUBSTITUTION_SIZES}  # fmt: skip
    requirements = {account: value[n] // 2 for n, (_, account) in members.items()}
    b.ccp.margin.post_requirements(requirements, run_id="bench substitution")
    vault, rows = b.kabuto.vault, []
    for n, (member, account) in members.items():
        check(member.collateral_value(AccountKind.HOUSE) == value[n], f"{n}x{n}: account value")
        out = dict.fromkeys(SUB_SYMBOLS[:n], SUB_LEG)
        into = dict.fromkeys(SUB_SYMBOLS[n : 2 * n], SUB_LEG)
        deposits = [member.deposit(s, SUB_LEG).gas_used for s in into]
        withdrawals = [member.withdraw(s, SUB_LEG).gas_used for s in out]
        done = member.substitute(out=out, into=into)
        s = done.value
        check(s.value_before_jpy == s.value_after_jpy == value[n], f"{n}x{n}: value-neutral")
        check(s.requirement_jpy == requirements[account], f"{n}x{n}: requirement set")
        held = vault.holdings(account)
        check(all(held[x] > 0 for x in SUB_SYMBOLS[: 2 * n]), f"{n}x{n}: every holding non-zero")
        legs = sum(deposits) + sum(withdrawals)
        b.say(f"  {n}x{n}: substitution {done.gas_used:,}  separate legs {legs:,}")
        rows.append(row(
            f"substitution.in_account.{n}x{n}", done.gas_used,
            f"ClearingMember.substitute on a house account holding {2 * n} assets: {n} out, {n} in "
            f"({SUB_LEG} units each, value-neutral, requirement half the value), one transaction; "
            f"the same legs as {n} deposit{'s' * (n > 1)} then {n} withdrawal{'s' * (n > 1)} cost "
            f"{legs:,} ({done.gas_used / legs:.2f}×)",
            {f"vault.separate_legs.{n}x{n}": legs},
            legs={"deposits": deposits, "withdrawals": withdrawals},
        ))  # fmt: skip

    owner, account = members[SWAP_LEGS]
    take = dict.fromkeys(swapped[:SWAP_LEGS], SUB_LEG)
    deliver = dict.fromkeys(swapped[SWAP_LEGS:], SUB_LEG)
    samples = []
    for i in range(1 + WARM_SAMPLES):  # the first unmeasured, as for T-REX
        offer = counterparty.sign_offer(account, deliver=deliver, take=take)
        accepted = owner.accept_offer(offer)
        check(accepted.value.counterparty == counterparty.address, "the counterparty swapped")
        if i:
            samples.append(accepted.gas_used)
    kabuto = median(samples, "counterparty swaps", b.say)
    check(all(vault.holdings(account)[x] > 0 for x in swapped), "every holding non-zero")

    initiates, takes = measure_trex_dvd(b)
    two_swaps, two_takes = sum(initiates) + sum(takes), sum(takes)
    b.say(f"  counterparty {SWAP_LEGS}x{SWAP_LEGS}: {kabuto:,}  two T-REX DVD swaps {two_swaps:,} "
          f"(takes alone {two_takes:,})")  # fmt: skip
    rows.append(row(
        f"substitution.counterparty.{SWAP_LEGS}x{SWAP_LEGS}", kabuto,
        f"ClearingMember.accept_offer of a counterparty's EIP-712 offer (signature checked, fresh "
        f"nonce): {SWAP_LEGS} assets delivered into a house account holding them, {SWAP_LEGS} "
        f"taken out; against two T-REX DVDTransferManager swaps, each initiateDVDTransfer (maker) "
        f"+ takeDVDTransfer (taker, executing both legs), one token each way; the two takes "
        f"alone: {two_takes:,}",
        {"trex.dvd.two_swaps": two_swaps, "trex.dvd.two_takes": two_takes},
        samples=samples, trex_dvd={"initiate": initiates, "take": takes},
    ))  # fmt: skip
    return rows


def measure_trex_dvd(b: Bench) -> tuple[list[int], list[int]]:
    """Two T-REX DVD swaps between the transfer sender (maker, giving the first T-REX token) and
    the warm recipient (taker, giving the second), each holding both tokens and keeping them,
    after one unmeasured swap (the DVD contract's transfer counter then is non-zero, as in steady
    use); each party approved the DVD contract beforehand. Returns initiation and take gas."""
    maker, taker = b.trex_keys["sender"], b.trex_keys["warm"]
    trex_baseline.approve(b.trex, b.chain, maker, b.dvd.address, SENDER_FUNDS)
    trex_baseline.approve(b.trex_second, b.chain, taker, b.dvd.address, SENDER_FUNDS)
    legs = (maker, b.trex, TREX_DVD_AMOUNT), (taker, b.trex_second, TREX_DVD_AMOUNT)
    swaps = [trex_baseline.dvd_swap(b.chain, b.dvd, *legs) for _ in range(3)][1:]
    for suite in (b.trex, b.trex_second):
        balances = [suite.token.functions.balanceOf(k.address).call() for k in (maker, taker)]
        check(all(balances), "both DVD parties keep both T-REX tokens")
    return [i for i, _ in swaps], [t for _, t in swaps]


# ---------------------------------------------------------------------- goods


@dataclass
class GoodsCast:
    """Who plays which part in the goods section: a warehouse, clearing members holding and
    handing delivery orders, posting receipts as margin, and delivering and paying."""

    warehouse: Warehouse
    holder: ClearingMember  # issued delivery orders, hands some to the recipient
    recipient: ClearingMember
    depositor: ClearingMember  # posts gold receipts (and JPY, the baseline) in its house account
    short: ClearingMember  # the measured delivery and payment: one pair, never settled
    long: ClearingMember
    shorts: list[ClearingMember]  # the settlement batches: shorts[i] paired with longs[i]
    longs: list[ClearingMember]


def goods_cast(b: Bench) -> GoodsCast:
    """The warehouse and the clearing members (development keys beyond the JDR's, given gas
    money), admitted; each long with yen and each short with some (so that a payment lands in a
    non-zero balance)."""
    pairs = [f"{side}-{i:02d}" for side in ("short", "long") for i in range(GOODS_PAIRS)]
    parts = [*GOODS_PARTS, *pairs]
    keys = b.chain.dev_accounts(GOODS_KEY_OFFSET + len(parts))[GOODS_KEY_OFFSET:]
    key = dict(zip(parts, keys, strict=True))
    for k in keys:
        devnet.set_balance(b.chain, k.address, 10**20)
    members = parts[1:]
    b.ccp.register.admit_many([
        Admission(key["warehouse"].address, Kind.WAREHOUSE, "bench-warehouse"),
        *(Admission(key[p].address, Kind.CLEARING_MEMBER, f"bench-goods-{p}") for p in members),
    ])  # fmt: skip
    member = {p: ClearingMember(b.kabuto, key[p]) for p in members}
    cast = GoodsCast(
        Warehouse(b.kabuto, key["warehouse"]),
        *(member[p] for p in GOODS_PARTS[1:]),
        [member[f"short-{i:02d}"] for i in range(GOODS_PAIRS)],
        [member[f"long-{i:02d}"] for i in range(GOODS_PAIRS)],
    )
    longs, shorts = [cast.long, *cast.longs], [cast.short, *cast.shorts]
    b.issuer.issue_many([
        *((ASSET, m, DELIVERY_FUNDS, "bench goods long") for m in longs),
        *((ASSET, m, SEED, "bench goods short") for m in shorts),
        (ASSET, cast.depositor, MEMBER_FUNDS, "bench goods depositor"),
    ])  # fmt: skip
    return cast


def rubber(lot: int) -> Goods:
    """One lot of RSS3 rubber, as a delivery order describes it."""
    return Goods("RSS3", "RSS3", LOT_KG, "kg", lots=f"lot {lot:04d}", location="Yokohama")


def gold_bar(number: int) -> Goods:
    return Goods(GOLD, "TANAKA 999.9", GOLD_BAR, "g", lots=f"bar {number:04d}", location="Koto")


def measure_goods(b: Bench) -> list[Row]:
    """Delivery orders issued and handed on (against OpenZeppelin's ERC-721), physical delivery
    through the CCP (a delivery, a payment, settlement batches of 1, 10 and 100 lots), and gold
    receipts posted as margin and taken back (against the same JPY deposit and withdrawal)."""
    cast = goods_cast(b)
    b.publish_market_data()  # fresh, whatever ran before
    rows = measure_delivery_orders(b, cast)
    rows += measure_delivery(b, cast)
    rows += measure_receipts(b, cast)
    return rows


def measure_delivery_orders(b: Bench, cast: GoodsCast) -> list[Row]:
    """After a first issue (unmeasured) to each, the warehouse issues delivery orders to a holder
    already holding one; the holder hands each to a recipient holding one, keeping one itself.
    PlainERC721's mint and transferFrom under the same conditions are the baselines."""
    warehouse, holder, recipient = cast.warehouse, cast.holder, cast.recipient
    orders, do = b.kabuto.delivery_orders, DocumentKind.DELIVERY_ORDER
    warehouse.issue_many(do, [(holder, rubber(1)), (recipient, rubber(2))])
    issued = [warehouse.issue_delivery_order(holder, rubber(3 + i)) for i in range(WARM_SAMPLES)]
    issue_samples = [o.gas_used for o in issued]
    issue = median(issue_samples, "delivery order issues", b.say)
    moved = [holder.transfer_goods(do, recipient, o.value).gas_used for o in issued]
    transfer = median(moved, "delivery order transfers", b.say)
    check(orders.balance_of(holder) == 1, "the holder keeps one delivery order")
    check(orders.balance_of(recipient) == 1 + WARM_SAMPLES, "the recipient holds them")

    sender, to = b.oz_keys["sender"], b.oz_keys["warm"]
    oz = b.chain.deploy("PlainERC721", ["Plain goods", "PGOODS"], sender)[0]
    fn, chain = oz.functions, b.chain
    for token_id, owner in ((1, sender), (2, to)):
        chain.transact(fn.mint(owner.address, token_id), sender, label="erc721.mint")
    ids = range(3, 3 + WARM_SAMPLES)
    oz_mints = [chain.transact(fn.mint(sender.address, t), sender, label="erc721.mint").gas_used
                for t in ids]  # fmt: skip
    oz_moves = [chain.transact(fn.transferFrom(sender.address, to.address, t), sender,
                               label="erc721.transferFrom").gas_used for t in ids]  # fmt: skip
    oz_mint = median(oz_mints, "PlainERC721 mints", b.say)
    oz_transfer = median(oz_moves, "PlainERC721 transfers", b.say)
    check(fn.balanceOf(sender.address).call() == 1, "the OZ sender keeps one token")
    b.say(f"  issue {issue:,} (OZ mint {oz_mint:,})  transfer {transfer:,} "
          f"(OZ transferFrom {oz_transfer:,})")  # fmt: skip
    base = "openzeppelin.erc721"
    return [
        row("goods.issue", issue,
            "Warehouse.issue_delivery_order by a registered warehouse that has issued before: one "
            f"lot of rubber ({LOT_KG:,} kg RSS3, its lot number and location a few words each) "
            "to a clearing member already holding a delivery order; the warehouse's kind and "
            "status read in the register, the description stored on chain; baseline: "
            "PlainERC721.mint to a holder of one (nothing described)",
            {f"{base}.mint": oz_mint}, samples={"token": issue_samples, base: oz_mints}),
        row("goods.transfer", transfer,
            "a delivery order's transferFrom by its holder, which keeps one, to a clearing member "
            "already holding one: the register rules of every Kabuto token (both parties active, "
            "account and token freezes, pause, not presented); baseline: PlainERC721.transferFrom "
            "by the owner, same balances",
            {f"{base}.transfer": oz_transfer}, samples={"token": moved, base: oz_moves}),
    ]  # fmt: skip


def open_rubber_delivery(b: Bench, delivery_id: int) -> None:
    now = b.kabuto.chain_time()
    b.ccp.delivery.open_delivery(
        delivery_id, goods=b.kabuto.delivery_orders, commodity="RSS3", lot_quantity=LOT_KG,
        price_jpy_per_lot=DELIVERY_PRICE, delivery_cutoff=now + DAY, payment_cutoff=now + 2 * DAY,
        grades={"RSS3": 0},
    )  # fmt: skip


Stock = dict[str, list[int]]  # one-lot delivery orders each short holds, by address


def delivered_and_paid(
    b: Bench, delivery_id: int, shorts: list[ClearingMember], longs: list[ClearingMember],
    lots: int, stock: Stock,
) -> list[Pair]:  # fmt: skip
    """Open delivery `delivery_id` and allocate `lots` lots evenly, `shorts[i]` to `longs[i]`;
    every short delivers its pair's one-lot orders (from `stock`) and every long pays their
    invoice in full."""
    open_rubber_delivery(b, delivery_id)
    each = lots // len(shorts)
    positions = {"shorts": {m.address: each for m in shorts}}
    positions["longs"] = {m.address: each for m in longs}
    allocated = b.ccp.delivery.allocate(delivery_id, **positions).value
    member = {m.address: m for m in (*shorts, *longs)}
    for p in allocated:
        tokens = [stock[p.short].pop() for _ in range(p.lots)]
        member[p.short].deliver(delivery_id, p.index, tokens)
    settlement = b.kabuto.delivery
    for p in settlement.pairs(delivery_id):
        member[p.long].pay(delivery_id, p.index, p.invoiced)
    return settlement.pairs(delivery_id)


def measure_delivery(b: Bench, cast: GoodsCast) -> list[Row]:
    """Physical delivery of one-lot delivery orders through the CCP. Every short lets the delivery
    settlement move its orders and every long lets it draw yen without limit (set-up; the SDK
    approves only what a call needs when nothing is approved); every long holds a delivery order
    before (so a settled order lands in a non-zero balance) and every short yen. Deliveries of 1,
    10 and 100 lots are delivered and paid (unmeasured); then a 2-lot pair is delivered and paid
    one order at a time (the second delivery and payment measured) and left unsettled, so the
    settlement holds goods and yen throughout; then each delivery settles in one transaction."""
    settlement, orders = b.kabuto.delivery, b.kabuto.delivery_orders
    do = DocumentKind.DELIVERY_ORDER
    shorts, longs = [cast.short, *cast.shorts], [cast.long, *cast.longs]
    for m in shorts:
        m.send(orders.set_approval_for_all(settlement.address))
    for m in longs:
        m.send(b.kabuto.token(ASSET).approve(settlement.address))
    # One-lot orders: what each short delivers (its lots over the three batches), 3 for the
    # measured short (it keeps one), and one for every long to hold.
    needs = {m.address: 0 for m in shorts}
    for lots, n in DELIVERY_BATCHES.items():
        for m in cast.shorts[:n]:
            needs[m.address] += lots // n
    needs[cast.short.address] = 3
    entries = [(a, k) for a, k in needs.items() for _ in range(k)] + [(m.address, 1) for m in longs]
    ids = cast.warehouse.issue_many(
        do, [(a, rubber(100 + i)) for i, (a, _) in enumerate(entries)],
        progress=reporting(b, "issuing delivery orders", 50),
    ).value  # fmt: skip
    stock: Stock = {}
    for (address, _), token_id in zip(entries, ids, strict=True):
        stock.setdefault(address, []).append(token_id)
    check(all(orders.balance_of(m) == 1 for m in longs), "every long holds a delivery order")

    batches = {}
    for delivery_id, (lots, n) in enumerate(DELIVERY_BATCHES.items(), start=1):
        b.say(f"  delivery {delivery_id}: {lots} lot(s) over {n} pair(s), delivered and paid")
        settled = delivered_and_paid(b, delivery_id, cast.shorts[:n], cast.longs[:n], lots, stock)
        batches[lots] = delivery_id, settled

    measured = len(DELIVERY_BATCHES) + 1
    open_rubber_delivery(b, measured)
    (pair,) = b.ccp.delivery.allocate(
        measured, shorts={cast.short.address: 2}, longs={cast.long.address: 2}
    ).value
    first, second = stock[cast.short.address][:2]
    cast.short.deliver(measured, pair.index, [first])
    delivered = cast.short.deliver(measured, pair.index, [second])
    cast.long.pay(measured, pair.index, DELIVERY_PRICE)
    paid = cast.long.pay(measured, pair.index, DELIVERY_PRICE)
    after = settlement.pair(measured, pair.index)
    check(after.delivered_lots == 2 and after.paid == 2 * DELIVERY_PRICE, "2 lots in, paid")
    check(orders.balance_of(cast.short) == 1, "the short keeps a delivery order")

    rows = [
        row("delivery.deliver", delivered.gas_used,
            f"DeliverySettlement.deliver by a short of one one-lot delivery order into its pair "
            f"(2 lots allocated, one already delivered): grade and lots checked, its invoice "
            f"({DELIVERY_PRICE:,} JPY) recorded, the order into the settlement's custody (which "
            "already holds orders); the short keeps one; the settlement approved for all its "
            "orders beforehand"),
        row("delivery.pay", paid.gas_used,
            f"DeliverySettlement.pay by the long of {DELIVERY_PRICE:,} JPY, the invoice of the "
            "second of the pair's two delivered lots (the first already paid): checked against "
            "the invoice, the yen drawn into the settlement, which already holds yen (an "
            "unlimited allowance, not rewritten); the long keeps yen"),
    ]  # fmt: skip
    gas = {}
    for lots, (delivery_id, settled_pairs) in batches.items():
        done = b.ccp.delivery.settle(delivery_id)
        run = done.value
        check(len(done) == 1, f"{lots} lots settle in one transaction")
        check(not run.skipped and run.tokens_released == lots, f"{lots} lots released")
        check(run.settled_jpy == lots * DELIVERY_PRICE, f"{lots} lots paid to the shorts")
        gas[lots] = done.gas_used
        n = len(settled_pairs)
        b.say(f"  settle {lots:>3} lot(s), {n:>2} pair(s): {done.gas_used:,} "
              f"({done.gas_used / lots:,.0f} a lot)")  # fmt: skip
        rows.append(row(
            f"{SETTLE}.{lots}_lots", done.gas_used,
            f"DeliverySettlement.settle (ccp.delivery.settle) in one transaction of a delivery of "
            f"{lots} lot{'s' * (lots > 1)} over {n} pair{'s' * (n > 1)} ({lots // n} one-lot "
            f"order{'s' * (lots // n > 1)} a pair), each delivered and paid in full beforehand: "
            "per pair the parties' status and freezes read, its released count and settled "
            "total written (the total from zero), its orders to the long (holding one already) "
            f"and its yen to the short (holding some); {done.gas_used / lots:,.0f} gas a lot",
            lots=lots, pairs=n, gas_per_lot=round(done.gas_used / lots),
        ))  # fmt: skip
    lo, hi = sorted(DELIVERY_BATCHES)[-2:]
    rows[-1]["marginal_gas_per_lot"] = round((gas[hi] - gas[lo]) / (hi - lo))
    check(settlement.pair(measured, pair.index).released == 0, "the measured pair is unsettled")
    return rows


def sent_since(b: Bench, address: str, block: int) -> list[int]:
    """Gas of every transaction `address` sent after block `block`, in order."""
    eth, gas = b.chain.w3.eth, []
    for n in range(block + 1, eth.block_number + 1):
        for tx in eth.get_block(n, full_transactions=True)["transactions"]:
            if tx["from"] == address:
                gas.append(int(eth.get_transaction_receipt(tx["hash"])["gasUsed"]))
    return gas


def measure_receipts(b: Bench, cast: GoodsCast) -> list[Row]:
    """Gold receipts posted as margin (`deposit_receipt`: pledge, then deposit) and taken back
    (`withdraw_receipt`: withdraw, then redeem), each the total of the transactions the verb
    sends, against a JPY deposit and withdrawal on the same house account in the same run."""
    member = cast.depositor
    b.oracle.publish_prices({GOLD: GOLD_PRICE})
    b.oracle.set_risk_parameters({GOLD: GOLD_RISK})
    (account,) = b.ccp.margin.open_accounts([(member, AccountKind.HOUSE)]).value
    pool, vault = b.kabuto.pool(GOLD), b.kabuto.vault
    # Set-up: the vault approved without limit for JPY and GOLD units, the pool for every
    # receipt, so each verb sends its two transactions and nothing else.
    member.approve_vault(ASSET)
    member.approve_vault(GOLD)
    member.send(b.kabuto.warehouse_receipts.set_approval_for_all(pool.address))
    # Bars: one the member keeps in its wallet throughout, one deposited first (unmeasured), the
    # measured ones, and as many deposited after them (unmeasured), so that no measured bar is
    # the last of the pool's set of receipts when it is redeemed: its removal moves the last one
    # into its place, as it does for nearly every receipt of a pool holding many.
    bars = cast.warehouse.issue_many(
        DocumentKind.WAREHOUSE_RECEIPT,
        [(member, gold_bar(7700 + i)) for i in range(2 + 2 * WARM_SAMPLES)],
    ).value
    first, measured, after = bars[1], bars[2 : 2 + WARM_SAMPLES], bars[2 + WARM_SAMPLES :]
    member.deposit(ASSET, SEED)  # unmeasured: the account holds JPY and GOLD before
    member.deposit_receipt(first)
    jpy_in = [member.deposit(ASSET, AMOUNT).gas_used for _ in range(WARM_SAMPLES)]
    gold_in = []
    for token_id in measured:
        block = b.chain.w3.eth.block_number
        out = member.deposit_receipt(token_id)
        check(out.value == GOLD_BAR, "a bar's grams deposited")
        gold_in.append(sent_since(b, member.address, block))
    check(all(len(t) == 2 for t in gold_in), "each receipt deposit sends two transactions")
    for token_id in after:
        member.deposit_receipt(token_id)

    b.ccp.margin.post_requirements({account: WITHDRAW_REQUIREMENT}, run_id="bench receipts")
    jpy_out = [member.withdraw(ASSET, AMOUNT).gas_used for _ in range(WARM_SAMPLES)]
    gold_out = []
    for token_id in measured:
        block = b.chain.w3.eth.block_number
        out = member.withdraw_receipt(token_id)
        check(out.value == GOLD_BAR, "a bar's grams withdrawn")
        gold_out.append(sent_since(b, member.address, block))
    check(all(len(t) == 2 for t in gold_out), "each receipt withdrawal sends two transactions")
    kept = (1 + len(after)) * GOLD_BAR
    held = vault.holdings(account)
    check(held[ASSET] == SEED and held[GOLD] == kept, "the account keeps JPY and GOLD")
    supply, grams, holds = pool.invariant()
    check(holds and supply == grams == kept, "the pool holds the bars in the vault, no more")
    check(b.kabuto.warehouse_receipts.balance_of(member) == 1 + WARM_SAMPLES, "bars back")

    deposit, withdrawal = (median(s, f"JPY {w}", b.say) for s, w in
                           ((jpy_in, "deposits"), (jpy_out, "withdrawals")))  # fmt: skip
    gold_deposit = median([sum(t) for t in gold_in], "receipt deposits", b.say)
    gold_withdrawal = median([sum(t) for t in gold_out], "receipt withdrawals", b.say)
    b.say(f"  receipt deposit {gold_deposit:,} ({gold_deposit / deposit:.2f}× JPY {deposit:,})  "
          f"withdrawal {gold_withdrawal:,} ({gold_withdrawal / withdrawal:.2f}× JPY "
          f"{withdrawal:,})")  # fmt: skip
    return [
        row("collateral.receipt.deposit", gold_deposit,
            f"ClearingMember.deposit_receipt of a {GOLD_BAR:,} g gold receipt into a house "
            f"account (opened by ccp.margin.open_accounts) already holding JPY and {GOLD}, in two "
            f"transactions: GoodsPool.pledge (the receipt into the pool, which holds others; "
            f"{GOLD_BAR:,} {GOLD} units minted to the member's wallet, which held none) + "
            f"CollateralVault.deposit of the units (the wallet back to zero); the pool and vault "
            f"approved beforehand; the member keeps a receipt; baseline: a JPY deposit into the "
            f"same account ({gold_deposit / deposit:.2f}×)",
            {"vault.deposit.jpy": deposit}, transactions=gold_in, jpy_samples=jpy_in),
        row("collateral.receipt.withdraw", gold_withdrawal,
            f"ClearingMember.withdraw_receipt of a {GOLD_BAR:,} g gold receipt out of the same "
            f"house account, in two transactions: CollateralVault.withdraw of {GOLD_BAR:,} {GOLD} "
            f"units against a requirement of {WITHDRAW_REQUIREMENT:,} JPY (the account valued: "
            f"a quote read for JPY and one for {GOLD}, at {GOLD_PRICE:,} JPY a gram less "
            f"{GOLD_RISK.haircut_bps / 100:g}%; the account keeps both) + GoodsPool.redeem (the "
            f"units burnt, the wallet back to zero, the receipt out to the member, which holds "
            f"receipts); the receipt redeemed is not the last of the pool's set "
            f"of {2 + len(after)} or more, so its removal moves the last into its place (as "
            f"for nearly every receipt of a large pool); baseline: a JPY withdrawal out of the "
            f"same account "
            f"({gold_withdrawal / withdrawal:.2f}×)",
            {"vault.withdraw.jpy": withdrawal}, transactions=gold_out, jpy_samples=jpy_out),
    ]  # fmt: skip


OPERATIONS: tuple[Callable[[Bench], list[Row]], ...] = (
    measure_transfers,
    measure_token_operations,
    measure_vault,
    measure_margin_calls,
    measure_default_declaration,
    measure_substitution,
)


# ---------------------------------------------------------------------- scale: batched margin


def open_members(
    b: Bench, start: int, count: int, *, node_signed: bool = False, seed: str = "member"
) -> list[int]:
    """Admit clearing members `start` to `start + count - 1` (addresses from a fixed seed, so the
    calldata is the same every run) and open their house accounts: with the CCP's batch verbs, or
    for thousands `node_signed` (set-up only: signing them here would dominate the run)."""
    seeds = (f"kabuto-bench-{seed}-{i}" for i in range(start, start + count))
    addresses = [to_checksum_address(keccak(text=s)[12:]) for s in seeds]
    first = len(b.kabuto.participants())
    names = (f"bench-scale-{first + i:05d}" for i in range(count))
    admissions = [
        Admission(a, Kind.CLEARING_MEMBER, n) for a, n in zip(addresses, names, strict=True)
    ]
    houses = [(a, AccountKind.HOUSE) for a in addresses]
    if node_signed:
        for what, calls, gas in (
            ("admit", b.kabuto.registry.admit_many(admissions), 200_000),
            ("openAccount", b.kabuto.vault.open_accounts(houses), 150_000),
        ):
            txs = [(c.to, c.data) for c in calls]
            b.say(f"  {what}: {len(txs)} node-signed transactions")
            devnet.node_send(b.chain, b.ccp.address, txs, gas=gas)
    else:
        b.ccp.register.admit_many(admissions)
        b.ccp.margin.open_accounts(houses)
    return [account_id(a, AccountKind.HOUSE) for a in addresses]


def post(b: Bench, accounts: Sequence[int], run: int) -> Call[None]:
    """A requirement batch on `accounts`, every value new (run `run` differs from every other)."""
    values = {a: SCALE_REQUIREMENT + run * 1_000 + i for i, a in enumerate(accounts)}
    return b.kabuto.vault.post_requirements(values, run_id=f"bench scale {run}")


def send_batch(b: Bench, call: Call[Any]) -> tuple[Outcome[Any], bool]:
    """Send a batch (the SDK estimates it); returns its outcome and whether it needed more gas
    than a block holds (then it is sent with the block gas limit raised: it uses the same gas)."""
    try:
        return call.send(b.ccp.signer), False
    except GasLimitExceeded:
        with devnet.block_gas_limit(b.chain, RAISED_BLOCK_GAS_LIMIT):
            return call.send(b.ccp.signer), True


def marginal_gas(gas: dict[int, int], lo: int, hi: int) -> float:
    return (gas[hi] - gas[lo]) / (hi - lo)


def fit(gas: dict[int, int]) -> Fit:
    """The line through the batches of the two largest N."""
    lo, hi = SCALE_NS[-2], SCALE_NS[-1]
    marginal = marginal_gas(gas, lo, hi)
    return gas[lo] - lo * marginal, marginal


def largest_within(line: Fit, limit: int) -> int:
    return int((limit - line[0]) // line[1])  # the largest N with fixed + marginal × N ≤ limit


def measure_scale(b: Bench) -> dict[str, Any]:
    """Requirement and margin-call batches at each N in SCALE_NS; the largest that fits a block."""
    total = sum(SCALE_NS)
    b.say(f"scale: admitting {total} clearing members and opening their house accounts")
    accounts = open_members(b, 0, total)
    first = send_batch(b, post(b, accounts, 0))[0].gas_used
    b.say(f"scale: first posting on all {total} accounts: {first / total:,.0f} gas/account")
    req_gas: dict[int, int] = {}
    for run, n in enumerate(SCALE_NS, 1):
        posted, over = send_batch(b, post(b, accounts[:n], run))
        check(not over, f"a requirement batch of {n} fits in a block")
        req_gas[n] = posted.gas_used
        b.say(f"scale: {REQUIREMENTS} N={n}: {req_gas[n]:,} gas, {req_gas[n] / n:,.0f}/account")

    call_gas: dict[int, int] = {}
    over_block: list[int] = []
    for i, n in enumerate(SCALE_NS):  # disjoint accounts: a call open on an account stops another
        start = sum(SCALE_NS[:i])
        batch = b.kabuto.vault.issue_margin_calls(accounts[start : start + n], CallType.REGULAR)
        issued, over = send_batch(b, batch)
        check(len(issued.value.calls) == n, f"{n} calls issued, not {len(issued.value.calls)}")
        call_gas[n] = issued.gas_used
        if over:
            over_block.append(n)
        extra = " (more than a block: sent with the limit raised)" if over else ""
        b.say(f"scale: {CALLS} N={n}: {call_gas[n]:,} gas, {call_gas[n] / n:,.0f}/call{extra}")

    skipped = measure_skipped_calls(b, call_gas[PER_ACCOUNT_N] / PER_ACCOUNT_N)
    fits = {REQUIREMENTS: fit(req_gas), CALLS: fit(call_gas)}
    verified = verify_largest(b, accounts, fits, run=len(SCALE_NS) + 1)
    detail: dict[str, Any] = {"block_gas_limit": anvil.BLOCK_GAS_LIMIT}
    for op, gas in ((REQUIREMENTS, req_gas), (CALLS, call_gas)):
        detail[op] = {
            "total_gas": {str(n): g for n, g in gas.items()},
            "marginal_gas_per_item": {
                f"{lo}-{hi}": round(marginal_gas(gas, lo, hi))
                for lo, hi in itertools.pairwise(SCALE_NS)
            },
            "fixed_gas": round(fits[op][0]),
            "largest_batch_in_block": verified[op],
            "largest_batch_in_tx_at_eip7825_cap": largest_within(fits[op], EIP7825_TX_GAS_CAP),
        }
    detail[REQUIREMENTS]["first_posting"] = {"n": total, "gas": first}
    detail[CALLS]["more_than_a_block_at"] = over_block
    m, n = marginal_gas(req_gas, SCALE_NS[-2], SCALE_NS[-1]), PER_ACCOUNT_N
    per_account = row(
        "margin.requirements_batch.per_account", round(req_gas[n] / n),
        f"postRequirements on {n} house accounts whose requirement was already non-zero, each set "
        f"to a new value: receipt gas ÷ {n}, a 1/{n} share of the fixed cost (21,000 intrinsic "
        f"and more) included; marginal per account from N={SCALE_NS[-2]} to {SCALE_NS[-1]}: "
        f"{m:,.0f}",
    )  # fmt: skip
    return {
        "per_account": per_account,
        "skipped": skipped,
        "scale": [
            {"operation": op, "n": n, "gas_per_item": round(g / n)}
            for op, gas in ((REQUIREMENTS, req_gas), (CALLS, call_gas))
            for n, g in gas.items()
        ],
        "scale_detail": detail,
        "max_batch_in_block": {op: v["verified"] for op, v in verified.items()},
    }


def top_up(b: Bench, accounts: Sequence[int]) -> None:
    """The owners of `accounts` (bench members without keys: the node sends as them) each deposit
    twice the scale requirement in JPY, as a member paying in just before a batch lands."""
    owners, whole = [split_account_id(a)[0] for a in accounts], 2 * SCALE_REQUIREMENT
    b.issuer.issue_many([(ASSET, o, whole, "bench top-up") for o in owners])
    jpy, vault = b.kabuto.token(ASSET), b.kabuto.vault
    units = whole * 10 ** b.kabuto.asset(ASSET).decimals
    for owner, acct in zip(owners, accounts, strict=True):
        devnet.set_balance(b.chain, owner, 10**18)  # gas money
        calls = [jpy.call("approve", vault.address, units),
                 vault.call("deposit", acct, jpy.address, units)]  # fmt: skip
        with devnet.impersonating(b.chain, owner):
            devnet.node_send(b.chain, owner, [(c.to, c.data) for c in calls], gas=400_000)


def measure_skipped_calls(b: Bench, per_call: float) -> Row:
    """A call batch of PER_ACCOUNT_N short accounts, SKIPPED of which were topped up before it
    landed (each now holds collateral the batch values to find it covered): gas per call issued,
    against a batch that skips none (`per_call`, this run) and the figure before batches could
    skip."""
    accounts = open_members(b, 0, PER_ACCOUNT_N, seed="skip")
    send_batch(b, post(b, accounts, run=0))
    batch = b.kabuto.vault.issue_margin_calls(accounts, CallType.REGULAR)
    top_up(b, accounts[:SKIPPED])
    issued = send_batch(b, batch)[0]
    calls, skipped = issued.value.calls, issued.value.skipped
    check(len(calls) == PER_ACCOUNT_N - SKIPPED, f"{len(calls)} calls issued")
    reasons = [s.reason for s in skipped]
    check(reasons == [SkipReason.NO_SHORTFALL] * SKIPPED, f"skipped: {skipped}")
    gas = round(issued.gas_used / len(calls))
    b.say(f"scale: {SKIPPED} of {PER_ACCOUNT_N} skipped: {gas:,} gas/call (none skipped: "
          f"{per_call:,.0f})")  # fmt: skip
    return row(
        SKIPPED_ROW, gas,
        f"issueMarginCalls (regular) on {PER_ACCOUNT_N} house accounts short when the batch was "
        f"built, {SKIPPED} of which topped up in JPY before it landed and are valued and skipped "
        f"(NoShortfall): receipt gas "
        f"÷ the {PER_ACCOUNT_N - SKIPPED} calls issued; against the same batch with none skipped "
        f"(this run) and the figure before batches could skip ({PER_CALL_BEFORE_SKIPPING:,}, "
        "bench of commit 7952dcd)",
        {CALLS_PER_CALL: round(per_call), BEFORE_SKIPPING: PER_CALL_BEFORE_SKIPPING},
    )  # fmt: skip


def verify_largest(b: Bench, accounts: list[int], fits: dict[str, Fit], run: int) -> dict[str, Row]:
    """Send the largest batch of each operation that fits in one block, found around the fit."""
    limit = anvil.BLOCK_GAS_LIMIT
    model = {op: largest_within(line, limit) for op, line in fits.items()}
    fresh = model[CALLS] + VERIFY_SLACK  # accounts with no call open yet
    extra = max(model[REQUIREMENTS] + VERIFY_SLACK - len(accounts), fresh)
    b.say(f"scale: opening {extra:,} more accounts to verify the largest batches")
    extras = open_members(b, len(accounts), extra, node_signed=True)
    for i in range(0, len(extras), SETUP_BATCH):  # their requirements become non-zero too
        send_batch(b, post(b, extras[i : i + SETUP_BATCH], run))
    pool, vault, out = accounts + extras, b.kabuto.vault, {}
    for op, make, available in (
        (REQUIREMENTS, lambda n: post(b, pool[:n], run + 1), len(pool)),
        (CALLS, lambda n: vault.issue_margin_calls(extras[:n], CallType.REGULAR), fresh),
    ):
        # Estimates (the least gas limit a batch succeeds with), the limit raised so that every
        # batch here has one, move the fit's N to the largest N that needs at most a block.
        need = functools.cache(lambda n, make=make: make(n).estimate(b.ccp))
        with devnet.block_gas_limit(b.chain, RAISED_BLOCK_GAS_LIMIT):
            n = min(model[op], available - 1)
            while need(n) > limit:
                n -= 1
            while n + 1 < available and need(n + 1) <= limit:
                n += 1
            check(need(n + 1) > limit, "enough accounts to find the largest batch")
        sent = make(n).send(b.ccp.signer, gas=limit)
        out[op] = {
            "model": model[op],
            "verified": n,
            "gas_used": sent.gas_used,
            "gas_needed": need(n),
            "gas_needed_one_more": need(n + 1),
        }
        b.say(f"scale: {op}: {n} in one block, verified ({sent.gas_used:,} gas used)")
    return out


# ---------------------------------------------------------------------- throughput


@dataclass
class Lane:
    """One throughput round's fresh chain: Kabuto deployed (JPY only), a funded sending member and
    a warm recipient, the chain past `STEADY_STATE_BLOCK`."""

    chain: Chain
    sender: ClearingMember
    recipient: ClearingMember
    mined: int  # empty blocks mined to reach the steady state
    building: float = 0.0  # seconds spent building `Call`s (`calls`) since last reset

    @classmethod
    def open(cls) -> Lane:
        chain = Chain.connect()
        keys = chain.dev_accounts(4)
        jpy = next(a for a in DEFAULT_ASSETS if a.symbol == ASSET)
        d = deploy(chain, keys[0], assets=[jpy], issuer=keys[1].address)
        Ccp(d, keys[0]).register.admit_many(
            Admission(k.address, Kind.CLEARING_MEMBER, f"lane-{p}")
            for p, k in (("sender", keys[2]), ("recipient", keys[3]))
        )
        TokenIssuer(d, keys[1]).issue(ASSET, "lane-sender", SENDER_FUNDS, ref="lane funding")
        sender, recipient = ClearingMember(d, keys[2]), ClearingMember(d, keys[3])
        sender.transfer(ASSET, recipient, SEED)  # the recipient is warm before anything is timed
        mined = max(0, STEADY_STATE_BLOCK - chain.w3.eth.block_number)
        if mined:
            devnet.mine(chain, mined)
        return cls(chain, sender, recipient, mined)

    def calls(self, k: int) -> list[Call[None]]:
        """K transfer `Call`s, as a batch verb builds them (the time goes to `building`)."""
        start = time.perf_counter()
        token = self.sender.deployment.token(ASSET)
        calls = [token.transfer(self.recipient, AMOUNT) for _ in range(k)]
        self.building += time.perf_counter() - start
        return calls

    def presigned(self, k: int) -> list[str]:
        """K transfers signed now (not timed), the SDK's gas limit, consecutive nonces."""
        signer, chain = self.sender.signer, self.chain
        call = self.calls(1)[0]
        gas = chain.gas_limit(chain.requests_for([call.fn], signer.address)[0], call.errors)
        nonce = chain.w3.eth.get_transaction_count(signer.address, "pending")
        chain.nonces.forget(signer.address)  # the node counts these, not the client
        return [
            "0x" + bytes(signer.sign_transaction(
                call.transaction(signer.address, gas=gas, nonce=nonce + i)).raw_transaction).hex()
            for i in range(k)
        ]  # fmt: skip

    def rpc_batch(self, method: str, params: Sequence[Any]) -> list[Any]:
        """One JSON-RPC batch of `method`, one request per params; the results, in order. The
        ceilings go through the SDK's own HTTP transport, so both sides pay the same for HTTP."""
        answers = self.chain.transport.batch([(method, [p]) for p in params])
        check(isinstance(answers, list), f"the node answered a {method} batch")
        check(all("error" not in a for a in answers), f"every {method} of the batch succeeded")
        return [a["result"] for a in answers]

    def receipts(self, hashes: list[str]) -> list[int]:
        """Every receipt, asked for in batches until all are there (as the SDK polls); the gas."""
        found: dict[str, Any] = {}
        while len(found) < len(hashes):
            missing = [h for h in hashes if h not in found]
            found |= {h: r for h, r in zip(missing, self.rpc_batch(
                "eth_getTransactionReceipt", missing), strict=True) if r}  # fmt: skip
            if len(found) < len(hashes):
                time.sleep(RECEIPT_POLL_FIRST)
        check(all(int(found[h]["status"], 16) == 1 for h in hashes), "every transfer succeeded")
        return [int(found[h]["gasUsed"], 16) for h in hashes]


Timed = Callable[[], list[int]]  # sends K transfers and waits for them; returns their gas


def sequential(lane: Lane, k: int) -> Timed:
    """`member.transfer` K times: each is checked, signed, sent and confirmed before the next."""
    return lambda: [lane.sender.transfer(ASSET, lane.recipient, AMOUNT).gas_used for _ in range(k)]


def sequential_polled(lane: Lane, k: int) -> Timed:
    """`sequential` without `eth_sendRawTransactionSync`: each receipt polled, as on a node that
    does not offer it (Besu)."""

    def send() -> list[int]:
        lane.chain.sync_send = False
        try:
            return sequential(lane, k)()
        finally:
            lane.chain.sync_send = None  # asked again

    return send


def pipelined(lane: Lane, k: int) -> Timed:
    """`member.send_all` of K calls (built inside the timing): checked, sent and confirmed in
    JSON-RPC batches; the node mines each transaction in a block of its own (automine)."""
    return lambda: [o.gas_used for o in lane.sender.send_all(lane.calls(k)).outcomes]


def pipelined_blocks(lane: Lane, k: int) -> Timed:
    """`pipelined`, with blocks mined as transactions arrive (`devnet.producing_blocks`), as a
    network's blocks hold many transactions: the SDK's batch path against the one-block ceiling."""

    def send() -> list[int]:
        with devnet.producing_blocks(lane.chain):
            return pipelined(lane, k)()

    return send


def single(lane: Lane, k: int) -> Timed:
    """K pre-signed transfers, each its own `eth_sendRawTransaction` request, then the receipts."""
    raws = lane.presigned(k)
    send = functools.partial(lane.chain.transport.request, "eth_sendRawTransaction")
    return lambda: lane.receipts([send([raw])["result"] for raw in raws])


def single_awaited(lane: Lane, k: int) -> Timed:
    """K pre-signed transfers, each sent with `eth_sendRawTransactionSync` (its receipt in the
    answer) before the next: what a sender that waits for each confirmation can do at best."""
    raws = lane.presigned(k)
    send = functools.partial(lane.chain.transport.request, "eth_sendRawTransactionSync")

    def go() -> list[int]:
        receipts = [send([raw])["result"] for raw in raws]
        check(all(int(r["status"], 16) == 1 for r in receipts), "every transfer succeeded")
        return [int(r["gasUsed"], 16) for r in receipts]

    return go


def batch(lane: Lane, k: int) -> Timed:
    """K pre-signed transfers as one JSON-RPC batch; the node mines each in its own block."""
    raws = lane.presigned(k)
    return lambda: lane.receipts(lane.rpc_batch("eth_sendRawTransaction", raws))


def block(lane: Lane, k: int) -> Timed:
    """The ceiling: K pre-signed transfers as one JSON-RPC batch with automine off, mined into one
    block (`devnet.mine`), then the receipts."""
    raws = lane.presigned(k)

    def send() -> list[int]:
        with devnet.automine_off(lane.chain):
            hashes = lane.rpc_batch("eth_sendRawTransaction", raws)
            devnet.mine(lane.chain)
        return lane.receipts(hashes)

    return send


MODES: dict[str, Callable[[Lane, int], Timed]] = {
    "sequential": sequential,
    "sequential_polled": sequential_polled,
    "single": single,
    "single_awaited": single_awaited,
    "pipelined": pipelined,
    "batch": batch,
    "pipelined_blocks": pipelined_blocks,
    "block": block,
}
SDK_MODES = ("sequential", "sequential_polled", "pipelined", "pipelined_blocks")
# Each SDK mode runs right beside the ceiling it is compared with, first one then the other (so
# that a burst of other work on the machine falls on both); the short batch pairs run three times
# a round. (sdk mode, ceiling, runs a round)
PAIRS = (
    ("sequential", "single", 1),
    ("sequential_polled", "single_awaited", 1),
    ("pipelined", "batch", 3),
    ("pipelined_blocks", "block", 3),
)
THROUGHPUT_TARGETS = {
    "sequential_over_single": "sequential SDK sends ≥ 0.9× single pre-signed sends",
    "pipelined_blocks_over_block": "SDK batches ≥ 0.5× one pre-signed batch in one block",
}
# (mode, ceiling, target): a ratio is taken run by run (a pair's runs are seconds apart)
RATIOS = (
    ("sequential", "single", 0.9),
    ("sequential", "single_awaited", None),
    ("sequential_polled", "single", None),
    ("pipelined", "batch", None),
    ("pipelined_blocks", "block", 0.5),
    ("pipelined", "block", None),
)


def spread(values: list[float], digits: int = 1) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "per_run": [round(v, digits) for v in values],
    }


def measure_throughput(say: Say, k: int, rounds: int) -> dict[str, Any]:
    """Each round on a fresh chain: every pair of an SDK mode and its ceiling, pairs in an order
    rotated from round to round, the two of a pair one right after the other (which first
    alternates). Rates and ratios run by run; medians and spreads across them; for the SDK's
    modes, the client's milliseconds per transaction by phase (`Chain.timings`)."""
    tps: dict[str, list[float]] = {name: [] for name in MODES}
    phases: dict[str, list[dict[str, float]]] = {name: [] for name in SDK_MODES}
    gas: set[int] = set()
    mined: list[int] = []
    sync: list[bool] = []
    for r in range(rounds):
        lane = Lane.open()
        mined.append(lane.mined)
        say(f"throughput round {r + 1}/{rounds}: fresh chain, {lane.mined} empty blocks mined")
        try:
            for sdk, ceiling, runs in PAIRS[r % len(PAIRS) :] + PAIRS[: r % len(PAIRS)]:
                for i in range(runs):
                    for name in (sdk, ceiling) if (r + i) % 2 == 0 else (ceiling, sdk):
                        go = MODES[name](lane, k)
                        lane.chain.timings.reset()
                        lane.building = 0.0
                        start = time.perf_counter()
                        gas.update(go())
                        elapsed = time.perf_counter() - start
                        tps[name].append(k / elapsed)
                        line = f"  {name:<17} {tps[name][-1]:7.1f} tps"
                        if name == "sequential":
                            sync.append(bool(lane.chain.sync_send))
                        if name in phases:
                            ms = {"calls": 1000 * lane.building / k}
                            ms |= lane.chain.timings.per_transaction_ms()
                            ms["other"] = 1000 * elapsed / k - sum(ms.values())
                            phases[name].append(ms)
                            line += "  ms/tx: " + ", ".join(f"{p} {v:.2f}" for p, v in ms.items())
                        say(line)
        finally:
            lane.chain.close()
    ratios = {
        f"{mode}_over_{ceiling}": spread([m / c for m, c in zip(tps[mode], tps[ceiling],
                                                                strict=True)], 3)
        for mode, ceiling, _ in RATIOS
    }  # fmt: skip
    return {
        "transactions_per_mode": k,
        "rounds": rounds,
        "runs_per_round": {name: runs for sdk, ceiling, runs in PAIRS for name in (sdk, ceiling)},
        "tps": {name: spread(rates) for name, rates in tps.items()},
        "ratios": ratios,
        "targets": {f"{m}_over_{c}": t for m, c, t in RATIOS if t is not None},
        "phases_ms": {
            name: {p: round(statistics.median(run[p] for run in runs), 3) for p in runs[0]}
            for name, runs in phases.items()
        },
        "sync_send": all(sync),  # the node offered eth_sendRawTransactionSync in every round
        "gas_per_transfer": sorted(gas),
        "empty_blocks_mined_first": statistics.median(mined),
    }


# ---------------------------------------------------------------------- the JDR trust


@dataclass
class JdrCast:
    """Who plays which part in the JDR trust's lifecycle, and the trust once its series exists."""

    bank: TrustBank
    settlor: Settlor
    first: Client  # claims first (unmeasured), so that the measured claim is not the first
    claimant: Client  # the measured claims: holds JDR_HELD from before the first record date
    canceller: Client
    trust: JdrTrustClient | None = None

    @property
    def signers(self) -> tuple[Client, Client, Client]:
        return self.first, self.claimant, self.canceller


def jdr_cast(b: Bench) -> JdrCast:
    """The trust bank, the settlor (the ETF manager) and three holders with keys (development keys
    beyond the substitution's, given gas money), admitted, with what each needs: the settlor SPY,
    the bank JPY and USD, the claimants JPY (so a claim pays into a non-zero balance)."""
    keys = b.chain.dev_accounts(JDR_KEY_OFFSET + len(JDR_PARTS))[JDR_KEY_OFFSET:]
    key = dict(zip(JDR_PARTS, keys, strict=True))
    for k in keys:
        devnet.set_balance(b.chain, k.address, 10**20)
    holders = [p for p in JDR_PARTS if p not in ("bank", "settlor")]
    b.ccp.register.admit_many([
        Admission(key["bank"].address, Kind.TRUST_BANK, "bench-trust-bank"),
        Admission(key["settlor"].address, Kind.ETF_MANAGER, "bench-etf-manager"),
        *(jdr_holder(key[p].address, f"bench-jdr-{p}") for p in holders),
    ])  # fmt: skip
    cast = JdrCast(
        TrustBank(b.kabuto, key["bank"]),
        Settlor(b.kabuto, key["settlor"]),
        *(Client(b.kabuto, key[p]) for p in holders),
    )
    usd = JDR_DISTRIBUTION_USD * len(JDR_HOLDERS)
    b.issuer.issue_many([
        (JDR_UNDERLYING, cast.settlor, JDR_SEEDED + 2 * JDR_CREATION, "bench jdr settlor"),
        (ASSET, cast.bank, JDR_BANK_JPY, "bench jdr bank"),
        ("USD", cast.bank, usd, "bench jdr bank"),
        (ASSET, cast.first, SEED, "bench jdr holder"),
        (ASSET, cast.claimant, SEED, "bench jdr holder"),
    ])  # fmt: skip
    return cast


def jdr_holder(address: str, name: str) -> Admission:
    """A JDR holder: an investor, a (segregated) client of the bench's sending member."""
    return Admission(address, Kind.CLIENT, name, "bench-sender", AccountType.SEGREGATED)


def reporting(b: Bench, what: str, every: int = 250) -> BatchProgress:
    """Progress of a pipelined batch, said every `every` calls sent and at the end."""

    def report(sent: int, total: int) -> None:
        if sent == total or sent % every == 0:
            b.say(f"  {what}: {sent:,}/{total:,} sent")

    return report


def add_jdr_holders(b: Bench, cast: JdrCast, start: int, count: int) -> None:
    """Holders `start` to `start + count - 1` (addresses from a fixed seed; they never sign):
    admitted in one pipelined batch, then given JDR_HELD each by the settlor in another."""
    seeds = (f"kabuto-bench-jdr-holder-{i}" for i in range(start, start + count))
    addresses = [to_checksum_address(keccak(text=s)[12:]) for s in seeds]
    names = (f"bench-jdr-holder-{start + i:04d}" for i in range(count))
    admitted = [jdr_holder(a, n) for a, n in zip(addresses, names, strict=True)]
    b.ccp.register.admit_many(admitted, progress=reporting(b, f"admitting {count:,} holders"))
    token = b.kabuto.token(JDR)
    transfers = [token.transfer(a, JDR_HELD) for a in addresses]
    cast.settlor.send_all(transfers, progress=reporting(b, f"{JDR_HELD} JDR to each"))


def same_amount(b: Bench, amount: int) -> tuple[int, int]:
    """Gas of a transfer of `amount` raw units to a recipient already holding some (seeded,
    unmeasured, if it holds none yet), the sender keeping a balance: on PlainERC20, the baseline,
    and on Kabuto's JPY token, what a payment out of a trust costs by itself."""
    gas = {}
    for prefix in ("openzeppelin.erc20", "token"):
        transfer, balance = subjects(b)[prefix]
        if not balance("warm"):
            transfer("warm", SEED)
        gas[prefix] = transfer("warm", amount)
        check(balance("sender") > 0, f"{prefix}: the sender keeps a balance")
    return gas["openzeppelin.erc20"], gas["token"]


def measure_jdr(b: Bench) -> list[Row]:
    """A SPY JDR series through its lifecycle: created, JDRs created and cancelled in kind, three
    distributions claimed at 10, 100 and 1,000 holders of record, terminated and claimed."""
    cast = jdr_cast(b)
    series = cast.bank.create_series(
        symbol=JDR, name="SPDR S&P 500 ETF JDR", underlying=JDR_UNDERLYING, settlor=cast.settlor,
        ratio=JDR_RATIO, trust_fee_bps=JDR_FEE_BPS, listing_date=jdr_today(b),
    )  # fmt: skip
    b.ccp.jdr.list_series(JDR)
    cast.trust = trust = b.kabuto.jdr(JDR)
    check(trust.address == series.value, "the series' trust is listed")

    rows = [jdr_create_series_row(series.gas_used)]
    rows += measure_jdr_creation(b, cast)
    rows += measure_jdr_cancel(b, cast)
    rows += measure_jdr_distributions(b, cast)
    rows += measure_jdr_termination(b, cast)
    b.publish_market_data()  # fresh for whatever the bench measures next
    return rows


def jdr_create_series_row(gas: int) -> Row:
    return row(
        "jdr.create_series", gas,
        "JdrFactory.createSeries by an active trust bank: the deed checked (parties' kinds in the "
        "register, the symbol not taken, the assets this deployment's (their register, listed in "
        "its market data), their classes and currencies), the trust deployed (through "
        "JdrTrustDeployer) and its JDR token deployed by it (through JdrTokenDeployer), the series "
        "recorded under its symbol; the first series of the factory",
    )  # fmt: skip


def _new_second(b: Bench) -> None:
    """The next block one second after the last. JDR balances are checkpointed by time: a write in
    the same second as a holder's last checkpoint rewrites it (cheaper) instead of adding one, so
    every measured JDR call goes into a second of its own and its figure does not depend on how
    fast the wall clock ran."""
    devnet.set_next_timestamp(b.chain, b.kabuto.chain_time() + 1)


def measure_jdr_creation(b: Bench, cast: JdrCast) -> list[Row]:
    """A first creation (unmeasured), then one requested by the settlor and approved by the bank."""
    bank, settlor, trust = cast.bank, cast.settlor, cast.trust
    assert trust is not None
    first = settlor.create(JDR, JDR_SEEDED)
    bank.approve_creation(JDR, first.value.id)
    requested = settlor.create(JDR, JDR_CREATION)
    _new_second(b)  # the approval writes new checkpoints (balance, supply), never rewrites one
    approved = bank.approve_creation(JDR, requested.value.id)
    supply, held, holds = trust.invariant()
    check(holds and supply == JDR_RATIO * held, "JDR supply = ratio × SPY held")
    check(settlor.balance(JDR_UNDERLYING) > 0, "the settlor keeps SPY")
    jdr = JDR_CREATION * JDR_RATIO
    b.say(f"  creation: request {requested.gas_used:,}  approve {approved.gas_used:,}")
    return [
        row("jdr.creation.request", requested.gas_used,
            f"JdrTrust.requestCreation by the settlor: {JDR_CREATION} SPY drawn into the trust "
            f"(already holding SPY; the settlor keeps some; the SDK approved the trust for them "
            f"just before, unmeasured), a creation request stored, pending totals from zero; "
            f"the trust's second request; request + approval: "
            f"{requested.gas_used + approved.gas_used:,}"),
        row("jdr.creation.approve", approved.gas_used,
            f"JdrTrust.approveCreation by the trust bank: the request closed (pending totals back "
            f"to zero, a refund), {jdr} JDR minted to the settlor, who already holds JDR (its "
            "balance and the supply checkpointed)"),
    ]  # fmt: skip


def measure_jdr_cancel(b: Bench, cast: JdrCast) -> list[Row]:
    """The settlor hands holders with keys their JDRs; the canceller, confirmed eligible, cancels
    in kind twice: the first (unmeasured) gives it SPY, the second is measured."""
    trust, canceller = cast.trust, cast.canceller
    assert trust is not None
    token = b.kabuto.token(JDR)
    cast.settlor.send_all([
        token.transfer(cast.first, JDR_HELD),
        token.transfer(cast.claimant, JDR_HELD),
        token.transfer(canceller, JDR_CANCELLER),
    ])  # fmt: skip
    cast.bank.confirm_cancel_eligible(JDR, canceller)
    canceller.cancel_in_kind(JDR, JDR_CANCEL)
    _new_second(b)  # as for every JDR figure: new checkpoints, whatever the wall clock did
    cancelled = canceller.cancel_in_kind(JDR, JDR_CANCEL)
    check(cancelled.value == JDR_CANCEL // JDR_RATIO, "one SPY unit back")
    check(canceller.balance(JDR) > 0 and trust.invariant()[2], "holder keeps JDR; invariant holds")
    _new_second(b)  # both hold JDR already: a new checkpoint each
    moved = canceller.transfer(JDR, cast.first, 1)
    oz, permissioned = same_amount(b, 1)
    b.say(f"  cancel in kind {cancelled.gas_used:,}  transfer {moved.gas_used:,}")
    return [
        row("jdr.cancel_in_kind", cancelled.gas_used,
            f"JdrTrust.cancelInKind by a holder the trust bank confirmed eligible: {JDR_CANCEL} "
            "JDR burnt (the holder keeps some; balance and supply checkpointed) for 1 SPY paid out "
            "of the trust to the holder, who already holds SPY (its second cancellation)"),
        row("jdr.transfer", moved.gas_used,
            "a JDR transfer between two holders who already hold some and keep some: the "
            "permissioned token's checks, and a new balance checkpoint for each (the record a "
            "distribution is paid from), since their last ones were written in earlier blocks; "
            f"{moved.gas_used / permissioned:.2f}x a permissioned (JPY) transfer of the same "
            f"amount ({permissioned:,})",
            {"openzeppelin.erc20.transfer.jdr": oz}, permissioned_transfer=permissioned),
    ]  # fmt: skip


def measure_jdr_distributions(b: Bench, cast: JdrCast) -> list[Row]:
    """Three distributions, with 10, 100 then 1,000 holders of record (holders added in batches
    between them): each announced, its record date passed, declared, claimed by one holder
    (unmeasured) and then by the measured claimant, whose holding never changes."""
    bank, trust = cast.bank, cast.trust
    assert trust is not None
    keyed = 1 + len(cast.signers)  # the settlor and the holders with keys
    added, steps = 0, {}
    for n in JDR_HOLDERS:
        b.say(f"  distribution with {n:,} holders of record: adding {n - keyed - added:,}")
        add_jdr_holders(b, cast, added, n - keyed - added)
        added = n - keyed
        announced = bank.announce_record_date(JDR, earliest_record_date(jdr_today(b)))
        d = announced.value
        devnet.increase_time(b.chain, to_unix(d.record_time) - b.kabuto.chain_time() + 60)
        b.publish_market_data()  # the declaration converts at the USD rate, stale after 24 h
        check(len(trust.holders_of_record(d.id)) == n, f"{n} holders of record")
        bank.transfer("USD", trust.address, JDR_DISTRIBUTION_USD)  # the ETF's distribution
        declared = bank.declare_distribution(JDR, d.id, JDR_DISTRIBUTION_USD)
        cast.first.claim_distribution(JDR, d.id)
        claimed = cast.claimant.claim_distribution(JDR, d.id)
        paid = declared.value
        check(claimed.value == paid.net_jpy * JDR_HELD // paid.units_of_record, "pro-rata share")
        steps[n] = {"announce": announced.gas_used, "declare": declared.gas_used,
                    "claim": claimed.gas_used, "amount": claimed.value}  # fmt: skip
        b.say(f"  {n:>5,} holders: announce {announced.gas_used:,}  declare "
              f"{declared.gas_used:,}  claim {claimed.gas_used:,}")  # fmt: skip

    claims = {n: s["claim"] for n, s in steps.items()}
    spread = max(claims.values()) / min(claims.values())
    check(spread <= JDR_FLAT_TOLERANCE, f"a claim's gas is flat in the holders: {claims}")
    (amount,) = {s["amount"] for s in steps.values()}  # supply and rate never changed
    transfer, jpy = same_amount(b, amount)
    last, hi = steps[JDR_HOLDERS[-1]], f"{JDR_HOLDERS[-1]:,}"
    ratios = ", ".join(f"{claims[n] / transfer:.2f}×" for n in JDR_HOLDERS)
    b.say(f"  a claim of {amount:,} JPY costs {ratios} a PlainERC20 transfer ({transfer:,})")
    base = "openzeppelin.erc20.transfer.jdr_claim"
    rows = [
        row("jdr.announce_record_date", last["announce"],
            "JdrTrust.announceRecordDate by the trust bank, the earliest record date allowed "
            "(14 days' notice, an XTKS business day): a distribution stored; the trust's "
            f"third, at {hi} holders",
            by_holders={str(n): s["announce"] for n, s in steps.items()}),
        row("jdr.declare_distribution", last["declare"],
            f"JdrTrust.declareDistribution by the trust bank, after the record time: "
            f"{JDR_DISTRIBUTION_USD:,} USD the trust received converted at the published rate "
            f"(a quote read), the units of record read from the supply's checkpoints, the "
            f"{JDR_FEE_BPS / 100:.2f}% fee deducted, the USD to the bank and the net JPY from it "
            "(approved just before, unmeasured) into the trust, which still holds JPY unclaimed "
            f"from earlier distributions; the third, at {hi} holders of record",
            by_holders={str(n): s["declare"] for n, s in steps.items()}),
    ]  # fmt: skip
    for n in JDR_HOLDERS:
        rows.append(row(
            f"{JDR_CLAIM}.{n}_holders", claims[n],
            f"JdrTrust.claimDistribution by one of {n:,} holders of record: its {JDR_HELD} JDR at "
            f"the record time read from its checkpoints (one, unchanged since), {amount:,} JPY "
            "paid into its non-zero JPY balance, another holder having claimed first; baseline: a "
            f"PlainERC20 transfer of the same {amount:,} raw units to a recipient holding some",
            {base: transfer}, holders_of_record=n, amount_jpy=amount, jpy_transfer_gas=jpy,
        ))  # fmt: skip
    return rows


def jdr_today(b: Bench) -> dt.date:
    return from_unix(b.kabuto.chain_time()).date()


def measure_jdr_termination(b: Bench, cast: JdrCast) -> list[Row]:
    """The bank terminates the trust and records its liquidation; after one holder's claim
    (unmeasured) the measured claimant surrenders its JDRs for its share of the proceeds."""
    bank, trust = cast.bank, cast.trust
    assert trust is not None
    terminated = bank.terminate(JDR, Trigger.ETF_REDEEMED, reason="bench: ETF redeemed")
    supply = int(trust.token.total_supply())
    proceeds = supply * JDR_PROCEEDS_PER_UNIT
    b.oracle.publish_prices({JDR_UNDERLYING: JDR_SPY_USD})  # the sale is checked against it
    liquidated = bank.record_liquidation(JDR, proceeds)
    cast.first.claim_termination(JDR)
    claimed = cast.claimant.claim_termination(JDR)
    check(claimed.value == proceeds * JDR_HELD // supply, "pro-rata share of the proceeds")
    check(cast.claimant.balance(JDR) == 0, "the claimant's JDRs are burnt")
    transfer, jpy = same_amount(b, claimed.value)
    holders = f"{JDR_HOLDERS[-1]:,}"
    b.say(f"  terminate {terminated.gas_used:,}  liquidation {liquidated.gas_used:,}  claim "
          f"{claimed.gas_used:,} ({claimed.gas_used / transfer:.2f}× a PlainERC20 "
          "transfer)")  # fmt: skip
    return [
        row("jdr.terminate", terminated.gas_used,
            f"JdrTrust.terminate by the trust bank (ETF redeemed): units outstanding and SPY held "
            f"recorded, the JDR token closed to transfers; {holders} holders"),
        row("jdr.record_liquidation", liquidated.gas_used,
            f"JdrTrust.recordLiquidation by the trust bank: the proceeds ({proceeds:,} JPY) "
            f"checked against the SPY's value at the published price and FX rate (a quote read; "
            f"at least 90%), the trust's SPY out to the bank, the proceeds (approved just before, "
            f"unmeasured) into the trust"),
        row("jdr.claim_termination", claimed.gas_used,
            f"JdrTrust.claimTermination by one of {holders} holders, of {JDR_HELD} JDR: all burnt "
            f"(its balance to zero, a refund; balance and supply checkpointed), {claimed.value:,} "
            "JPY paid into its non-zero JPY balance, another holder having claimed first; "
            f"baseline: a PlainERC20 transfer of the same {claimed.value:,} raw units to a "
            "recipient holding some",
            {"openzeppelin.erc20.transfer.jdr_termination": transfer},
            amount_jpy=claimed.value, jpy_transfer_gas=jpy),
    ]  # fmt: skip


# ---------------------------------------------------------------------- ETF creation clearing


ETF_KINDS = {
    ApplicationKind.CREATION_IN_KIND: ("creation_in_kind", "an in-kind creation of ETF1306"),
    ApplicationKind.CREATION_CASH: ("creation_cash", "a cash creation of ETF2558"),
}


def measure_etf(b: Bench) -> list[Row]:
    """ETF creation clearing: a day of applications to novation, netting with the day's trades and
    DvP settlement, for each group size in ETF_MEMBERS (bench_etf does the chain work)."""
    b.say("  deploying the ETF's assets (TYO7203, TYO6758, ETF1306, ETF2558)")
    bench_etf.add_etf_assets(b)
    cast = bench_etf.etf_cast(b, ETF_MEMBERS, b.say)
    days, t = {}, bench_etf.first_day(b)
    for n in ETF_MEMBERS:
        days[n] = day = bench_etf.run_day(b, cast, n, t, b.say)
        t = bench_etf.next_day(day.s)
    return etf_application_rows(b, days[ETF_MEMBERS[-1]]) + etf_day_rows(b, days)


def etf_application_rows(b: Bench, day: bench_etf.Day) -> list[Row]:
    rows = []
    for kind, (slug, what) in ETF_KINDS.items():
        steps = {
            step: median(gas, f"{slug} {step}", b.say) for step, gas in day.steps[kind].items()
        }
        gas, n, txs = day.novate[kind]
        steps["novate"] = round(gas / n)
        total = sum(steps.values())
        b.say(f"  {slug}: " + "  ".join(f"{k} {v:,}" for k, v in steps.items()) + f"  = {total:,}")
        rows.append(row(
            f"etf.application_to_novation.{slug}", total,
            f"{what}, one creation unit, from application to novation, per application: "
            f"applyFor by a clearing member ({steps['apply']:,}), drawUpStatement by the ETF "
            f"special participant ({steps['statement']:,}), approve by the trust bank (T fixed; "
            f"{steps['approve']:,}) and its share of novate in the SDK's batches ({n} "
            f"applications in {txs} transaction{'s' * (txs > 1)}: eligibility checked, the "
            f"member's book and the trust bank's creation book written; {steps['novate']:,}); "
            f"medians over the {n} applications of the {day.members}-member day",
            steps=steps, applications=n, novate_transactions=txs, novate_gas=gas,
            samples=day.steps[kind],
        ))  # fmt: skip
    return rows


def etf_day_rows(b: Bench, days: dict[int, bench_etf.Day]) -> list[Row]:
    rows: list[Row] = []
    for n, day in days.items():
        gas, txs = day.record_trades
        rows.append(row(
            f"{ETF_TRADES}.{n}_members", round(gas / n),
            f"EtfSettlement.recordTrades (ccp.etf.record_trades, {txs} transaction"
            f"{'s' * (txs > 1)}) of the day's {n} trade sides, one a member ({n // 2} pairs "
            f"trading {bench_etf.TRADE_QUANTITY} TYO7203), after the applications' novation: "
            f"receipt gas ÷ {n}",
            members=n, transactions=txs, total_gas=gas,
        ))  # fmt: skip
    for n, day in days.items():
        prices = bench_etf.DVP_PRICES
        assert day.report is not None
        gross, net = day.report.gross_value(prices), day.report.net_value(prices)
        efficiency = float(day.report.efficiency(prices))
        rows.append(row(
            f"etf.close_netting.{n}_members", day.close_netting,
            f"EtfSettlement.closeNetting of a day of {day.books} books ({n} members' and the "
            f"trust bank's creation book): every security and the yen checked to net to zero, "
            f"one transaction; {day.close_netting / n:,.0f} a member; article 50 netting saves "
            f"{efficiency:.1%} of the gross value at DvP prices ({net:,} of {gross:,} JPY move)",
            members=n, books=day.books, per_member=round(day.close_netting / n),
            gross_value_jpy=gross, net_value_jpy=net, netting_efficiency=round(efficiency, 4),
        ))  # fmt: skip
    for n, day in days.items():
        collect, txs = day.collect
        moved = sum(day.deliver) + sum(day.pay_in)
        per_member = round((moved + collect) / n)
        b.say(f"  N={n}: record_trades {day.record_trades[0] / n:,.0f}/member  close_netting "
              f"{day.close_netting:,} ({day.close_netting / n:,.0f}/member)  settlement "
              f"{per_member:,}/member")  # fmt: skip
        rows.append(row(
            f"{ETF_SETTLE}.{n}_members", per_member,
            f"settlement day of {n} members, per member: by 13:00 each delivers the security its "
            f"book owes (EtfSettlement.deliver: {len(day.deliver)} deliveries, median "
            f"{statistics.median(day.deliver):,.0f}) and pays the yen it owes (payIn: "
            f"{len(day.pay_in)}, median {statistics.median(day.pay_in):,.0f}), the settlement "
            f"approved without limit beforehand; at 14:00 the CCP collects every member book "
            f"(collectMany, {txs} transaction{'s' * (txs > 1)}, {collect / n:,.0f} a book: what "
            "article 47 allows, all of it here, into non-zero balances); the trust bank's "
            "createUnits and collection not included",
            members=n, deliver=day.deliver, pay_in=day.pay_in, collect_gas=collect,
            collect_transactions=txs, create_units_gas=day.create_units,
            trust_bank_collect_gas=day.collect_creations,
        ))  # fmt: skip
    return rows


# ---------------------------------------------------------------------- what the run was


def metadata(chain: Chain) -> dict[str, Any]:
    build = artifacts.manifest()["compiler"]
    return {
        "chain": {
            "chain_id": chain.chain_id,
            "node": "embedded anvil (pyclient.Chain.connect())",
            "hardfork": devnet.hardfork(chain),
        },
        "anvil_version": anvil.anvil_version(),
        "solc_version": build["build"],
        "solc_settings": {
            "optimizer_runs": build["settings"]["optimizer"]["runs"],
            "evm_version": build["settings"]["evmVersion"],
        },
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def evaluate_targets(
    operations: list[Row],
    scale_detail: dict[str, Any] | None,
    throughput: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every target whose operations were measured (a run with `--only` may lack some)."""
    rows = {op["name"]: op for op in operations}
    out = [
        judged(description, op, base, limit, rows[op]["gas"] / rows[op]["baselines"][base])
        for op, base, limit, description in TARGETS
        if op in rows and base in rows[op]["baselines"]
    ]
    if scale_detail is not None:
        # Flat: the marginal gas per account from N=100 to 500 within 5% of that from 10 to 100.
        lo, mid, hi = SCALE_NS[-3:]
        marginal = scale_detail[REQUIREMENTS]["marginal_gas_per_item"]
        flat = marginal[f"{mid}-{hi}"] / marginal[f"{lo}-{mid}"]
        what = "per-account gas of requirement batches stays flat with N"
        span = "marginal gas per account, N={} to {}".format
        out.append(
            judged(what, REQUIREMENTS, span(lo, mid), FLAT_TOLERANCE, flat, measured=span(mid, hi))
        )
    claims = [op["gas"] for n in JDR_HOLDERS if (op := rows.get(f"{JDR_CLAIM}.{n}_holders"))]
    if claims:  # flat: the largest of the three claims within 1% of the smallest
        holders = ", ".join(f"{n:,}" for n in JDR_HOLDERS)
        out.append(judged(
            f"a holder's distribution claim costs the same at {holders} holders of record",
            JDR_CLAIM, "the smallest", JDR_FLAT_TOLERANCE, max(claims) / min(claims),
            measured=f"the largest claim at {holders} holders",
        ))  # fmt: skip
    lo, hi = sorted(DELIVERY_BATCHES)[-2:]
    per_lot = [op["gas_per_lot"] for n in (lo, hi) if (op := rows.get(f"{SETTLE}.{n}_lots"))]
    if len(per_lot) == 2:
        # Flat per lot: a lot costs no more in a batch of 100 than in one of 10 (within 5%). It
        # costs less, as the transaction's and each pair's fixed costs spread over more lots; what
        # the target guards against is a cost per lot that grows with the batch.
        out.append(judged(
            "DvP settlement gas per lot does not grow with the batch", SETTLE,
            f"the gas per lot at {lo} lots", DELIVERY_FLAT_TOLERANCE, per_lot[1] / per_lot[0],
            measured=f"the gas per lot at {hi} lots",
        ))  # fmt: skip
    for name, limit in (throughput or {}).get("targets", {}).items():
        mode, ceiling = name.split("_over_")
        out.append(judged(
            THROUGHPUT_TARGETS[name], f"throughput.{mode}", f"throughput.{ceiling}", limit,
            throughput["ratios"][name]["median"], at_least=True,
        ))  # fmt: skip
    lo, hi = f"{ETF_MEMBERS[0]}_members", f"{ETF_MEMBERS[-1]}_members"
    for name, what in ((ETF_SETTLE, "ETF settlement"), (ETF_TRADES, "ETF trade recording")):
        flat = [op["gas"] for m in (lo, hi) if (op := rows.get(f"{name}.{m}"))]
        if len(flat) == 2:  # flat: per member no more at the most members than at the fewest
            out.append(judged(
                f"{what} gas per member does not grow with the members", name,
                f"the gas per member at {ETF_MEMBERS[0]} members", ETF_FLAT_TOLERANCE,
                flat[1] / flat[0], measured=f"the gas per member at {ETF_MEMBERS[-1]} members",
            ))  # fmt: skip
    return out


def judged(
    target: str,
    operation: str,
    baseline: str,
    limit: float,
    ratio: float,
    *,
    at_least: bool = False,
    **measured: str,
) -> dict[str, Any]:
    """A target's row in results.json: PASS when `ratio` is at most `limit` (at least, for a
    throughput)."""
    met = ratio >= limit if at_least else ratio <= limit
    return {
        "target": target,
        "operation": operation,
        "baseline": baseline,
        **measured,
        "limit": limit,
        **({"at_least": True} if at_least else {}),
        "ratio": round(ratio, 4),
        "status": "PASS" if met else "MISS",
    }


def parameters() -> dict[str, Any]:
    """The bench's inputs, so that the report is written from results.json alone."""
    return {
        "transferred_asset": ASSET,
        "sender_funds": SENDER_FUNDS,
        "seed": SEED,
        "amount": AMOUNT,
        "warm_samples": WARM_SAMPLES,
        "member_funds": MEMBER_FUNDS,
        "market_data": {
            s: {"price": str(PRICES[s]), "fx_jpy": FX_RATES.get(s), "haircut_bps": r.haircut_bps}
            for s, r in RISK.items()
        },
        "scale_ns": list(SCALE_NS),
        "per_account_n": PER_ACCOUNT_N,
        "eip7825_tx_gas_cap": EIP7825_TX_GAS_CAP,
        "steady_state_block": STEADY_STATE_BLOCK,
        "receipt_poll_seconds": RECEIPT_POLL,
        "receipt_poll_first_seconds": RECEIPT_POLL_FIRST,
        "trex_reference_kgas": TREX_REFERENCE_KGAS,
        "substitution": {
            "sizes": list(SUBSTITUTION_SIZES),
            "assets": [SUB_SYMBOLS[0], SUB_SYMBOLS[-1]],
            "price_jpy": SUB_PRICE,
            "haircut_bps": SUB_RISK.haircut_bps,
            "held": SUB_HELD,
            "leg": SUB_LEG,
            "swap_legs": SWAP_LEGS,
            "trex_dvd_amount": TREX_DVD_AMOUNT,
        },
        "jdr": {
            "symbol": JDR,
            "underlying": JDR_UNDERLYING,
            "ratio": JDR_RATIO,
            "trust_fee_bps": JDR_FEE_BPS,
            "seeded": JDR_SEEDED,
            "creation": JDR_CREATION,
            "cancel": JDR_CANCEL,
            "held": JDR_HELD,
            "holders": list(JDR_HOLDERS),
            "distribution_usd": str(JDR_DISTRIBUTION_USD),
            "proceeds_per_unit_jpy": JDR_PROCEEDS_PER_UNIT,
            "flat_tolerance": JDR_FLAT_TOLERANCE,
        },
        "goods": {
            "lot_kg": LOT_KG,
            "price_jpy_per_lot": DELIVERY_PRICE,
            "batches": {str(lots): pairs for lots, pairs in DELIVERY_BATCHES.items()},
            "flat_tolerance": DELIVERY_FLAT_TOLERANCE,
            "gold_bar_g": GOLD_BAR,
            "gold_price_jpy": str(GOLD_PRICE),
            "gold_haircut_bps": GOLD_RISK.haircut_bps,
        },
        "etf": {
            "members": list(ETF_MEMBERS),
            "dvp_prices_jpy": bench_etf.DVP_PRICES,
            "trade": {
                "symbol": bench_etf.TRADED,
                "quantity": bench_etf.TRADE_QUANTITY,
                "price_jpy": bench_etf.TRADE_PRICE,
            },
            "applications": "a tenth of the members in kind (ETF1306), a tenth cash (ETF2558)",
            "holdings": bench_etf.HOLDINGS,
            "flat_tolerance": ETF_FLAT_TOLERANCE,
        },
    }


# ---------------------------------------------------------------------- main


SECTIONS = (
    *(m.__name__.removeprefix("measure_") for m in OPERATIONS),
    "throughput",
    "scale",
    "goods",
    "jdr",
    "etf",
)


def run(
    out_dir: Path, k: int, rounds: int, say: Say, only: Sequence[str] = SECTIONS
) -> dict[str, Any]:
    """Measure the sections `only` names (by default all) and write results.json; RESULTS.md too
    when every section ran (the report needs them all)."""
    chosen = set(only)
    say("starting a fresh embedded Anvil")
    with Chain.connect() as chain:
        results: dict[str, Any] = metadata(chain)
        say(f"anvil {results['anvil_version']}, hardfork {results['chain']['hardfork']}")
        b = Bench(chain, say)
        results["trex_version"] = json.loads(TREX_PACKAGE_JSON.read_text())["version"]
        results["trex_token_version"] = b.trex.token.functions.version().call()
        operations: list[Row] = []
        for measure in OPERATIONS:
            if (name := measure.__name__.removeprefix("measure_")) in chosen:
                say(f"measuring {name}")
                operations += measure(b)
        # Throughput on fresh chains of its own (the scale set-up adds thousands of members).
        throughput = measure_throughput(say, k, rounds) if "throughput" in chosen else None
        scale = measure_scale(b) if "scale" in chosen else None
        goods: list[Row] = []
        if "goods" in chosen:  # after the scale batches
            say("measuring goods")
            goods = measure_goods(b)
        jdr: list[Row] = []
        if "jdr" in chosen:  # last: its holders and months of chain time touch nothing above
            say("measuring jdr")
            jdr = measure_jdr(b)
        etf: list[Row] = []
        if "etf" in chosen:  # after the JDR's: its days and members touch nothing above
            say("measuring etf")
            etf = measure_etf(b)
    if scale is not None:
        # The rows measured with the batches go after the vault's, before the calls'.
        names = [op["name"] for op in operations]
        at = names.index("margin.call_with_auto_pull") if "margin_calls" in chosen else len(names)
        operations[at:at] = [scale.pop("per_account"), scale.pop("skipped")]
    operations += goods + jdr + etf
    results["operations"] = operations + PENDING
    results |= (scale or {}) | ({"throughput": throughput} if throughput else {})
    results["targets"] = evaluate_targets(operations, scale and scale["scale_detail"], throughput)
    results["parameters"] = parameters()
    complete = chosen == set(SECTIONS)
    if not complete:
        results["sections"] = [s for s in SECTIONS if s in chosen]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if complete:
        report = bench_report.write(out_dir / "results.json", out_dir / "RESULTS.md")
        say(f"wrote {out_dir / 'results.json'} and {report}")
    else:
        say(f"wrote {out_dir / 'results.json'} (sections {', '.join(results['sections'])}; "
            "RESULTS.md needs every section)")  # fmt: skip
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--transactions", type=int, default=THROUGHPUT_TXS, help="K per mode")
    parser.add_argument("--rounds", type=int, default=THROUGHPUT_ROUNDS, help="throughput rounds")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, metavar="SECTION",
        help=f"run only this section (repeatable): {', '.join(SECTIONS)}; writes results.json "
        "alone, without RESULTS.md",
    )  # fmt: skip
    args = parser.parse_args(argv)
    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"[bench {time.perf_counter() - start:6.1f}s] {message}", flush=True)

    results = run(args.out, args.transactions, args.rounds, say, args.only or SECTIONS)
    for op in results["operations"] if args.only else ():
        print(f"  {op['name']:<42} {op['gas']:>10,}  {op['baselines'] or ''}")
    for target in results["targets"]:
        print(f"  {target['status']:<7} {target['target']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
