"""The words the rubric listens for, kept apart from the scoring rules so both stay readable.

The lists describe review comments in general (reasons, requests, hedges, insults), not any one
data set, so the rubric carries over to comments it has never seen. They are matched on a
comment's lower-case tokens (see `Text`).

>>> [hostile(t) for t in ("You idiot", "kill the process", "a dumb pipe", "a silly hack")]
[(('idiot',), ()), ((), ()), ((), ()), ((), ('silly',))]
>>> REASON.find(Text("Drop it, because the caller already checks."))
['because']
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9_*+]+(?:['-][a-z0-9_*+]+)*")


class Text:
    """A comment's prose as lower-case tokens, and what each word list matches in them.

    Every list is matched in one pass over the tokens (a dictionary look-up per token), not one
    regex per list: 10,000 comments must score in a few seconds.
    """

    def __init__(self, prose: str, words: tuple[str, ...] | None = None) -> None:
        """`words`: the tokens of `prose`, when the caller has them already."""
        self.tokens = tokens(prose) if words is None else words
        self.hits = _scan(self.tokens)


def tokens(prose: str) -> tuple[str, ...]:
    """Lower-case words as the lists spell them ("don't", "f***", "+1", "half-assed")."""
    return tuple(words(fold(prose)))


def fold(prose: str) -> str:
    """`prose` in lower case with typographic apostrophes plain, ready for `words`."""
    return prose.lower().replace("\u2019", "'")


def words(folded: str) -> list[str]:
    """The tokens of text already `fold`ed."""
    return _TOKEN.findall(folded)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


class Terms:
    """Words, word prefixes (`name*`) and phrases (with spaces), matched on whole tokens.

    Written as one comma-separated string, so the lists stay compact and easy to scan.
    """

    def __init__(self, listing: str) -> None:
        self.entries = tuple(e.strip() for e in listing.split(",") if e.strip())
        _ALL.append(self)

    def find(self, text: Text) -> list[str]:
        """Every match, in the order they appear."""
        return text.hits.get(self, [])

    def count(self, text: Text) -> int:
        return len(self.find(text))

    def any(self, text: Text) -> bool:
        return self in text.hits


_ALL: list[Terms] = []
_WORDS: dict[str, list[Terms]] = {}
_PHRASES: dict[str, list[tuple[Terms, tuple[str, ...]]]] = {}
_PREFIXES: list[tuple[str, Terms]] = []
_STARTS: tuple[str, ...] = ()


def _index() -> None:
    """Key every entry of every list by its (first) token, once all lists are defined."""
    global _STARTS
    for terms in _ALL:
        for entry in terms.entries:
            if entry.endswith("*"):
                _PREFIXES.append((entry[:-1], terms))
            elif " " in entry:
                words = tuple(entry.split())
                _PHRASES.setdefault(words[0], []).append((terms, words))
            else:
                _WORDS.setdefault(entry, []).append(terms)
    _STARTS = tuple(prefix for prefix, _ in _PREFIXES)


def _scan(tokens: tuple[str, ...]) -> dict[Terms, list[str]]:
    hits: dict[Terms, list[str]] = {}
    known = _KNOWN
    for i, token in enumerate(tokens):
        entry = known.get(token)
        if entry is None:
            entry = _entries(token)
        if entry is _NOTHING:  # most words of a comment are in no list
            continue
        single, phrases = entry
        for terms in single:
            hits.setdefault(terms, []).append(token)
        if phrases and i + 1 < len(tokens):  # only the phrases whose second word comes next
            for terms, words in phrases.get(tokens[i + 1], ()):
                if tokens[i : i + len(words)] == words:
                    hits.setdefault(terms, []).append(" ".join(words))
    return hits


_Phrases = dict[str, tuple[tuple["Terms", tuple[str, ...]], ...]]
_Entry = tuple[tuple[Terms, ...], _Phrases]
_NOTHING: _Entry = ((), {})
# Each word's lists, looked up once: a dictionary hit per token is the whole cost of a scan. The
# same few thousand words make up most comments; past the bound, new words are not kept.
_KNOWN: dict[str, _Entry] = {}
_KNOWN_LIMIT = 1 << 16


def _entries(token: str) -> _Entry:
    """The lists `token` is a word of (or starts a word of), and the phrases it starts."""
    single = list(_WORDS.get(token, ()))
    if token.startswith(_STARTS):
        single += [terms for prefix, terms in _PREFIXES if token.startswith(prefix)]
    phrases: dict[str, list[tuple[Terms, tuple[str, ...]]]] = {}
    for terms, words in _PHRASES.get(token, ()):
        phrases.setdefault(words[1], []).append((terms, words))
    by_next = {second: tuple(found) for second, found in phrases.items()}
    entry = (tuple(single), by_next) if single or by_next else _NOTHING
    if len(_KNOWN) < _KNOWN_LIMIT:
        _KNOWN[token] = entry
    return entry


# A whole comment that only points back at an earlier one: as useful as that one, unknown here.
BACK_REFERENCE = re.compile(
    r"^\W*(?:ditto|same|same here|likewise|and here|here too|also here|as above|same as above|"
    r"see above|same (?:comment|thing|issue|nit|problem)(?: here| as above)?)\W*$",
    re.I,
)
# A whole comment that is only one of these says nothing the author can use.
TRIVIAL = re.compile(
    r"^\W*(?:lgtm|\+1|-1|\+\+|nit|nits|done|ok|okay|ack|thanks|thank you|thx|ty|yes|no|yep|"
    r"nope|agreed|fixed|will do|looks good|looks good to me|good|fine|ship it|approved|\w)?\W*$",
    re.I,
)

# Insults and profanity: Constructiveness stays low whatever else the comment has.
HOSTILE_SEVERE = Terms(
    """
    fuck*, f*ck*, f**k*, f***, f***ing, fck*, f'ng, fu**, dafuq, fugly, shit*, sh*t, sh**,
    bullshit, dipshit, crap, crappy, damn*, dammit, goddamn*, wtf, wth, omfg, stfu, ffs, idiot,
    idiots, idiotic, idiocy, moron*, retard*, stupid, stupidest, stupidity, stupidly, dumbass,
    dumbest, ass, asshole*, half-assed, kick-ass, smart-ass, jackass, smartass, arse, bastard*,
    bitch*, dick, dickhead, douche*, jerk, pissed, piss, suck*, sux, turd*, scumbag*, shitty,
    pathetic, incompetent, clueless, braindead, brain-dead, brainless, imbecile*, loser*,
    liar*, anal, bloody, bugger*, freaking, frickin*, effing, rubbish, bs, faggot*, fag, rape,
    slut*, whore*, cunt*, twat*, wanker*, bollocks, ignorant, slacker*, luddite*, coward*,
    bonehead*, chump*, shut up, screw you, screwed, screw up, screwing up, what the hell,
    the hell, are you kidding, are you serious, do you even, did you even, learn to read,
    who wrote this, pain in the
    """
)
# Judgement words: not insults, but they criticise instead of explaining.
HOSTILE_MILD = Terms(
    """
    dumb, lame, garbage, ugly, uglier, ugliest, silly, gross, yuck*, yuk, ugh, ick, meh, bleh,
    blech, barf, eww, crud, awful, horrible, horrendous, terrible, disgusting, disgrace*,
    hideous, annoying, annoys, annoyed, nonsense, ridiculous, absurd, insane, crazy, nuts, lol,
    lmao, lmfao, rofl, omg, geez, jeez, smh, sigh, grr*, argh*, aargh*, ergh, doh, hacky,
    dirty hack, sloppy, careless, amateur*, stinks, stinky, smelly, messy, abomination,
    monstrosity, atrocious, embarrassing, shame, shameful, hate, hated, hates, hating,
    seriously, clearly you, facepalm, yikes, darn*, heck, hell, evil, devil, cursed, nasty,
    obnoxious*, dislike, worst, foolish, brain fart, brain-fart, goofy, wacky, whacky, clumsy,
    puke*, groan*, butt, sexy, sexier, unacceptable, waste of time, wasting my time,
    is this a joke, what a joke, this is a joke, rtfm, duh, thanks for nothing, do your homework,
    google it, give me a break, you people, no offense, shame on you, get lost
    """
)
# Blunt technical phrases and self-deprecation: they contain a listed word but insult nobody.
NOT_HOSTILE = re.compile(
    r"\b(?:garbage[- ]collect\w*|garbage (?:in|at|value|values|data|bytes|char\w*|input|output)|"
    r"(?:trailing|random|writing|write|return|returns|left) garbage|"
    r"dumb (?:terminal|pipe|client|proxy)s?|worst[- ]case|"
    r"(?:stupid|dumb|silly|naive|idiotic) (?:question|query|q|nit|idea|thought|suggestion|"
    r"example|objection|mistake|typo|error|bug)s?|(?:stupid|silly|dumb|idiot) me|"
    r"(?:i'?m|i am|am i|i was|was i|i've been|me being|i feel like|some) (?:so |just |a bit |"
    r"being |really |such |like )?(?:an? )?(?:complete |giant |total |big )?(?:stupid|dumb|"
    r"idiot|moron|silly)|wtf(?:::|/|_|\.h)|[/.]wtf\b)",
    re.I,
)
# Every match of `NOT_HOSTILE` holds one of these (in lower case); without one it cuts nothing.
_EXCEPTED = re.compile(r"garbage|dumb|worst|stupid|silly|naive|idiot|moron|wtf")
# Phrases that each excepted one or two rows of one data set ("as dumb as", "my brain is stupid");
# `benchmarks/rubric_transfer.py` checks whether they help on data sets they were not chosen on.
NOT_HOSTILE_ROWS = re.compile(
    r"\b(?:stupid[- ]simple|simple,? (?:and )?stupid|dumb (?:component|mode|map|mapping|mmap|"
    r"call|buffer|pointer|parsing|down)s?|as dumb as|(?:dependency|callback|dll|jar|config|merge|"
    r"version) hell|hell of a|nuts and bolts|sucks? (?:in|up)|my (?:own )?stupidity|"
    r"my brain is stupid|call me (?:stupid|dumb)|wtf (?:types?|strings?|vectors?))",
    re.I,
)


def hostile(
    raw: str, text: Text | None = None, row_phrases: bool = False
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The severe and the mild judgement words in `raw` (tokenised as `text`), each once,
    technical phrases and self-deprecation excepted (and `NOT_HOSTILE_ROWS` with `row_phrases`)."""
    text = text or Text(raw)
    severe, mild = HOSTILE_SEVERE.find(text), HOSTILE_MILD.find(text)
    if not (severe or mild):
        return (), ()
    # Rare: only then pay for the exceptions, and only when a word they need is there.
    if row_phrases or _EXCEPTED.search(raw.lower()) is not None:
        calm_raw = NOT_HOSTILE.sub(" ", raw)
        calm = Text(NOT_HOSTILE_ROWS.sub(" ", calm_raw) if row_phrases else calm_raw)
        severe, mild = HOSTILE_SEVERE.find(calm), HOSTILE_MILD.find(calm)
    return tuple(dict.fromkeys(severe)), tuple(dict.fromkeys(mild))


