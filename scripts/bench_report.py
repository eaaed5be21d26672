"""Write the benchmark report, bench/RESULTS.md, from bench/results.json alone.

`make bench` measures (`scripts/bench.py`) and then calls this; it also runs by itself, to redo
the report from the committed results: `python scripts/bench_report.py`. The prose lives in
`bench_report.template.md`, Markdown with `str.format` fields; this module computes every field
from results.json (ratios, spans, the tables) and fills them in.
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "bench_report.template.md"
BENCH = HERE.parent / "bench"
REQUIREMENTS, CALLS = "margin.requirements_batch", "margin.issue_calls"
JDR_CLAIM = "jdr.claim_distribution"
SETTLE = "delivery.settle"
RECEIPT_VERBS = (  # (verb, the transactions it sends, its JPY baseline)
    ("deposit", ("pledge", "deposit"), "vault.deposit.jpy"),
    ("withdraw", ("withdraw", "redeem"), "vault.withdraw.jpy"),
)


def write(results: Path, out: Path) -> Path:
    """Render `results` (a results.json) into `out` (RESULTS.md); returns `out`."""
    text = TEMPLATE.read_text().format(**fields(json.loads(results.read_text())))
    # The template is wrapped for its readers; the report keeps a paragraph or list item a line.
    out.write_text(re.sub(r"(?<=[^|\n])\n(?:  )?(?=[^\s|#-])", " ", text))
    return out


def fields(r: dict[str, Any]) -> dict[str, Any]:
    """Every value the template names, computed from the results `r`."""
    p, tp, d = r["parameters"], r["throughput"], r["scale_detail"]
    ops = {op["name"]: op for op in r["operations"]}
    req, calls = d[REQUIREMENTS], d[CALLS]
    ns = p["scale_ns"]
    before, last = (f"{a}-{b}" for a, b in itertools.pairwise(ns[-3:]))
    m_req, m_calls = req["marginal_gas_per_item"], calls["marginal_gas_per_item"]
    item = {(s["operation"], s["n"]): s["gas_per_item"] for s in r["scale"]}
    base = {k: v for op in ops.values() for k, v in op["baselines"].items()}
    published = p["trex_reference_kgas"]["published_transfer"] * 1000
    samples = ops["token.transfer"]["samples"].values()
    return {
        **r,
        **r["chain"],
        **p,
        "req": req,
        "calls": calls,
        "gas": {name: op["gas"] for name, op in ops.items()},
        "base": base,
        "ratio": {k: op["gas"] / v for op in ops.values() for k, v in op["baselines"].items() if v},
        "published": published,
        "vs_published": {k: v / published for k, v in base.items() if v},
        "operations_table": "\n".join(operation_row(op) for op in r["operations"]),
        "targets_table": "\n".join(target_row(t) for t in r["targets"]),
        "flat": next(t for t in r["targets"] if t["operation"] == REQUIREMENTS),
        "ns": {"first": ns[0], "lo": ns[-2], "hi": ns[-1], "before": before.replace("-", " to ")},
        "marginal": {"req": m_req[last], "calls": m_calls[last]},
        "marginal_before": {"req": m_req[before], "calls": m_calls[before]},
        "call_growth": m_calls[last] / m_calls[before] - 1,
        "item_first": {"req": item[REQUIREMENTS, ns[0]], "calls": item[CALLS, ns[0]]},
        "item_last": {"req": item[REQUIREMENTS, ns[-1]], "calls": item[CALLS, ns[-1]]},
        "scale_sum": f"{sum(ns)} = {' + '.join(str(n) for n in ns)}",
        "block_mgas": d["block_gas_limit"] / 1e6,
        "call_issued": ops["margin.call_met_by_deposit"]["call_issued_gas"],
        "scale_table": scale_table(ns, req, calls, item),
        "first_per_account": req["first_posting"]["gas"] / req["first_posting"]["n"],
        "over_text": over_text(calls, d["block_gas_limit"]),
        "largest_table": "\n".join(largest_row(op, d[op]) for op in (REQUIREMENTS, CALLS)),
        "tp_ratio": {name: r["median"] for name, r in tp["ratios"].items()},
        "tps_table": "\n".join(tps_row(mode, tp["tps"][mode]) for mode in tp["tps"]),
        "ratio_table": "\n".join(
            ratio_row(name, r, tp["targets"].get(name)) for name, r in tp["ratios"].items()
        ),
        "phase_table": "\n".join(phase_row(mode, ms) for mode, ms in tp["phases_ms"].items()),
        "poll_ms": p["receipt_poll_seconds"] * 1000,
        "first_poll_ms": p["receipt_poll_first_seconds"] * 1000,
        "sync_note": "offers" if tp["sync_send"] else "does not offer",
        "transfers": sum(len(v["per_run"]) for v in tp["tps"].values())
        * tp["transactions_per_mode"],
        "throughput_gas": ", ".join(f"{g:,}" for g in tp["gas_per_transfer"]),
        "spread_note": spread_note({m: v["per_run"] for m, v in tp["tps"].items()}),
        "assets": " and ".join(p["market_data"]),
        "market_data": "; ".join(market_text(s, m) for s, m in p["market_data"].items()),
        "substitution_table": substitution_table(r["operations"]),
        "sub": p["substitution"] | {"haircut": p["substitution"]["haircut_bps"] / 100},
        "swap": swap_fields(ops, p["substitution"]["swap_legs"]),
        "jdr": p["jdr"] | jdr_fields(ops, p["jdr"], r["targets"]),
        "goods": p["goods"] | goods_fields(ops, p["goods"], r["targets"]),
        "etf": etf_fields(ops, p["etf"], r["targets"]),
        "samples_agree": "they agree on every token"
        if all(len(set(v)) == 1 for v in samples)
        else "they differ, see `samples` in results.json",
    }


# ---------------------------------------------------------------------- tables and sentences


def cells(*values: Any) -> str:
    """A Markdown table row; integers get thousands separators."""
    return "| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in values) + " |"


def operation_row(op: dict[str, Any]) -> str:
    ours, row = op["gas"], [f"`{op['name']}`", "pending" if op["gas"] is None else op["gas"]]
    for prefix in ("openzeppelin.", "trex."):
        name, gas = next(
            ((k, v) for k, v in op["baselines"].items() if k.startswith(prefix)), ("", 0)
        )
        if not name:
            row += ["", ""]
            continue
        row.append(f"pending (`{name}`)" if gas is None else f"{gas:,} (`{name}`)")
        row.append("—" if ours is None or gas is None else f"{ours / gas:.2f}×")
    return cells(*row, op.get("pending") or op.get("note", ""))


def target_row(t: dict[str, Any]) -> str:
    bound = "at least" if t.get("at_least") else "limit"
    if "measured" in t:
        ratio = f"{t['ratio']:.3f} ({t['measured']} ÷ {t['baseline']}; {bound} {t['limit']})"
    else:
        ratio = f"{t['ratio']:.2f}× ({bound} {t['limit']}×)"
    return cells(t["target"], ratio, f"**{t['status']}**")


# What each throughput mode does, for the throughput tables (scripts/bench.py has the code).
THROUGHPUT_MODES = {
    "sequential": "SDK: `member.transfer` each (`Call.send`: checked, signed, sent with "
    "`eth_sendRawTransactionSync`, confirmed) before the next",
    "sequential_polled": "SDK: the same, receipts polled instead (`chain.sync_send = False`), as "
    "on a node without the synchronous send (Besu)",
    "single": "pre-signed (untimed): each its own `eth_sendRawTransaction` request, then the "
    "receipts",
    "single_awaited": "pre-signed (untimed): each sent with `eth_sendRawTransactionSync`, its "
    "receipt in the answer, before the next",
    "pipelined": "SDK: `member.send_all` of K calls (built inside the timing): checks, sends and "
    "receipts in JSON-RPC batches; automine",
    "batch": "pre-signed (untimed): one JSON-RPC batch of sends, automine; then the receipts",
    "pipelined_blocks": "SDK: `member.send_all` as above, blocks mined as transactions arrive "
    "(`devnet.producing_blocks`)",
    "block": "**the ceiling**: pre-signed (untimed), one JSON-RPC batch of sends with automine "
    "off, mined into one block (`devnet.mine`); then the receipts",
}


def tps_row(mode: str, tps: dict[str, Any]) -> str:
    rounds = ", ".join(f"{x:,.0f}" for x in tps["per_run"])
    span = f"{tps['min']:,.0f} to {tps['max']:,.0f}"
    return cells(f"`{mode}`", THROUGHPUT_MODES.get(mode, ""), f"{tps['median']:,.0f}", span, rounds)


def ratio_row(name: str, r: dict[str, Any], target: float | None) -> str:
    mode, ceiling = name.split("_over_")
    rounds = ", ".join(f"{x:.2f}" for x in r["per_run"])
    span = f"{r['min']:.2f} to {r['max']:.2f}"
    goal = f"at least {target}×" if target is not None else ""
    return cells(f"`{mode}` ÷ `{ceiling}`", f"**{r['median']:.2f}×**", span, rounds, goal)


def phase_row(mode: str, ms: dict[str, float]) -> str:
    return cells(f"`{mode}`", *(f"{v:.2f}" for v in ms.values()), f"{sum(ms.values()):.2f}")


def substitution_table(operations: list[dict[str, Any]]) -> str:
    rows = []
    for op in operations:
        if op["name"].startswith("substitution.in_account."):
            n = op["name"].rsplit(".", 1)[1]
            ((_, legs),) = op["baselines"].items()
            deposit, withdrawal = (sorted(set(g)) for g in op["legs"].values())
            each = [", ".join(f"{x:,}" for x in g) for g in (deposit, withdrawal)]
            rows.append(cells(n.replace("x", " × "), op["gas"], legs, f"{op['gas'] / legs:.2f}×",
                              *each))  # fmt: skip
    return "\n".join(rows)


def swap_fields(ops: dict[str, Any], legs: int) -> dict[str, Any]:
    """The counterparty swap against T-REX's DVD swaps: medians of each DVD step, and the ratios."""
    op = ops[f"substitution.counterparty.{legs}x{legs}"]
    dvd, base = op["trex_dvd"], op["baselines"]
    initiate, take = (int(statistics.median(dvd[k])) for k in ("initiate", "take"))
    return {
        "name": op["name"],
        "gas": op["gas"],
        "initiate": initiate,
        "take": take,
        "one": initiate + take,
        "swaps": len(dvd["take"]),
        "two_swaps": base["trex.dvd.two_swaps"],
        "two_takes": base["trex.dvd.two_takes"],
        "vs_swaps": op["gas"] / base["trex.dvd.two_swaps"],
        "vs_takes": op["gas"] / base["trex.dvd.two_takes"],
    }


