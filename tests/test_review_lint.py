"""The review-lint pre-commit hook: draft splitting, exit codes, output, bad input, the real
pre-commit framework (validate-manifest, try-repo on a fresh git repo), and its light imports."""

from __future__ import annotations

import dataclasses
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from review_forge.bot.scoring.score import Comment, Score
from review_forge.bot.scoring.scorer import make_scorer
from review_forge.bot.settings import load_config
from review_forge.hooks.review_lint import (
    Section,
    format_comment,
    main,
    read_draft,
    split_draft,
    weakest,
)

ROOT = Path(__file__).resolve().parents[1]
GOOD = (
    "`parse_date('2024-02-30')` in src/dates.py returns March 1st instead of failing. Raise "
    "ValueError when the day is past the end of the month, and add a test for Feb 30, because "
    "callers rely on invalid dates being rejected."
)
POOR = "this is wrong"

# (draft text, its sections as (line, target, body)); main's exit code with --min-score 0 is 1
# exactly when a section is empty.
DRAFTS = [
    (
        "Rename `tmp` to `retries`: it counts retries.\n",
        [(1, None, "Rename `tmp` to `retries`: it counts retries.")],
    ),
    ("src/app.py:42\nRaise ValueError here.\n", [(1, "src/app.py:42", "Raise ValueError here.")]),
    (
        "\n\nsrc/a.py:3\nFirst.\nStill first.\n  ---  \n\nsrc/b.py:9\n\nSecond.\n---\nThird.",
        [
            (3, "src/a.py:3", "First.\nStill first."),
            (8, "src/b.py:9", "Second."),
            (12, None, "Third."),
        ],
    ),
    ("One.\r\n---\r\nTwo.\r\n", [(1, None, "One."), (3, None, "Two.")]),
    (
        "Use:\n```yaml\na: 1\n---\nb: 2\n```\nin the config.",
        [(1, None, "Use:\n```yaml\na: 1\n---\nb: 2\n```\nin the config.")],
    ),
    ("See src/a.py:3 for the bug.\n", [(1, None, "See src/a.py:3 for the bug.")]),
    ("", [(1, None, "")]),
    ("\n  \n\n", [(1, None, "")]),
    (
        "A comment.\n---\n\n---\nB comment.\n",
        [(1, None, "A comment."), (3, None, ""), (5, None, "B comment.")],
    ),
    ("src/a.py:3\n", [(1, "src/a.py:3", "")]),
    ("A comment.\n---\n", [(1, None, "A comment."), (3, None, "")]),
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run where no `.review-forge.yml` is (the hook reads the one in the current directory)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("text", "expected"), DRAFTS)
def test_split_draft(text: str, expected: list[tuple[int, str | None, str]]) -> None:
    assert split_draft(text) == [Section(*s) for s in expected]


