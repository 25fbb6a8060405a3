"""`review-forge action`: what the Docker action runs (settings come from INPUT_* and GITHUB_*).

The flags exist for running it by hand against a saved payload; in the Action every setting
arrives as an `INPUT_<NAME>` variable and `bot.config.load_config` reads it.
"""

from __future__ import annotations

import argparse

from review_forge.bot.settings import SCORER_CHOICES, load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scorer", choices=SCORER_CHOICES, help="rubric, model, or auto")
    parser.add_argument("--base-model", help="base model name or folder for the model scorer")
    parser.add_argument("--adapter", help="LoRA adapter folder, or 'data-branch'")
    parser.add_argument("--min-score", type=int, help="fail when a comment scores below this")
    parser.add_argument("--max-replies", type=int, help="most replies to post or edit in one run")
    parser.add_argument("--config", help="the YAML settings file (default: .review-forge.yml)")
    parser.add_argument("--event-path", help="webhook payload file (default: $GITHUB_EVENT_PATH)")
    parser.add_argument("--event-name", help="event name (default: $GITHUB_EVENT_NAME)")


def run(args: argparse.Namespace) -> int:
    from review_forge.bot.action import run as run_action  # PyGithub: only for this command
    from review_forge.bot.github.client import connect

    overrides = {
        "scorer": args.scorer,
        "base_model": args.base_model,
        "adapter": args.adapter,
        "min_score": args.min_score,
        "max_replies": args.max_replies,
        "event_path": args.event_path,
        "event_name": args.event_name,
    }
    config = load_config(overrides, config_path=args.config)
    return run_action(config, connect(config))