def jdr_fields(
    ops: dict[str, Any], p: dict[str, Any], targets: list[dict[str, Any]]
) -> dict[str, Any]:
    """The JDR trust: the claims at each number of holders against the transfers of the same
    amount, the termination claim likewise, creation's two steps together."""
    claims = [ops[f"{JDR_CLAIM}.{n}_holders"] for n in p["holders"]]
    ((_, transfer),) = claims[0]["baselines"].items()  # the same amount, so the same transfer
    rows = []
    for op in claims:
        jpy = op["jpy_transfer_gas"]
        ratios = f"{op['gas'] / transfer:.2f}×", f"{op['gas'] / jpy:.2f}×"
        rows.append(cells(op["holders_of_record"], op["gas"], transfer, ratios[0], jpy, ratios[1]))
    gas = [op["gas"] for op in claims]
    ended = ops["jdr.claim_termination"]
    ((_, ended_transfer),) = ended["baselines"].items()
    request, approve = ops["jdr.creation.request"]["gas"], ops["jdr.creation.approve"]["gas"]
    return {
        "claims_table": "\n".join(rows),
        "claim": gas[-1],
        "claim_lo": min(gas),
        "claim_hi": max(gas),
        "spread": max(gas) - min(gas),
        "amount": claims[-1]["amount_jpy"],
        "transfer": transfer,
        "jpy_transfer": claims[-1]["jpy_transfer_gas"],
        "per_transfer": gas[-1] / transfer,
        "over_payment": gas[-1] - claims[-1]["jpy_transfer_gas"],
        "flat": next(t for t in targets if t["operation"] == JDR_CLAIM),
        "holders": ", ".join(f"{n:,}" for n in p["holders"]),
        "most_holders": f"{p['holders'][-1]:,}",
        "termination": ended["gas"],
        "termination_amount": ended["amount_jpy"],
        "termination_transfer": ended_transfer,
        "termination_per_transfer": ended["gas"] / ended_transfer,
        "creation_gas": request + approve,
        "fee": p["trust_fee_bps"] / 100,
        "distribution_usd": f"{Decimal(p['distribution_usd']):,}",
    }


