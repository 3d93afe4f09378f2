#!/usr/bin/env python3
"""The fleet benchmark (shared/bench/fleet.md): wall time and peak memory of the whole
`cairn export` process at N = 100, 1,000 and 10,000 services, output to /dev/null.

    python3 benches/fleet.py            # builds the release binary, 9 runs per size
    python3 benches/fleet.py --runs 21
    python3 benches/fleet.py --types    # also: the same program without type annotations
    python3 benches/fleet.py --k8s      # also: the program typed with std.k8s, and the cost
                                        # of loading std.k8s at all

Each run is timed from spawn to exit (time.perf_counter) and its peak resident memory is read
from the kernel (wait4's ru_maxrss). The median and the minimum are reported.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_once(binary, n, program="fleet"):
    args = [binary, "export", f"benches/{program}.cairn"]
    if n is not None:
        args += ["--param", f"n={n}"]
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(
            args,
            stdout=devnull,
            cwd=ROOT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"cairn failed on {program} at n={n}")
    return elapsed, usage.ru_maxrss / 1024.0  # KiB -> MiB


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--types", action="store_true", help="compare with fleet_untyped.cairn at N = 10,000")
    parser.add_argument("--k8s", action="store_true", help="fleet_k8s.cairn (typed by std.k8s) and the cost of loading std.k8s")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "cairn")
    print(f"{'N':>8} {'median':>10} {'min':>10} {'peak RSS':>10}")
    for n in [int(s) for s in args.sizes.split(",")]:
        run_once(binary, n, "fleet/fleet")  # warm the page cache
        results = [run_once(binary, n, "fleet/fleet") for _ in range(args.runs)]
        times = [t for t, _ in results]
        peak = max(m for _, m in results)
        print(f"{n:>8} {statistics.median(times) * 1000:>8.1f}ms {min(times) * 1000:>8.1f}ms {peak:>7.1f}MiB")
    if args.types:
        # Interleave the two programs so that drift in the machine's speed hits both alike.
        typed, untyped = [], []
        for _ in range(args.runs):
            typed.append(run_once(binary, 10000, "fleet/fleet")[0])
            untyped.append(run_once(binary, 10000, "fleet/fleet_untyped")[0])
        t, u = statistics.median(typed), statistics.median(untyped)
        print(f"types at N=10000: typed {t * 1000:.1f}ms, untyped {u * 1000:.1f}ms (median), "
              f"types cost {(t / u - 1) * 100:+.1f}%; min {min(typed) * 1000:.1f} vs {min(untyped) * 1000:.1f}ms")
    if args.k8s:
        print("typed with std.k8s (fleet_k8s.cairn):")
        for n in [int(s) for s in args.sizes.split(",")]:
            results = [run_once(binary, n, "fleet/fleet_k8s") for _ in range(args.runs)]
            times = [t for t, _ in results]
            peak = max(m for _, m in results)
            print(f"{n:>8} {statistics.median(times) * 1000:>8.1f}ms {min(times) * 1000:>8.1f}ms {peak:>7.1f}MiB")
        # One ConfigMap with and without std.k8s, interleaved: the difference is what loading
        # std.k8s (parse, resolve, check its 224 types) costs a run.
        with_k8s, without = [], []
        for _ in range(max(args.runs, 21)):
            with_k8s.append(run_once(binary, None, "k8s_load/with_k8s")[0])
            without.append(run_once(binary, None, "k8s_load/without_k8s")[0])
        w, wo = statistics.median(with_k8s), statistics.median(without)
        print(f"loading std.k8s: {(w - wo) * 1000:.1f}ms per run (median {w * 1000:.1f}ms with, "
              f"{wo * 1000:.1f}ms without)")
    out = subprocess.run(
        [binary, "export", "benches/fleet/fleet.cairn", "--param", "n=10000"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout
    print(f"fleet(10000) output: {len(out):,} bytes, {out.count(b'---')} documents")


if __name__ == "__main__":
    main()
