#!/usr/bin/env python3
"""Steps 1-3 cost table from bench_signals JSON output (--benchmark_repetitions=N, all runs kept).

For every benchmark the minimum and the median over the repetitions of each ns-per-event
counter; then the per-step costs as differences of the minima (books, + cleaning, + features,
+ regimes), the regime thread's share and the hot path. The minimum is the run least disturbed
by the other tenants of this VM; the median shows how far the rest spread.
usage: bench/signals_table.py out/bench/signals_amzn5.json [...]
"""
import json
import statistics
import sys


def load(path):
    with open(path) as f:
        runs = json.load(f)["benchmarks"]
    by = {}
    for r in runs:
        if r.get("run_type") != "iteration":
            continue
        name = r["run_name"].split("/min_time")[0]
        for k, v in r.items():
            if k.startswith("ns_per_event") or k.startswith("regime_thread"):
                # ns_per_event is a rate counter inverted: Google Benchmark writes it in seconds
                x = float(v) * 1e9 if k == "ns_per_event" else float(v)
                by.setdefault(name, {}).setdefault(k, []).append(x)
    return by


def main():
    for path in sys.argv[1:]:
        by = load(path)
        print(f"== {path}")
        for name, counters in by.items():
            cells = ", ".join(
                f"{k} min {min(v):.1f} median {statistics.median(v):.1f}" for k, v in counters.items())
            print(f"  {name}: {cells}")
        m = {name: min(c["ns_per_event"]) for name, c in by.items() if "ns_per_event" in c}
        books = m.get("BM_BooksOnly")
        s = [m.get(f"BM_BooksPlus/steps:{i}") for i in range(1, 5)]
        if books is None or None in s:
            continue
        regime_thread = min(by["BM_BooksPlus/steps:3"]["regime_thread_ns_per_event"])
        print("  per event (differences of the minima, ns):")
        print(f"    books {books:.1f} | cleaning {s[0] - books:.1f} | features (state) {s[1] - s[0]:.1f}"
              f" | regimes {s[2] - s[1]:.1f} (detectors {regime_thread:.1f}, hot half {s[2] - s[1] - regime_thread:.1f})"
              f" | reading the 68-float vector every event {s[3] - s[2]:.1f}")
        print(f"    steps 1-3, all of it on one core: {s[2] - books:.1f}; on the hot thread (detectors on the"
              f" regime thread): {s[2] - books - regime_thread:.1f}")


if __name__ == "__main__":
    main()