def goods_fields(
    ops: dict[str, Any], p: dict[str, Any], targets: list[dict[str, Any]]
) -> dict[str, Any]:
    """Goods: the settlement batches (their table, and the three solved for a fixed part, a part
    per pair and a part per lot), the receipt verbs' transactions against the JPY ones."""
    settles = [ops[f"{SETTLE}.{lots}_lots"] for lots in p["batches"]]
    rows = [cells(op["lots"], op["pairs"], op["lots"] // op["pairs"], op["gas"], op["gas_per_lot"])
            for op in settles]  # fmt: skip
    fixed, per_pair, per_lot = solve([[1, op["pairs"], op["lots"]] for op in settles],
                                     [op["gas"] for op in settles])  # fmt: skip
    receipts = []
    for verb, steps, jpy in RECEIPT_VERBS:
        op = ops[f"collateral.receipt.{verb}"]
        sent = next(t for t in op["transactions"] if sum(t) == op["gas"])  # the median's sample
        each = " + ".join(f"{s} {g:,}" for s, g in zip(steps, sent, strict=True))
        base = op["baselines"][jpy]
        receipts.append(cells(f"`{op['name']}`", each, op["gas"], base, f"{op['gas'] / base:.2f}×"))
    lo, hi = settles[-2], settles[-1]
    return {
        "settle_table": "\n".join(rows),
        "receipts_table": "\n".join(receipts),
        "flat": next(t for t in targets if t["operation"] == SETTLE),
        "most_lots": hi["lots"],
        "most_pairs": hi["pairs"],
        "per_lot": hi["gas_per_lot"],
        "per_lot_lo": lo["gas_per_lot"],
        "lots_lo": lo["lots"],
        "marginal": hi["marginal_gas_per_lot"],
        "fixed": round(fixed),
        "per_pair": round(per_pair),
        "per_token": round(per_lot),
        "layout": ", ".join(
            f"{plural(op['lots'], 'lot')} over {plural(op['pairs'], 'pair')}" for op in settles
        ),
        "haircut": p["gold_haircut_bps"] / 100,
        "gold_price": f"{Decimal(p['gold_price_jpy']):,}",
    }


def etf_fields(
    ops: dict[str, Any], p: dict[str, Any], targets: list[dict[str, Any]]
) -> dict[str, Any]:
    """ETF clearing: application to novation per kind, and the per-member figures at each size."""
    apps = []
    for kind, label in (
        ("creation_in_kind", "in-kind creation"),
        ("creation_cash", "cash creation"),
    ):
        op = ops[f"etf.application_to_novation.{kind}"]
        st = op["steps"]
        apps.append(cells(label, st["apply"], st["statement"], st["approve"], st["novate"],
                          op["gas"]))  # fmt: skip
    members = p["members"]
    rows = []
    for n in members:
        close, settle = ops[f"etf.close_netting.{n}_members"], ops[f"etf.settlement.{n}_members"]
        trade = ops[f"etf.record_trades.{n}_members"]["gas"]
        rows.append(cells(n, trade, close["gas"], close["per_member"], settle["gas"]))
    last = ops[f"etf.close_netting.{members[-1]}_members"]
    trades = [ops[f"etf.record_trades.{n}_members"]["gas"] for n in members]
    settles = [ops[f"etf.settlement.{n}_members"]["gas"] for n in members]
    t = p["trade"]
    return {
        "app_table": "\n".join(apps),
        "scale_table": "\n".join(rows),
        "app_in_kind": ops["etf.application_to_novation.creation_in_kind"]["gas"],
        "app_cash": ops["etf.application_to_novation.creation_cash"]["gas"],
        "close": last["gas"],
        "gross": last["gross_value_jpy"],
        "net": last["net_value_jpy"],
        "efficiency": last["netting_efficiency"],
        "members_text": " / ".join(f"{n:,}" for n in members),
        "members_lo": members[0],
        "trades_range": " / ".join(f"{g:,}" for g in trades),
        "settle_range": " / ".join(f"{g:,}" for g in settles),
        "flat_settle": next(x for x in targets if x["operation"] == "etf.settlement"),
        "flat_trades": next(x for x in targets if x["operation"] == "etf.record_trades"),
        "trade": f"{t['quantity']:,} {t['symbol']} at {t['price_jpy']:,} JPY",
    }


def plural(n: int, what: str) -> str:
    return f"{n:,} {what}{'s' * (n != 1)}"


def solve(a: list[list[int]], b: list[int]) -> list[float]:
    """The x with a · x = b, a square and invertible (Gaussian elimination, exact fractions)."""
    m = [[Fraction(v) for v in row] + [Fraction(y)] for row, y in zip(a, b, strict=True)]
    n = len(m)
    for i in range(n):
        pivot = next(r for r in range(i, n) if m[r][i])
        m[i], m[pivot] = m[pivot], m[i]
        for r in range(n):
            if r != i and m[r][i]:
                factor = m[r][i] / m[i][i]
                m[r] = [x - factor * y for x, y in zip(m[r], m[i], strict=True)]
    return [float(m[i][n] / m[i][i]) for i in range(n)]


def scale_table(ns: Sequence[int], req: dict[str, Any], calls: dict[str, Any], item: Any) -> str:
    over = {n: " (more than a block)" for n in calls["more_than_a_block_at"]}
    rows = []
    for n in ns:
        total = f"{calls['total_gas'][str(n)]:,}{over.get(n, '')}"
        rows.append(
            cells(n, item[REQUIREMENTS, n], req["total_gas"][str(n)], item[CALLS, n], total)
        )
    for a, b in itertools.pairwise(ns):
        m_req, m_calls = (d["marginal_gas_per_item"][f"{a}-{b}"] for d in (req, calls))
        rows.append(cells(f"marginal, N = {a} to {b}", m_req, "", m_calls, ""))
    fixed = f"fixed (fit on N = {ns[-2]} and {ns[-1]})"
    rows.append(cells(fixed, "", req["fixed_gas"], "", calls["fixed_gas"]))
    return "\n".join(rows)


def over_text(calls: dict[str, Any], limit: int) -> str:
    over = calls["more_than_a_block_at"]
    if not over:
        return ""
    gas = ", ".join(f"{calls['total_gas'][str(n)]:,}" for n in over)
    return (
        f" The batch of {', '.join(str(n) for n in over)} calls needed {gas} gas, more than a "
        f"{limit:,}-gas block: it was sent with the node's block gas limit raised for that one "
        "transaction (`devnet.block_gas_limit`; the gas a transaction uses does not depend on "
        "the limit), so that its gas per call is measured; on this chain such a batch has to be "
        "split."
    )


def largest_row(op: str, detail: dict[str, Any]) -> str:
    v = detail["largest_batch_in_block"]
    verified, one_more = f"**{v['verified']:,}**", v["gas_needed_one_more"]
    return cells(f"`{op}`", v["model"], verified, v["gas_used"], one_more)


def spread_note(per_run: dict[str, list[float]]) -> str:
    """A warning when a mode's rate varied widely between runs (a busy machine, usually)."""
    wide = {m: r for m, r in per_run.items() if max(r) > 1.5 * min(r)}
    if not wide:
        return ""
    spans = "; ".join(f"{m} {min(r):,.0f} to {max(r):,.0f} tps" for m, r in wide.items())
    return (
        f"\n\nRates varied widely between runs ({spans}), most likely because other work "
        "shared the machine during the run; rerun on an idle machine for tighter figures. Gas "
        "figures are unaffected."
    )


def market_text(symbol: str, m: dict[str, Any]) -> str:
    fx = m["fx_jpy"]
    price = f"price {m['price']}" + (f" USD × {fx} JPY/USD" if fx else " JPY")
    return f"{symbol} {price}, haircut {m['haircut_bps'] / 100:g}%"


if __name__ == "__main__":
    print(f"wrote {write(BENCH / 'results.json', BENCH / 'RESULTS.md')}")
