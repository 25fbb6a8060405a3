"""Does the loop learn? Simulated people who disagree with the rubric, rounds of the whole loop.

    python -m benchmarks.loop_simulation                         # the README's default run
    python -m benchmarks.loop_simulation --people benchmarks/teams/critics.py --out /tmp/critics
    python -m benchmarks.loop_simulation --per-round 60 --react-scale 0.15 --rounds 20  # a week
    python -m benchmarks.loop_simulation --seeds 1 --rounds 2 --per-round 48 --eval 32 \\
        --warmup-rows 400 --out /tmp/loop                         # a smoke run

1. Once: a random 4-layer Llama (`benchmarks/simulation/model.py`) taught the task by SFT on
   synthetic rubric-labelled answers, merged into its weights: the stand-in for a pretrained chat
   model (no weights can be downloaded here). Held-out comments that no round posts.
2. Per seed, in its own process and on its own fake GitHub: each round (a week) a pull request
   gets a review of `--per-round` fresh synthetic comments; the Action scores them with the
   adapter promoted to the data branch (the rubric until there is one) and replies; the team
   (`--people FILE`, default `benchmarks/teams/default.py`) reacts through the REST API;
   `collect` writes the reactions to the data branch; `review-forge retrain`'s own code trains a
   candidate from them, gates it on held-out feedback and promotes it or not.
3. After each round the promoted scorer and the rubric score the same held-out comments: mean
   absolute difference from the team's judgement, the share the team would give 👍 (within 10
   points), format validity, which scorer answered, and the departure from the rubric's score
   per kind of comment. The spread over seeds, the gate's log and the timings go to
   `<out>/loop_simulation.json`, the chart to `<out>/loop_simulation.png`.
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

from benchmarks.simulation.people import load_team, review_comments, spread

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PEOPLE = ROOT / "benchmarks" / "teams" / "default.py"
EVAL_SEED = 424242
WARMUP_SEED = 1
METRICS = ("mae", "thumbs_up", "validity", "model_answered")
GROUPS = ("tests/security", "bare nit", "other")


def round_rows(seed: int, number: int, per_round: int) -> list[dict[str, Any]]:
    return review_comments(per_round, seed=seed * 1000 + number)


def worker(args: argparse.Namespace) -> None:
    """One seed: its own fake GitHub, then the rounds."""
    from benchmarks.simulation.loop import Loop, Plan
    from tests.support.fake_github import FakeGitHub

    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    work = Path(args.work)
    eval_rows = json.loads((work / "eval.json").read_text(encoding="utf-8"))
    plan = Plan(
        base=work / "base", seed=args.worker, team=load_team(args.people),
        react_scale=args.react_scale, grpo_steps=args.grpo_steps,
    )  # fmt: skip
    fake = FakeGitHub().start()
    try:
        loop = Loop(fake, fake.repo.full_name, plan, work / f"seed-{args.worker}", eval_rows)
        print(f"seed {args.worker}: rubric {loop.start()['adapter']}", flush=True)
        for number in range(1, args.rounds + 1):
            entry = loop.round(number, round_rows(args.worker, number, args.per_round))
            print(
                f"seed {args.worker} round {number}: promoted={entry['gate']['passed']} "
                f"adapter={entry['adapter']} reactions={entry['reactions']} {entry['seconds']}",
                flush=True,
            )
            # after every week, so that a run stopped for time keeps the weeks it finished
            (work / f"seed-{args.worker}.json").write_text(json.dumps(loop.log, indent=1), "utf-8")
    finally:
        fake.stop()


def build_base(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The base model (random, taught the task, merged) and the held-out comments."""
    from benchmarks.simulation.model import WARMUP, build_base, merge, warm_up

    started = time.monotonic()
    warm_rows = review_comments(args.warmup_rows, seed=WARMUP_SEED)
    seen = {(r["body"], r["diff_hunk"]) for r in warm_rows}
    for seed in range(args.seeds):
        for number in range(1, args.rounds + 1):
            seen |= {(r["body"], r["diff_hunk"]) for r in round_rows(seed, number, args.per_round)}
    pool = review_comments(2 * args.eval, seed=EVAL_SEED)
    eval_rows = [r for r in pool if (r["body"], r["diff_hunk"]) not in seen][: args.eval]
    (work / "eval.json").write_text(json.dumps(eval_rows), encoding="utf-8")
    if args.base:  # a base built by an earlier run, reused
        (work / "base").symlink_to(Path(args.base).resolve())
    else:
        build_base(work / "random")
        epochs = f"training.num_train_epochs={args.warmup_epochs}"
        taught = warm_up(work / "random", work / "taught", warm_rows, work, (*WARMUP, epochs))
        merge(work / "random", taught, work / "base")
    built = {"reused": str(args.base)} if args.base else {"warmup_rows": len(warm_rows)}
    return {
        **built,
        "eval_comments": len(eval_rows),
        "seconds": round(time.monotonic() - started, 1),
        **copies_rubric(work / "base", eval_rows),
    }


