"""`review-forge` command line: the entry point and its one catch-all.

Each command is a module with `add_arguments(parser)` and `run(args) -> int`: the bot's in
`bot/commands/`, `retrain` in `training/retrain.py`. Only the command being run is imported, so
`review-forge score` never pays for PyGithub or torch, and the Action never loads the trainer.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from review_forge.bot import __version__
from review_forge.bot.errors import ReviewForgeError
from review_forge.bot.settings import disable_telemetry

COMMANDS: dict[str, tuple[str, str]] = {
    "score": (
        "review_forge.bot.commands.score",
        "score review comments (text, file, stdin or JSONL) with the rubric or the model",
    ),
    "action": (
        "review_forge.bot.commands.action",
        "run as the GitHub Action: score the event's review comments and reply in thread",
    ),
    "collect": (
        "review_forge.bot.commands.collect",
        "gather 👍/👎 reactions on the bot's replies into the data branch",
    ),
    "learn": (
        "review_forge.bot.commands.learn",
        "record feedback on a score by hand, to the data branch or a local JSONL",
    ),
    "eval": (
        "review_forge.bot.commands.eval",
        "compare two scorers on a held-out set; --gate fails when the candidate is worse",
    ),
    "retrain": (
        "review_forge.training.retrain",
        "train a new adapter from the data branch's feedback; promote it only when it is better",
    ),
}


def build_parser(command: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="review-forge",
        description="Score code review comments, explain the score, learn from reactions.",
    )
    parser.add_argument("--version", action="version", version=f"review-forge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, summary) in COMMANDS.items():
        child = sub.add_parser(name, help=summary, description=summary)
        if name == command:
            _module(name).add_arguments(child)
    return parser


def _module(name: str):  # noqa: ANN202 - a command module
    return importlib.import_module(COMMANDS[name][0])


def _command_in(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    disable_telemetry()
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_in(argv)
    try:
        args = build_parser(command if command in COMMANDS else None).parse_args(argv)
        return int(_module(args.command).run(args))
    except ReviewForgeError as exc:
        print(f"review-forge: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`review-forge score ... | head`): stop quietly, as `cat` does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("review-forge: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one catch-all: a bug, reported in one line
        if os.environ.get("REVIEW_FORGE_DEBUG"):
            raise
        print(
            f"review-forge: internal error: {type(exc).__name__}: {exc} "
            "(rerun with REVIEW_FORGE_DEBUG=1 for a traceback and please report it)",
            file=sys.stderr,
        )
        return 3
