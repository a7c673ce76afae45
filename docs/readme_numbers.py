"""Reproduces the result numbers of the README, with the machine and versions.

`make readme-numbers` runs this. It runs, as a user would, in a fresh folder:

1. `larq-ber sweep quickstart` (what `make demo` runs), its two
   figures, and the ⟨Top1Max⟩ table (mean ± sample std, ddof = 1, over the runs);
2. `examples/mram_operating_points.py --sweep` on that sweep: the cheapest MRAM
   write operating point within 0.5 and within 1.5 points of the error-free
   accuracy;
3. `larq-ber demo` (one run per BER, a table of accuracies);
4. `larq-ber mtj table` (the paper's Table I) and the deployment error rates of
   the paper's device at 0.6 V, 10 ns (`mtj.error_rates`) for three devices.

and writes everything to one Markdown file (default `docs/readme_numbers.md`),
headed by the machine, the versions of the stack and the git commit. The quickstart's
per-epoch table is also summarised as a SHA-256 over every column except the
wall-clock one (`wall_s`): two runs on the same machine give the same digest.

    python docs/readme_numbers.py [--out docs/readme_numbers.md] [--runs runs/readme]

Speed numbers are not here: they come from `make benchmark` (about 40 minutes) and
depend on the machine's load; the Fashion-MNIST study's from `make study`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK = ("tensorflow", "tf-keras", "larq", "larq-compute-engine", "keras-tuner",
         "tensorflow-datasets", "numpy", "scipy", "matplotlib", "larq-ber")  # fmt: skip


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found.stdout.strip()


def environment() -> list[str]:
    """The machine and the versions, as Markdown lines."""
    cores = os.cpu_count()
    lines = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}, commit `{_commit()}`",
        f"- machine: {_cpu()}, {cores} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}",
        "- stack: " + ", ".join(f"{d} {_version(d)}" for d in STACK),
    ]
    return lines


def run(command: list[str], **kwargs: object) -> tuple[str, float]:
    """Runs a command; returns its standard output and wall time (s)."""
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs
    )  # type: ignore[call-overload]
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout, seconds


def table_digest(rows: list[dict]) -> str:
    """SHA-256 of the per-epoch rows, every column but `wall_s`, in a fixed order."""
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: (r["run_id"], int(r["epoch"]))):
        digest.update(repr(sorted((k, v) for k, v in row.items() if k != "wall_s"))
                      .encode())  # fmt: skip
    return digest.hexdigest()


def main() -> None:
    """Runs every step and writes the Markdown file."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        default="docs/readme_numbers.md",
        help="the Markdown file to write (default: docs/readme_numbers.md)",
    )
    parser.add_argument(
        "--runs",
        default="runs/readme",
        help="folder for the sweep and figures, emptied first (default: runs/readme)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from larq_ber.study.plots import top1max_table
    from larq_ber.study.results import read_results

    runs = Path(args.runs)
    if runs.exists():
        shutil.rmtree(runs)
    runs.mkdir(parents=True)
    bin_dir = Path(sys.executable).parent
    cli = [str(bin_dir / "larq-ber")]
    out = ["# Numbers of the README", "", "Written by `make readme-numbers` "
           "(`python docs/readme_numbers.py`); do not edit by hand.", "",
           *environment(), ""]  # fmt: skip

    sweep = runs / "quickstart"
    _, seconds = run([*cli, "sweep", "quickstart", "--out", str(sweep),
                      "--no-progress"])  # fmt: skip
    for name, extra in (("accuracy_vs_epoch", []), ("top1max_vs_ber", ["--kind",
                        "top1max"])):  # fmt: skip
        run([*cli, "plot", str(sweep), "--figure", str(sweep / f"{name}.png"), *extra])
    rows = read_results(sweep)
    out += [
        "## Quickstart sweep (`make demo`)",
        "",
        f"`larq-ber sweep quickstart`: {seconds:.0f} s wall, "
        f"{len(rows)} rows; table digest (all columns but `wall_s`) "
        f"`{table_digest(rows)[:16]}`.",
        "",
        "| BER | runs | ⟨Top1Max⟩ (%) | std, ddof = 1 (%) |",
        "|---|---|---|---|",
    ]
    table = top1max_table(rows)
    for r in table:
        out.append(f"| {100 * r['ber']:g} % | {r['runs']} | {100 * r['mean']:.2f} "
                   f"| {100 * r['std']:.2f} |")  # fmt: skip
    out += ["", "`examples/mram_operating_points.py --sweep` on it, with a tolerance "
            "of 0.5 and 1.5 points:", ""]  # fmt: skip
    for tolerance in ("0.005", "0.015"):
        text, _ = run([sys.executable, "examples/mram_operating_points.py", "--sweep",
                       str(sweep), "--tolerance", tolerance, "--figure",
                       str(runs / "fig5.png")])  # fmt: skip
        cheapest = [line for line in text.splitlines() if line.startswith("cheapest")]
        out.append(f"    {cheapest[0]}")
    out.append("")

    text, seconds = run([*cli, "demo", "--no-progress"])
    out += ["## `larq-ber demo`", "", f"{seconds:.0f} s wall:", "", "```",
            text.rstrip(), "```", ""]  # fmt: skip

    text, _ = run([*cli, "mtj", "table"])
    out += ["## `larq-ber mtj table` (Table I)", "", "```", text.rstrip(), "```", ""]
    code = (
        "import dataclasses\n"
        "from larq_ber import mtj\n"
        "paper = mtj.MTJ.paper()\n"
        "for name, device in [('symmetric', paper),\n"
        "    ('h = 0.1', dataclasses.replace(paper, h=0.1)),\n"
        "    ('stt_asymmetry = 1.2', dataclasses.replace(paper, stt_asymmetry=1.2))]:\n"
        "    r = mtj.error_rates(0.6, 10e-9, device)\n"
        "    print(f'| {name} | {r.ber_neg:.3g} | {r.ber_pos:.3g} |')\n"
    )
    text, _ = run([sys.executable, "-c", code])
    out += ["## Deployment error rates at 0.6 V, 10 ns (`mtj.error_rates`)", "",
            "| device | ber_neg (AP→P) | ber_pos (P→AP) |", "|---|---|---|",
            text.rstrip(), ""]  # fmt: skip
    Path(args.out).write_text("\n".join(out) + "\n")
    print(f"written to {args.out}; figures in {runs}")


if __name__ == "__main__":
    main()
