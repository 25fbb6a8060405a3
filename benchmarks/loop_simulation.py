"""Does the loop learn? Simulated people who disagree with the rubric, rounds of the whole loop.

    python benchmarks/loop_simulation.py                  # the README's figures (~22 min, 2 cores)
    python benchmarks/loop_simulation.py --seeds 1 --rounds 2 --per-round 24 --eval 32 \\
        --warmup-rows 400 --out /tmp/loop                  # a smoke run

1. Cold start, once: a random 4-layer Llama (`training/sim_model.py`) and the SFT warm-up on
   synthetic rubric-labelled completions (Oumi, `--sft-warmup`'s recipe); its format validity
   and its agreement with the rubric are measured on the held-out comments.
2. Per seed, in its own process and on its own fake GitHub (`tests/fake_github.py`): the
   warm-up is promoted through the retrain entry point, then each round a pull request gets a
   review of `--per-round` fresh synthetic comments; the Action scores them with the promoted
   adapter and replies; the simulated team (`training/simulation.py`: tests and security +15,
   bare nits -20, length not held against a comment; 👍 within 10 points of their own judgement,
   10% of reactions flipped, one person never reacts) reacts; `collect` writes the reactions to
   the data branch; the retrain trains a candidate from them (`--learner`, see
   `training/sim_loop.py`; by default `judged`: SFT towards the judgement that
   `training/judgement.py` reads from all the reactions together, from the cold start), gates it
   on held-out feedback and promotes it or not.
3. After each round the promoted adapter and the rubric score the same held-out comments, which
   no training step ever saw: mean absolute difference from the team's judgement, the share the
   team would give 👍 (within 10 points), format validity, which scorer answered, and the mean
   departure from the rubric's score per kind of comment (`training.simulation.shifts`). The spread
   over seeds, the gate's log and the timings go to `<out>/loop_simulation.json`, the chart to
   `<out>/loop_simulation.png`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from benchmarks.simulation.loop import LEARNERS, PARENTS  # noqa: E402
from benchmarks.simulation.people import review_comments, spread  # noqa: E402

EVAL_SEED = 424242
WARMUP_SEED = 1
METRICS = ("mae", "thumbs_up", "validity", "model_answered")
GROUPS = ("tests/security", "bare nit", "other")


def round_rows(seed: int, number: int, per_round: int) -> list[dict[str, Any]]:
    return review_comments(per_round, seed=seed * 1000 + number)


def worker(args: argparse.Namespace) -> None:
    """One seed: its own fake GitHub, the cold start promoted, then the rounds."""
    from benchmarks.simulation.loop import Loop, Plan
    from tests.support.fake_github import FakeGitHub

    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    work = Path(args.work)
    eval_rows = json.loads((work / "eval.json").read_text(encoding="utf-8"))
    plan = Plan(
        base=work / "base", cold_start=work / "cold-start", seed=args.worker,
        rounds=args.rounds, learner=args.learner, grpo_steps=args.grpo_steps,
        parent=args.parent,
    )  # fmt: skip
    fake = FakeGitHub().start()
    try:
        loop = Loop(fake, fake.repo.full_name, plan, work / f"seed-{args.worker}", eval_rows)
        print(f"seed {args.worker}: cold start {loop.start()['adapter']}", flush=True)
        for number in range(1, args.rounds + 1):
            entry = loop.round(number, round_rows(args.worker, number, args.per_round))
            print(
                f"seed {args.worker} round {number}: promoted={entry['gate']['passed']} "
                f"adapter={entry['adapter']} reactions={entry['reactions']} {entry['seconds']}",
                flush=True,
            )
    finally:
        fake.stop()
    (work / f"seed-{args.worker}.json").write_text(json.dumps(loop.log, indent=1), "utf-8")


def cold_start(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Base model, SFT warm-up, and the held-out comments (none seen in any training)."""
    from benchmarks.simulation.model import WARMUP, build_base, warm_up

    started = time.monotonic()
    warm_rows = review_comments(args.warmup_rows, seed=WARMUP_SEED)
    seen = {(r["body"], r["diff_hunk"]) for r in warm_rows}
    for seed in range(args.seeds):
        for number in range(1, args.rounds + 1):
            seen |= {(r["body"], r["diff_hunk"]) for r in round_rows(seed, number, args.per_round)}
    pool = review_comments(2 * args.eval, seed=EVAL_SEED)
    eval_rows = [r for r in pool if (r["body"], r["diff_hunk"]) not in seen][: args.eval]
    (work / "eval.json").write_text(json.dumps(eval_rows), encoding="utf-8")
    build_base(work / "base")
    epochs = f"training.num_train_epochs={args.warmup_epochs}"
    warm_up(work / "base", work / "cold-start", warm_rows, work, (*WARMUP, epochs))
    return {
        "warmup_rows": len(warm_rows),
        "eval_comments": len(eval_rows),
        "seconds": round(time.monotonic() - started, 1),
    }


