"""`review-forge eval`: compare a candidate scorer with the current one on a held-out set.

review-forge eval --data heldout.jsonl --candidate out/adapter --gate
review-forge eval --data heldout.jsonl --candidate new/ --current promoted/ --report report.json

The held-out set is what the retrain writes (`--output`: `heldout.jsonl`, feedback records with
the people's judgement read from held-out reactions, and synthetic rows), or records rated by
hand. Prints each scorer's error against those judgements (the rubric always beside them) and
format validity; with `--gate`, exits 1 unless the candidate passes the retrain's own gate
(`bot/gate.py`): better than the rubric and the current scorer beyond noise.
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
    from review_forge.bot.gate import Rules

    rules = Rules()
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
    parser.add_argument("--gate", action="store_true", help="exit 1 unless the gate passes")
    parser.add_argument("--report", metavar="FILE", help="write the comparison as JSON here")
    parser.add_argument(
        "--min-replies", type=int, default=rules.min_replies,
        help=f"held-out judgements the gate needs ({rules.min_replies})",
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
    from review_forge.bot.gate import Rules, decide, score_and_measure, table
    from review_forge.bot.heldout import load_heldout

    if args.min_replies < 0:
        raise InputError("--min-replies must be 0 or more")
    rows = load_heldout(args.data)
    candidate, current = _scorer(args.candidate, args), _scorer(args.current, args)
    cand = score_and_measure(candidate[0], candidate[1], rows)
    rubric = score_and_measure(RUBRIC, _scorer(RUBRIC, args)[1], rows)
    promoted = None if args.current == RUBRIC else score_and_measure(*current, rows)
    decision = decide(cand, rubric, promoted, rules=Rules(min_replies=args.min_replies))
    measures = [cand, rubric] + ([promoted] if promoted else [])
    print(table(measures, decision))
    if args.report:
        report = {
            "data": args.data,
            "measures": [{"scorer": m.scorer, "error": m.mae, "validity": m.validity,
                          "synthetic_mae": m.synthetic_mae} for m in measures],
            "gate": decision.to_dict(),
        }  # fmt: skip
        try:
            Path(args.report).write_text(
                json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            raise InputError(f"cannot write report {args.report}: {exc.strerror or exc}") from None
        print(f"report written to {args.report}")
    return 1 if args.gate and not decision.passed else 0