@pytest.mark.parametrize(("text", "expected"), DRAFTS)
def test_main(text: str, expected: list, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draft = workdir / "draft.review.md"
    draft.write_bytes(text.encode())
    before = draft.stat().st_mtime_ns

    code = main(["--min-score", "0", str(draft)])

    out = capsys.readouterr().out.splitlines()
    any_empty = any(not body for _, _, body in expected)
    assert code == (1 if any_empty else 0)
    heads = [line for line in out if line.startswith(f"{draft}:")]
    assert len(heads) == len(expected)
    for head, (line, target, body) in zip(heads, expected, strict=True):
        assert head.startswith(f"{draft}:{line}: ")
        assert ("empty" in head) == (not body)
        assert (target or "") in head
    assert out[-1] == (
        f"review-lint: {sum(1 for *_, b in expected if b)} comment(s) scored, 0 below 0, "
        f"{sum(1 for *_, b in expected if not b)} empty, 0 file(s) skipped"
    )
    assert draft.read_bytes() == text.encode() and draft.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "image.review.md",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            "binary file (NUL byte at offset 8), not a draft",
        ),
        (
            "latin1.review.md",
            "Caf\xe9 is wrong.".encode("latin-1"),
            "not UTF-8 text (invalid byte at offset 3); save it as UTF-8",
        ),
        ("folder.review.md", "a folder", "cannot read it (Is a directory)"),
        ("missing.review.md", "nothing", "cannot read it (No such file or directory)"),
    ],
)
def test_bad_file_is_reported_by_name_and_skipped(
    name: str, content: bytes | str, reason: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = workdir / name
    if content == "a folder":
        bad.mkdir()
    elif isinstance(content, bytes):
        bad.write_bytes(content)
    good = workdir / "good.review.md"
    good.write_text("\ufeff" + GOOD, encoding="utf-8")  # a BOM is not part of the comment
    assert split_draft(read_draft(str(good)))[0].body == GOOD

    code = main(["--min-score", "0", str(bad), str(good)])

    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert f"{bad}: skipped: {reason}" in out
    assert any(line.startswith(f"{good}:1: ") and " ok" in line for line in out)
    assert out[-1].endswith("1 comment(s) scored, 0 below 0, 0 empty, 1 file(s) skipped")


def _rubric_score(body: str) -> int:
    return (
        make_scorer(load_config({"scorer": "rubric"}, env={})).score_many([Comment(body)])[0].score
    )


@pytest.mark.parametrize(
    ("flag", "in_file", "threshold"),
    [
        (None, None, 60),  # the default
        (None, "s", "s"),  # .review-forge.yml's min_score, at the comment's score: passes
        (None, "s+1", "s+1"),  # one above: fails
        ("s", "s+1", "s"),  # the flag wins over the file
        ("s+1", "s", "s+1"),
    ],
)
def test_threshold(
    flag: str | None,
    in_file: str | None,
    threshold: int | str,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s = _rubric_score(GOOD)
    value = {"s": s, "s+1": s + 1}
    if in_file:
        # "auto" with an adapter would load the model in the Action; the hook keeps to the rubric
        config = f"min_score: {value[in_file]}\nscorer: auto\nadapter: data-branch\n"
        (workdir / ".review-forge.yml").write_text(config)
    draft = workdir / "d.review.md"
    draft.write_text(GOOD)
    expected = value.get(threshold, threshold)

    code = main([str(draft)] + (["--min-score", str(value[flag])] if flag else []))

    out = capsys.readouterr().out
    assert code == (1 if s < expected else 0)
    assert f"{draft}:1: {s}/100 " + ("ok" if s >= expected else f"FAIL (min {expected})") in out
    assert f", {int(s < expected)} below {expected}," in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--min-score", "101"],
            "review-lint: error: min_score must be between 0 and 100, got 101",
        ),
        (["--config", "absent.yml"], "review-lint: error: config file absent.yml not found"),
    ],
)
def test_bad_setting_is_one_line_exit_2(
    argv: list[str], message: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "d.review.md").write_text(GOOD)
    assert main([*argv, "d.review.md"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


@pytest.fixture(scope="module")
def tiny_adapter(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.support.tiny_model import build_tiny_adapter

    return build_tiny_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapter") / "adapter")


FELL_BACK = "review-lint: the rubric scored 1 comment(s): the model's answer did not parse"


@pytest.mark.parametrize(
    ("in_file", "flags", "code", "message"),
    [
        # the stand-in model writes noise: each answer falls back to the rubric, and says so
        ("adapter: {adapter}\n", ["--scorer", "model"], 0, FELL_BACK),
        ("scorer: model\n", ["--adapter", "{adapter}"], 0, FELL_BACK),
        ("adapter: nowhere\n", ["--scorer", "model"], 2, "adapter folder nowhere not found"),
    ],
)
def test_scorer_model_takes_base_and_adapter_from_the_config(
    in_file: str,
    flags: list[str],
    code: int,
    message: str,
    tiny_model_dir: Path,
    tiny_adapter: Path,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = f"base_model: {tiny_model_dir}\n" + in_file.format(adapter=tiny_adapter)
    (workdir / ".review-forge.yml").write_text(config)
    (workdir / "d.review.md").write_text(GOOD)
    argv = [f.format(adapter=tiny_adapter) for f in flags]

    assert main([*argv, "--min-score", "0", "d.review.md"]) == code

    captured = capsys.readouterr()
    if code == 0:
        assert re.search(r"^d\.review\.md:1: \d+/100 ok \(rubric fallback\)$", captured.out, re.M)
    assert message in (captured.out if code == 0 else captured.err)


def _score(dims: list[int], recommendations: list[str]) -> Score:
    names = ["clarity", "completeness", "actionability", "constructiveness"]
    return Score(
        score=sum(dims) // 4,
        dimensions=dict(zip(names, dims, strict=True)),
        notes={"completeness": "no fix given", "actionability": "no change proposed"},
        recommendations=recommendations,
    )


@pytest.mark.parametrize(
    ("dims", "min_score", "expected"),
    [
        ([80, 20, 30, 50], 60, ["completeness", "actionability"]),  # the two worst below
        ([80, 20, 70, 90], 60, ["completeness"]),  # only one below
        ([80, 65, 70, 90], 60, ["completeness"]),  # none below: still the weakest one
        ([10, 10, 10, 10], 60, ["clarity", "completeness"]),  # ties keep the dimension order
    ],
)
def test_weakest(dims: list[int], min_score: int, expected: list[str]) -> None:
    assert weakest(_score(dims, []), min_score) == expected


def test_format_comment() -> None:
    score = _score([80, 20, 30, 50], ["Say what should happen instead.", "Propose the change."])
    lines = format_comment("r/a.md", Section(7, "src/a.py:9", "x"), score, 60)
    assert lines == [
        "r/a.md:7: 45/100 FAIL (min 60) on src/a.py:9",
        "    completeness 20: no fix given",
        "    actionability 30: no change proposed",
        "    - Say what should happen instead.",
        "    - Propose the change.",
    ]


def test_no_terminal_escapes_from_untrusted_text(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """File names, `path:line` headers and model notes could carry escapes that drive a terminal."""
    draft = workdir / "pr\x1b[2J.review.md"
    draft.write_text(f"src/\x1b]0;title\x07a.py:3\n{GOOD}\n")
    assert main(["--min-score", "0", str(draft)]) == 0
    out = capsys.readouterr().out
    assert f"{workdir}/pr?[2J.review.md:1: " in out and " on " not in out  # not a target
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", out)
    score = _score([80, 20, 30, 50], ["Rename \x1b[31mit\x9b"])
    score = dataclasses.replace(score, notes={"completeness": "vague\x1b[0m"})
    assert format_comment("a.md", Section(1, None, "x"), score, 60)[1:] == [
        "    completeness 20: vague?[0m",
        "    actionability 30",
        "    - Rename ?[31mit?",
    ]


def _run_in_pty(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run the hook with its stdout on a pseudo-terminal, as when a person runs it."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=follower, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    proc.wait(timeout=60)
    return b"".join(chunks).decode()


@pytest.mark.parametrize(
    ("tty", "env", "colored"),
    [
        (True, {}, True),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        (True, {"TERM": "dumb"}, False),
        (False, {}, False),
    ],
)
def test_color_only_on_a_terminal(
    tty: bool, env: dict[str, str], colored: bool, tmp_path: Path
) -> None:
    (tmp_path / "d.review.md").write_text(POOR)
    run_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    run_env.update({"TERM": "xterm", **env})
    args = [sys.executable, "-m", "review_forge.hooks.review_lint", "d.review.md"]
    if tty:
        out = _run_in_pty(args, run_env, tmp_path)
    else:
        out = subprocess.run(args, env=run_env, cwd=tmp_path, capture_output=True, text=True).stdout
    assert "d.review.md:1: " in out and "FAIL (min 60)" in out
    assert ("\033[31m" in out) == colored


def test_import_path_stays_light(tmp_path: Path) -> None:
    """The hook runs on every commit: it must not pull in torch & co. (or PyGithub)."""
    (tmp_path / "d.review.md").write_text(f"src/a.py:1\n{GOOD}\n---\n{POOR}\n")
    (tmp_path / ".review-forge.yml").write_text("scorer: auto\nadapter: data-branch\n")
    heavy = ("torch", "transformers", "oumi", "peft", "trl", "github")
    script = (
        "import sys, review_forge.hooks.review_lint as h\n"
        "code = h.main(['d.review.md'])\n"
        f"print('heavy:', sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))\n"
        "sys.exit(code)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 1, run.stderr  # it did score: the poor comment fails
    assert "d.review.md:1: " in run.stdout and "d.review.md:4: " in run.stdout
    assert run.stdout.splitlines()[-1] == "heavy: []"


def _hook() -> dict:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return hook


def test_manifest_is_valid_for_pre_commit() -> None:
    run = subprocess.run(
        [_pre_commit(), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    hook = _hook()
    assert (hook["id"], hook["entry"], hook["language"]) == ("review-lint", "review-lint", "python")
    assert hook["require_serial"] is True


@pytest.mark.parametrize(
    ("path", "linted"),
    [
        ("pr-12.review.md", True),
        ("docs/drafts/pr-12.review.md", True),
        ("reviews/pr-12.md", True),
        ("reviews/2024/pr-12.txt", True),
        ("reviews/helper.py", False),
        ("app/reviews/views.py", False),  # a code folder that happens to be called reviews
        ("README.md", False),
        ("pr-12.review.md.bak", False),
    ],
)
def test_manifest_files_pattern(path: str, linted: bool) -> None:
    assert bool(re.search(_hook()["files"], path)) == linted


def _pre_commit() -> str:
    found = Path(sys.executable).with_name("pre-commit")  # the dev extra's, beside this Python
    assert found.is_file(), "pre-commit is in the dev extra: pip install -e '.[dev]'"
    return str(found)


@pytest.mark.parametrize(
    ("files", "code", "status"),
    [
        (["good.review.md", "notes.md"], 0, "Passed"),
        (["good.review.md", "reviews/poor.md", "notes.md"], 1, "Failed"),
    ],
)
def test_pre_commit_try_repo(files: list[str], code: int, status: str, tmp_path: Path) -> None:
    """The real framework installs this repository's hook (pip, from HEAD plus uncommitted
    changes to tracked files) and runs it on a fresh git repository."""
    repo = tmp_path / "project"
    (repo / "reviews").mkdir(parents=True)
    (repo / "good.review.md").write_text(f"src/dates.py:42\n{GOOD}\n")
    (repo / "reviews" / "poor.md").write_text(f"{POOR}\n")
    (repo / "notes.md").write_text(f"{POOR}\n")  # not a draft: the hook's `files` skips it
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")  # try-repo's own env is temporary

    run = subprocess.run(
        # --verbose: pre-commit shows a passing hook's output too
        [_pre_commit(), "try-repo", str(ROOT), "review-lint", "--verbose", "--files", *files],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    out = run.stdout + run.stderr
    assert run.returncode == code, out
    assert re.search(rf"^review-lint \(score review drafts\)\.+{status}$", out, re.M), out
    assert re.search(r"^good\.review\.md:1: \d+/100 ok on src/dates\.py:42$", out, re.M), out
    assert (re.search(r"^reviews/poor\.md:1: \d+/100 FAIL \(min 60\)$", out, re.M) is not None) == (
        code == 1
    ), out
    assert "notes.md" not in out