def run_seeds(args: argparse.Namespace, work: Path) -> dict[int, list[dict[str, Any]]]:
    """Each seed in its own process, `--jobs` at a time, each pinned to a core no other running
    seed has (the least used one when there are more jobs than cores)."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    pending, running = list(range(args.seeds)), []  # running: (seed, process, core)
    while pending or running:
        while pending and len(running) < args.jobs:
            seed = pending.pop(0)
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.loop_simulation",
                "--worker",
                str(seed),
                "--work",
                str(work),
            ]
            cmd += _shared_flags(args)
            env = dict(os.environ)
            core = min(cores, key=lambda c: sum(c == used for *_, used in running))
            if args.jobs > 1:  # one thread each, on a core of its own
                cmd += ["--cpu", str(core)]
                env["OMP_NUM_THREADS"] = "1"
            log = (work / f"seed-{seed}.log").open("w")
            process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
            running.append((seed, process, core))
        time.sleep(2)
        for entry in list(running):
            seed, proc, _ = entry
            if proc.poll() is not None:
                running.remove(entry)
                if proc.returncode:
                    tail = (work / f"seed-{seed}.log").read_text(encoding="utf-8")[-3000:]
                    raise SystemExit(f"seed {seed} failed ({proc.returncode}):\n{tail}")
                print(f"seed {seed} done", flush=True)
    return {
        s: json.loads((work / f"seed-{s}.json").read_text(encoding="utf-8"))
        for s in range(args.seeds)
    }


def _shared_flags(args: argparse.Namespace) -> list[str]:
    return [
        "--rounds", str(args.rounds), "--per-round", str(args.per_round),
        "--learner", args.learner, "--grpo-steps", str(args.grpo_steps),
        "--parent", args.parent,
    ]  # fmt: skip


def summarise(logs: dict[int, list[dict[str, Any]]], rubric: dict[str, float]) -> dict[str, Any]:
    """Per round: the spread over seeds of the promoted adapter's figures, and the gate log."""
    rounds = []
    for number in range(len(next(iter(logs.values())))):
        entries = [log[number] for log in logs.values()]
        rounds.append({
            "round": number,
            "adapter": {m: spread([e["adapter"][m] for e in entries]) for m in METRICS},
            "shifts": {
                g: spread([e["adapter"]["shifts"][g] for e in entries])
                for g in entries[0]["adapter"]["shifts"]
            },
            "promoted": [e["gate"]["passed"] for e in entries],
        })  # fmt: skip
    better = {"mae": lambda a, b: a < b, "thumbs_up": lambda a, b: a > b}
    return {
        "rubric": rubric,
        "rounds": rounds,
        # Beyond the noise: every seed's last promoted adapter is better than the rubric.
        "final": {
            m: {
                "seeds": [log[-1]["adapter"][m] for log in logs.values()],
                "rubric": rubric[m],
                "every_seed_better": all(
                    better[m](log[-1]["adapter"][m], rubric[m]) for log in logs.values()
                ),
            }
            for m in better
        },
        "gate": gate_summary(logs),
        "gate_log": [
            {
                "seed": seed,
                "round": e["round"],
                **e["gate"],
                "candidate_on_eval": e.get("candidate"),
            }
            for seed, log in logs.items()
            for e in log
        ],
    }


def gate_summary(logs: dict[Any, list[dict[str, Any]]]) -> dict[str, Any]:
    """What the gate decided over all seeds, and how its promotions fared on the held-out
    comments: a promotion is "worse on eval" when its MAE against the people is higher than that
    of the adapter it replaced."""
    decided = [(log[i - 1], log[i]) for log in logs.values() for i in range(1, len(log))]
    refused: dict[str, int] = {}
    for _, entry in decided:
        for reason in [] if entry["gate"]["passed"] else entry["gate"]["reasons"]:
            key = re.split(r" fell | \d|:", reason, maxsplit=1)[0]  # what, not by how much
            refused[key] = refused.get(key, 0) + 1
    promoted = [(before, e) for before, e in decided if e["gate"]["passed"]]
    return {
        "candidates": len(decided),
        "promoted": len(promoted),
        "refused": len(decided) - len(promoted),
        "refused_for": refused,
        "promoted_worse_on_eval": sum(
            e["adapter"]["mae"] > before["adapter"]["mae"] for before, e in promoted
        ),
    }


