"""`review-forge collect`: snapshot the 👍/👎 on the bot's replies into the data branch.

Run by `.github/workflows/collect-feedback.yml` on a schedule; by hand, set GITHUB_TOKEN and
GITHUB_REPOSITORY (or pass --repository).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from review_forge.bot.errors import InputError
from review_forge.bot.settings import load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repository", help="OWNER/NAME (default: $GITHUB_REPOSITORY)")
    parser.add_argument(
        "--data-branch", help="branch holding feedback (default: review-forge-data)"
    )
    parser.add_argument(
        "--since",
        type=_moment,
        help="scan pull requests updated since this ISO date or time (default: the last "
        "collection minus collect_lookback_days; everything on the first run)",
    )
    parser.add_argument("--config", help="the YAML settings file (default: .review-forge.yml)")


def _moment(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date or time, e.g. 2024-05-01 or 2024-05-01T12:00:00Z"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    from review_forge.bot.feedback.collect import collect  # PyGithub: only for this command
    from review_forge.bot.github.client import connect
    from review_forge.bot.github.runner import append_summary

    overrides = {"repository": args.repository, "data_branch": args.data_branch}
    config = load_config(overrides, config_path=args.config)
    if config.repository and config.repository.count("/") != 1:
        raise InputError(f"repository must be OWNER/NAME, got {config.repository!r}")
    result = collect(config, connect(config), since=args.since)
    up = sum(r.up for r in result.records)
    down = sum(r.down for r in result.records)
    since = result.since.strftime("%Y-%m-%d %H:%M UTC") if result.since else "the beginning"
    where = f"`{result.path}` on `{config.data_branch}`" if result.path else "nothing written"
    lines = [
        "## review-forge: feedback collected",
        "",
        "| pull requests scanned | bot replies | snapshot records | 👍 | 👎 |",
        "|---:|---:|---:|---:|---:|",
        f"| {len(result.pulls)} | {result.replies} | {len(result.records)} | {up} | {down} |",
        "",
        f"Pull requests updated since {since}; {where}.",
        *(f"- {note}" for note in result.notes),
        "",
    ]
    print("\n".join(lines))
    append_summary(config.step_summary, "\n".join(lines) + "\n")
    return 0
