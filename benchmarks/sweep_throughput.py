"""Sweep throughput: runs per hour of the quickstart grid, 1 worker vs 2 workers.

Runs `larq-ber sweep quickstart` twice from scratch in one go:

* 1 worker: a single process trains the whole grid;
* 2 workers: keras-tuner's chief (serves the grid) and two workers on 127.0.0.1.

For each it prints the wall time, runs per hour (process start-up included) and
the CPU utilisation: CPU seconds of all the sweep's processes divided by
wall seconds × cores. Then the ratio 2 workers / 1 worker. Usage:

    python benchmarks/sweep_throughput.py [--set epochs=2 ...] [--intra-threads N]

`--intra-threads` sets TF_NUM_INTRAOP_THREADS for every worker (default: TF's
choice, all cores per process).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _command(out: Path, overrides: list[str]) -> list[str]:
    sets = [x for o in overrides for x in ("--set", o)]
    return [sys.executable, "-m", "larq_ber.study.cli", "sweep",
            "quickstart", "--out", str(out),
            "--no-progress", *sets]  # fmt: skip


def _measure(roles: list[str], out: Path, overrides: list[str], env: dict) -> dict:
    port = None
    if len(roles) > 1:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    procs = []
    for role in roles:
        role_env = dict(env)
        if port is not None:
            role_env.update(
                KERASTUNER_TUNER_ID=role,
                KERASTUNER_ORACLE_IP="127.0.0.1",
                KERASTUNER_ORACLE_PORT=str(port),
            )
        procs.append(
            subprocess.Popen(
                _command(out, overrides),
                env=role_env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    for proc in procs:
        output = proc.communicate()[0]
        if proc.returncode != 0:
            raise SystemExit(f"sweep failed:\n{output}")
    wall = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0
    runs = len(list(out.glob("runs/*/result.json")))
    cores = len(os.sched_getaffinity(0))
    return {
        "runs": runs,
        "wall_s": wall,
        "runs_per_hour": runs / wall * 3600,
        "cpu_utilisation": cpu / (wall * cores),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--intra-threads", type=int, default=None)
    args = parser.parse_args()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if args.intra_threads:
        env["TF_NUM_INTRAOP_THREADS"] = str(args.intra_threads)
    cores = len(os.sched_getaffinity(0))
    print(f"quickstart grid {args.overrides or ''} on {cores} cores")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, roles in (
            ("1 worker", ["single"]),
            ("2 workers", ["chief", "worker0", "worker1"]),
        ):
            result = _measure(
                roles, Path(tmp) / name.replace(" ", "_"), args.overrides, env
            )
            results[name] = result
            print(
                f"{name:9s}: {result['runs']} runs in {result['wall_s']:7.1f} s = "
                f"{result['runs_per_hour']:6.1f} runs/hour, CPU utilisation "
                f"{100 * result['cpu_utilisation']:5.1f} %",
                flush=True,
            )
    ratio = results["2 workers"]["runs_per_hour"] / results["1 worker"]["runs_per_hour"]
    print(f"ratio 2 workers / 1 worker: {ratio:.3f}")


if __name__ == "__main__":
    main()
