"""How fast `review-forge score` is, next to baselines measured in the same run.

    python benchmarks/cli_speed.py [--rows 10000] [--repeat 5] [--input ROWS.jsonl]

Times, as whole processes (start-up included, as a user or CI sees them):

- `python -c pass`: the interpreter's own start-up, the floor for any CLI;
- `review-forge score "x"`: one comment, start to finish (goal: under 0.5 s);
- a word-count pass: a minimal Python script that reads the same JSONL, "scores" each row by its
  word count and writes JSONL: the cost of the I/O alone;
- `review-forge score --input/--output` over the same rows (goal: 10,000 rows a second).

Without `--input` the rows are synthetic review comments built from fragments (seeded, so every
run scores the same text), a quarter of them with a diff hunk. The median of `--repeat` runs is
reported; other jobs on the machine make single runs noisy. Beside the wall time, the CPU time
the process used (user + system): on a machine shared with other jobs the wall time also counts
the waiting for a core, and the CPU time is what the work itself costs. The verdict is on the
wall time; "cpu ok" says the work fits the goal and the rest was waiting.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OPENERS = ["", "nit: ", "Please ", "Could you ", "I think we should ", "Why do we ", "Maybe "]
ACTIONS = [
    "rename `tmp` to `retry_count`",
    "use a set here instead of a list",
    "drop this blank line",
    "move the retry loop into `fetch_with_retries()`",
    "check for None before calling `session.close()`",
    "add a test for the empty input",
    "return early when `items` is empty",
]
REASONS = [
    "",
    ", because the loop only checks membership",
    " since the caller already validates it",
    "; otherwise this crashes on an empty list",
    " so the name says what it counts",
]
CLOSERS = ["", " Thanks!", " LGTM otherwise.", " What do you think?", " This is ugly though."]
SHORT = ["LGTM", "+1", "nit", "?", "ditto", "Done.", "Why?"]
HUNK = "@@ -10,4 +10,6 @@ def fetch(url, retries):\n+    tmp = 0\n+    while tmp < retries:\n"

WORD_COUNT = """
import json, sys
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in src:
        if line.strip():
            row = json.loads(line)
            out.write(json.dumps({"id": row["id"], "score": len(row["body"].split())}) + "\\n")
"""


def synthetic_rows(count: int) -> list[dict[str, object]]:
    rng = random.Random(20240601)
    rows: list[dict[str, object]] = []
    for i in range(count):
        if rng.random() < 0.15:
            body = rng.choice(SHORT)
        else:
            body = rng.choice(OPENERS) + rng.choice(ACTIONS) + rng.choice(REASONS) + "."
            body += rng.choice(CLOSERS) * rng.randint(0, 2)
        row: dict[str, object] = {"id": i, "body": body}
        if rng.random() < 0.25:
            row["diff_hunk"] = HUNK
        rows.append(row)
    return rows


def timed(command: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of `command`; it must succeed."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="synthetic rows to score")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--input", help="score these JSONL rows instead of synthetic ones")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        rows_file = Path(tmp) / "rows.jsonl"
        if args.input:
            shutil.copyfile(args.input, rows_file)
        else:
            rows_file.write_text(
                "".join(json.dumps(r) + "\n" for r in synthetic_rows(args.rows)), encoding="utf-8"
            )
        n_rows = sum(1 for line in rows_file.open(encoding="utf-8") if line.strip())
        out = str(Path(tmp) / "out.jsonl")
        cli = [sys.executable, "-m", "review_forge.bot"]
        script = shutil.which("review-forge")
        measurements = [
            ("python -c pass (interpreter start)", [sys.executable, "-c", "pass"], None, 1),
            ('review-forge score "x" (python -m review_forge.bot)', [*cli, "score", "x"], 0.5, 1),
        ]
        if script:
            measurements.append(
                ('review-forge score "x" (console script)', [script, "score", "x"], 0.5, 1)
            )
        measurements += [
            (
                f"word-count pass, {n_rows} rows (I/O floor)",
                [sys.executable, "-c", WORD_COUNT, str(rows_file), out],
                None,
                n_rows,
            ),
            (
                f"review-forge score --input, {n_rows} rows",
                [*cli, "score", "--input", str(rows_file), "--output", out],
                n_rows / 10_000,
                n_rows,
            ),
        ]
        header = f"{'measurement':<52} {'median s':>9} {'cpu s':>6} {'ms/row':>7} {'goal s':>7}"
        print(header + "  verdict")
        for name, command, goal, count in measurements:
            seconds, cpu = timed(command, args.repeat)
            verdict = "" if goal is None else ("ok" if seconds < goal else "TOO SLOW")
            if goal is not None and seconds >= goal > cpu:
                verdict += " (cpu ok: the rest was waiting for a core)"
            goal_text = "" if goal is None else f"{goal:.1f}"
            per_row = f"{1000 * seconds / count:.3f}" if count > 1 else ""
            print(f"{name:<52} {seconds:>9.3f} {cpu:>6.3f} {per_row:>7} {goal_text:>7}  {verdict}")
        load = os.getloadavg()[0]
        print(f"load average over the last minute: {load:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
