#!/usr/bin/env python3
"""One table row per harness of one example: a small stand-in for the bench gate, for GPU machines without node.

    summarize.py MANIFEST RESULTS_DIR SCRATCH_DIR EXAMPLE "SEEDS"
    summarize.py --header

A variant PASSes when every check ran, no output element kept the poison, no input changed, and every output
matches the baseline's (same seed) within the spec's tolerance: |c - b| <= atol + rtol * |b|, NaN never matches.
baseline and fast_* variants are expected to PASS, every other candidate to FAIL; '!!' marks a surprise.
Uses numpy when it is there; otherwise compares a strided sample of at most 2M elements per output.
"""
import json
import math
import os
import sys
from array import array

COLUMNS = [("variant", 26), ("checks", 12), ("unwritten", 10), ("inputs", 8), ("worst/tol", 10), ("bad", 10), ("sweep", 6),
           ("median_ms", 10), ("speedup", 8), ("GB/s", 8), ("GFLOP/s", 9), ("verdict", 8), ("expected", 8)]

try:
    import numpy as np
except ImportError:  # Pure-Python fallback below.
    np = None

NP_TYPES = {"float32": "<f4", "float16": "<f2", "float64": "<f8", "int8": "i1", "uint8": "u1", "int16": "<i2", "int32": "<i4",
            "uint32": "<u4", "int64": "<i8", "uint64": "<u8", "bool": "u1"}
ARRAY_TYPES = {"float32": "f", "float64": "d", "int8": "b", "uint8": "B", "int16": "h", "int32": "i", "uint32": "I", "int64": "q",
               "uint64": "Q", "bool": "B"}


def row(values):
    return "  ".join(str(v)[:w].ljust(w) for v, (_, w) in zip(values, COLUMNS))


def load(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip() or "{}")
    except (OSError, ValueError):
        return None


def read_values(path, dtype):
    if np is not None:
        return np.fromfile(path, dtype=NP_TYPES[dtype]).astype(np.float64)
    code = ARRAY_TYPES.get(dtype)
    if code is None:
        raise ValueError(f"{dtype} needs numpy")
    data = array(code)
    with open(path, "rb") as f:
        data.frombytes(f.read())
    step = max(1, len(data) // 2_000_000)
    return [float(v) for v in data[::step]]


def compare(cand, base, rtol, atol):
    """(elements outside tolerance, worst |c - b| / (atol + rtol |b|))."""
    if np is not None:
        if cand.shape != base.shape:
            return max(cand.size, base.size), math.inf
        limit = atol + rtol * np.abs(base)
        diff = np.abs(cand - base)
        bad = ~(diff <= limit)  # NaN compares false: it never matches.
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(limit > 0, diff / limit, np.where(diff > 0, np.inf, 0.0))
        worst = float(np.nanmax(ratio)) if ratio.size else 0.0
        if np.isnan(ratio).any():
            worst = math.inf
        return int(bad.sum()), worst
    if len(cand) != len(base):
        return max(len(cand), len(base)), math.inf
    bad, worst = 0, 0.0
    for c, b in zip(cand, base):
        limit = atol + rtol * abs(b)
        diff = abs(c - b)
        if not diff <= limit:
            bad += 1
        worst = max(worst, math.inf if math.isnan(diff) else (diff / limit if limit > 0 else (math.inf if diff > 0 else 0.0)))
    return bad, worst


def median(values):
    s = sorted(values)
    return s[len(s) // 2] if s else math.nan


def main():
    if sys.argv[1:] == ["--header"]:
        print(row([name for name, _ in COLUMNS]))
        return
    manifest, results, scratch, example, seeds = sys.argv[1:6]
    seeds = seeds.split()
    with open(manifest) as f:
        lines = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    header, entries = lines[0], [dict(zip(lines[0], values)) for values in lines[1:]]
    entries = [e for e in entries if e["example"] == example and os.path.isdir(os.path.join(results, e["id"]))]
    base_id = f"{example}/baseline"
    base_time = load(os.path.join(results, base_id, "time.json")) or {}
    base_ms = median(base_time.get("timesMs", []))
    print(f"-- {example}")
    for e in entries:
        rtol, atol = float(e["rtol"]), float(e["atol"])
        outputs = [o.split(":") for o in e["outputs"].split(",") if o]
        runs = [(s, f"check-{s}") for s in seeds] + ([("sweep", "check-sweep")] if e["sweep_args"] != "-" else [])
        errors, unwritten, changed, bad, worst, sweep_bad = [], 0, False, 0, 0.0, 0
        for label, name in runs:
            report = load(os.path.join(results, e["id"], f"{name}.json"))
            if not report or report.get("kind") != "check":
                errors.append(f"{label}:{(report or {}).get('stage', 'missing')}/{(report or {}).get('cudaError', '')}")
                continue
            unwritten += sum(o.get("poisonedElements", 0) for o in report.get("outputs", []))
            changed |= report.get("inputChecksumsBefore") != report.get("inputChecksumsAfter")
            if e["variant"] == "baseline":
                continue
            for out_name, dtype in outputs:
                cand = os.path.join(scratch, e["id"], name, f"{out_name}.bin")
                base = os.path.join(scratch, base_id, name, f"{out_name}.bin")
                try:
                    n_bad, w = compare(read_values(cand, dtype), read_values(base, dtype), rtol, atol)
                except (OSError, ValueError) as err:
                    errors.append(f"{label}:compare({err.__class__.__name__})")
                    continue
                if label == "sweep":
                    sweep_bad += n_bad
                else:
                    bad += n_bad
                worst = max(worst, w)
        time_report = load(os.path.join(results, e["id"], "time.json")) or {}
        ms = median(time_report.get("timesMs", [])) if time_report.get("kind") == "time" else math.nan
        if time_report.get("kind") != "time":
            errors.append(f"time:{time_report.get('stage', 'missing')}/{time_report.get('cudaError', '')}")
        gbs = float(e["bytes"]) / (ms * 1e-3) / 1e9 if e["bytes"] != "-" and ms == ms and ms > 0 else math.nan
        gflops = float(e["flops"]) / (ms * 1e-3) / 1e9 if e["flops"] not in ("-", "0") and ms == ms and ms > 0 else math.nan
        ok = not errors and unwritten == 0 and not changed and bad == 0 and sweep_bad == 0
        verdict = "PASS" if ok else "FAIL"
        expected = "PASS" if e["category"] in ("baseline", "fast") else "FAIL"
        print(row([
            e["variant"] + ("" if verdict == expected else " !!"),
            "ok" if not errors else ",".join(errors),
            unwritten,
            "CHANGED" if changed else "same",
            "-" if e["variant"] == "baseline" else f"{worst:.3g}",
            bad,
            "-" if e["sweep_args"] == "-" else ("ok" if sweep_bad == 0 else sweep_bad),
            f"{ms:.4f}",
            f"{base_ms / ms:.2f}x" if ms == ms and base_ms == base_ms and ms > 0 else "-",
            f"{gbs:.0f}",
            f"{gflops:.0f}",
            verdict,
            expected,
        ]))


if __name__ == "__main__":
    main()
