"""`review-forge score`: score one comment (text, file or stdin) or a JSONL batch.

One comment prints a readable report (or the score object with `--json`); `--input/--output`
scores a JSONL file per the design's batch contract. Exit codes: 0 scored, 1 a score is below
`--min-score`, 2 usage or input errors (raised as `InputError`, reported in one line by the CLI).
"""

from __future__ import annotations

import argparse
import json
import sys

from review_forge.bot.errors import InputError
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, Scorer
from review_forge.bot.scoring.scorer import make_scorer
from review_forge.bot.settings import SCORER_CHOICES, load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help='the comment to score, or "-" to read stdin')
    parser.add_argument("--file", metavar="PATH", help="read the comment from a UTF-8 file")
    parser.add_argument("--diff-hunk", metavar="FILE", help="the diff hunk the comment is about")
    parser.add_argument("--path", help="the file the comment is on, as in the pull request")
    parser.add_argument("--json", action="store_true", help="print the score object as JSON")
    parser.add_argument(
        "--input", metavar="IN.jsonl", help='batch: rows {"id", "body", "diff_hunk"?, "path"?}'
    )
    parser.add_argument(
        "--output", metavar="OUT.jsonl", help="batch: one score object with its id per row"
    )
    parser.add_argument("--scorer", choices=SCORER_CHOICES, help="rubric, model, or auto")
    parser.add_argument("--base-model", help="base model name or folder for the model scorer")
    parser.add_argument("--adapter", help="LoRA adapter folder, or 'data-branch'")
    parser.add_argument("--config", help="the YAML settings file (default: .review-forge.yml)")
    parser.add_argument(
        "--min-score", type=int, metavar="N", help="exit 1 when a comment scores below N"
    )


def run(args: argparse.Namespace) -> int:
    batch = args.input is not None or args.output is not None
    _check_usage(args, batch)
    config = load_config(
        {
            "scorer": args.scorer,
            "base_model": args.base_model,
            "adapter": args.adapter,
            "min_score": args.min_score,
        },
        config_path=args.config,
    )
    if batch:
        return _run_batch(args, config.min_score, make_scorer(config))
    comment = Comment(_comment_text(args), _optional_file(args.diff_hunk, "--diff-hunk"), args.path)
    score = make_scorer(config).score_many([comment])[0]
    print(json.dumps(score.to_dict(), indent=2) if args.json else report(score))
    if config.min_score is not None and score.score < config.min_score:
        print(
            f"review-forge: score {score.score} is below --min-score {config.min_score}",
            file=sys.stderr,
        )
        return 1
    return 0


def _check_usage(args: argparse.Namespace, batch: bool) -> None:
    if batch:
        if args.input is None or args.output is None:
            raise InputError("batch scoring needs both --input IN.jsonl and --output OUT.jsonl")
        single_only = {
            "TEXT": args.text,
            "--file": args.file,
            "--json": args.json,
            "--diff-hunk": args.diff_hunk,
            "--path": args.path,
        }
        extra = [flag for flag, value in single_only.items() if value]
        if extra:
            raise InputError(
                f"{', '.join(extra)} cannot be combined with --input (rows carry their own body, "
                "diff_hunk and path; the output is always JSON)"
            )
    elif (args.text is None) == (args.file is None):
        raise InputError('give the comment as TEXT, --file PATH or "-" for stdin (exactly one)')


def _run_batch(args: argparse.Namespace, min_score: int | None, scorer: Scorer) -> int:
    from review_forge.bot.scoring.batch import score_jsonl

    result = score_jsonl(args.input, args.output, scorer, min_score)
    print(f"review-forge: scored {result.rows} comments into {args.output}", file=sys.stderr)
    if result.below_threshold:
        print(
            f"review-forge: {result.below_threshold} of {result.rows} comments scored below "
            f"--min-score {min_score}",
            file=sys.stderr,
        )
        return 1
    return 0


def _comment_text(args: argparse.Namespace) -> str:
    if args.file is not None:
        text = _read(args.file, "--file")
    elif args.text == "-":
        text = _decode(sys.stdin.buffer.read(), "stdin")
    else:
        text = args.text
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("the comment text is not valid UTF-8") from None
    if not text.strip():
        raise InputError("the comment is empty: there is nothing to score")
    return text


def _optional_file(path: str | None, flag: str) -> str | None:
    return (_read(path, flag) or None) if path is not None else None


def _read(path: str, flag: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read {flag} {path}: {exc.strerror}") from None
    return _decode(data, f"{flag} {path}")


def _decode(data: bytes, what: str) -> str:
    if b"\0" in data:
        raise InputError(f"{what} contains NUL bytes: expected the text of a review comment")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} is not valid UTF-8 (byte {exc.start + 1}); save it as UTF-8"
        ) from None


def report(score: Score) -> str:
    """The score as people read it: overall, one line per dimension with its note, advice.

    >>> print(report(Score(72, {"clarity": 80, "completeness": 60, "actionability": 75,
    ...     "constructiveness": 85}, {"clarity": "names the function"}, ["Say why."])))
    Score: 72/100 (rubric)
      Clarity           80  names the function
      Completeness      60
      Actionability     75
      Constructiveness  85
    Recommendations:
      - Say why.
    """
    lines = [f"Score: {score.score}/100 ({score.scorer})"]
    if score.fallback_reason:
        lines.append(f"  note: {score.fallback_reason}")
    for dim in DIMENSIONS:
        note = score.notes.get(dim, "")
        lines.append(f"  {dim.capitalize():<16} {score.dimensions[dim]:>3}  {note}".rstrip())
    if score.recommendations:
        lines.append("Recommendations:")
        lines.extend(f"  - {rec}" for rec in score.recommendations)
    return "\n".join(lines)
