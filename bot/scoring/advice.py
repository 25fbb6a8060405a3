"""What the rubric advises: the recommendations that would raise a comment's score.

Each recommendation answers one thing the features (`rubric_features.Features`) say is missing or
in the way, most important first; a comment with nothing missing gets one line that says so.

>>> from review_forge.bot.scoring.rubric_features import features
>>> from review_forge.bot.scoring.score import Comment
>>> recommendations(features(Comment("Why?")), {"actionability": 10})[0]
'Name the function, variable or line you mean.'
"""

from __future__ import annotations

from review_forge.bot.scoring.rubric_features import Features


def recommendations(f: Features, dims: dict[str, int]) -> list[str]:
    """The advice for a comment with features `f` and dimension scores `dims`."""
    recs: list[str] = []
    if f.severe or f.mild or f.blame or f.shouting:
        recs.append(
            "Drop the judgement words and describe what the code does wrong, not who did it."
        )
    if f.trivial or f.praise_only:
        recs.append("Say what you checked and why it is fine, or what should change.")
    hint = f" (e.g. `{f.hunk_hint}`)" if f.hunk_hint else ""
    if not (f.hunk_refs or f.code_refs):
        recs.append(f"Name the function, variable or line you mean{hint}.")
    elif f.elsewhere:
        recs.append(f"Name the code of this change you mean{hint}: what it names is not in it.")
    if not f.reason and not f.trivial:
        recs.append("Add the reason: what goes wrong, or what gets better, because of this.")
    if f.question and not f.suggestion:
        recs.append("Turn the question into a request: say what you would change and why.")
    elif not (f.expected or f.suggestion) and not f.praise_only:
        recs.append("Say what should happen instead, or propose the change.")
    elif f.suggestion and not f.example and dims["actionability"] < 75:
        recs.append("Show the change: a short code snippet or the exact name to use.")
    if f.words > 80 or f.sentence_excess > 0:
        recs.append("Shorten it: lead with the problem and the fix, one point per sentence.")
    if f.hedges > 2:
        recs.append("State the concern directly; one hedge is enough.")
    return recs or ["Nothing essential is missing: it is specific, reasoned and actionable."]
