"""One whole default retrain, end to end, on the TinyLlama shape: what `retrain.yml` runs.

    python -m benchmarks.retrain_run --keep /tmp/retrain-bench     # 36 min on 2 quiet cores

- The base: TinyLlama-1.1B's shape with random weights, saved in bfloat16 as the hub holds
  TinyLlama, with the 32,000-token tokenizer of `benchmarks/score_latency.py` (its `setup`; kept
  in `--keep DIR` and reused).
- The data branch, on the tests' fake GitHub: weeks of a repository's review comments (synthetic
  comments on diff hunks), each replied to with the rubric's score moved by the product's
  `explore` offset, and the default team's reactions (`benchmarks/teams/default.py`, at
  `--react-scale`), written as `collect` writes them, until the held-out side has `--heldout`
  reacted replies: the gate trains nothing below 30.
- The run: `review-forge retrain --dry-run --base-model BASE` in a child process, every other
  setting its default (the retrain workflow's run). Measured: wall-clock and CPU time of the child,
  its peak RSS (VmHWM, which counts the pages of the model file it maps while loading) and its
  peak anonymous memory (sampled every half second: what a runner's memory must hold; mapped file
  pages can be dropped and read again), and the stages' times from the candidate's manifest.
  Beside `retrain.log`, `memory.tsv` traces the child's VmRSS, RssAnon, RssFile and RssShmem every
  half second with the log's size then, which places a peak against the log's lines.

Random weights never write the score format, so the gate refuses the candidate (format validity
0%) and every generation runs to its full length: the worst case for time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.score_latency import cpu_line

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "octo-org/octo-repo"


def feedback(heldout: int, react_scale: float, seed: int = 0) -> list[dict]:
    """Collected records, a week of 60 comments at a time, until `heldout` held-out replies
    have reactions."""
    from benchmarks.simulation.people import load_team, reaction, review_comments
    from review_forge.bot.feedback.explore import posted
    from review_forge.bot.feedback.record import FeedbackRecord
    from review_forge.bot.scoring.rubric import score_comment
    from review_forge.bot.scoring.score import Comment
    from review_forge.training.dataset import is_heldout

    team = load_team(ROOT / "benchmarks" / "teams" / "default.py")
    rng = random.Random(seed)
    records: list[dict] = []
    week, held = 0, 0
    while held < heldout:
        for number, row in enumerate(review_comments(60, seed=seed * 1000 + week)):
            comment = Comment(row["body"], row["diff_hunk"], row["path"])
            reply = 10_000 + week * 100 + number
            shown = posted(score_comment(comment), reply, 10)
            votes = [
                reaction(p, shown.score, team.judgement(comment), rng, react_scale)
                for p in team.people
            ]
            up, down = votes.count("+1"), votes.count("-1")
            record = FeedbackRecord(
                reply_comment_id=reply, repo=REPOSITORY, pr=week + 1, review_comment_id=reply - 1,
                body=comment.body, diff_hunk=comment.diff_hunk, path=comment.path,
                posted=shown.to_dict(), up=up, down=down, reactors=up + down,
                collected_at=f"2026-{1 + week // 4:02d}-{1 + 7 * (week % 4):02d}T04:00:00Z",
            )  # fmt: skip
            records.append(json.loads(record.to_json()))
            held += bool(up + down) and is_heldout(reply)
        week += 1
    return records


def seed_branch(fake, records: list[dict]) -> None:
    from review_forge.bot.github.data_branch import FEEDBACK_DIR, DataStore

    store = DataStore(fake.client().get_repo(REPOSITORY), "review-forge-data")
    lines = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
    store.add_files({f"{FEEDBACK_DIR}2026-02-01-bench.jsonl": lines}, "Feedback snapshot")


TRACED = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def memory_kb(pid: int) -> dict[str, int]:
    """The child's resident memory now, in kB: all, anonymous, file pages, shared memory."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return dict.fromkeys(TRACED, 0)
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {name: int(fields.get(name, "0 kB").split()[0]) for name in TRACED}