def chart(summary: dict[str, Any], logs: dict[int, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rounds = [r["round"] for r in summary["rounds"]]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, metric, label in (
        (axes[0], "mae", "mean |score - people's judgement| (lower is better)"),
        (axes[1], "thumbs_up", "share within 10 points: a thumbs-up (higher is better)"),
    ):
        for log in logs.values():
            ax.plot(rounds, [e["adapter"][metric] for e in log], color="tab:blue", alpha=0.25)
        mean = [r["adapter"][metric]["mean"] for r in summary["rounds"]]
        ax.plot(rounds, mean, "o-", color="tab:blue", label="learned adapter (mean; seeds thin)")
        ax.axhline(summary["rubric"][metric], color="tab:red", ls="--", label="rubric alone")
        ax.set_xlabel("round (0: after the SFT cold start)")
        ax.set_title(label, fontsize=10)
        ax.set_xticks(rounds)
        ax.legend(fontsize=8)
    fig.suptitle(f"Held-out comments, {len(logs)} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--per-round", type=int, default=256, help="review comments per round")
    p.add_argument("--eval", type=int, default=200, help="held-out comments")
    p.add_argument("--warmup-rows", type=int, default=8000, help="SFT cold-start rows")
    p.add_argument("--warmup-epochs", type=int, default=3, help="SFT cold-start epochs")
    p.add_argument("--learner", default="judged", choices=LEARNERS)
    p.add_argument("--grpo-steps", type=int, default=32, help="GRPO steps per retrain")
    p.add_argument(
        "--parent", default="cold-start", choices=PARENTS,
        help="what each candidate is trained from",
    )  # fmt: skip
    p.add_argument("--jobs", type=int, default=2, help="seeds run at once (one core each)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--work", help="working folder (default: a temporary one)")
    p.add_argument(
        "--resummarise", metavar="JSON",
        help="recompute the summary of a results file from its seeds' logs, rewrite it, print it",
    )  # fmt: skip
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    p.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker is not None:
        worker(args)
        return 0
    if args.resummarise:
        return resummarise(Path(args.resummarise))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="loop-sim-") as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        print("cold start: base model and SFT warm-up ...", flush=True)
        cold = cold_start(args, work)
        logs = run_seeds(args, work)
        from benchmarks.simulation.people import agreement, judgement, shifts
        from review_forge.bot.scoring.rubric import RubricScorer
        from review_forge.bot.scoring.score import Comment

        rows = json.loads((work / "eval.json").read_text(encoding="utf-8"))
        comments = [Comment(r["body"], r["diff_hunk"], r["path"]) for r in rows]
        judged = [judgement(c) for c in comments]
        rubric = agreement(RubricScorer().score_many(comments), judged)
        summary = summarise(logs, rubric.__dict__)
        summary["team_shifts"] = shifts(comments, judged)
    minutes = round((time.monotonic() - started) / 60, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/loop_simulation.py " + " ".join(argv or sys.argv[1:])
    settings = {k: v for k, v in vars(args).items() if k not in ("worker", "cpu", "work")}
    result = {"command": command.strip(), "minutes": minutes, "cpus": os.cpu_count(),
              "settings": settings, "cold_start": cold, **summary, "seeds": logs}  # fmt: skip
    (out / "loop_simulation.json").write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    chart(summary, logs, out / "loop_simulation.png")
    print(table(result))
    return 0


def resummarise(path: Path) -> int:
    """Summarise a results file again from the per-seed logs it keeps (no rerun)."""
    result = json.loads(path.read_text(encoding="utf-8"))
    summary = summarise({int(s): log for s, log in result["seeds"].items()}, result["rubric"])
    stale = ("final_margin", "final_margin_beyond_noise")  # written by earlier versions
    result = {k: v for k, v in result.items() if k not in stale} | summary
    path.write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    print(table(result))
    return 0


def table(result: dict[str, Any]) -> str:
    """The figures as the README shows them: per round, mean ± sd over seeds, and the rubric."""
    rubric = result["rubric"]
    lines = [
        "| round | MAE vs people | 👍 rate | format validity | model answered | promoted | "
        + " | ".join(f"shift: {g}" for g in GROUPS)
        + " |",
        "|---|---|---|---|---|---|" + "---|" * len(GROUPS),
    ]
    for r in result["rounds"]:
        a, s = r["adapter"], r["shifts"]
        lines.append(
            f"| {r['round']} | {a['mae']['mean']:.1f} ± {a['mae']['sd']:.1f} | "
            f"{a['thumbs_up']['mean']:.0%} ± {a['thumbs_up']['sd']:.0%} | "
            f"{a['validity']['mean']:.0%} | {a['model_answered']['mean']:.0%} | "
            f"{sum(r['promoted'])}/{len(r['promoted'])} | "
            + " | ".join(f"{s[g]['mean']:+.1f}" if g in s else "-" for g in GROUPS)
            + " |"
        )
    team = result["team_shifts"]
    lines.append(
        f"| rubric alone | {rubric['mae']:.1f} | {rubric['thumbs_up']:.0%} | 100% | 0% | - | "
        + " | ".join("+0.0" for _ in GROUPS)
        + " |"
    )
    lines.append(
        "| the people | 0 | 100% | | | | "
        + " | ".join(f"{team[g]:+.1f}" if g in team else "-" for g in GROUPS)
        + " |"
    )
    lines.append("")
    for metric, final in result["final"].items():
        seeds = ", ".join(f"{v:.3g}" for v in final["seeds"])
        verdict = "every seed better" if final["every_seed_better"] else "not every seed better"
        lines.append(
            f"last round, {metric}: seeds {seeds}; rubric {final['rubric']:.3g}: {verdict}"
        )
    gate = result["gate"]
    lines.append(
        f"gate: {gate['candidates']} candidates, {gate['promoted']} promoted, {gate['refused']} "
        f"refused {gate['refused_for']}; {gate['promoted_worse_on_eval']} promotions had a higher "
        "MAE on the held-out comments than the adapter they replaced"
    )
    lines.append(f"\n{result['minutes']} minutes; `{result['command']}`")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
