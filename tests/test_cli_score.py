"""`review-forge score` as a user runs it: a real process, its exit code, stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from review_forge.bot.scoring.score import DIMENSIONS

GOOD = (
    "Please rename `tmp` to `retry_count`, because the loop below reads it as the number of "
    "retries and the current name hides that."
)
HUNK = "@@ -1,3 +1,4 @@\n+    tmp = 0\n+    while tmp < retries:\n"


def review_forge(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """Run the CLI in a clean environment: no Action inputs or GitHub variables leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run(
        [sys.executable, "-m", "review_forge.bot", "score", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )


def assert_clean_error(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    for word in words:
        assert word in last


def test_json_score_object_for_lgtm_is_low(tmp_path):
    done = review_forge("LGTM", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    score = json.loads(done.stdout)
    assert score["score"] < 40
    assert set(score["dimensions"]) == set(DIMENSIONS)
    assert (score["scorer"], score["model_revision"], score["fallback_reason"]) == (
        "rubric",
        "rubric",
        None,
    )


def test_report_has_score_a_line_per_dimension_and_recommendations(tmp_path):
    done = review_forge("Why is this here?", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Score: ") and lines[0].endswith("/100 (rubric)")
    for dim in DIMENSIONS:
        assert sum(line.strip().startswith(dim.capitalize()) for line in lines) == 1
    assert "Recommendations:" in lines
    assert any("Turn the question into a request" in line for line in lines)


def test_file_stdin_and_text_give_the_same_score(tmp_path):
    (tmp_path / "comment.txt").write_text(GOOD, encoding="utf-8")
    by_text = review_forge(GOOD, "--json", cwd=tmp_path)
    by_file = review_forge("--file", "comment.txt", "--json", cwd=tmp_path)
    by_stdin = review_forge("-", "--json", cwd=tmp_path, stdin=GOOD.encode())
    assert by_text.stdout == by_file.stdout == by_stdin.stdout
    assert json.loads(by_text.stdout)["score"] > 70


def test_diff_hunk_and_path_make_the_comment_specific(tmp_path):
    (tmp_path / "hunk.diff").write_text(HUNK, encoding="utf-8")
    plain = json.loads(review_forge("tmp is a poor name here.", "--json", cwd=tmp_path).stdout)
    done = review_forge(
        "tmp is a poor name here.",
        "--diff-hunk",
        "hunk.diff",
        "--path",
        "a/fetch.py",
        "--json",
        cwd=tmp_path,
    )
    with_hunk = json.loads(done.stdout)
    assert with_hunk["dimensions"]["clarity"] > plain["dimensions"]["clarity"]
    assert "`tmp`" in with_hunk["notes"]["clarity"]


@pytest.mark.parametrize(
    ("args", "min_score", "code"), [(["LGTM"], "50", 1), ([GOOD], "50", 0), (["LGTM"], "0", 0)]
)
def test_min_score_sets_the_exit_code(tmp_path, args, min_score, code):
    done = review_forge(*args, "--min-score", min_score, cwd=tmp_path)
    assert done.returncode == code
    assert done.stdout.startswith("Score: ")  # the report is printed either way
    assert ("below --min-score" in done.stderr) is (code == 1)


# (name, files to create, arguments, stdin, words the one-line error must contain)
BAD_INPUT = [
    ("nothing to score", {}, [], b"", ["TEXT", "--file"]),
    ("empty text", {}, [""], b"", ["empty"]),
    ("whitespace only", {}, ["  \t\n "], b"", ["empty"]),
    ("empty stdin", {}, ["-"], b"", ["empty"]),
    ("text and file", {"c.txt": b"x"}, ["x", "--file", "c.txt"], b"", ["exactly one"]),
    ("missing file", {}, ["--file", "nope.txt"], b"", ["cannot read", "nope.txt"]),
    ("invalid UTF-8", {"c.txt": b"caf\xe9 au lait"}, ["--file", "c.txt"], b"", ["UTF-8"]),
    ("invalid UTF-8 on stdin", {}, ["-"], b"\xff\xfe", ["stdin", "UTF-8"]),
    ("NUL bytes", {"c.bin": b"a\x00b"}, ["--file", "c.bin"], b"", ["NUL"]),
    ("missing diff hunk", {}, ["x", "--diff-hunk", "h.diff"], b"", ["--diff-hunk", "h.diff"]),
    ("min score out of range", {}, ["x", "--min-score", "101"], b"", ["min_score", "101"]),
    ("unknown scorer", {}, ["x", "--scorer", "magic"], b"", ["--scorer"]),
    ("missing config", {}, ["x", "--config", "rf.yml"], b"", ["rf.yml", "not found"]),
    ("input without output", {}, ["--input", "in.jsonl"], b"", ["--output"]),
    ("batch and text", {}, ["x", "--input", "i", "--output", "o"], b"", ["TEXT", "--input"]),
    ("missing input", {}, ["--input", "in.jsonl", "--output", "o.jsonl"], b"", ["in.jsonl"]),
]


@pytest.mark.parametrize(
    ("files", "args", "stdin", "words"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, files, args, stdin, words):
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    done = review_forge(*args, cwd=tmp_path, stdin=stdin)
    assert_clean_error(done, 2, *words)
    assert done.stdout == ""


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "👍🎉 " * 50,
        "هذا المتغير غير مستخدم، يجب حذفه لأنه يربك القارئ.",
        "Use a set here. " * 6_250,  # 100,000 characters
    ],
    ids=["one letter", "emoji", "right-to-left", "100,000 characters"],
)
def test_unusual_text_gets_a_score(tmp_path, text):
    (tmp_path / "c.txt").write_text(text, encoding="utf-8")
    done = review_forge("--file", "c.txt", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert 0 <= json.loads(done.stdout)["score"] <= 100


def write_jsonl(path: Path, rows: list[object]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_batch_scores_every_row_in_order_with_its_id(tmp_path):
    rows = [
        {"id": "a", "body": "LGTM"},
        {"id": 2, "body": GOOD, "diff_hunk": HUNK, "path": "src/fetch.py"},
        {"id": "c", "body": "This is stupid.", "diff_hunk": None, "labels": {"ignored": 1}},
    ]
    text = "".join(json.dumps(row) + "\n" for row in rows).replace("\n", "\n\n", 1)  # blank line
    (tmp_path / "in.jsonl").write_text(text, encoding="utf-8")
    done = review_forge("--input", "in.jsonl", "--output", "out.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "scored 3 comments" in done.stderr
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [row["id"] for row in out] == ["a", 2, "c"]
    (tmp_path / "hunk.diff").write_text(HUNK, encoding="utf-8")
    single = review_forge(
        GOOD, "--diff-hunk", "hunk.diff", "--path", "src/fetch.py", "--json", cwd=tmp_path
    )
    assert {k: v for k, v in out[1].items() if k != "id"} == json.loads(single.stdout)
    assert out[0]["score"] < 40 and out[2]["dimensions"]["constructiveness"] < 30


# (name, the bad row, words the error must contain)
BAD_ROWS = [
    ("not JSON", b'{"id": 3, "body": "x"', ["line 3", "not JSON"]),
    ("not an object", b'["x"]', ["line 3", "object"]),
    ("no body", b'{"id": 3}', ["line 3", '"body"']),
    ("no id", b'{"body": "x"}', ["line 3", '"id"']),
    ("id of the wrong type", b'{"id": [3], "body": "x"}', ["line 3", '"id"']),
    ("body not a string", b'{"id": 3, "body": 42}', ["line 3", '"body"']),
    ("hunk not a string", b'{"id": 3, "body": "x", "diff_hunk": 1}', ["line 3", "diff_hunk"]),
    ("invalid UTF-8", b'{"id": 3, "body": "caf\xe9"}', ["line 3", "UTF-8"]),
]


@pytest.mark.parametrize(
    ("bad", "words"), [case[1:] for case in BAD_ROWS], ids=[case[0] for case in BAD_ROWS]
)
def test_bad_row_names_its_line_and_leaves_no_partial_output(tmp_path, bad, words):
    good = [json.dumps({"id": i, "body": "Use a set here."}).encode() for i in (1, 2)]
    (tmp_path / "in.jsonl").write_bytes(b"\n".join([*good, bad, *good]) + b"\n")
    (tmp_path / "out.jsonl").write_text("previous results\n", encoding="utf-8")
    done = review_forge("--input", "in.jsonl", "--output", "out.jsonl", cwd=tmp_path)
    assert_clean_error(done, 2, *words)
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_batch_min_score_fails_after_writing_every_row(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "body": GOOD}, {"id": 2, "body": "+1"}])
    done = review_forge(
        "--input", "in.jsonl", "--output", "out.jsonl", "--min-score", "50", cwd=tmp_path
    )
    assert done.returncode == 1
    assert "1 of 2 comments scored below --min-score 50" in done.stderr
    assert [row["id"] for row in read_jsonl(tmp_path / "out.jsonl")] == [1, 2]


def test_batch_of_nothing_writes_an_empty_file(tmp_path):
    (tmp_path / "in.jsonl").write_text("\n\n", encoding="utf-8")
    done = review_forge("--input", "in.jsonl", "--output", "out.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == ""


def test_batch_output_in_a_missing_folder_is_an_input_error(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "body": "x"}])
    done = review_forge("--input", "in.jsonl", "--output", "no/such/out.jsonl", cwd=tmp_path)
    assert_clean_error(done, 2, "does not exist")


def test_config_file_settings_apply_and_flags_override_them(tmp_path):
    (tmp_path / ".review-forge.yml").write_text("min_score: 50\nscorer: rubric\n", encoding="utf-8")
    assert review_forge("LGTM", cwd=tmp_path).returncode == 1
    assert review_forge("LGTM", "--min-score", "10", cwd=tmp_path).returncode == 0


def test_help_lists_the_batch_and_scorer_options(tmp_path):
    done = review_forge("--help", cwd=tmp_path)
    assert done.returncode == 0
    for option in ("--file", "--diff-hunk", "--json", "--input", "--output", "--scorer"):
        assert option in done.stdout


def test_closed_output_pipe_is_quiet():
    """`review-forge score ... | head -1`: the reader leaves early; no internal error is printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "review_forge.bot", "score", "LGTM", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before the first write
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "internal error" not in stderr
    assert proc.returncode == 141
