#!/usr/bin/env python3
"""Writes the markdown report of one load run (to stdout) from its samples.csv, metrics.csv and summary.txt.

usage: report.py OUT SCENARIO DESCRIPTION COMMAND MACHINE SPIKE_AT SPIKE_SECONDS SLO_MS

Besides the figures it states, for the scenarios that promise something, whether that held in this run:
spike (replicas rise within 10 s of the spike and come back down; no errors but the queue limit's 503s),
from-zero (every request of the burst answered 2xx), ramp (the knee: the highest rate served in full within the SLO).
"""
import csv
import os
import sys

out, scenario, description, command, machine = sys.argv[1:6]
spike_at, spike_seconds, slo_ms = int(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8])


def num(v):
    return float(v) if v not in ("", None) else None


samples = list(csv.DictReader(open(os.path.join(out, "samples.csv"))))
metrics = []
if os.path.exists(os.path.join(out, "metrics.csv")):
    metrics = list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))
summary = dict(line.strip().split("=", 1) for line in open(os.path.join(out, "summary.txt")) if "=" in line)
t0 = min(int(r["epoch_ms"]) for r in samples) if samples else 0

S = {k: summary.get(k, "") for k in summary}
non2xx = int(S["requests"]) - int(S["status_2xx"])
lines = [f"# Load test `{scenario}`", "", description + ".", "", machine, "",
         f"Load tool: Hyperfoil 0.25.2 in-process (load-tests/driver), "
         + ("closed loop" if scenario == "closed" else "open model: requests start at their arrival time whatever the "
            "latency, so a slow gateway cannot hide its latency (no coordinated omission)")
         + ". Latency is measured by the load tool, from sending the request to the end of the response.", "",
         f"Reproduce: `{command}`", "", "## Summary", "",
         "| requests | 2xx | 4xx | 5xx | connection errors | timeouts | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | 2xx/s |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
         f"| {S['requests']} | {S['status_2xx']} | {S['status_4xx']} | {S['status_5xx']} | {S['connection_errors']} | "
         f"{S['timeouts']} | {S['p50_ms']} | {S['p90_ms']} | {S['p99_ms']} | {S['p999_ms']} | {S['max_ms']} | "
         f"{S['throughput_rps']} |", ""]

models = sorted({r["model"] for r in samples if r["model"]})
if len(models) > 1:
    lines += ["Per model (p50: median of the seconds' p50; p99: the worst second's p99):", "",
              "| model | requests | 2xx | errors | p50 ms | worst p99 ms |", "|---|---:|---:|---:|---:|---:|"]
    for m in models:
        rows = [r for r in samples if r["model"] == m]
        req = sum(int(r["requests"]) for r in rows)
        ok = sum(int(r["status_2xx"]) for r in rows)
        p50s = sorted(num(r["p50_ms"]) for r in rows if r["p50_ms"])
        p99s = [num(r["p99_ms"]) for r in rows if r["p99_ms"]]
        lines.append(f"| {m} | {req} | {ok} | {req - ok} | {p50s[len(p50s) // 2] if p50s else '-'} | "
                     f"{max(p99s) if p99s else '-'} |")
    lines.append("")


def series(model):
    """(seconds since the load started, desired, ready, overloaded count) from the gateway's metrics."""
    return [((int(r["epoch_ms"]) - t0) / 1000, int(r["desired"]), int(r["ready"]), int(r["overloaded"]))
            for r in metrics if r["model"] == model]


def target_model():
    """The model the scenario drove: the one scraped all run long (a warm-up model is deleted before the load)."""
    counts = {}
    for r in metrics:
        counts[r["model"]] = counts.get(r["model"], 0) + 1
    return max(counts, key=counts.get) if counts else ""


def outcomes(model):
    """How the gateway counted the run's requests to the model, by outcome (first scrape to last)."""
    rows = [r for r in metrics if r["model"] == model]
    if not rows:
        return {}
    keys = ("served", "overloaded", "no_replicas", "unreachable", "failed")
    return {k: int(rows[-1][k]) - int(rows[0][k]) for k in keys}


