"""The parts synthetic review comments are composed from: code, issues, tones and fillers.

Kept apart from the generator (`training/data_synthesis.py`) so the code stays readable. Markers
`<fn>`, `<var>`, `<helper>` and `<bad>` are filled with identifiers in the language's naming style;
`<ind>` is the language's indentation. Each issue kind has a changed line per language (what a
reviewer would comment on), specific wording (problem, reason, fix) for good comments, vaguer
wording for moderate ones; poor comments come from the generic, hostile and rambling lists.
"""

# ruff: noqa: E501 - data tables: one entry per line, a sentence never split, reads best
# fmt: off

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    ext: str
    dirs: tuple[str, ...]
    snake: bool  # snake_case identifiers (else camelCase)
    indent: str
    header: str  # the first line of the function the hunk is in


LANGUAGES: dict[str, Language] = {
    "python": Language("py", ("src/app", "lib/core", "services/billing"), True, "    ",
                       "def <fn>(<var>, timeout=30):"),
    "javascript": Language("js", ("src", "web/components", "lib/api"), False, "  ",
                           "export async function <fn>(<var>, options = {}) {"),
    "go": Language("go", ("internal/store", "pkg/server", "cmd/worker"), False, "\t",
                   "func (s *Service) <fn>(ctx context.Context, <var> []string) error {"),
    "java": Language("java", ("src/main/java/com/acme/orders", "core/src/main/java/org/app"),
                     False, "        ", "    public List<Order> <fn>(List<String> <var>) {"),
    "rust": Language("rs", ("src", "crates/engine/src", "src/storage"), True, "    ",
                     "pub fn <fn>(<var>: &[String]) -> Result<Vec<Entry>, Error> {"),
    "c": Language("c", ("src", "lib/net", "drivers/usb"), True, "    ",
                  "int <fn>(const char *<var>, size_t len) {"),
}

# Identifier parts; joined as `load_config` / `loadConfig` depending on the language.
VERBS = ("load", "parse", "fetch", "save", "merge", "render", "validate", "sync", "resolve",
         "export", "compute", "refresh", "apply", "build", "collect", "dispatch")
NOUNS = ("config", "users", "orders", "payload", "cache", "report", "tokens", "rows", "invoice",
         "session", "headers", "events", "settings", "batch", "schedule", "metrics")
VARS = (("items",), ("path",), ("buf",), ("retries",), ("user", "id"), ("query",), ("timeout", "ms"),
        ("entries",), ("raw", "input"), ("records",), ("chunk", "size"), ("pending", "jobs"))
HELPERS = (("read", "all"), ("send", "request"), ("lookup",), ("encode",), ("flush",), ("normalize",),
           ("to", "json"), ("retry",))
BAD_NAMES = ("tmp", "x2", "data2", "flag", "res", "val", "obj", "thing", "foo", "d")

