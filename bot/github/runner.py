"""Talking to the GitHub Actions runner: step outputs, the job summary, workflow commands.

Workflow commands are read from stdout line by line, so anything we print that came from input
must be escaped, or a comment could smuggle its own `::command::` line into the log.

>>> command("warning", "50%\\ndone", file="a,b.py", line=3)
'::warning file=a%2Cb.py,line=3::50%25%0Adone'
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path


def escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF are encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, plus ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: object) -> str:
    """One workflow command line, e.g. `::warning file=x.py,line=3::text`."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def write_outputs(path: str | None, outputs: Mapping[str, str]) -> None:
    """Append step outputs to `$GITHUB_OUTPUT` in heredoc form, so values may span lines.

    The delimiter is random and checked against the value, so a value cannot end it early.
    """
    if not path:
        return
    chunks = []
    for name, value in outputs.items():
        delimiter = f"review_forge_{secrets.token_hex(8)}"
        while delimiter in value:
            delimiter = f"review_forge_{secrets.token_hex(8)}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write("".join(chunks))


def append_summary(path: str | None, markdown: str) -> None:
    """Append Markdown to `$GITHUB_STEP_SUMMARY` (no-op outside Actions)."""
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(markdown)
