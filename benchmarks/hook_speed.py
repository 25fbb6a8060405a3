"""How long `review-lint` takes over 100 review drafts, process start included.

Each command runs as a fresh process, as pre-commit runs it; `python -c pass` in the same run is
the baseline (the interpreter's own start), so the table shows what the hook itself costs.

    python benchmarks/hook_speed.py [--drafts 100] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMENTS = [
    "src/dates.py:42\n`parse_date('2024-02-30')` returns March 1st instead of failing. Raise "
    "ValueError when the day is past the end of the month, and add a test for Feb 30, because "
    "callers rely on invalid dates being rejected.",
    "this is wrong",
    "src/io.py:7\nThis loop re-reads the file on every iteration; move the open() above the loop "
    "so large inputs don't take quadratic time.",
    "Nit: rename `tmp` to `retries`?",
]


def write_drafts(folder: Path, count: int) -> list[str]:
    """`count` drafts of two or three comments each, a mix of good and poor ones."""
    names = []
    for i in range(count):
        parts = [COMMENTS[(i + k) % len(COMMENTS)] for k in range(2 + i % 2)]
        name = f"reviews/pr-{i:03}.md"
        (folder / name).write_text("\n---\n".join(parts) + "\n", encoding="utf-8")
        names.append(name)
    return names


def time_runs(cmd: list[str], cwd: Path, runs: int) -> tuple[list[float], str]:
    env = dict(os.environ, NO_COLOR="1")
    times, out = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            sys.exit(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr.strip()}")
        out = proc.stdout
    return times, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    script = Path(python).with_name("review-lint")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "reviews").mkdir()
        drafts = write_drafts(folder, args.drafts)
        commands = {
            "python -c pass (baseline)": [python, "-c", "pass"],
            "python -c 'import review_forge.hooks.review_lint'": [
                python,
                "-c",
                "import review_forge.hooks.review_lint",
            ],
            f"python -m review_forge.hooks.review_lint <{len(drafts)} drafts>": [
                python,
                "-m",
                "review_forge.hooks.review_lint",
                *drafts,
            ],
            f"review-lint <{len(drafts)} drafts> (console script)": [str(script), *drafts],
        }
        rows, summary = [], ""
        for label, cmd in commands.items():
            times, out = time_runs(cmd, folder, args.runs)
            rows.append((label, statistics.median(times), min(times), max(times)))
            summary = out.strip().splitlines()[-1] if out.strip() else summary
    base = rows[0][1]
    print(f"{args.runs} runs each, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"hook's last line: {summary}")
    print(f"{'command':<48} {'median s':>9} {'min s':>7} {'max s':>7} {'- baseline':>10}")
    for label, median, low, high in rows:
        print(f"{label:<48} {median:>9.3f} {low:>7.3f} {high:>7.3f} {median - base:>10.3f}")
    slowest = max(median for _, median, _, _ in rows[2:])
    print(f"under 1 s including process start: {'yes' if slowest < 1 else 'NO'} ({slowest:.3f} s)")


if __name__ == "__main__":
    main()
