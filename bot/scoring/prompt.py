"""The prompt the model scorer sends and the trainer trains on: one definition for both."""

from __future__ import annotations

from review_forge.bot.scoring.score import DIMENSIONS

SYSTEM_PROMPT = (
    "You rate code review comments. Reply in exactly this format and nothing else:\n"
    "Score: <0-100>\n"
    + "".join(f"{d.capitalize()}: <0-100> - <short reason>\n" for d in DIMENSIONS)
    + "Recommendations:\n- <one concrete way to improve the comment>"
)


def user_prompt(body: str, diff_hunk: str | None = None, path: str | None = None) -> str:
    """The user turn: the comment and, when known, the code it is about."""
    parts = []
    if path:
        parts.append(f"File: {path}")
    if diff_hunk:
        parts.append(f"Diff:\n{diff_hunk}")
    parts.append(f"Review comment:\n{body}")
    return "\n\n".join(parts)


def build_messages(
    body: str, diff_hunk: str | None = None, path: str | None = None
) -> list[dict[str, str]]:
    """Chat messages for the tokenizer's chat template."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user_prompt(body, diff_hunk, path)},
    ]
