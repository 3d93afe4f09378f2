#!/usr/bin/env python3
"""The Git history benchmarks: `cairn diff` between two revisions of the fleet program at
N = 1,000, and `cairn log` over a history of 500 commits (with its cache hits).

    python3 benches/history.py            # builds the release binary, 9 runs of each
    python3 benches/history.py --runs 21 --commits 500

The repository is made in a temporary folder with `git fast-import` (one process, so making it
is not measured). Revision A is benches/fleet/fleet.cairn; revision B changes the replica
formula, which changes a third of the services' Deployments. The log history alternates
commits that change the program (a release number that every Deployment carries, so each one
changes all N services) with commits that touch only a README outside the project folder:
those reuse the evaluation of their parent's tree (cache hits). Wall time from spawn to exit,
median and minimum.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fast_import(repo, commits):
    """commits: a list of (message, {path: text}) applied in order on branch main."""
    lines = []
    when = 1767268800  # 2026-01-01
    for i, (message, files) in enumerate(commits):
        lines.append("commit refs/heads/main")
        lines.append(f"mark :{i + 1}")
        lines.append(f"committer Bench <bench@example.com> {when + i * 60} +0000")
        data = message.encode()
        lines.append(f"data {len(data)}")
        lines.append(message)
        if i > 0:
            lines.append(f"from :{i}")
        for path, text in files.items():
            blob = text.encode()
            lines.append(f"M 100644 inline {path}")
            lines.append(f"data {len(blob)}")
            lines.append(text)
        lines.append("")
    stream = "\n".join(lines) + "\n"
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream.encode(), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


def timed(args, cwd):
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stderr.decode()}")
    return elapsed, proc.stderr.decode().strip()


def report(name, times):
    print(f"{name:<44} median {statistics.median(times) * 1000:8.1f} ms   min {min(times) * 1000:8.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--log-n", type=int, default=100, help="services in the logged program")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "cairn")
    fleet = open(os.path.join(ROOT, "benches", "fleet", "fleet.cairn")).read()
    changed = fleet.replace("replicas: 1 + i % 3", "replicas: 1 + i % 4")
    assert changed != fleet, "the replica formula moved: update benches/history.py"

    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "diff")
        fast_import(repo, [("A", {"infra/fleet.cairn": fleet}), ("B", {"infra/fleet.cairn": changed})])
        cmd = [binary, "diff", "HEAD~1", "HEAD", "-P", "infra/fleet.cairn", "--param", "n=1000"]
        timed(cmd, repo)
        report("diff HEAD~1 HEAD, fleet N = 1,000", [timed(cmd, repo)[0] for _ in range(args.runs)])

        # The log: program commits carry a release number into every Deployment's image.
        history = []
        for i in range(args.commits):
            if i % 2 == 0:
                text = fleet.replace(':1.${i % 10}.0"', f':1.${{i % 10}}.{i}"')
                history.append((f"release {i}", {"infra/fleet.cairn": text}))
            else:
                history.append((f"docs {i}", {"README.md": f"notes {i}\n"}))
        repo = os.path.join(tmp, "log")
        fast_import(repo, history)
        cmd = [binary, "log", "-P", "infra/fleet.cairn", "--param", f"n={args.log_n}", "-n", str(args.commits)]
        _, stats = timed(cmd, repo)
        times = [timed(cmd, repo)[0] for _ in range(max(3, args.runs // 3))]
        report(f"log over {args.commits} commits, fleet N = {args.log_n}", times)
        print(f"  {stats}")
        cmd = [binary, "log", "deploy[\"svc-7\"]", "-P", "infra/fleet.cairn", "--param", f"n={args.log_n}", "-n", str(args.commits)]
        times = [timed(cmd, repo)[0] for _ in range(max(3, args.runs // 3))]
        report(f"log deploy[\"svc-7\"] over {args.commits} commits", times)


if __name__ == "__main__":
    main()
