"""The rubric's notes agree with its numbers, and its score bands read the way people label."""

from __future__ import annotations

import pytest

from review_forge.bot.scoring.bands import BANDS, band
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import DIMENSIONS, Comment

HUNK = "@@ -1,4 +1,6 @@ def fetch(url, retries):\n+    tmp = 0\n+    while tmp < retries:\n"
# Notes that say a part is present, and notes that say one is missing (substrings).
PRESENT = (
    "gives the reason and what to do instead",
    "proposes a concrete change",
    "asks for a specific change",
    "civil, and helps the author improve",
    "from the change",
    "points at specific code",
    "detailed",
    "specific and readable",
    "the author can tell what to do",
)
MISSING = (
    "gives neither a reason nor the expected outcome",
    "does not say what to change",
    "does not name the code it means",
    "too short",
    "too brief",
    "nothing to act on",
    "says nothing the author can use",
    "hostile wording",
    "judges instead of explaining",
    "thinks aloud",
    "says the code may stay",
    "shouts",
    "vague",
)
BODIES = [
    "LGTM",
    "nit",
    "Why?",
    "This is wrong.",
    "Use a set.",
    "Please use a set here, thanks!",
    "This retries forever when the server returns 500. @alice can you cap it?",
    "You forgot to close the file handle; wrap it in a with block, otherwise we leak descriptors "
    "under load.",
    "This function is way too long and hard to follow, please split it up into smaller helpers "
    "so each one does a single thing.",
    "Please rename `tmp` to `attempt`, because the loop compares it with `retries` and the "
    "current name hides that.",
    "This is stupid, who wrote this garbage?",
    "Ugly hack. Use a dict.",
    "You never test anything, do you? This breaks everything AGAIN!!",
    "Just curious, why a list here?",
    "I'm fine with this, but it works either way.",
    "Hmm, interesting.",
    "Looks good to me, nice work on the tests.",
    "Could you add a test for the empty input? `fetch('')` raises IndexError today because "
    "`parts[0]` is read before the length check, so callers see a crash instead of None.",
    "The timeout handling looks off.",
    "See https://docs.python.org/3/library/functools.html#functools.cache for why this leaks "
    "memory when the argument is a bound method: the cache keeps `self` alive.",
    "word " * 120,
    "Maybe perhaps we could possibly consider renaming this, I think, not sure.",
]
CASES = [Comment(b) for b in BODIES] + [Comment(b, diff_hunk=HUNK) for b in BODIES]


@pytest.mark.parametrize("comment", CASES, ids=[f"{i}" for i in range(len(CASES))])
def test_a_note_never_contradicts_its_number(comment):
    score = score_comment(comment)
    for dim in DIMENSIONS:
        note, value = score.notes[dim], score.dimensions[dim]
        says_present = any(p in note for p in PRESENT) and " but " not in note
        says_missing = any(m in note for m in MISSING) and " but " not in note
        if says_present:
            assert value >= 60, (dim, value, note)
        if says_missing:
            assert value < 60, (dim, value, note)
        if " but " in note:  # something present, something missing: the middle bands
            assert 40 <= value < 80, (dim, value, note)


def test_the_issue_examples_read_right():
    retries = score_comment(Comment(BODIES[6]))
    assert not (
        retries.notes["completeness"] == "gives the reason and what to do instead"
        and retries.dimensions["completeness"] < 60
    )
    handle = score_comment(Comment(BODIES[7]))
    assert "blames" not in handle.notes["constructiveness"]
    assert handle.dimensions["constructiveness"] >= 60
    split = score_comment(Comment(BODIES[8]))
    assert split.notes["completeness"] != "says what to change, but not why"  # it says why
    assert split.score >= 50


def test_bands_cover_every_score_in_order():
    assert [band(s) for s in (100, 80, 79, 60, 59, 40, 39, 0)] == [
        "ready to post",
        "ready to post",
        "good with one gap",
        "good with one gap",
        "missing something essential",
        "missing something essential",
        "rework",
        "rework",
    ]
    assert [low for low, _ in BANDS] == sorted((low for low, _ in BANDS), reverse=True)


def test_band_order_follows_what_a_comment_gives():
    ranked = [
        "LGTM",
        "The timeout handling looks off.",
        "This retries forever when the server returns 500. @alice can you cap it?",
        BODIES[17],
    ]
    scores = [score_comment(Comment(b)).score for b in ranked]
    assert scores == sorted(scores) and band(scores[0]) == "rework"
    assert band(scores[-1]) in ("ready to post", "good with one gap")
