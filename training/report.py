"""The retrain's report: the metrics table, the reward chart and the verdict, as Markdown.

The same text is the job summary and `reports/<date>-<run-id>.md` on the data branch. Nothing in
it comes from a review comment; names read from the data branch (the base model in a manifest)
go through `bot.reply.inline`, like everything the bot posts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from review_forge.bot.gate import POINTS, yardstick
from review_forge.bot.github.reply import inline

MAX_POINTS = 60  # a chart with more points than this shows every n-th step


class RetrainReport(TypedDict, total=False):
    """What one retrain decided and why: `reports/<date>-<run-id>.json` on the data branch (the
    one writer is `promote.report_files`), the job summary and `review-forge retrain`'s result."""

    schema: int
    candidate: dict[str, Any]  # revision (None: nothing trained), source, kind, reward_curve
    current: dict[str, Any] | None  # the promoted adapter it was measured against
    evaluation: dict[str, Any]  # measures: one per scorer (error, validity, synthetic_mae)
    gate: dict[str, Any]  # passed, reasons, gains, gain_over_rubric, rule, best_gain
    run_id: str
    created_at: str
    data_branch: str
    data_commit: str | None
    base_model: str
    data: dict[str, int]  # counts of snapshots, replies, judged rows, synthetic rows
    bootstrap: bool
    dry_run: bool
    report_path: str


def chart(steps: Sequence[int], values: Sequence[float], title: str) -> str:
    """A Mermaid `xychart-beta` line chart of `values` over `steps` (GitHub renders it).

    >>> print(chart([1, 2], [-1.125, 0.5], "Mean reward per GRPO step"))
    ```mermaid
    xychart-beta
        title "Mean reward per GRPO step"
        x-axis "training step" [1, 2]
        y-axis "mean reward"
        line [-1.125, 0.5]
    ```
    """
    every = max(1, math.ceil((len(steps) - 1) / (MAX_POINTS - 1)))  # with the last: <= MAX
    keep = sorted(set(range(0, len(steps), every)) | {len(steps) - 1})
    xs = ", ".join(str(steps[i]) for i in keep)
    ys = ", ".join(f"{values[i]:.4g}" for i in keep)
    return "\n".join([
        "```mermaid",
        "xychart-beta",
        f'    title "{title}"',
        f'    x-axis "training step" [{xs}]',
        '    y-axis "mean reward"',
        f"    line [{ys}]",
        "```",
    ])  # fmt: skip


def _cell(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if percent else f"{value:.2f}"


def metrics_table(evaluation: Mapping[str, Any]) -> str:
    """The held-out figures of the candidate and the scorers it was measured against."""
    measures = evaluation["measures"]
    n = measures[0]["replies"]
    rows = [
        (f"{yardstick(measures[0].get('unit', POINTS))} (n={n} held-out replies)",
         *(_cell(m["error"]) for m in measures)),
        ("MAE vs synthetic targets (rubric labels)",
         *(_cell(m["synthetic_mae"]) for m in measures)),
        ("format validity (answers that parsed)", *(_cell(m["validity"], True) for m in measures)),
    ]  # fmt: skip
    lines = [
        "| metric | " + " | ".join(inline(m["scorer"], 60) for m in measures) + " |",
        "|---|" + "---:|" * len(measures),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(report: RetrainReport) -> list[str]:
    """Why the candidate was or was not promoted, in a few lines."""
    gate, branch = report["gate"], inline(report["data_branch"], 100)
    revision = report["candidate"]["revision"]
    if revision is None:
        lines = [f"**Nothing trained.** {gate['rule']}:", ""]
        lines += [f"- {reason}" for reason in gate["reasons"]]
        return [*lines, "", f"`adapter/` on the data branch {branch} is unchanged."]
    if not gate["passed"]:
        lines = [f"**Not promoted.** {gate['rule']}; the candidate `{revision}`:", ""]
        lines += [f"- {reason}" for reason in gate["reasons"]]
        return [*lines, "", f"`adapter/` on the data branch {branch} is unchanged."]
    where = (
        "Dry run: nothing was committed."
        if report["dry_run"]
        else f"`adapter/` on the data branch {branch} now holds revision `{revision}`; the next "
        "Action run with `adapter: data-branch` scores with it."
    )
    gains = "; ".join(
        f"{inline(name, 60)}: {g['gain']:+.2f} {gate.get('unit', POINTS)} (lower bound "
        f"{g['lower']:+.2f})"
        for name, g in gate["gains"].items()
    )
    return [
        f"**Promoted.** {gate['rule']}; the candidate `{revision}` is better ({gains}). {where}"
    ]


def render(report: RetrainReport) -> str:
    """The whole report as Markdown."""
    gate = report["gate"]
    title = "adapter promoted" if gate["passed"] else "candidate not promoted"
    if report["candidate"]["revision"] is None:
        title = "nothing trained"
    if report["dry_run"]:
        title += " (dry run)"
    lines = [f"## review-forge retrain: {title}", "", *verdict(report), ""]
    if report["evaluation"]["measures"]:
        lines += ["### Held-out metrics", "", metrics_table(report["evaluation"]), ""]
    curve = report["candidate"].get("reward_curve") or {}
    if curve.get("steps"):
        lines += ["### Mean reward over training steps", ""]
        lines += [chart(curve["steps"], curve["values"], "Mean reward per GRPO step"), ""]
    elif report["candidate"]["revision"] is not None:
        lines += ["No training curve: the candidate was given, not trained in this run.", ""]
    counts = report["data"]
    base = inline(report["base_model"], 120)
    lines += [
        "### Data",
        "",
        "| feedback snapshots | replies (train / held out) | with 👍/👎 (train / held out) | "
        "judged targets | synthetic rows (train / held out) |",
        "|---:|---:|---:|---:|---:|",
        f"| {counts['feedback_snapshots']} | {counts['train_replies']} / "
        f"{counts['heldout_replies']} | {counts['train_replies_with_votes']} / "
        f"{counts['heldout_replies_with_votes']} | {counts['judged_rows']} | "
        f"{counts['synthetic_train']} / {counts['synthetic_heldout']} |",
        "",
        f"Base model {base}; data branch commit `{report['data_commit'] or 'none yet'}`"
        + (" (no feedback yet: bootstrapped from synthetic rows)." if report["bootstrap"] else "."),
        "",
    ]
    return "\n".join(lines)
