"""The rubric scorer: a deterministic, dependency-free judge of one review comment.

A useful review comment points at the code it means, says what is wrong and why, says what should
happen instead (ideally as a concrete change), and stays civil. The rubric measures exactly those
things from the text and, when given, from the diff hunk the comment is about:

- Clarity: can the author tell what is meant (specific references, readable length)?
- Completeness: does it give the reason and the expected behaviour, not only a verdict?
- Actionability: is there a change to make (a request, a suggestion, a code example)?
- Constructiveness: does it help rather than judge (no insults, reasons, a civil tone)?

>>> from bot.scoring import Comment
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

import functools
import math
import re
from dataclasses import dataclass

from bot import lexicon as lx
from bot.score import DIMENSIONS, Score
from bot.scoring import Comment

# Regex features read at most this much text: more says nothing new about a comment (GitHub
# caps one at 65,536 characters) and keeps the time per comment bounded whatever the input.
_READ_LIMIT = 10_000
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_INLINE = re.compile(r"`[^`\n]++`")
_URL = re.compile(r"https?://\S++")
# A word that reads as code: snake_case, camelCase, call(), a.b, path/to, ns::name, L42. The
# look-ahead scans each word once from its start, so the time stays linear in the text.
_CODE_TOKEN = re.compile(
    r"(?<!\S)(?=\S*?(?:\w_\w|[a-z][A-Z]|\w\(|\w\.\w|\w/\w|::|->)|L\d+\b|#\d+\b)\S+"
)
_ACK_START = {(word,) for word in lx.ACK_OPENERS}
# Shouting, exasperation or a smirk: "!!", "?!", "??", ";)" and ":P".
_SHOUT = re.compile(r"[!?]{2}|;-?\)|:-?[pP]\b")
_SUBSTITUTION = re.compile(r"(?<![\w/])s/[^/\s]+/[^/\n]*/")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}+")
_FILENAME = re.compile(r"[\w.-]+")
_CODE_LIKE = re.compile(r"_|[a-z][A-Z]|\d")
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n")


@dataclass(frozen=True)
class Features:
    """What the rubric reads from a comment; every dimension is computed from these."""

    words: int
    trivial: bool
    back_reference: bool
    code_refs: int
    hunk_refs: tuple[str, ...]
    hunk_given: bool
    hunk_hint: str | None
    links: int
    reason: bool
    expected: bool
    suggestion: bool
    example: bool
    problem: bool
    behaviour: bool
    cosmetic: bool
    question: bool
    waiver: bool
    aside: bool
    hedges: int
    polite: bool
    praise_only: bool
    generic: int
    vague: int
    longest_sentence: int
    severe: tuple[str, ...]
    mild: tuple[str, ...]
    blame: bool
    shouting: bool

    @property
    def specificity(self) -> float:
        """0-1: how precisely the comment points at code. With a diff only names from the
        change count: other code-like words are about code elsewhere, or made up."""
        if self.hunk_given:
            return _saturate(len(self.hunk_refs), 1.5)
        return _saturate(self.code_refs, 2)


def features(comment: Comment) -> Features:
    """Read the comment (and its diff hunk) once; the dimensions only combine these."""
    words = len(comment.body.split())
    raw = comment.body.strip()[:_READ_LIMIT]
    outside_code = _INLINE.sub(" ", _FENCE.sub(" ", raw))
    prose_raw = _URL.sub(" link ", outside_code)
    prose = lx.Text(prose_raw)
    hunk_idents = _hunk_identifiers(comment.diff_hunk)
    named = tuple(sorted(hunk_idents.intersection(_IDENT.findall(raw))))
    filename = (comment.path or "").rsplit("/", 1)[-1]
    if _FILENAME.fullmatch(filename) and filename in raw:  # notes quote it: plain names only
        named += (filename,)
    sentences = [lx.tokens(s) for s in _SENTENCE.split(prose_raw)]
    suggestion = (
        lx.SUGGESTION.any(prose)
        or any(_requests(tokens) for tokens in sentences)
        or _SUBSTITUTION.search(raw) is not None
    )
    problem = lx.PROBLEM.any(prose)
    behaviour = problem or lx.BEHAVIOUR.any(prose)
    expected = lx.EXPECTED.any(prose)
    question = "?" in prose_raw
    has_code = "`" in raw
    short = len(raw) <= 40  # whole-comment patterns only make sense for a few words
    severe, mild = lx.hostile(prose_raw, prose)
    code_refs = raw.count("`") // 2 + len(_CODE_TOKEN.findall(outside_code))
    return Features(
        words=words,
        trivial=short and bool(lx.TRIVIAL.match(raw)),
        back_reference=short and bool(lx.BACK_REFERENCE.match(raw)),
        code_refs=code_refs,
        hunk_refs=named,
        hunk_given=bool(hunk_idents),
        hunk_hint=_hunk_hint(comment.diff_hunk),
        links=len(_URL.findall(raw)),
        reason=lx.REASON.any(prose),
        expected=expected,
        suggestion=suggestion,
        example=(suggestion or expected) and (has_code or code_refs > 0),
        problem=problem,
        behaviour=behaviour,
        cosmetic=lx.COSMETIC.any(prose) and not behaviour,
        question=question,
        waiver=lx.WAIVER.any(prose),
        aside=lx.ASIDE.any(prose) or prose.tokens[:1] in _ACK_START,
        hedges=lx.HEDGE.count(prose),
        polite=lx.POLITE.any(prose),
        praise_only=lx.PRAISE.any(prose) and not (suggestion or problem or expected or question),
        generic=lx.GENERIC.count(prose),
        vague=lx.VAGUE.count(prose),
        longest_sentence=max(map(len, sentences), default=0),
        severe=severe,
        mild=mild,
        blame=lx.BLAME.any(prose),
        shouting=_SHOUT.search(raw) is not None or _shouts(prose_raw),
    )


def _requests(tokens: tuple[str, ...]) -> bool:
    """A sentence that starts (after "nit:", "please", ...) with a verb like "rename"."""
    for token in tokens[:4]:
        if token in lx.IMPERATIVE:
            return True
        if token not in lx.LEAD_IN:
            return False
    return False


@functools.lru_cache(maxsize=64)  # a batch often scores several comments on one hunk
def _hunk_identifiers(hunk: str | None) -> frozenset[str]:
    """The names in the changed code that would show a comment is about this change."""
    if not hunk:
        return frozenset()
    return frozenset(i for i in _IDENT.findall(hunk[:_READ_LIMIT]) if i.lower() not in lx.COMMON)


@functools.lru_cache(maxsize=64)
def _hunk_hint(hunk: str | None) -> str | None:
    """The first code-like name on a changed line: what to suggest naming when none is named."""
    changed = [line for line in (hunk or "")[:_READ_LIMIT].splitlines() if line[:1] in "+-"]
    for line in changed + (hunk or "")[:_READ_LIMIT].splitlines():
        for name in _IDENT.findall(line):
            if _CODE_LIKE.search(name) and name.lower() not in lx.COMMON:
                return name
    return None


def _shouts(prose: str) -> bool:
    """Several all-capital words in a row of prose (not constants like MAX_SIZE or NULL)."""
    caps = re.findall(r"\b[A-Z]{4,}\b", prose)
    return len(caps) >= 3 and len(caps) * 4 > len(prose.split())


def _saturate(value: float, scale: float) -> float:
    """0 for nothing, approaching 1 with diminishing returns: the 40th word adds little."""
    return 1.0 - math.exp(-value / scale)


def _clamp(value: float) -> int:
    return max(0, min(100, round(value)))


def _clarity(f: Features) -> tuple[int, str]:
    value = 20 + 30 * _saturate(f.words, 8) + 50 * f.specificity
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
    value += 10 * f.expected + 6 * min(1, f.links) + 25 * _saturate(f.words, 15) - 10 * f.cosmetic
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
    value += 20 * f.specificity + 20 * _saturate(f.words, 12) - 50 * f.waiver - 40 * f.aside
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
    value += 8 * min(2, f.hedges) + 6 * _saturate(f.words, 20) - 8 * f.blame - 10 * f.shouting
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
