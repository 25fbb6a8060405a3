"""Retrain the scorer's adapter from people's reactions, and promote it only when it is better.

    review-forge retrain                       # what .github/workflows/retrain.yml runs
    review-forge retrain --max-steps 50 --dry-run --output out/

1. Read the data branch: every feedback snapshot, the newest per reply, split into training and
   held-out replies by a hash of the reply id (`training/dataset.py`). The training side's 👍/👎,
   pooled, say where the people's score for each comment lies (`training/judgement.py`): those
   judgements are the targets. Synthetic rows join them (all there is before the first 👍/👎).
2. Download the promoted adapter from `adapter/` (verified against its manifest), if any.
3. Train a candidate, continuing the promoted adapter: an SFT stage towards the targets (before a
   first adapter, and whenever there are judged targets; `--warmup`), then GRPO through Oumi with
   the seed's structural reward and a reward for being near the target.
4. Judge it with the gate (`bot/gate.py`) on the held-out replies against the rubric and the
   promoted adapter, by the error against the people's judgement read from the held-out
   reactions alone: better than both beyond noise, and not below the best gain so far (kept in
   the manifest) by more than a tolerance. Too few held-out reactions: the current scorer stays,
   and the report says how many more are needed.
5. Promoted: commit `adapter/` (weights, config, manifest with base model, data hash, metrics,
   the best gain so far and the parent revision) and `reports/<date>-<run-id>.json|.md`. Not
   promoted: commit only the report, which says why. `--dry-run` commits nothing. The report is
   also the job summary.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from github import Github, GithubException

from review_forge.bot.adapter import adapter_revision, read_manifest
from review_forge.bot.errors import ConfigError, GitHubError, InputError
from review_forge.bot.gate import (
    Rules,
    decide,
    score_and_measure,
    table,
    too_few,
)
from review_forge.bot.github import runner
from review_forge.bot.github.adapter_store import StoredAdapter, fetch_adapter
from review_forge.bot.github.client import call_with_retries, connect
from review_forge.bot.github.data_branch import DataStore
from review_forge.bot.heldout import load_heldout
from review_forge.bot.scoring.rubric import RubricScorer
from review_forge.bot.settings import Config, load_config
from review_forge.training import promote
from review_forge.training.dataset import RetrainData, prepare
from review_forge.training.promote import best_gain
from review_forge.training.report import RetrainReport

RULES = Rules()


@dataclass(frozen=True)
class Options:
    base_model: str | None = None
    max_steps: int | None = None
    warmup: str = "auto"  # auto: before a first adapter and whenever there are judged targets
    warmup_steps: int | None = None
    synthetic: int = 96
    heldout_synthetic: int = 16
    min_validity: float = RULES.min_validity
    min_heldout: int = RULES.min_replies
    candidate: str | None = None  # evaluate (and promote) this adapter instead of training one
    overrides: tuple[str, ...] = ()  # the GRPO recipe's fields
    sft_overrides: tuple[str, ...] = ()  # the SFT recipe's fields
    dry_run: bool = False
    output: str | None = None


def retrain(config: Config, options: Options, gh: Github) -> RetrainReport:
    """Run one retrain; return the report (also committed, written and summarised)."""
    if not config.repository:
        raise ConfigError("no repository: set GITHUB_REPOSITORY or --repository OWNER/NAME")
    try:
        repo = call_with_retries(lambda: gh.get_repo(config.repository), what="reading the repo")
    except GithubException as exc:
        raise GitHubError(f"reading {config.repository}: GitHub answered {exc.status}") from None
    store = DataStore(repo, config.data_branch)
    tip = store.tip()
    records = store.read_feedback() if tip else []
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="review-forge-retrain-") as tmp:
        work = Path(tmp)
        data = prepare(records, work / "data", options.synthetic, options.heldout_synthetic)
        current = fetch_adapter(store, work / "current") if tip else None
        base = options.base_model or config.base_model
        if current is not None and not options.base_model:
            base = str(current.manifest.get("base_model") or base)
        candidate = Path(options.candidate) if options.candidate else None
        short = too_few(data.counts["heldout_replies_with_votes"], _rules(options))
        if candidate is None and short:  # nothing could pass the gate: spare the runner's hours
            report = _not_trained(short, current)
        else:
            candidate = candidate or _train(data, work, base, current, options)
            report = _evaluate(data, base, candidate, current, options, work)
        report.update(
            run_id=config.run_id, created_at=now.isoformat(), data_branch=config.data_branch,
            data_commit=tip, base_model=base, data=data.counts, bootstrap=data.bootstrap,
            dry_run=options.dry_run,
        )  # fmt: skip
        if candidate is not None:
            report["candidate"].update(_training_facts(candidate, options))
        files = promote.report_files(store, report, now, config.run_id)
        if report["gate"]["passed"]:
            files |= promote.adapter_files(candidate, report, current)
        if not options.dry_run:
            promote.commit(store, files, report, current)
        if options.output and candidate is not None:
            promote.keep(Path(options.output), candidate, files, data.heldout_file)
    markdown = files[report["report_path"] + ".md"].decode("utf-8")
    runner.append_summary(config.step_summary, markdown)
    return report


def _train(
    data: RetrainData, work: Path, base: str, current: StoredAdapter | None, options: Options
) -> Path:
    from review_forge.training.grpo_trainer import train  # Oumi and torch: only when training

    parent = current.folder if current is not None else None
    targets = data.counts["judged_rows"] > 0
    if options.warmup == "always" or (options.warmup == "auto" and (parent is None or targets)):
        # SFT towards the targets first: a base model does not write the score format at all,
        # and imitating the judged completions moves the scores the way the reactions point
        # much faster than GRPO's sampled groups can on a CPU.
        parent = train(
            data.train_files, work / "sft", base_model=base, parent=parent,
            max_steps=options.warmup_steps, sft_warmup=True, overrides=options.sft_overrides,
        )  # fmt: skip
    return train(
        data.train_files, work / "candidate", base_model=base, parent=parent,
        max_steps=options.max_steps, overrides=options.overrides,
    )  # fmt: skip


def _evaluate(
    data: RetrainData, base: str, candidate: Path, current: StoredAdapter | None,
    options: Options, work: Path,
) -> RetrainReport:  # fmt: skip
    from review_forge.bot.scoring.model import load  # torch: only when evaluating
    from review_forge.training.weights import evaluation_base

    rows = load_heldout(data.heldout_file)
    revision = adapter_revision(candidate)
    base = evaluation_base(base, work)
    cand = score_and_measure(f"candidate {revision}", load(base, str(candidate)), rows)
    rubric = score_and_measure("rubric", RubricScorer(), rows)
    promoted, best = None, None
    if current is not None:
        model = load(base, str(current.folder))
        promoted = score_and_measure(f"promoted {current.revision}", model, rows)
        best = best_gain(current.manifest, cand.unit)
    decision = decide(cand, rubric, promoted, best, _rules(options))
    measures = [m for m in (cand, rubric, promoted) if m is not None]
    print(table(measures, decision))
    rule = (
        f"Compared on held-out feedback with the rubric and the promoted adapter "
        f"`{current.revision}`"
        if current is not None
        else "First adapter: compared on held-out feedback with the rubric"
    )
    return {
        "schema": 2,
        "candidate": {"revision": revision},
        "current": None if current is None else {"revision": current.revision},
        "evaluation": {
            "measures": [
                {
                    "scorer": m.scorer,
                    "error": m.mae,
                    "validity": m.validity,
                    "synthetic_mae": m.synthetic_mae,
                    "replies": len(m.errors),
                    "unit": m.unit,
                }
                for m in measures
            ],
        },
        "gate": {**decision.to_dict(), "rule": rule, "best_gain": best},
    }


def _rules(options: Options) -> Rules:
    return Rules(min_replies=options.min_heldout, min_validity=options.min_validity)


def _not_trained(reason: str, current: StoredAdapter | None) -> RetrainReport:
    """The report of a run that trained nothing: the current scorer stays, and why."""
    return {
        "schema": 2,
        "candidate": {"revision": None, "source": "not trained"},
        "current": None if current is None else {"revision": current.revision},
        "evaluation": {"measures": []},
        "gate": {"passed": False, "reasons": [reason], "gains": {}, "gain_over_rubric": None,
                 "rule": "Not trained: too few held-out reactions to judge a candidate",
                 "best_gain": None},
    }  # fmt: skip


def _training_facts(candidate: Path, options: Options) -> dict[str, Any]:
    manifest = read_manifest(candidate)
    return {
        "source": "given" if options.candidate else "trained",
        "kind": manifest.get("kind"),
        "reward_curve": manifest.get("reward_curve"),
        "training": manifest.get("training"),
    }


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repository", help="OWNER/NAME (default: $GITHUB_REPOSITORY)")
    p.add_argument("--data-branch", help="branch with feedback and adapters (review-forge-data)")
    p.add_argument("--base-model", help="base model (default: the promoted adapter's, or config)")
    p.add_argument("--max-steps", type=_positive, help="stop GRPO after this many steps")
    p.add_argument(
        "--warmup", choices=("auto", "always", "never"), default="auto",
        help="SFT towards the targets before GRPO; auto: before a first adapter and whenever "
        "there are targets from reactions",
    )  # fmt: skip
    p.add_argument(
        "--warmup-steps", type=_positive, help="stop the SFT stage after this many steps"
    )
    p.add_argument("--synthetic", type=_count, default=96, help="synthetic training rows (96)")
    p.add_argument("--heldout-synthetic", type=_count, default=16, help="held-out ones (16)")
    p.add_argument(
        "--min-validity", type=_share, default=RULES.min_validity,
        help=f"format validity a first adapter needs ({RULES.min_validity})",
    )  # fmt: skip
    p.add_argument(
        "--min-heldout", type=_count, default=RULES.min_replies,
        help=f"held-out replies with reactions the gate needs ({RULES.min_replies})",
    )  # fmt: skip
    p.add_argument(
        "--candidate", metavar="ADAPTER_DIR",
        help="evaluate and promote this adapter instead of training one",
    )  # fmt: skip
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a field of the GRPO recipe (Oumi's dotted names)",
    )  # fmt: skip
    p.add_argument(
        "--sft-set", action="append", default=[], metavar="KEY=VALUE",
        help="override a field of the SFT recipe",
    )  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="train and evaluate, commit nothing")
    p.add_argument("--output", metavar="DIR", help="also keep the candidate and the report here")
    p.add_argument("--config", help="the YAML settings file (default: .review-forge.yml)")


def run(args: argparse.Namespace) -> int:
    """`review-forge retrain`: what the retrain workflow runs."""
    if args.candidate and not Path(args.candidate).is_dir():
        raise InputError(f"candidate adapter folder {args.candidate} not found")
    overrides = {"repository": args.repository, "data_branch": args.data_branch}
    config = load_config(overrides, config_path=args.config)
    options = Options(
        base_model=args.base_model, max_steps=args.max_steps, warmup=args.warmup,
        warmup_steps=args.warmup_steps, synthetic=args.synthetic,
        heldout_synthetic=args.heldout_synthetic, min_validity=args.min_validity,
        min_heldout=args.min_heldout, candidate=args.candidate, overrides=tuple(args.set),
        sft_overrides=tuple(args.sft_set), dry_run=args.dry_run, output=args.output,
    )  # fmt: skip
    report = retrain(config, options, connect(config))
    revision = report["candidate"]["revision"]
    if report["gate"]["passed"]:
        done = "passed the gate (dry run: not committed)" if options.dry_run else "promoted"
        print(f"review-forge: adapter {revision} {done}; report {report['report_path']}.md")
    else:
        why = "; ".join(report["gate"]["reasons"])
        print(runner.command("notice", f"review-forge: candidate {revision} not promoted: {why}"))
    return 0