# Per kind: the changed line(s) per language ("+" added, "-" removed), then the wording.
CODE: dict[str, dict[str, tuple[str, ...]]] = {
    "bug": {
        "python": ("+<ind>for i in range(len(<var>) + 1):", "+<ind><ind>total += <var>[i]"),
        "javascript": ("+<ind>for (let i = 0; i <= <var>.length; i++) {", "+<ind><ind>total += <var>[i];"),
        "go": ("+<ind>for i := 0; i <= len(<var>); i++ {", "+<ind><ind>total += len(<var>[i])"),
        "java": ("+<ind>for (int i = 0; i <= <var>.size(); i++) {", "+<ind>    total += <var>.get(i).size();"),
        "rust": ("+<ind>let last = &<var>[<var>.len()];",),
        "c": ("+<ind>for (size_t i = 0; i <= len; i++) {", "+<ind><ind>total += <var>[i];"),
    },
    "naming": {
        "python": ("-<ind>pending = <helper>(<var>)", "+<ind><bad> = <helper>(<var>)"),
        "javascript": ("-<ind>const pending = <helper>(<var>);", "+<ind>const <bad> = <helper>(<var>);"),
        "go": ("-<ind>pending, err := s.<helper>(ctx, <var>)", "+<ind><bad>, err := s.<helper>(ctx, <var>)"),
        "java": ("-<ind>List<Order> pending = <helper>(<var>);", "+<ind>List<Order> <bad> = <helper>(<var>);"),
        "rust": ("-<ind>let pending = <helper>(<var>)?;", "+<ind>let <bad> = <helper>(<var>)?;"),
        "c": ("-<ind>int pending = <helper>(<var>, len);", "+<ind>int <bad> = <helper>(<var>, len);"),
    },
    "tests": {
        "python": ("+<ind>if not <var>:", "+<ind><ind>return None"),
        "javascript": ("+<ind>if (!<var>?.length) return null;",),
        "go": ("+<ind>if len(<var>) == 0 {", "+<ind><ind>return nil", "+<ind>}"),
        "java": ("+<ind>if (<var>.isEmpty()) {", "+<ind>    return null;", "+<ind>}"),
        "rust": ("+<ind>if <var>.is_empty() {", "+<ind><ind>return Ok(Vec::new());", "+<ind>}"),
        "c": ("+<ind>if (len == 0) {", "+<ind><ind>return -1;", "+<ind>}"),
    },
    "performance": {
        "python": ("+<ind>for row in <var>:", "+<ind><ind>result.append(db.query(row.id))"),
        "javascript": ("+<ind>for (const row of <var>) {", "+<ind><ind>result.push(await db.query(row.id));"),
        "go": ("+<ind>for _, row := range <var> {", "+<ind><ind>res, _ := s.db.Query(ctx, row)"),
        "java": ("+<ind>for (String row : <var>) {", "+<ind>    result.add(repository.findById(row));"),
        "rust": ("+<ind>for row in <var> {", "+<ind><ind>out.push(db.query(row)?.clone());"),
        "c": ("+<ind>for (size_t i = 0; i < len; i++) {", "+<ind><ind>total += strlen(<var>);"),
    },
    "security": {
        "python": ("+<ind>cursor.execute(\"SELECT * FROM users WHERE name = '%s'\" % <var>)",),
        "javascript": ("+<ind>el.innerHTML = `<p>${<var>}</p>`;",),
        "go": ("+<ind>out, err := exec.Command(\"sh\", \"-c\", \"tar xf \"+<var>[0]).Output()",),
        "java": ("+<ind>stmt.execute(\"DELETE FROM orders WHERE id = \" + <var>.get(0));",),
        "rust": ("+<ind>let out = Command::new(\"sh\").arg(\"-c\").arg(&<var>[0]).output()?;",),
        "c": ("+<ind>char buf[64];", "+<ind>strcpy(buf, <var>);"),
    },
    "docs": {
        "python": ("-def <fn>(<var>):", "+def <fn>(<var>, timeout=30, *, strict=False):"),
        "javascript": ("-export function <fn>(<var>) {", "+export async function <fn>(<var>, options = {}) {"),
        "go": ("-func (s *Service) <fn>(<var> []string) error {", "+func (s *Service) <fn>(ctx context.Context, <var> []string) error {"),
        "java": ("-    public List<Order> <fn>(String <var>) {", "+    public List<Order> <fn>(List<String> <var>) {"),
        "rust": ("-pub fn <fn>(<var>: &str) -> Vec<Entry> {", "+pub fn <fn>(<var>: &[String]) -> Result<Vec<Entry>, Error> {"),
        "c": ("-int <fn>(const char *<var>) {", "+int <fn>(const char *<var>, size_t len) {"),
    },
    "style": {
        "python": ("+<ind>if(<var>==None): return result",),
        "javascript": ("+<ind>if(<var>==null){return result}",),
        "go": ("+<ind>if <var> == nil { return nil }",),
        "java": ("+<ind>if(<var>==null) return result;",),
        "rust": ("+<ind>if <var>.len()==0 {return Ok(result)}",),
        "c": ("+<ind>if(!<var>) return -1; else total=0;",),
    },
}

