"""What the rubric reads from a review comment: the features every dimension is computed from.

Each feature is a general property of review comments (does it name code, give a reason, ask for
a change, insult someone), read from the text and, when given, from the diff hunk. The word lists
live in `bot.lexicon`; `bot.rubric` combines the features into the four dimensions.

>>> f = features(Comment("Move the open() above the loop so large inputs stay fast."))
>>> f.reason, f.suggestion, f.code_refs  # "so <subject> <verb>" gives the reason
(True, True, 1)
>>> hunk = "+    retry_count = 0\\n+    while retry_count < max_retries:"
>>> f = features(Comment("Start the retry count at 1, like the retries.", diff_hunk=hunk))
>>> f.hunk_refs, f.hunk_words  # no name from the change, but three words of its names
((), 3)
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from review_forge.bot.scoring import lexicon as lx
from review_forge.bot.scoring.score import Comment

# Regex features read at most this much text: more says nothing new about a comment (GitHub
# caps one at 65,536 characters) and keeps the time per comment bounded whatever the input.
_READ_LIMIT = 10_000
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_INLINE = re.compile(r"`[^`\n]++`")
_URL = re.compile(r"https?://\S++")
# A word that reads as code: snake_case, camelCase, call(), a.b, path/to, ns::name, L42, found
# after the space before it (`_code_words` puts one before the text). The look-ahead scans each
# word once from its start, so the time stays linear in the text; the first one skips, in one
# character-class run, the words without a character any of those needs. Every pattern here opens
# with a character class where it can: `re` then skips to the next such character in C.
_CODE_TOKEN = re.compile(
    r"\s(?=[^\s_(./:>#A-Z-]*+[_(./:>#A-Z-])"
    r"(?=\S*?(?:\w_\w|[a-z][A-Z]|\w\(|\w\.\w|\w/\w|::|->)|L\d+\b|#\d+\b)\S+"
)
_ACK_START = {(word,) for word in lx.ACK_OPENERS}
# Shouting, exasperation or a smirk: "!!", "?!", "??", ";)" and ":P".
_SHOUT = re.compile(r"[!?;:](?:(?<=[!?])[!?]|(?<=;)-?\)|(?<=:)-?[pP]\b)")
_SUBSTITUTION = re.compile(r"(?<![\w/])s/[^/\s]+/[^/\n]*/")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}+")
_FILENAME = re.compile(r"[\w.-]+")
_NAME_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")  # snake_case and camelCase parts
_CODE_LIKE = re.compile(r"_|[a-z][A-Z]|\d")
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n")
_LONG_SENTENCE = 40  # words: a sentence longer than this is hard to follow
_CLAUSES = re.compile(r"(?<=[.!?])\s+|\n")  # a ";" or ":" does not start a new sentence
# Evidence the author can check: a number (a status code, a line, a size), an error's name, a link,
# or quoted output.
_EVIDENCE = re.compile(r'\d|link|"[^"\n]{3,}"')
_ERROR_NAME = re.compile(r"\w(?:Error|Exception)\b")
_CAPS = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]{3,}\b")  # a word of four or more capitals
_QUOTED = re.compile(r'"[^"\n]*+"')  # proposed wording or a message, not the reviewer's own words


@dataclass(slots=True)  # frozen would cost a third of the reading time in __init__
class Features:
    """What the rubric reads from a comment; every dimension is computed from these."""

    words: int
    chars: int
    trivial: bool
    back_reference: bool
    code_refs: int
    hunk_refs: tuple[str, ...]
    hunk_given: bool
    hunk_words: int
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
    sentence_excess: int  # words past 40 in the longest sentence: it is hard to follow
    severe: tuple[str, ...]
    mild: tuple[str, ...]
    blame: bool
    shouting: bool
    second_person: int
    evidence: bool
    # 0-1: how precisely the comment points at code; the first reference counts most. With a diff
    # only the change counts: other code-like words are about code elsewhere, or made up. A word
    # from the change's names ("retry" for `max_retries`) counts half a name: it shows the comment
    # talks about this change, less precisely than the name itself.
    # With a diff: the comment names code, none of it from the change (code elsewhere, or made up)
    elsewhere: bool
    specificity: float
    name_specificity: float  # `specificity` counting only whole names from the change


def features(comment: Comment, row_phrases: bool = False) -> Features:
    """Read the comment (and its diff hunk) once; the dimensions only combine these.

    `row_phrases`: also except the hostile-looking phrases of `lexicon.NOT_HOSTILE_ROWS`.
    """
    body, hunk = comment.body, comment.diff_hunk
    raw = body.strip()[:_READ_LIMIT]
    # Each pattern runs only when the characters it needs are there: most comments have no
    # code span, link, quote or "so" clause, and the rubric runs on every comment of a batch.
    has_code = "`" in raw
    outside_code = raw
    if has_code:
        outside_code = _INLINE.sub(" ", _FENCE.sub(" ", raw) if "```" in raw else raw)
    links = len(_URL.findall(raw)) if "http" in raw else 0
    prose_raw = _URL.sub(" link ", outside_code) if links else outside_code
    # Tokenised once and looked up in every word list at once (`lx.Text`); split into sentences
    # only when the comment is long enough for one to run past `_LONG_SENTENCE` words.
    folded = lx.fold(prose_raw)
    prose = lx.Text(prose_raw, tuple(lx.words(folded)))
    tokens, hits = prose.tokens, prose.hits
    named: tuple[str, ...] = ()
    hunk_idents = _hunk_identifiers(hunk) if hunk else frozenset()
    if hunk_idents:
        named = tuple(sorted(hunk_idents.intersection(_IDENT.findall(raw))))
    if comment.path:
        filename = comment.path.rsplit("/", 1)[-1]
        if _FILENAME.fullmatch(filename) and filename in raw:  # notes quote it: plain names only
            named += (filename,)
    suggestion = (
        lx.SUGGESTION in hits
        or lx.REQUEST.search("\n" + folded) is not None
        or ("s/" in raw and _SUBSTITUTION.search(raw) is not None)
    )
    problem = lx.PROBLEM in hits
    behaviour = problem or lx.BEHAVIOUR in hits
    expected = lx.EXPECTED in hits
    question = "?" in prose_raw
    short = len(raw) <= 40  # whole-comment patterns only make sense for a few words
    severe, mild = lx.hostile(prose_raw, prose, row_phrases)
    code_refs = raw.count("`") // 2 + len(_CODE_TOKEN.findall(" " + outside_code))
    hunk_words = 0
    if hunk_idents:
        named_lower = {name.lower() for name in named}
        hunk_words = len(_hunk_words(hunk).intersection(tokens) - named_lower)
    return Features(
        words=len(body.split()),
        chars=len(raw),
        trivial=short and lx.TRIVIAL.match(raw) is not None,
        back_reference=short and lx.BACK_REFERENCE.match(raw) is not None,
        code_refs=code_refs,
        hunk_refs=named,
        hunk_given=bool(hunk_idents),
        hunk_words=hunk_words,
        hunk_hint=_hunk_hint(hunk) if hunk else None,
        links=links,
        reason=lx.REASON in hits or ("so" in tokens and _consequence_in(prose_raw)),
        expected=expected,
        suggestion=suggestion,
        example=(suggestion or expected) and (has_code or code_refs > 0),
        problem=problem,
        behaviour=behaviour,
        cosmetic=lx.COSMETIC in hits and not behaviour,
        question=question,
        waiver=lx.WAIVER in hits,
        aside=lx.ASIDE in hits or tokens[:1] in _ACK_START,
        hedges=len(hits.get(lx.HEDGE, ())),
        polite=lx.POLITE in hits,
        praise_only=lx.PRAISE in hits and not (suggestion or problem or expected or question),
        generic=len(hits.get(lx.GENERIC, ())),
        vague=len(hits.get(lx.VAGUE, ())),
        sentence_excess=_sentence_excess(folded) if len(tokens) > _LONG_SENTENCE else 0,
        severe=severe,
        mild=mild,
        blame=lx.BLAME in hits,
        shouting=_SHOUT.search(raw) is not None or _shouts(prose_raw),
        second_person=_second_person(tokens),
        evidence=code_refs > 0 or _evidence(prose_raw),
        elsewhere=bool(hunk_idents) and code_refs > 0 and not named,
        specificity=(
            saturate(len(named) + hunk_words / 2, 1) if hunk_idents else saturate(code_refs, 2)
        ),
        name_specificity=saturate(len(named), 1) if hunk_idents else saturate(code_refs, 2),
    )


def _sentence_excess(folded: str) -> int:
    """Words past `_LONG_SENTENCE` in the longest sentence of `folded` text."""
    longest = max(len(lx.words(sentence)) for sentence in _SENTENCE.split(folded))
    return max(0, longest - _LONG_SENTENCE)


def _consequence_in(prose: str) -> bool:
    """Whether a clause of `prose`, quotations left out, is a consequence (`_consequence`)."""
    unquoted = _QUOTED.sub(" ", prose) if '"' in prose else prose
    return any(map(_consequence, _CLAUSES.split(unquoted)))


def _consequence(sentence: str) -> bool:
    """A "so" clause with its own subject and verb: "..., so large inputs don't take ...".

    A sentence that opens with "So" is a discourse marker ("So all of these are broken?"): no.
    """
    tokens = lx.tokens(sentence) if "so" in sentence.lower() else ()
    for i, token in enumerate(tokens[1:-1], start=1):
        if token != "so" or tokens[i + 1] in lx.NOT_CONSEQUENCE:
            continue
        # One to three words of subject, then the verb. A question's "so is this ...?" has no
        # subject, and "so hard to work with" is an adjective and an infinitive, not a clause.
        subject, rest = tokens[i + 1], tokens[i + 2 : i + 5]
        verb = next((j for j, t in enumerate(rest) if t in lx.CLAUSE_VERBS), None)
        if verb is not None and subject not in lx.CLAUSE_VERBS and "to" not in rest[:verb]:
            return True
    return False


def _second_person(tokens: tuple[str, ...]) -> int:
    """How often the comment talks about "you" rather than asking "can you ..." or "you could"."""
    if lx.SECOND_PERSON.isdisjoint(tokens):  # most comments: no loop over the tokens
        return 0
    count = 0
    for i, token in enumerate(tokens):
        if token in lx.SECOND_PERSON:
            before = tokens[i - 1] if i else ""
            after = tokens[i + 1] if i + 1 < len(tokens) else ""
            count += before not in lx.REQUEST_BEFORE and after not in lx.MODAL_AFTER
    return count


@functools.lru_cache(maxsize=64)  # a batch often scores several comments on one hunk
def _hunk_identifiers(hunk: str | None) -> frozenset[str]:
    """The names in the changed code that would show a comment is about this change."""
    if not hunk:
        return frozenset()
    return frozenset(i for i in _IDENT.findall(hunk[:_READ_LIMIT]) if i.lower() not in lx.COMMON)


@functools.lru_cache(maxsize=64)
def _hunk_words(hunk: str | None) -> frozenset[str]:
    """The words the change's names are made of ("max_retries", "maxRetries": "retries"), lower
    case: the vocabulary of a comment that talks about this change."""
    return frozenset(
        part.lower()
        for name in _hunk_identifiers(hunk)
        for part in _NAME_PART.findall(name)
        if len(part) >= 4 and part.lower() not in lx.COMMON
    )


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
    caps = _CAPS.findall(prose)
    return len(caps) >= 3 and len(caps) * 4 > len(prose.split())


def _evidence(prose: str) -> bool:
    """A number, an error's name, a link or quoted output (`_EVIDENCE`)."""
    if _EVIDENCE.search(prose) is not None:
        return True
    return ("rror" in prose or "xception" in prose) and _ERROR_NAME.search(prose) is not None


def saturate(value: float, scale: float) -> float:
    """0 for nothing, approaching 1 with diminishing returns: the 40th word adds little."""
    return 1.0 - math.exp(-value / scale)
