"""Score bands: what a score means, named in the reply, and the polarity of a dimension's note.

A number alone is read differently by everyone; a band says what to do with the comment. The
rubric's scores are calibrated (`calibrate`) so that people's labels land in the matching bands
on labelled reviews (README, "How good is the score?").

>>> [band(s) for s in (92, 70, 45, 10)]
['ready to post', 'good with one gap', 'missing something essential', 'rework']

A dimension's note says that parts are present (+1), that some are missing (0), or that the
essential ones are missing (-1). `note` picks the first note that may sit beside the number, so a
note saying a part is present never sits beside a low score, nor one saying it is missing beside
a high score; the number itself is never bent to fit a note:

>>> options = [(+1, "gives the reason and the fix")]
>>> fallback = {+1: "detailed", 0: "brief", -1: "too brief to use"}
>>> note(72, options, fallback), note(44, options, fallback), note(12, options, fallback)
('gives the reason and the fix', 'brief', 'too brief to use')
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

# (lowest score, name), best first.
BANDS: tuple[tuple[int, str], ...] = (
    (80, "ready to post"),
    (60, "good with one gap"),
    (40, "missing something essential"),
    (0, "rework"),
)
# The score range each note polarity may sit beside: a note that says a part is present never
# sits beside a low score, one that says a part is missing never beside a high one.
_RANGE = {+1: (60, 100), 0: (40, 79), -1: (0, 59)}


def band(score: int) -> str:
    """The name of the band `score` (0-100) falls in."""
    return next(name for low, name in BANDS if score >= low)


def agrees(value: int, polarity: int) -> bool:
    """Whether a note of `polarity` may sit beside `value`."""
    low, high = _RANGE[polarity]
    return low <= value <= high


def note(value: int, options: Sequence[tuple[int, str]], fallback: dict[int, str]) -> str:
    """The first of `options` ((polarity, text), most specific first) that agrees with `value`,
    else the dimension's `fallback` text for the band of `value`."""
    for polarity, text in options:
        low, high = _RANGE[polarity]  # `agrees`, inline: four notes per comment scored
        if low <= value <= high:
            return text
    return fallback[+1 if value >= 60 else 0 if value >= 40 else -1]


def calibrate(raw: float, knots: Sequence[tuple[float, float]]) -> int:
    """A monotone piecewise-linear map of `raw` through `knots` ((raw, shown) pairs, ascending):
    it moves scores between bands without changing their order.

    >>> calibrate(50, ((0, 0), (40, 30), (60, 70), (100, 100)))
    50
    """
    if raw <= knots[0][0]:
        return round(knots[0][1])
    for (x0, y0), (x1, y1) in pairwise(knots):
        if raw <= x1:
            return round(y0 + (y1 - y0) * (raw - x0) / (x1 - x0))
    return round(knots[-1][1])