PROBLEMS: dict[str, tuple[str, ...]] = {
    "bug": ("The loop over `<var>` in `<fn>` goes one past the end: the last iteration reads index len(<var>), which is out of range.",
            "`<fn>` reads `<var>[len]` on the last pass, so it fails with an index error whenever `<var>` is not empty."),
    "naming": ("`<bad>` does not say what it holds; it is the list of pending items returned by `<helper>`.",
               "The new name `<bad>` in `<fn>` hides what the value is."),
    "tests": ("The new empty-`<var>` branch in `<fn>` has no test.",
              "Nothing covers the case where `<fn>` gets an empty `<var>`, and the return value changes there."),
    "performance": ("`<fn>` now runs one query per row of `<var>`, so a request with 500 rows makes 500 round trips.",
                    "The query inside the loop over `<var>` makes `<fn>` O(n) database calls."),
    "security": ("`<var>` comes from the request and goes into the command/query string unescaped in `<fn>`.",
                 "This builds the statement from `<var>` by string concatenation, which allows injection."),
    "docs": ("`<fn>` gained new parameters but its docstring still describes the old signature.",
             "The changed signature of `<fn>` is public API and nothing documents what the new arguments do."),
    "style": ("This line in `<fn>` does not follow the project's formatting (spacing around the comparison, one statement per line).",
              "The condition on `<var>` is squeezed onto one line, unlike the rest of the file."),
}
REASONS: dict[str, tuple[str, ...]] = {
    "bug": ("because range stops at len + 1, so the loop crashes on every non-empty input.",
            "since callers pass non-empty lists on every request, this fails in production."),
    "naming": ("because the next reader has to trace `<helper>` to learn what it is.",
               "since the function already has two other temporaries, which makes it easy to mix them up."),
    "tests": ("because returning nothing here changes what callers receive, and a regression would go unnoticed.",
              "since this is the edge case that broke last release."),
    "performance": ("because each query is a network round trip, and the import job calls this for every batch.",
                    "since this endpoint is on the hot path, and latency will grow with the list size."),
    "security": ("because anyone who controls `<var>` can run arbitrary statements.",
                 "since `<var>` is user input, this is an injection vulnerability."),
    "docs": ("because callers outside this package will not know what `timeout` and `strict` mean.",
             "since the generated API docs are built from these comments."),
    "style": ("because the formatter and linter will flag it, and CI fails on lint errors.",
              "since consistent formatting keeps diffs small and readable."),
}
FIXES: dict[str, tuple[str, ...]] = {
    "bug": ("Please stop at the last index (`<` instead of `<=`), or iterate over `<var>` directly.",
            "The bound should be the length itself, not the length plus one."),
    "naming": ("Could you rename it to `pending_<noun>`?", "Please rename `<bad>` to something like `<noun>_to_retry`."),
    "tests": ("Please add a test that calls `<fn>` with an empty `<var>` and asserts the result.",
              "Could you add a case for the empty input to the existing `<fn>` tests?"),
    "performance": ("Please fetch the rows in one query (`WHERE id IN (...)`) before the loop.",
                    "Consider batching: collect the ids first and make a single call."),
    "security": ("Please use a parameterised query (or pass the arguments as a list) instead of building the string.",
                 "Escape it, or better, pass `<var>` as a bound parameter."),
    "docs": ("Please update the docstring to describe `timeout` (seconds) and `strict`.",
             "Could you add a short doc comment explaining the new arguments and the error case?"),
    "style": ("Please run the formatter on this file.", "Split it into two lines and add spaces around `==`."),
}
VAGUE: dict[str, tuple[str, ...]] = {
    "bug": ("This loop looks off.", "I think there's a bug here.", "Are you sure this works for all inputs?"),
    "naming": ("Maybe a better name?", "Naming could be improved.", "Rename `<bad>`."),
    "tests": ("Needs tests.", "Consider adding tests.", "Is this tested?"),
    "performance": ("This could be slow.", "Might be a performance issue.", "Can this be faster?"),
    "security": ("Is this safe?", "Security concern here.", "Not sure this is secure."),
    "docs": ("Docs?", "Please document this.", "Add a comment maybe."),
    "style": ("Style.", "Formatting.", "This doesn't look right style-wise."),
}
# Python suggestion blocks (GitHub's ```suggestion), for the long good comments on Python code.
CODE_HINTS: dict[str, str] = {
    "bug": "for item in <var>:",
    "naming": "pending_<noun> = <helper>(<var>)",
    "tests": "assert <fn>([]) is None",
    "performance": "rows = db.query_many(ids)",
    "security": "cursor.execute(\"... WHERE name = %s\", (<var>,))",
    "docs": "\"\"\"Fetch ... timeout: seconds to wait; strict: raise on unknown fields.\"\"\"",
    "style": "if <var> is None:\n    return result",
}

OPENERS = {
    "kind": ("Thanks for this!", "Nice work overall.", "Good catch on the refactor.", "Thanks, this reads well."),
    "neutral": ("", "", "Small thing:", "One thing here."),
    "curt": ("", "Hm.", "Again:"),
    "hostile": ("Seriously?", "Ugh.", "Come on."),
}
CLOSERS = {
    "kind": ("Happy to pair on it if useful.", "Thanks!", "Otherwise looks great."),
    "neutral": ("", "", "What do you think?"),
    "curt": ("", "Fix before merge."),
    "hostile": ("Did you even run this?", "How did this pass review?"),
}
# Good comments sometimes go on for a paragraph: context a careful reviewer adds.
ELABORATIONS = (
    "I ran into the same thing in the `<noun>` module last month; it only showed up under load, "
    "which is why it slipped through.",
    "Not blocking on its own, but it is the kind of thing that is much cheaper to fix now than "
    "after other code starts depending on `<fn>`.",
    "For context, the callers in `<dir>` pass `<var>` straight from the request, so every path "
    "through `<fn>` matters here.",
)
GENERIC = ("LGTM", "lgtm 👍", "+1", "nit", "?", "Why?", "Fix this.", "No.", "This is wrong.",
           "Hmm", "I don't like this.", "Looks good to me.", "Same as above.", "Change this.",
           "ok", "Please fix", "not sure")
HOSTILE = (
    "Who wrote this garbage? `<bad>` is meaningless.",
    "This is terrible. Did you even test `<fn>`?",
    "What the hell is this loop supposed to do?",
    "Seriously?? Rewrite the whole thing.",
    "This is a mess. I'm not reviewing this again.",
    "Are you kidding me? `<fn>` was fine before you touched it.",
    "Stupid change, revert it.",
)
RAMBLING = (
    "I'm not sure about this whole approach, it kind of feels off to me and I think we should "
    "probably rethink things at some point, maybe, but I don't really know what the alternative "
    "would be, so whatever, it's up to you I guess.",
    "So I was looking at this and honestly there are a lot of things going on in this file, some "
    "of which were already like that before, and it is hard to say what exactly is the problem "
    "but something here is not great.",
    "Hmm, interesting. I remember we discussed something like this a while ago but I can't find "
    "the thread. Anyway.",
)
# fmt: on
