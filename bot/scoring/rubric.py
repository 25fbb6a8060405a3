"""The rubric scorer: a deterministic, dependency-free judge of one review comment.

A useful review comment points at the code it means, says what is wrong and why, says what should
happen instead (ideally as a concrete change), and stays civil. The rubric measures exactly those
things from the text and, when given, from the diff hunk the comment is about:

- Clarity: can the author tell what is meant (specific references, readable length)?
- Completeness: does it give the reason and the expected behaviour, not only a verdict?
- Actionability: is there a change to make (a request, a suggestion, a code example)?
- Constructiveness: does it help rather than judge (no insults, reasons, a civil tone)?

`bot.rubric_features` reads those things from the text (word lists in `bot.lexicon`); this module
combines them into the dimensions, their notes and the recommendations.

>>> from review_forge.bot.scoring.score import Comment
>>> score_comment(Comment("LGTM")).score < 40
True
>>> hunk = "+def fetch(url, retries):\\n+    tmp = 0\\n+    while tmp < retries:"
>>> good = score_comment(Comment("Please rename `tmp` to `attempt`, because the loop below "
...     "compares it with `retries` and the current name hides that.", diff_hunk=hunk))
>>> good.score > 70, good.notes["clarity"]
(True, 'names `retries`, `tmp` from the change')
>>> score_comment(Comment("This is stupid, who wrote this garbage?")).dimensions["constructiveness"]
10
"""

from __future__ import annotations

from collections.abc import Sequence

from review_forge.bot.scoring.rubric_features import Features, features, saturate
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score


def _clamp(value: float) -> int:
    return max(0, min(100, round(value)))


def _clarity(f: Features) -> tuple[int, str]:
    value = 20 + 30 * saturate(f.words, 8) + 50 * f.specificity
    value -= 4 * f.vague + 3 * f.generic + 3 * max(0, f.hedges - 2)
    value -= min(30, max(0, f.words - 60) / 3) + min(15, max(0, f.longest_sentence - 40) / 2)
    if f.trivial:
        return _clamp(min(value, 25)), "too short to say what is meant"
    if f.hunk_refs:
        note = "names " + ", ".join(f"`{r}`" for r in f.hunk_refs[:2]) + " from the change"
    elif f.code_refs:
        note = "points at specific code"
    elif f.words < 5:
        note = "too short to stand on its own"
    else:
        note = "does not name the code it means"
    if f.words > 80 or f.longest_sentence > 40:
        note += "; long, hard to scan"
    return _clamp(value), note


def _completeness(f: Features) -> tuple[int, str]:
    # Where (the code), what (the problem), why (the reason), and what instead.
    value = 5 + 30 * f.specificity + 10 * f.problem + 5 * f.behaviour + 20 * f.reason
    value += 10 * f.expected + 6 * min(1, f.links) + 25 * saturate(f.words, 15) - 10 * f.cosmetic
    if f.trivial or f.praise_only:
        value = min(value, 25)
    instead = f.expected or f.suggestion
    if f.reason and instead:
        note = "gives the reason and what to do instead"
    elif f.reason:
        note = "explains why, but not what should happen instead"
    elif instead:
        note = "says what to change, but not why"
    elif f.problem:
        note = "names a problem without its cause or the fix"
    else:
        note = "gives neither a reason nor the expected outcome"
    return _clamp(value), note


def _actionability(f: Features) -> tuple[int, str]:
    value = 10 + 20 * f.suggestion + 10 * f.expected + 10 * f.example + 10 * f.problem
    value += 20 * f.specificity + 20 * saturate(f.words, 12) - 50 * f.waiver - 40 * f.aside
    if f.trivial or f.praise_only:
        return _clamp(min(value, 15)), "nothing to act on"
    if f.waiver:
        note = "says the code may stay as it is"
    elif f.aside:
        note = "thinks aloud rather than asks"
    elif f.example:
        note = "proposes a concrete change"
    elif f.suggestion:
        note = "asks for a change"
    elif f.question:
        note = "asks a question but requests nothing"
    else:
        note = "does not say what to change"
    return _clamp(value), note


