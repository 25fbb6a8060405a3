"""`review-forge learn`: record feedback on a score by hand.

review-forge learn --comment-id 1234567 --down          # the bot's score on it was unfair
review-forge learn --text "Rename x." --rating 20 --local feedback.jsonl
"""

from __future__ import annotations

import argparse

from review_forge.bot.settings import load_config


def _rating(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a rating is a whole number 0-100, got {text!r}"
        ) from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a rating is 0 to 100, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--comment-id", type=int, help="a review comment (or the bot's reply) on GitHub"
    )
    what.add_argument("--text", help="a review comment's text, scored now")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--up", action="store_true", help="the score is fair (👍)")
    how.add_argument("--down", action="store_true", help="the score is not fair (👎)")
    how.add_argument("--rating", type=_rating, help="your own rating of the comment, 0-100")
    parser.add_argument("--diff-hunk", help="with --text: the code the comment is about")
    parser.add_argument("--path", help="with --text: the file the comment is about")
    parser.add_argument("--local", metavar="FILE", help="append to this JSONL, not the data branch")
    parser.add_argument("--repository", help="OWNER/NAME (default: $GITHUB_REPOSITORY)")
    parser.add_argument(
        "--data-branch", help="branch holding feedback (default: review-forge-data)"
    )
    parser.add_argument("--config", help="the YAML settings file (default: .review-forge.yml)")


def run(args: argparse.Namespace) -> int:
    from review_forge.bot.feedback.learn import Verdict, for_comment, for_text, save

    overrides = {"repository": args.repository, "data_branch": args.data_branch}
    config = load_config(overrides, config_path=args.config)
    verdict = Verdict(up=None if args.rating is not None else bool(args.up), rating=args.rating)
    gh = None
    if config.repository and (args.text is None or not args.local):  # one client for both
        from review_forge.bot.github.client import connect  # PyGithub: only when needed

        gh = connect(config)
    if args.text is not None:
        record = for_text(config, args.text, verdict, diff_hunk=args.diff_hunk, path=args.path)
    else:
        record = for_comment(config, gh, args.comment_id, verdict)
    where = save(config, record, args.local, gh)
    said = "👍" if record.up else "👎"
    rating = f" (rated {verdict.rating})" if verdict.rating is not None else ""
    print(f"recorded {said}{rating} on posted score {record.posted['score']} in {where}")
    return 0