# The reviewer addressing the author with blame rather than the code.
BLAME = Terms(
    """
    you broke, you forgot, you ignored, you never, you don't understand, you didn't read,
    you didn't test, you didn't even, you didn't bother, how many times, i told you, as i said,
    why would you, what were you thinking, you obviously, you clearly
    """
)
# The reviewer talking about the author rather than the code ("you", "your"), counted except
# right after a request word ("can you", "thank you") or before a modal ("you could").
SECOND_PERSON = _set("you your you're yourself yourselves you've you'll u ur")
REQUEST_BEFORE = _set("can could would will should if do did thank thanks you'd may might mind")
MODAL_AFTER = _set("can could should may might need want mean think")
# The reviewer says the code may stay as it is: nothing the author has to do.
WAIVER = Terms(
    """
    meh, but it works, but this works, but that works, works too, works fine, works for me,
    i'm fine with, i am fine with, i'm ok with, i'm okay with, fine with it, fine with this,
    fine with me, is fine, it's fine, that's fine, looks fine, should be fine, is ok, it's ok,
    that's ok, but ok, but okay, not a big deal, no big deal, doesn't matter,
    doesn't really matter, shouldn't matter, either way, feel free to ignore, not blocking,
    non-blocking, up to you, no need to change, can be ignored, never mind, nevermind,
    not important, just a nit, seems reasonable, looks reasonable, is reasonable,
    looks correct, looks right, good to go, nothing to worry, no need to worry,
    don't have to worry, not losing anything, no action needed, no change needed,
    no changes needed, no further, can be done later, done separately, in a separate change,
    in a separate patch, in a follow-up, in a follow up, in a follow-on, in a later patch,
    in a future patch, not in this change
    """
)
# Thinking aloud: the reviewer notes or wonders something but asks the author for nothing.
ASIDE = Terms(
    """
    curious, wonder, wondering, surprised, interesting, fyi, unrelated, out of curiosity,
    general question, just a question, just asking, for my own, for the record, note to self,
    thinking out loud, side note
    """
)
# An acknowledgement as the first words ("OK so ...", "Ah, I see ...").
ACK_OPENERS = _set("ok okay ah ahh oh hmm hm heh yeah yep right agreed ack sure")
REASON = Terms(
    """
    because, since, so the, so it, so this, so we, so you, so they, otherwise, therefore, thus,
    hence, causes, caused, causing, so that, due to, in order to, to avoid, to prevent,
    to ensure, to keep, to make sure, to allow,
    to support, to match, to reduce, which means, which would, which will, which makes,
    which causes, this means, that means, it means, this would, that would, it would,
    this will, that will, it will, this could, it could, this might, it might, this breaks,
    this makes, the reason, given that, leads to, lead to, results in, result in, as it,
    as this, as that, as we, as they, as there, if we, if you, if the, if this, if it,
    if someone, when we, when you, when the, when this, when it
    """
)
# "so <subject> <verb>" is a consequence ("... so large inputs don't take quadratic time"): a
# reason. The verb is recognised by these auxiliaries and common verbs of consequence; "so" before
# one of the NOT_CONSEQUENCE words is an intensifier or a filler ("so far", "so many", "or so").
CLAUSE_VERBS = _set(
    """
    is are was were be will would can could cannot can't couldn't won't wouldn't don't doesn't
    didn't isn't aren't wasn't weren't should shouldn't must may might has have hasn't haven't
    do does did
    need needs get gets stay stays keep keeps end ends work works run runs break breaks fail fails
    """
)
NOT_CONSEQUENCE = _set("far much many long often few little called forth on")
EXPECTED = Terms(
    """
    should, shouldn't, must, mustn't, instead, expected, expect, prefer, preferred, preferably,
    ought, need to, needs to, has to, have to, supposed to, rather than, would be better,
    would be nicer, would be cleaner, would be safer, would be simpler, would be clearer,
    would be good, would be nice, would be more, better to, better if, is required,
    are required
    """
)
SUGGESTION = Terms(
    """
    consider*, suggest*, recommend*, please, instead, replace*, let's, how about, what about,
    why not, can we, could we, can you, could you, would you, will you, let us, we can,
    we could, we should, we need, you can, you could, you should, you need, you might, you may,
    i'd use, i'd suggest, i'd prefer, i'd rather, i'd move, i'd rename, i'd add, i'd remove,
    i'd change, i'd go, i'd keep, i'd make, i would, rather than, switch to, pls, plz,
    may as well, might as well, could be, can be removed, can be dropped, can be deleted,
    can be simplified, can be replaced, can be moved, can be merged, can be made, can be a,
    can go, would be good, would also be good, good to add, is better, it'd be, it would be
    """
)
# A sentence that starts with one of these verbs is a request ("Rename this to ...").
IMPERATIVE = _set(
    """
    add remove use rename move replace change drop delete make extract avoid fix check return
    pass call split simplify document update wrap handle test put keep revert inline merge convert
    switch include exclude reuse mention mark log raise throw catch set unset initialize initialise
    declare define guard validate assert sort reorder align indent format squash rebase link
    reference explain clarify note cache store limit bump pin lower increase decrease prefer try
    ensure verify refactor rewrite factor combine separate collapse expand specify omit skip leave
    restore open close import export expose hide reword rephrase annotate
    """
)
# Words a request may start with before its verb ("nit: please just drop ...").
LEAD_IN = _set("nit nits please maybe also just perhaps minor optional style suggestion")