def _constructiveness(f: Features) -> tuple[int, str]:
    value = 62 + 10 * f.reason + 6 * (f.suggestion or f.expected) + 8 * f.polite
    value += 8 * min(2, f.hedges) + 6 * saturate(f.words, 20) - 8 * f.blame - 10 * f.shouting
    if f.trivial:
        value = min(value, 55)
    if f.severe:
        return _clamp(min(value, 18) - 4 * len(f.severe)), "hostile wording"
    if f.mild:
        value = min(value - 22 * len(f.mild), 45)
        return _clamp(value), "judges instead of explaining"
    if f.blame or f.shouting:
        return _clamp(value), "blames the author or shouts"
    if f.reason or f.suggestion:
        return _clamp(value), "civil, and helps the author improve"
    return _clamp(value), "neutral, but gives the author little to work with"


def _recommendations(f: Features, dims: dict[str, int]) -> list[str]:
    recs: list[str] = []
    if f.severe or f.mild or f.blame or f.shouting:
        recs.append(
            "Drop the judgement words and describe what the code does wrong, not who did it."
        )
    if f.trivial or f.praise_only:
        recs.append("Say what you checked and why it is fine, or what should change.")
    if not (f.hunk_refs or f.code_refs):
        hint = f" (e.g. `{f.hunk_hint}`)" if f.hunk_hint else ""
        recs.append(f"Name the function, variable or line you mean{hint}.")
    if not f.reason and not f.trivial:
        recs.append("Add the reason: what goes wrong, or what gets better, because of this.")
    if f.question and not f.suggestion:
        recs.append("Turn the question into a request: say what you would change and why.")
    elif not (f.expected or f.suggestion) and not f.praise_only:
        recs.append("Say what should happen instead, or propose the change.")
    elif f.suggestion and not f.example and dims["actionability"] < 75:
        recs.append("Show the change: a short code snippet or the exact name to use.")
    if f.words > 80 or f.longest_sentence > 40:
        recs.append("Shorten it: lead with the problem and the fix, one point per sentence.")
    if f.hedges > 2:
        recs.append("State the concern directly; one hedge is enough.")
    return recs or ["Nothing essential is missing: it is specific, reasoned and actionable."]


# Calibrated on labelled reviews (README, "How good is the score?"): clarity and completeness
# carry how specific and substantive a comment is, which people's judgements follow most.
_WEIGHTS = {"clarity": 0.35, "completeness": 0.35, "actionability": 0.15, "constructiveness": 0.15}


def _fixed(score: int, dims: tuple[int, ...], notes: tuple[str, ...], advice: str) -> Score:
    return Score(
        score=score,
        dimensions=dict(zip(DIMENSIONS, dims, strict=True)),
        notes=dict(zip(DIMENSIONS, notes, strict=True)),
        recommendations=[advice],
        scorer="rubric",
        model_revision="rubric",
    )


def score_comment(comment: Comment) -> Score:
    """Score one comment on the four dimensions, with notes and recommendations."""
    if not comment.body.strip():
        return _fixed(0, (0, 0, 0, 0), ("empty",) * 4, "Write what is wrong, why, and the fix.")
    f = features(comment)
    if f.back_reference:  # "ditto": as good as the comment it repeats, unseen here: middling
        return _fixed(
            54,
            (45, 45, 65, 65),
            (
                "points back at an earlier comment",
                "relies on the earlier comment",
                "repeats an earlier request",
                "neutral",
            ),
            "Say in a few words what applies here too, so it reads on its own.",
        )
    parts = {
        "clarity": _clarity(f),
        "completeness": _completeness(f),
        "actionability": _actionability(f),
        "constructiveness": _constructiveness(f),
    }
    dims = {name: value for name, (value, _) in parts.items()}
    overall = sum(weight * dims[name] for name, weight in _WEIGHTS.items())
    # A comment is only as good as what the author can do with it, and hostility spoils it.
    overall = min(overall, dims["actionability"] + 35)
    if dims["constructiveness"] < 40:
        overall = min(overall, dims["constructiveness"] + 20)
    if f.trivial:
        overall = min(overall, 25)
    return Score(
        score=_clamp(overall),
        dimensions=dims,
        notes={name: note for name, (_, note) in parts.items()},
        recommendations=_recommendations(f, dims),
        scorer="rubric",
        model_revision="rubric",
    )


class RubricScorer:
    """The rubric as a `Scorer`."""

    name = "rubric"

    def score_many(self, comments: Sequence[Comment]) -> list[Score]:
        return [score_comment(c) for c in comments]
