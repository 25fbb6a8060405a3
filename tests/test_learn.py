"""`review-forge learn`: feedback by hand, to a local JSONL or to the data branch on the fake."""

from __future__ import annotations

import json

import pytest

from review_forge.bot.cli import main
from review_forge.bot.feedback.learn import Verdict
from review_forge.bot.github.data_branch import DataStore, latest_per_reply, parse_jsonl
from review_forge.bot.github.reply import render_reply
from review_forge.bot.scoring.rubric import RubricScorer
from review_forge.bot.scoring.score import Comment, Score

TEXT = "Rename `x` to `retries`: it counts retries, and the name hides that."


def _rubric(body: str, diff_hunk=None, path=None) -> dict:
    return RubricScorer().score_many([Comment(body, diff_hunk, path)])[0].to_dict()


@pytest.fixture
def github_env(fake_github, monkeypatch):
    for var, value in {"GITHUB_TOKEN": fake_github.token, "GITHUB_API_URL": fake_github.url,
                       "GITHUB_REPOSITORY": "octo-org/octo-repo",
                       "INPUT_GITHUB_REQUEST_INTERVAL": "0",
                       "INPUT_GITHUB_WRITE_INTERVAL": "0"}.items():  # fmt: skip
        monkeypatch.setenv(var, value)
    return fake_github


def _branch_records(server) -> list[dict]:
    return DataStore(server.client().get_repo("octo-org/octo-repo")).read_feedback()


@pytest.mark.parametrize(
    ("verdict", "posted", "agrees"),
    [
        (Verdict(up=True), 10, True),
        (Verdict(up=False), 90, False),
        (Verdict(rating=80), 70, True),  # 10 points apart: the gate's margin, still fair
        (Verdict(rating=81), 70, False),
        (Verdict(rating=0), 100, False),
    ],
)
def test_verdicts(verdict, posted, agrees):
    assert verdict.agrees_with(posted) is agrees


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({}, "either a rating or"), ({"up": True, "rating": 5}, "either a rating or"),
     ({"rating": 101}, "0 to 100")],
)  # fmt: skip
def test_bad_verdicts_are_refused(kwargs, message):
    with pytest.raises(Exception, match=message):
        Verdict(**kwargs)


def test_text_with_a_rating_goes_to_a_local_jsonl(tmp_path, capsys):
    out = tmp_path / "nested" / "feedback.jsonl"
    posted = _rubric(TEXT, "@@ -1 +1 @@", "a.py")

    code = main(["learn", "--text", TEXT, "--rating", "5", "--diff-hunk", "@@ -1 +1 @@",
                 "--path", "a.py", "--local", str(out)])  # fmt: skip
    main(["learn", "--text", TEXT, "--up", "--local", str(out)])

    assert code == 0
    first, second = parse_jsonl(out.read_bytes(), str(out))
    assert first == first | {
        "schema": 1, "body": TEXT, "diff_hunk": "@@ -1 +1 @@", "path": "a.py", "posted": posted,
        "rating": 5, "reactors": 1, "source": "learn", "review_comment_id": None,
    }  # fmt: skip
    assert (first["up"], first["down"]) == ((1, 0) if abs(posted["score"] - 5) <= 15 else (0, 1))
    assert (second["up"], second["down"], second["rating"]) == (1, 0, None)
    assert first["reply_comment_id"] == second["reply_comment_id"]  # same text: newest wins
    assert latest_per_reply([first, second]) == [second]
    assert f"in {out}" in capsys.readouterr().out


def test_a_comment_id_judges_the_score_the_bot_posted(github_env):
    server = github_env
    pr = server.add_pull()
    target = server.add_review_comment(pr, TEXT, user="bob", path="app.py")
    posted = _rubric("Some other text entirely")  # what the bot said back then
    reply = server.add_review_comment(pr, render_reply(Score.from_dict(posted), target),
                                      user="github-actions[bot]", in_reply_to=target)  # fmt: skip

    assert main(["learn", "--comment-id", str(target), "--down"]) == 0
    assert main(["learn", "--comment-id", str(reply), "--up"]) == 0  # the reply's id works too

    first, second = _branch_records(server)
    for record in (first, second):
        assert (record["review_comment_id"], record["reply_comment_id"], record["pr"]) == (
            target, reply, pr,
        )  # fmt: skip
        assert record["posted"] == posted and record["body"] == TEXT and record["path"] == "app.py"
    assert (first["up"], first["down"], second["up"], second["down"]) == (0, 1, 1, 0)
    files = [p for p in server.files("review-forge-data") if p.startswith("feedback/")]
    assert len(files) == 2  # one small file per verdict, never a rewrite


def test_a_comment_without_a_reply_is_scored_now(github_env):
    server = github_env
    pr = server.add_pull()
    target = server.add_review_comment(pr, TEXT, user="bob")
    # a pasted marker by someone else is not the bot's reply
    fake = render_reply(Score.from_dict(_rubric("x")), target)
    server.add_review_comment(pr, fake, user="mallory", in_reply_to=target)

    assert main(["learn", "--comment-id", str(target), "--rating", "90"]) == 0

    (record,) = _branch_records(server)
    assert record["reply_comment_id"] == f"manual-{target}"
    assert record["posted"] == _rubric(TEXT, record["diff_hunk"], "src/app.py")
    assert record["rating"] == 90


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["learn", "--comment-id", "999999", "--up"],
            "no review comment 999999 in octo-org/octo-repo",
        ),
        (["learn", "--text", "   ", "--up", "--local", "x.jsonl"], "the comment text is empty"),
    ],
)
def test_bad_input_is_a_one_line_error(github_env, capsys, argv, message):
    assert main(argv) == 2

    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_the_data_branch_needs_a_repository(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)

    assert main(["learn", "--text", TEXT, "--up"]) == 2

    assert "no repository" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["learn", "--text", "x", "--rating", "101"], ["learn", "--text", "x", "--up", "--down"],
     ["learn", "--up"]],
)  # fmt: skip
def test_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)

    assert exit_.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_local_records_are_json_lines(tmp_path):
    out = tmp_path / "f.jsonl"

    main(["learn", "--text", "a\nmulti-line comment", "--down", "--local", str(out)])

    lines = out.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["body"] == "a\nmulti-line comment"