def copies_rubric(base: Path, rows: list[dict[str, Any]]) -> dict[str, float]:
    """How closely the base, before any adapter, answers the rubric's score on the held-out
    comments: its prompt carries the rubric's first pass (`prompt.first_pass`), and an untaught
    learner starts from copying it."""
    from review_forge.bot.scoring.model import load
    from review_forge.bot.scoring.rubric import score_comment
    from review_forge.bot.scoring.score import Comment

    comments = [Comment(r["body"], r["diff_hunk"], r.get("path")) for r in rows]
    scores = load(str(base)).score_many(comments)
    answered = [(s, c) for s, c in zip(scores, comments, strict=True) if s.scorer == "model"]
    errors = [abs(s.score - score_comment(c).score) for s, c in answered]
    return {
        "base_answered": round(len(answered) / len(comments), 3),
        "base_mae_vs_rubric": round(sum(errors) / len(errors), 2) if errors else float("nan"),
    }


def run_seeds(args: argparse.Namespace, work: Path) -> dict[int, list[dict[str, Any]]]:
    """Each seed in its own process, `--jobs` at a time, each pinned to a core no other running
    seed has (the least used one when there are more jobs than cores)."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    pending, running = list(range(args.seeds)), []  # running: (seed, process, core)
    while pending or running:
        while pending and len(running) < args.jobs:
            seed = pending.pop(0)
            cmd = [sys.executable, "-m", "benchmarks.loop_simulation", "--worker", str(seed)]
            cmd += ["--work", str(work), *_shared_flags(args)]
            env = dict(os.environ)
            core = min(cores, key=lambda c: sum(c == used for *_, used in running))
            if args.jobs > 1:  # one thread each, on a core of its own
                cmd += ["--cpu", str(core)]
                env["OMP_NUM_THREADS"] = "1"
            log = (work / f"seed-{seed}.log").open("w")
            process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
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
    steps = [] if args.grpo_steps is None else ["--grpo-steps", str(args.grpo_steps)]
    return [
        "--rounds", str(args.rounds), "--per-round", str(args.per_round), *steps,
        "--people", str(args.people), "--react-scale", str(args.react_scale),
    ]  # fmt: skip


def summarise(logs: dict[int, list[dict[str, Any]]], rubric: dict[str, float]) -> dict[str, Any]:
    """Per round: the spread over seeds of the promoted scorer's figures, and the gate log."""
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
    last = [log[-1]["adapter"] for log in logs.values()]
    mae = spread([a["mae"] for a in last])
    return {
        "rubric": rubric,
        "rounds": rounds,
        "final": {
            "mae": {
                "seeds": [a["mae"] for a in last],
                "rubric": rubric["mae"],
                # below the rubric by more than 2 standard deviations over seeds
                "beyond_noise": rubric["mae"] - mae["mean"] > 2 * mae["sd"],
            },
            "thumbs_up": {
                "seeds": [a["thumbs_up"] for a in last],
                "rubric": rubric["thumbs_up"],
                "every_seed_better": all(a["thumbs_up"] > rubric["thumbs_up"] for a in last),
            },
        },
        "first_better_round": [_first_better(log, rubric) for log in logs.values()],
        "gate": gate_summary(logs),
        "gate_log": [
            {
                "seed": seed,
                "round": e["round"],
                **e["gate"],
                "candidate_on_eval": e.get("candidate"),
            }
            for seed, log in logs.items()
            for e in log[1:]
        ],
    }


def _first_better(log: list[dict[str, Any]], rubric: dict[str, float]) -> int | None:
    """The first round after which the promoted scorer's MAE is below the rubric's for good."""
    better = [e["adapter"]["model_answered"] > 0 and e["adapter"]["mae"] < rubric["mae"]
              for e in log]  # fmt: skip
    for number in range(len(log)):
        if all(better[number:]):
            return number
    return None


def gate_summary(logs: dict[Any, list[dict[str, Any]]]) -> dict[str, Any]:
    """What the gate decided over all seeds, and how its promotions fared on the held-out
    comments: a promotion "raised the MAE" when its MAE against the people is more than 0.5
    points above that of the best scorer promoted before it (the rubric counts as promoted)."""
    refused: dict[str, int] = {}
    candidates = promoted = raised = 0
    for log in logs.values():
        best = log[0]["adapter"]["mae"]
        for entry in log[1:]:
            gate = entry["gate"]
            candidates += 1
            if gate["passed"]:
                promoted += 1
                raised += entry["adapter"]["mae"] > best + 0.5
                best = min(best, entry["adapter"]["mae"])
                continue
            for reason in gate["reasons"]:
                key = re.split(r" \d| from | beyond|:|\(", reason, maxsplit=1)[0].strip()
                key = re.sub(r" [0-9a-f]{12}$", "", key)  # the promoted adapter's revision
                refused[key] = refused.get(key, 0) + 1
    return {"candidates": candidates, "promoted": promoted, "refused": candidates - promoted,
            "refused_for": refused, "promotions_raising_mae_over_best": raised}  # fmt: skip