checks = []
if scenario == "spike" and metrics:
    model = target_model()
    sr = series(model)
    before = [d for t, d, _, _ in sr if t < spike_at] or [1]
    base = before[-1]  # desired just before the spike
    rose = next((t for t, d, _, _ in sr if t >= spike_at and d > base), None)
    ready_rose = next((t for t, _, r, _ in sr if t >= spike_at and r > base), None)
    peak = max((d for t, d, _, _ in sr), default=0)
    peak_ready = max((r for t, _, r, _ in sr), default=0)
    end = spike_at + spike_seconds
    # back at the base count for good: the first sample after the last one above it
    above = [t for t, d, _, _ in sr if d > base]
    down = next((t for t, d, _, _ in sr if above and t > above[-1] and d <= base), None)
    last = sr[-1] if sr else (0, 0, 0, 0)
    counted = outcomes(model)
    overloaded = counted.get("overloaded", 0)
    checks.append((rose is not None and rose - spike_at <= 10,
                   f"desired replicas rose from {base} "
                   + (f"{rose - spike_at:.1f} s after the spike began (ready: "
                      + (f"{ready_rose - spike_at:.1f} s" if ready_rose is not None else "never") + ")"
                      if rose is not None else "never")
                   + f"; peak {peak} desired, {peak_ready} ready"))
    checks.append((down is not None,
                   ((f"came back down to {base} {down - end:.1f} s after the spike ended" if down >= end
                     else f"came back down to {base} {end - down:.1f} s before the spike ended (the spike's load "
                          "needed fewer replicas than at its start)") if down is not None
                    else "did not come back down before the run ended")
                   + f"; at the end {last[1]} desired, {last[2]} ready"))
    other = non2xx - int(S["status_5xx"]) + int(S["connection_errors"]) + int(S["timeouts"])
    checks.append((other == 0 and int(S["status_5xx"]) <= overloaded,
                   f"{non2xx} requests not answered 2xx: {S['status_5xx']} 5xx, of which the gateway counted "
                   f"{overloaded} as overloaded (503 at the queue limit); {other} other errors; the gateway's "
                   "outcomes: " + ", ".join(f"{k} {v}" for k, v in counted.items())))
if scenario == "from-zero":
    model = target_model()
    sr = series(model)
    at_start = next((r for t, _, r, _ in sr if t >= -0.5), None)
    counted = outcomes(model)
    checks.append((non2xx == 0 and int(S["requests"]) > 0,
                   f"{S['status_2xx']} of {S['requests']} requests of the burst answered 2xx"
                   + ("" if non2xx == 0 else "; the gateway's outcomes: " + ", ".join(f"{k} {v}" for k, v in counted.items())
                      + (" (overloaded: more requests waited for the cold start than the gateway's queue holds)"
                         if counted.get("overloaded") else ""))))
    checks.append((at_start == 0, f"ready replicas when the burst began: {at_start}"))
    first = samples[0] if samples else {}
    ready_at = next((t for t, _, r, _ in sr if t >= 0 and r > 0), None)
    lines += ["Cold start: the requests that arrived before the first replica was ready waited for it (the gateway "
              "holds them while the model scales from zero); their latency is the cold start as a client sees it. "
              + (f"The first replica was ready {ready_at:.1f} s after the burst began (gateway metrics, 1 s "
                 "resolution)." if ready_at is not None else ""), "",
              f"- all requests of the burst: p50 {S['p50_ms']} ms, p90 {S['p90_ms']} ms, p99 {S['p99_ms']} ms, "
              f"max {S['max_ms']} ms",
              f"- the requests of the first second (the first of them waited the whole cold start): p50 {first.get('p50_ms')} ms, "
              f"max {first.get('max_ms')} ms", ""]
if scenario == "ramp":
    offered = [(int(r["second"]), int(r["requests"]), int(r["status_2xx"]), num(r["p99_ms"])) for r in samples]
    good = [(s, req) for s, req, ok, p99 in offered if req > 0 and ok >= 0.99 * req and p99 is not None and p99 <= slo_ms]
    knee = max(good, key=lambda x: x[1]) if good else None
    lines += [("Knee: the highest arrival rate whose second was answered in full (>= 99% 2xx) with p99 <= "
               f"{slo_ms:g} ms: **{knee[1]} requests/s** (second {knee[0]})." if knee else
               f"Knee: no second was answered in full with p99 <= {slo_ms:g} ms."), ""]

if checks:
    lines += ["## Checks", ""] + [f"- {'PASS' if ok else 'FAIL'}: {text}" for ok, text in checks] + [""]

lines += ["## Plots", "", "![latency percentiles over time](latency.png)", "",
          "![throughput over time](throughput.png)", "", "![replicas desired and ready over time](replicas.png)", "",
          "## Files", "",
          "- [samples.csv](samples.csv): per second of arrivals (and model): requests, responses by status class, "
          "connection errors, timeouts, time blocked waiting for a connection, mean/p50/p90/p99/p99.9/max latency (ms)",
          "- [metrics.csv](metrics.csv): the gateway's /q/metrics every second: replicas desired and ready, requests "
          "in flight and waiting, request counts by outcome",
          "- [summary.txt](summary.txt): the whole run, from the merged histograms",
          "- [benchmark.yaml](benchmark.yaml): the Hyperfoil benchmark that ran", ""]
print("\n".join(lines))
