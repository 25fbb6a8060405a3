"""Domain exceptions. Each message says what went wrong and what to do about it.

The CLI's single catch-all turns a `ReviewForgeError` into one line on stderr and its exit code.
"""


class ReviewForgeError(Exception):
    """Base class: a problem the user can fix. Exit code 2 (usage or input error)."""

    exit_code = 2


class InputError(ReviewForgeError):
    """The text, file or JSONL the user gave cannot be used."""


class ConfigError(ReviewForgeError):
    """A setting (CLI flag, INPUT_* variable, .review-forge.yml) is invalid."""


class FormatError(ReviewForgeError):
    """A completion does not follow the canonical format; the message names what is missing."""


class ModelUnavailable(ReviewForgeError):
    """The model scorer cannot run here (missing extra, missing or unsafe adapter, bad base)."""


class EngineUnavailable(ModelUnavailable):
    """The llama.cpp engine cannot run here (not installed, conversion or loading failed); with
    `scorer: auto` the rubric scores instead and says why."""


class GitHubError(ReviewForgeError):
    """GitHub refused or failed a request in a way the run cannot recover from."""

    exit_code = 1
