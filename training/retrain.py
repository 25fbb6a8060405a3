"""Retrain the scorer's adapter from the data branch, and promote it only when it is not worse.

    review-forge retrain                       # what .github/workflows/retrain.yml runs
    review-forge retrain --max-steps 50 --dry-run --output out/

1. Read the data branch: every feedback snapshot, the newest per reply, split into training and
   held-out replies by a hash of the reply id (`training/retrain_data.py`), plus synthetic rows
   (all there is before the first 👍/👎: the bootstrap).
2. Download the promoted adapter from `adapter/` (verified against its manifest), if there is one.
3. Train a candidate with the GRPO trainer, continuing the promoted adapter. The first adapter
   starts with the SFT warm-up (`--warmup`), or GRPO would get no signal from a base model that
   does not write the score format.
4. Evaluate with `bot.evaluate` on held-out feedback and synthetic targets (the gate of
   `review-forge eval --gate`) against the promoted adapter. With none yet, against the base
   model without an adapter, judged on the model's own answers (see `first_adapter_reasons`).
5. Not worse: commit `adapter/` (weights, config, manifest with base model, data hash, metrics and
   parent revision) and `reports/<date>-<run-id>.json|.md`. Worse: commit only the report, which
   says why. `--dry-run` commits nothing. The report is also the job summary.

Configuration comes from `bot.config` (GITHUB_TOKEN, GITHUB_REPOSITORY, `.review-forge.yml`).
No telemetry: the entry point (`review-forge`) sets DO_NOT_TRACK=1 and HF_HUB_DISABLE_TELEMETRY=1.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from github import Github, GithubException

from review_forge.bot.adapter import adapter_revision
from review_forge.bot.errors import ConfigError, GitHubError, InputError
from review_forge.bot.gate import Report, compare, gate, load_heldout, table
from review_forge.bot.github import runner
from review_forge.bot.github.adapter_store import StoredAdapter, fetch_adapter
from review_forge.bot.github.client import call_with_retries, connect
from review_forge.bot.github.data_branch import DataStore
from review_forge.bot.settings import Config, load_config
from review_forge.training import promote
from review_forge.training.dataset import RetrainData, prepare
from review_forge.training.manifest import read_manifest

FIRST_MIN_VALIDITY = 0.8


@dataclass(frozen=True)
class Options:
    base_model: str | None = None
    max_steps: int | None = None
    warmup: str = "auto"  # auto: before the first adapter only; always; never
    warmup_steps: int | None = None
    synthetic: int = 96
    heldout_synthetic: int = 32
    min_validity: float = FIRST_MIN_VALIDITY
    candidate: str | None = None  # evaluate (and promote) this adapter instead of training one
    overrides: tuple[str, ...] = ()
    dry_run: bool = False
    output: str | None = None


def own_mae(scores: Sequence[dict[str, Any]], side: str) -> float | None:
    """MAE against targets over the rows where `side`'s answer parsed (no rubric stand-in).

    >>> rows = [{"target": 50, "candidate": 60, "candidate_parsed": True},
    ...         {"target": 50, "candidate": 50, "candidate_parsed": False}]
    >>> own_mae(rows, "candidate")
    10.0
    """
    errors = [
        abs(s[side] - s["target"])
        for s in scores
        if s["target"] is not None and s[f"{side}_parsed"]
    ]
    return round(sum(errors) / len(errors), 3) if errors else None


def first_adapter_reasons(report: Report, min_validity: float) -> list[str]:
    """Why a first adapter may not replace the rubric; empty when it may.

    The rubric wrote the synthetic targets, so on them it cannot be beaten and is no yardstick;
    it stays the per-comment fallback either way. The first adapter must instead (1) write the
    format on at least `min_validity` of the held-out comments, and (2) pass the usual gate
    against its own base model without an adapter, with MAE taken over each model's own
    answers: counting the rubric's stand-in scores would credit a base that never parses.
    """
    reasons = []
    validity = report.candidate.format_validity
    if validity < min_validity:
        reasons.append(
            f"format validity {validity:.1%} is below the {min_validity:.1%} a first adapter "
            "needs (the rubric would score the rest)"
        )
    mine = replace(report.candidate, mae=own_mae(report.scores, "candidate"))
    base = replace(report.current, mae=own_mae(report.scores, "current"))
    return reasons + gate(mine, base, report.tolerances)


def retrain(config: Config, options: Options, gh: Github) -> dict[str, Any]:
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
        if candidate is None:
            candidate = _train(data, work, base, current, options)
        report = _evaluate(data, base, candidate, current, options)
        report.update(
            run_id=config.run_id, created_at=now.isoformat(), data_branch=config.data_branch,
            data_commit=tip, base_model=base, data=data.counts, bootstrap=data.bootstrap,
            dry_run=options.dry_run,
        )  # fmt: skip
        report["candidate"].update(_training_facts(candidate, options))
        files = promote.report_files(store, report, now, config.run_id)
        if report["gate"]["passed"]:
            files |= promote.adapter_files(candidate, report, current)
        if not options.dry_run:
            promote.commit(store, files, report, current)
        if options.output:
            promote.keep(Path(options.output), candidate, files)
    markdown = files[report["report_path"] + ".md"].decode("utf-8")
    runner.append_summary(config.step_summary, markdown)
    return report


def _train(
    data: RetrainData, work: Path, base: str, current: StoredAdapter | None, options: Options
) -> Path:
    from review_forge.training.grpo_trainer import train  # Oumi and torch: only when training

    parent = current.folder if current is not None else None
    if options.warmup == "always" or (options.warmup == "auto" and parent is None):
        parent = train(
            data.train_files, work / "warmup", base_model=base, parent=parent,
            max_steps=options.warmup_steps, sft_warmup=True,
        )  # fmt: skip
    return train(
        data.train_files, work / "candidate", base_model=base, parent=parent,
        max_steps=options.max_steps, overrides=options.overrides,
    )  # fmt: skip


def _evaluate(
    data: RetrainData, base: str, candidate: Path, current: StoredAdapter | None, options: Options
) -> dict[str, Any]:
    from review_forge.bot.scoring.model import load  # torch: only when evaluating

    rows = load_heldout(data.heldout_file)
    revision = adapter_revision(candidate)
    if current is not None:
        reference = (f"current adapter {current.revision}", load(base, str(current.folder)))
        rule = f"Compared with the promoted adapter `{current.revision}` (the eval gate)"
    else:
        reference = ("base model without adapter", load(base, None))
        rule = (
            "First adapter: compared with the base model without an adapter on the model's own "
            f"answers, and at least {options.min_validity:.0%} format validity"
        )
    counts = data.counts
    label = f"{counts['synthetic_heldout']} synthetic rows + {counts['heldout_replies']} replies"
    evaluation = compare(
        label, rows, (f"adapter {revision}", load(base, str(candidate))), reference
    )
    own = None
    if current is None:
        evaluation.reasons = first_adapter_reasons(evaluation, options.min_validity)
        own = {side: own_mae(evaluation.scores, side) for side in ("candidate", "current")}
    print(table(evaluation))
    gate_facts = {
        "passed": evaluation.passed,
        "reasons": evaluation.reasons,
        "rule": rule,
        "own_mae": own,
        "min_validity": None if current else options.min_validity,
    }
    return {
        "schema": 1,
        "candidate": {"revision": revision},
        "current": None if current is None else {"revision": current.revision},
        "evaluation": evaluation.to_dict(),
        "gate": gate_facts,
    }


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
        help="SFT warm-up first; auto: only before the first adapter",
    )  # fmt: skip
    p.add_argument("--warmup-steps", type=_positive, help="stop the warm-up after this many steps")
    p.add_argument("--synthetic", type=_count, default=96, help="synthetic training rows (96)")
    p.add_argument("--heldout-synthetic", type=_count, default=32, help="held-out ones (32)")
    p.add_argument(
        "--min-validity", type=_share, default=FIRST_MIN_VALIDITY,
        help=f"format validity a first adapter needs ({FIRST_MIN_VALIDITY})",
    )  # fmt: skip
    p.add_argument(
        "--candidate", metavar="ADAPTER_DIR",
        help="evaluate and promote this adapter instead of training one",
    )  # fmt: skip
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a field of the GRPO recipe (Oumi's dotted names)",
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
        candidate=args.candidate, overrides=tuple(args.set), dry_run=args.dry_run,
        output=args.output,
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