def _request_pattern() -> re.Pattern[str]:
    """A sentence that starts, after up to three `LEAD_IN` words, with an `IMPERATIVE` verb.

    Searched in "\\n" + the folded text: a sentence starts after a newline or after the space
    that follows ".", "!", "?", ":" or ";", and its words are the tokens `words` finds (the
    characters between them are not token characters). Skipping those characters may run into the
    next sentence, but only through lead-in words, and then that sentence is a request too.
    """
    token, between = "[a-z0-9_*+]", "[^a-z0-9_*+]*"
    end = f"(?!{token}|['-]{token})"  # the whole token, not the start of a longer one
    lead, verb = ("|".join(sorted(words)) for words in (LEAD_IN, IMPERATIVE))
    return re.compile(
        rf"\s(?:(?<=[.!?:;]\s)|(?<=\n))(?:{between}(?:{lead}){end}){{0,3}}{between}(?:{verb}){end}"
    )


REQUEST = _request_pattern()
PROBLEM = Terms(
    """
    bug, bugs, buggy, break, breaks, breaking, breakage, broken, fail*, crash*, leak*, race,
    racy, deadlock*, error*, exception*, wrong, incorrect*, missing, typo*, duplicat*,
    redundant, unused, unnecessary, inconsistent, slow*, overflow*, underflow*, null, nil,
    undefined, vulnerab*, injection, insecure, regress*, mismatch*, invalid, outdated, stale,
    unsafe, deprecated, ambiguous, confusing, misleading, unclear, unreachable, blocking,
    timeout*, hangs, quadratic, exponential, inefficient, expensive, costly, wasteful,
    every iteration, each iteration, not needed, doesn't work, won't work, does not work, no longer,
    off-by-one, dead code, needless, not necessary, not used, never used, isn't used,
    not supported, not defined, hard to follow, hard to read, hard to understand, too long,
    too complex, too complicated, forever, leaks, never closed, not closed
    """
)
# What the code does (tests, errors, results): the topics where a review comment matters most.
BEHAVIOUR = Terms(
    """
    test*, mock*, assert*, coverage, return*, raise*, throw*, behaviour*, behavior*,
    performance, security, thread*, lock*, memory, upgrade*, compat*, regression*, api,
    edge case, corner case, side effect, side effects
    """
)
# Layout and wording only: worth fixing, but a formatter or linter could have said it.
COSMETIC = Terms(
    """
    whitespace, white space, newline*, new line, blank line, blank lines, indent*, alignment,
    align, aligned, spacing, spaces, space, capitali*, capitalis*, typo*, spelling, misspell*,
    comma*, punctuation, formatting, style, line length, trailing, pep8, nit, nits, nitpick*
    """
)
HEDGE = Terms(
    """
    maybe, perhaps, probably, might, seems, seem, possibly, somewhat, imo, imho, afaik, afaict,
    iiuc, iirc, i think, i guess, i believe, not sure, kind of, sort of
    """
)
POLITE = Terms(
    """
    please, thanks, thx, nice, great, appreciate*, sorry, wdyt, i'd, let's, thank you,
    good catch, would you mind, what do you think, we could, good point, well done,
    makes sense
    """
)
PRAISE = Terms(
    """
    lgtm, good, great, nice, cool, neat, awesome, perfect, excellent, agreed, agree, thanks,
    +1, love, clean, cleaner, better, looks good, makes sense, good catch, good point,
    thank you, like this, well done
    """
)
# Generic advice that fits any change, so it tells the author little about this one.
GENERIC = Terms(
    """
    readability, maintainability, cleaner, overall, more readable, easier to read,
    easier to understand, easier to maintain, best practice, best practices, good practice,
    code quality, more maintainable, more efficient, good addition, good change, improves the,
    this change, the code change, code changes
    """
)
VAGUE = Terms(
    """
    something, somehow, stuff, things, thing, whatever, etc, some way
    """
)

# Words that appear in any code or prose; naming them is not a sign of naming the change.
COMMON = _set(
    """
    the and for not but are was were this that with from have has had you your they them
    their there here what when where which while who why how can could would should will shall
    may might must does did done doing its into onto than then else elif also just only very
    more most some any all each every none null nil true false self new return returns
    def class import public private protected static final void int str string bool
    boolean char float double long var let const function func end begin case switch break
    continue try catch except finally raise throw throws pass yield async await lambda
    package include define ifdef endif struct enum type types value values data name names
    file files line lines code test tests use used using set get make one two add remove
    change changes need needs like see out off our about over under after before other
    same such own well still even much many because since
    """
)

_index()
