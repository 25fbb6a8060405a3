"""The one place that reads configuration.

Sources, highest first: explicit overrides (CLI flags), Docker action inputs (`INPUT_<NAME>`,
underscore names), the YAML file (`.review-forge.yml` in the workspace, or `config`), defaults.
GitHub's own variables (`GITHUB_*`) describe the run and are read here too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from review_forge.bot.errors import ConfigError

DEFAULT_BASE_MODEL = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
CONFIG_FILE = ".review-forge.yml"
SCORER_CHOICES = ("auto", "rubric", "model")
# The model's engine: llama.cpp (quantised GGUF, made for CPUs without bf16) or torch; auto takes
# llama.cpp when llama-cpp-python is installed. QUANTIZATIONS are llama.cpp's weight formats.
ENGINE_CHOICES = ("auto", "llama.cpp", "torch")
QUANTIZATIONS = ("q8_0", "q4_0", "f16", "f32")
# Where the scores go: a reply under every comment, replies only below reply_threshold, one
# summary comment per pull request, or nothing public (the job summary only).
REPLY_CHOICES = ("every", "below", "summary", "none")
BASE_MODEL_ENV = "REVIEW_FORGE_BASE_MODEL"  # an image's baked base model: the default, not a pin
DATA_BRANCH = "data-branch"  # the `adapter` setting that means "the one on the data branch"


@dataclass(frozen=True)
class Config:
    # Scoring
    scorer: str = "auto"
    base_model: str = DEFAULT_BASE_MODEL
    adapter: str | None = None  # a folder, or "data-branch" to use the adapter on the data branch
    engine: str = "auto"
    quantization: str = "q8_0"
    min_score: int | None = None
    # The bot on GitHub
    data_branch: str = "review-forge-data"
    max_replies: int = 20
    reply: str = "every"
    reply_threshold: int = 50  # with reply: below, comments scoring below this get a reply
    # A reply's score moves by up to this many points, fixed per comment, so that 👍/👎 can tell
    # too high from too low (bot/feedback/explore.py); 0 posts the scorer's score as it is.
    explore: int = 10
    bot_login: str = "github-actions[bot]"
    score_issue_comments: bool = False
    ignore_reviewer_reactions: bool = True
    # Pauses PyGithub keeps between any two requests and between writes (GitHub asks for about a
    # second between writes to stay clear of secondary rate limits); tests set both to 0.
    github_request_interval: float = 0.25
    github_write_interval: float = 1.0
    # GitHub records no update when someone reacts, so `collect` rereads the bot's replies on pull
    # requests updated this many days before its last collection.
    collect_lookback_days: int = 30
    # The run (GitHub Actions environment)
    github_token: str | None = field(default=None, repr=False)  # never in a repr or a log
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    repository: str | None = None
    event_name: str | None = None
    event_path: str | None = None
    workspace: str = "."
    step_summary: str | None = None
    github_output: str | None = None
    run_id: str = "local"
    cache_dir: str | None = None


def is_data_branch(adapter: str | None) -> bool:
    """Whether the `adapter` setting names the data branch's adapter (optionally pinned).

    >>> [is_data_branch(a) for a in ("data-branch", "data-branch@1a2b3c4", "out/a", None)]
    [True, True, False, False]
    """
    return bool(adapter) and (adapter == DATA_BRANCH or adapter.startswith(DATA_BRANCH + "@"))


def disable_telemetry() -> None:
    """Switch off Oumi's usage analytics and the Hugging Face hub's telemetry for this process.

    Called once by each entry point, before Oumi or the hub client can be imported.

    >>> import os
    >>> disable_telemetry()
    >>> os.environ["DO_NOT_TRACK"], os.environ["HF_HUB_DISABLE_TELEMETRY"]
    ('1', '1')
    """
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"


# Settings a user may set in the YAML file, as action inputs or as flags.
USER_SETTINGS = (
    "scorer",
    "base_model",
    "adapter",
    "engine",
    "quantization",
    "min_score",
    "data_branch",
    "max_replies",
    "reply",
    "reply_threshold",
    "explore",
    "bot_login",
    "score_issue_comments",
    "ignore_reviewer_reactions",
    "cache_dir",
    "github_request_interval",
    "github_write_interval",
    "collect_lookback_days",
)

MAX_EXPLORE = 25  # beyond this, a reply's score says more about the offset than the comment

_RUN_ENV = {
    "github_token": "GITHUB_TOKEN",
    "api_url": "GITHUB_API_URL",
    "server_url": "GITHUB_SERVER_URL",
    "repository": "GITHUB_REPOSITORY",
    "event_name": "GITHUB_EVENT_NAME",
    "event_path": "GITHUB_EVENT_PATH",
    "workspace": "GITHUB_WORKSPACE",
    "step_summary": "GITHUB_STEP_SUMMARY",
    "github_output": "GITHUB_OUTPUT",
    "run_id": "GITHUB_RUN_ID",
}


def load_config(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: str | None = None,
) -> Config:
    """Build the Config for this process. `overrides` values of None are ignored."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if env.get(BASE_MODEL_ENV):
        values["base_model"] = env[BASE_MODEL_ENV]
    for name, var in _RUN_ENV.items():
        if env.get(var):
            values[name] = env[var]
    workspace = values.get("workspace", ".")
    path = config_path or env.get("INPUT_CONFIG") or None
    values.update(_read_yaml(path, workspace))
    for name in USER_SETTINGS:
        raw = env.get(f"INPUT_{name.upper()}")
        if raw is not None and raw.strip() != "":
            values[name] = raw.strip()
    if env.get("INPUT_GITHUB_TOKEN"):
        values["github_token"] = env["INPUT_GITHUB_TOKEN"]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return _typed(values)