def chart(summary: dict[str, Any], logs: dict[int, list[dict]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rounds = [r["round"] for r in summary["rounds"]]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, metric, label in (
        (axes[0], "mae", "mean |score - people's judgement| (lower is better)"),
        (axes[1], "thumbs_up", "share within 10 points: a thumbs-up (higher is better)"),
    ):
        for n, log in enumerate(logs.values()):
            ax.plot(rounds, [e["adapter"][metric] for e in log], color="tab:blue", alpha=0.25)
            tried = [(e["round"], e["candidate"][metric]) for e in log if e.get("candidate")]
            if tried:  # every trained candidate, promoted or refused by the gate
                ax.scatter(*zip(*tried, strict=True), marker="x", color="grey", s=18,
                           label="candidates (promoted or not)" if n == 0 else None)  # fmt: skip
        mean = [r["adapter"][metric]["mean"] for r in summary["rounds"]]
        ax.plot(rounds, mean, "o-", color="tab:blue", label="promoted scorer (mean; seeds thin)")
        ax.axhline(summary["rubric"][metric], color="tab:red", ls="--", label="rubric alone")
        ax.set_xlabel("round (a week of reviews)")
        ax.set_title(label, fontsize=10)
        ax.set_xticks(rounds)
        ax.legend(fontsize=8)
    fig.suptitle(f"{title}: held-out comments, {len(logs)} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--per-round", type=int, default=256, help="review comments per round")
    p.add_argument("--people", default=str(DEFAULT_PEOPLE), help="the team's Python file")
    p.add_argument(
        "--react-scale", type=float, default=1.0,
        help="multiply every person's chance of reacting (0.15: about a third of replies)",
    )  # fmt: skip
    p.add_argument("--eval", type=int, default=200, help="held-out comments")
    p.add_argument("--warmup-rows", type=int, default=3000, help="rows that teach the base")
    p.add_argument("--warmup-epochs", type=int, default=2, help="epochs that teach the base")
    p.add_argument("--base", help="reuse the base model folder an earlier run built")
    p.add_argument(
        "--grpo-steps", type=int,
        help="GRPO steps per retrain (default: the product's, the GRPO recipe's max_steps)",
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
    from review_forge.bot.settings import disable_telemetry

    disable_telemetry()
    team = load_team(args.people)  # a bad file fails here, before anything is built
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="loop-sim-") as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        print("base model ...", flush=True)
        base = build_base(args, work)
        logs = run_seeds(args, work)
        from benchmarks.simulation.people import agreement, shifts
        from review_forge.bot.scoring.rubric import RubricScorer
        from review_forge.bot.scoring.score import Comment

        rows = json.loads((work / "eval.json").read_text(encoding="utf-8"))
        comments = [Comment(r["body"], r["diff_hunk"], r["path"]) for r in rows]
        judged = [team.judgement(c) for c in comments]
        rubric = agreement(RubricScorer().score_many(comments), judged)
        summary = summarise(logs, rubric.__dict__)
        summary["team_shifts"] = shifts(comments, judged)
    minutes = round((time.monotonic() - started) / 60, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.loop_simulation " + " ".join(argv or sys.argv[1:])
    settings = {k: v for k, v in vars(args).items() if k not in ("worker", "cpu", "work")}
    result = {"command": command.strip(), "minutes": minutes, "cpus": os.cpu_count(),
              "settings": settings, "base": base, **summary, "seeds": logs}  # fmt: skip
    (out / "loop_simulation.json").write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    chart(summary, logs, out / "loop_simulation.png", team.name)
    print(table(result))
    return 0


def resummarise(path: Path) -> int:
    """Summarise a results file again from the per-seed logs it keeps (no rerun)."""
    result = json.loads(path.read_text(encoding="utf-8"))
    summary = summarise({int(s): log for s, log in result["seeds"].items()}, result["rubric"])
    result |= summary
    path.write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    name = Path(result["settings"]["people"]).stem
    chart(
        summary, {int(s): log for s, log in result["seeds"].items()}, path.with_suffix(".png"), name
    )
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
    final = result["final"]
    lines += [
        "",
        f"last round, MAE: seeds {final['mae']['seeds']}; rubric {final['mae']['rubric']:.3g}; "
        f"below the rubric by more than 2 sd over seeds: {final['mae']['beyond_noise']}",
        f"last round, 👍 share: seeds {final['thumbs_up']['seeds']}; rubric "
        f"{final['thumbs_up']['rubric']:.3g}; every seed above: "
        f"{final['thumbs_up']['every_seed_better']}",
        f"first round from which the promoted scorer's MAE stays below the rubric's, per seed: "
        f"{result['first_better_round']}",
    ]
    gate = result["gate"]
    lines.append(
        f"gate: {gate['candidates']} retrains, {gate['promoted']} promoted, {gate['refused']} "
        f"not {gate['refused_for']}; {gate['promotions_raising_mae_over_best']} promotions raised "
        "the MAE against the people more than 0.5 above the best promoted before"
    )
    lines.append(f"\n{result['minutes']} minutes; `{result['command']}`")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