def run(base: Path, out: Path, api_url: str, token: str, extra: list[str]) -> dict:
    """`review-forge retrain --dry-run` in a child; its time, CPU and memory."""
    env = {
        **os.environ, "GITHUB_TOKEN": token, "GITHUB_API_URL": api_url,
        "GITHUB_REPOSITORY": REPOSITORY, "DO_NOT_TRACK": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
        "TRL_EXPERIMENTAL_SILENCE": "1",
    }  # fmt: skip
    command = [
        str(Path(sys.executable).with_name("review-forge")), "retrain", "--dry-run",
        "--base-model", str(base), "--output", str(out), *extra,
    ]  # fmt: skip
    peak = [0]
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    with (out.parent / "retrain.log").open("w") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)

        def watch() -> None:
            with (out.parent / "memory.tsv").open("w") as trace:
                # The log's size at each sample places the memory against the log's lines.
                trace.write("seconds\t" + "\t".join(f"{n}_kb" for n in TRACED) + "\tlog_bytes\n")
                while child.poll() is None:
                    now = memory_kb(child.pid)
                    peak[0] = max(peak[0], now["RssAnon"])
                    seconds = time.perf_counter() - started
                    values = "\t".join(str(now[n]) for n in TRACED)
                    trace.write(f"{seconds:.1f}\t{values}\t{os.fstat(log.fileno()).st_size}\n")
                    time.sleep(0.5)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        code = child.wait()
        watcher.join()
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "exit_code": code,
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu.ru_utime - cpu.ru_stime,
        "peak_rss_gib": usage.ru_maxrss / 1024**2,
        "peak_anonymous_gib": peak[0] / 1024**2,
    }


def stages(out: Path) -> dict:
    """Training seconds per stage (the candidate's manifest and its parent's) and the gate."""
    found = sorted(out.glob("*.json"))
    if not found:
        return {"gate": "nothing trained (see retrain.log)"}
    report = json.loads(found[0].read_text(encoding="utf-8"))
    training = (report.get("candidate") or {}).get("training") or {}
    return {
        "grpo_seconds": training.get("seconds"),
        "grpo_steps": training.get("steps"),
        "gate": "; ".join(report["gate"]["reasons"]) or "passed",
        "data": report.get("data"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keep", help="folder for the base model, reused when present")
    p.add_argument("--heldout", type=int, default=36, help="held-out reacted replies (36)")
    p.add_argument("--react-scale", type=float, default=0.3, help="chance of reacting x (0.3)")
    p.add_argument("retrain_args", nargs=argparse.REMAINDER, help="after --: retrain's flags")
    args = p.parse_args(argv)
    from benchmarks.score_latency import setup
    from tests.support.fake_github import FakeGitHub

    keep = Path(args.keep or tempfile.mkdtemp(prefix="retrain-bench-"))
    if not (keep / "base" / "config.json").is_file():
        setup(keep)
    records = feedback(args.heldout, args.react_scale)
    load = os.getloadavg()[0]
    fake = FakeGitHub().start()
    try:
        seed_branch(fake, records)
        out = keep / f"run-{int(time.time())}" / "out"
        out.parent.mkdir(parents=True)
        extra = [a for a in args.retrain_args if a != "--"]
        measured = run(keep / "base", out, fake.url, fake.token, extra)
    finally:
        fake.stop()
    if measured["exit_code"] != 0:
        print((out.parent / "retrain.log").read_text(encoding="utf-8")[-3000:], file=sys.stderr)
        return 1
    facts = {**measured, **stages(out)}
    share = facts["cpu_seconds"] / (facts["seconds"] * (os.cpu_count() or 1))
    print(cpu_line())
    print(
        f"one default retrain (review-forge retrain --dry-run), TinyLlama-shaped base, "
        f"{len(records)} replies; load average before/after {load:.1f}/{os.getloadavg()[0]:.1f}"
    )
    print(
        f"wall-clock {facts['seconds'] / 60:.1f} min, CPU {facts['cpu_seconds'] / 60:.1f} min "
        f"({share:.0%} of the cores), peak RSS {facts['peak_rss_gib']:.2f} GiB, peak anonymous "
        f"{facts['peak_anonymous_gib']:.2f} GiB; GRPO {facts['grpo_steps']} steps in "
        f"{facts['grpo_seconds']} s; gate: {facts['gate']}"
    )
    print(json.dumps(facts, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