def _read_yaml(path: str | None, workspace: str) -> dict[str, Any]:
    file = Path(path) if path else Path(workspace) / CONFIG_FILE
    if not path and not file.is_file():
        return {}
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file {file} not found; fix the path or remove it") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot read config file {file}: {first}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {file} must be a mapping of setting: value")
    unknown = sorted(set(data) - set(USER_SETTINGS))
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)} in {file}; known: {', '.join(USER_SETTINGS)}"
        )
    return dict(data)


def _typed(values: dict[str, Any]) -> Config:
    types = {f.name: f.type for f in fields(Config)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = types[name]
        try:
            if "bool" in kind:
                out[name] = _as_bool(value)
            elif "int" in kind:
                out[name] = int(value)
            elif "float" in kind:
                out[name] = float(value)
            else:
                out[name] = str(value)
        except ValueError:
            raise ConfigError(
                f"setting {name} must be {kind.split(' ')[0]}, got {value!r}"
            ) from None
    config = Config(**out)
    if config.scorer not in SCORER_CHOICES:
        raise ConfigError(
            f"scorer must be one of {', '.join(SCORER_CHOICES)}, got {config.scorer!r}"
        )
    if config.engine not in ENGINE_CHOICES:
        raise ConfigError(
            f"engine must be one of {', '.join(ENGINE_CHOICES)}, got {config.engine!r}"
        )
    if config.quantization not in QUANTIZATIONS:
        raise ConfigError(
            f"quantization must be one of {', '.join(QUANTIZATIONS)}, got {config.quantization!r}"
        )
    if config.reply not in REPLY_CHOICES:
        raise ConfigError(f"reply must be one of {', '.join(REPLY_CHOICES)}, got {config.reply!r}")
    if not 0 <= config.reply_threshold <= 100:
        raise ConfigError(
            f"reply_threshold must be between 0 and 100, got {config.reply_threshold}"
        )
    if not 0 <= config.explore <= MAX_EXPLORE:
        raise ConfigError(
            f"explore must be between 0 and {MAX_EXPLORE} points, got {config.explore}"
        )
    if config.min_score is not None and not 0 <= config.min_score <= 100:
        raise ConfigError(f"min_score must be between 0 and 100, got {config.min_score}")
    if min(config.github_request_interval, config.github_write_interval) < 0:
        raise ConfigError("github_request_interval and github_write_interval must be 0 or more")
    if config.collect_lookback_days < 0:
        raise ConfigError("collect_lookback_days must be 0 or more")
    if config.max_replies < 0:
        raise ConfigError(f"max_replies must be 0 or more, got {config.max_replies}")
    return config


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ValueError(text)
