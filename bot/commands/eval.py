"""`review-forge eval`: compare a candidate scorer with the current one on a held-out set.

review-forge eval --data heldout.jsonl --candidate out/adapter --current rubric --gate
review-forge eval --data heldout.jsonl --candidate new/ --current promoted/ --report report.json

Prints a table (MAE against targets, agreement with 👍/👎, format validity); with `--gate` exits 1
when the candidate is worse than the current scorer (the rule is in `bot/evaluate.py`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from review_forge.bot.errors import InputError
from review_forge.bot.scoring.score import Scorer
from review_forge.bot.scoring.scorer import make_scorer
from review_forge.bot.settings import load_config

RUBRIC = "rubric"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from review_forge.bot.gate import AGREEMENT_MARGIN, Tolerances

    tol = Tolerances()
    parser.add_argument("--data", required=True, metavar="FILE", help="held-out JSONL")
    parser.add_argument(
        "--candidate", required=True, metavar="ADAPTER_DIR", help="adapter folder, or 'rubric'"
    )
    parser.add_argument(
        "--current",
        default=RUBRIC,
        metavar="ADAPTER_DIR",
        help="adapter folder, or 'rubric' (default)",
    )
    parser.add_argument("--base-model", help="base model for the adapters (default: configured)")
    parser.add_argument("--gate", action="store_true", help="exit 1 when the candidate is worse")
    parser.add_argument("--report", metavar="FILE", help="write the comparison as JSON here")
    parser.add_argument(
        "--margin", type=float, default=AGREEMENT_MARGIN,
        help=f"score points within which a score agrees with a 👍 ({AGREEMENT_MARGIN})",
    )  # fmt: skip
    for name, value, unit in (
        ("validity", tol.validity, "share"),
        ("mae", tol.mae, "score points"),
        ("agreement", tol.agreement, "share"),
    ):
        parser.add_argument(
            f"--{name}-tolerance", type=float, default=value,
            help=f"how much worse the candidate may be on {name} ({unit}, default {value})",
        )  # fmt: skip
    parser.add_argument("--config", help="the YAML settings file (default: .review-forge.yml)")


def _scorer(which: str, args: argparse.Namespace) -> tuple[str, Scorer]:
    if which == RUBRIC:
        return RUBRIC, make_scorer(load_config({"scorer": RUBRIC}, config_path=args.config))
    if not Path(which).is_dir():
        raise InputError(f"adapter folder {which} not found; give an adapter folder or 'rubric'")
    overrides = {"scorer": "model", "adapter": which, "base_model": args.base_model}
    scorer = make_scorer(load_config(overrides, config_path=args.config))
    return f"{which} ({getattr(scorer, 'revision', scorer.name)})", scorer


def run(args: argparse.Namespace) -> int:
    from review_forge.bot.gate import Tolerances, compare, load_heldout, table

    rows = load_heldout(args.data)
    tolerances = Tolerances(args.validity_tolerance, args.mae_tolerance, args.agreement_tolerance)
    if min(tolerances.validity, tolerances.mae, tolerances.agreement, args.margin) < 0:
        raise InputError("tolerances and the margin must be 0 or more")
    candidate, current = _scorer(args.candidate, args), _scorer(args.current, args)
    report = compare(args.data, rows, candidate, current, args.margin, tolerances)
    print(table(report))
    if args.report:
        try:
            Path(args.report).write_text(
                json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            raise InputError(f"cannot write report {args.report}: {exc.strerror or exc}") from None
        print(f"report written to {args.report}")
    return 1 if args.gate and not report.passed else 0
