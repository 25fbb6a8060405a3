"""`review-forge collect` against the fake GitHub: the bot's replies (marker AND author), people's
👍/👎, one snapshot per run on the data branch, the look-back window, paging, faults."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from github import Github

from review_forge.bot.cli import main
from review_forge.bot.feedback.collect import RATE_RESERVE, collect
from review_forge.bot.github.client import connect
from review_forge.bot.github.data_branch import DataStore, latest_per_reply
from review_forge.bot.github.reply import render_reply
from review_forge.bot.scoring.rubric import RubricScorer
from review_forge.bot.scoring.score import Comment
from review_forge.bot.settings import Config

BOT = "github-actions[bot]"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _config(server, **extra) -> Config:
    values = dict(github_token=server.token, api_url=server.url, repository="octo-org/octo-repo",
                  github_request_interval=0.0, github_write_interval=0.0, run_id="101")  # fmt: skip
    return Config(**(values | extra))


def _client(server, **extra) -> tuple[Config, Github]:
    """The configuration and the client the `collect` command would build from it."""
    config = _config(server, **extra)
    return config, connect(config)


def _scored(server, pr: int, body: str, *, reviewer: str = "bob", kind: str = "pulls"):
    """A reviewer's comment and the bot's reply to it, as the Action renders it."""
    score = RubricScorer().score_many([Comment(body=body, diff_hunk=None, path=None)])[0]
    if kind == "pulls":
        target = server.add_review_comment(pr, body, user=reviewer, path="app.py")
        reply = server.add_review_comment(pr, render_reply(score, target), user=BOT,
                                          in_reply_to=target)  # fmt: skip
    else:
        target = server.add_issue_comment(pr, body, user=reviewer)
        reply = server.add_issue_comment(pr, render_reply(score, target), user=BOT)
    return target, reply, score


def _records(server) -> list[dict]:
    repo = server.client().get_repo("octo-org/octo-repo")
    return DataStore(repo, "review-forge-data").read_feedback()


def test_one_snapshot_with_votes_from_people_only(fake_github, monkeypatch, tmp_path):
    pr = fake_github.add_pull(user="alice")
    target, reply, score = _scored(fake_github, pr, "Rename `x` to `retries`: it counts retries.")
    for user, content in [("carol", "+1"), ("dave", "+1"), ("erin", "-1"), ("carol", "heart"),
                          ("dependabot[bot]", "+1"), ("bob", "+1")]:  # fmt: skip
        fake_github.add_reaction(reply, content, user=user)
    _, quiet_reply, _ = _scored(fake_github, pr, "nit")
    # Someone pastes a reply with the marker and a score: not the bot, never collected.
    fake_github.add_review_comment(pr, render_reply(score, target), user="mallory",
                                   in_reply_to=target)  # fmt: skip
    summary = tmp_path / "summary.md"
    for var, value in {"GITHUB_TOKEN": fake_github.token, "GITHUB_API_URL": fake_github.url,
                       "GITHUB_REPOSITORY": "octo-org/octo-repo", "GITHUB_RUN_ID": "555",
                       "GITHUB_STEP_SUMMARY": str(summary), "INPUT_GITHUB_REQUEST_INTERVAL": "0",
                       "INPUT_GITHUB_WRITE_INTERVAL": "0"}.items():  # fmt: skip
        monkeypatch.setenv(var, value)

    assert main(["collect"]) == 0

    files = [p for p in fake_github.files("review-forge-data") if p.startswith("feedback/")]
    today = datetime.now(UTC)
    assert files == [f"feedback/{today:%Y/%m/%d}/555.jsonl"]
    records = _records(fake_github)
    assert [(r["reply_comment_id"], r["up"], r["down"], r["reactors"]) for r in records] == [
        (reply, 2, 1, 3), (quiet_reply, 0, 0, 0),
    ]  # fmt: skip
    first = records[0]
    assert first == first | {
        "schema": 1, "repo": "octo-org/octo-repo", "pr": pr, "review_comment_id": target,
        "body": "Rename `x` to `retries`: it counts retries.", "path": "app.py",
        "posted": score.to_dict(),
    }  # fmt: skip
    assert first["diff_hunk"].startswith("@@") and first["collected_at"].endswith("Z")
    # the roll-up said the quiet reply had no 👍/👎: its reactions were never listed
    assert not fake_github.calls("GET", rf"/comments/{quiet_reply}/reactions")
    assert "| 1 | 2 | 2 | 2 | 1 |" in summary.read_text()


def test_the_next_run_sees_a_changed_reaction(fake_github):
    pr = fake_github.add_pull()
    _, reply, _ = _scored(fake_github, pr, "Please add a test for the empty list case.")
    fake_github.add_reaction(reply, "+1", user="carol")
    collect(*_client(fake_github, run_id="1"), now=NOW)
    first = fake_github.files("review-forge-data")

    fake_github.remove_reaction(reply, "+1", user="carol")
    fake_github.add_reaction(reply, "-1", user="carol")
    collect(*_client(fake_github, run_id="2"), now=NOW + timedelta(hours=1))

    after = fake_github.files("review-forge-data")
    assert {p: after[p] for p in first} == first  # the first snapshot is untouched
    assert sorted(p for p in after if p not in first) == ["feedback/2024/05/01/2.jsonl"]
    latest = latest_per_reply(_records(fake_github))
    assert [(r["reply_comment_id"], r["up"], r["down"]) for r in latest] == [(reply, 0, 1)]


def test_only_pull_requests_updated_in_the_window_are_read(fake_github):
    old = fake_github.add_pull(updated_at=NOW - timedelta(days=90))
    fake_github.add_review_comment(old, "old comment", created_at=NOW - timedelta(days=90))
    recent = fake_github.add_pull(updated_at=NOW - timedelta(days=2))
    _scored(fake_github, recent, "recent")
    fake_github.repo.pulls[recent]["updated_at"] = NOW - timedelta(days=2)
    store = DataStore(fake_github.client().get_repo("octo-org/octo-repo"), "review-forge-data")
    last = json.dumps({"reply_comment_id": 1, "collected_at": "2024-04-25T00:00:00Z"})
    store.add_files({"feedback/2024/04/25/9.jsonl": last.encode()}, "earlier run")

    result = collect(*_client(fake_github, collect_lookback_days=30), now=NOW)

    assert result.since == datetime(2024, 3, 26, tzinfo=UTC)  # last collection - 30 days
    assert result.pulls == 1
    assert not fake_github.calls("GET", rf"/pulls/{old}/comments")
    assert fake_github.calls("GET", rf"/pulls/{recent}/comments")


@pytest.mark.parametrize(("ignore", "up"), [(True, 1), (False, 2)])
def test_the_reviewers_own_vote_counts_only_when_allowed(fake_github, ignore, up):
    pr = fake_github.add_pull()
    _, reply, _ = _scored(fake_github, pr, "Use a context manager here.", reviewer="bob")
    fake_github.add_reaction(reply, "+1", user="bob")
    fake_github.add_reaction(reply, "+1", user="carol")

    result = collect(*_client(fake_github, ignore_reviewer_reactions=ignore), now=NOW)

    assert [r["up"] for r in result.records] == [up]


def test_many_reactions_are_paged(fake_github):
    pr = fake_github.add_pull()
    _, reply, _ = _scored(fake_github, pr, "Why not reuse `parse_config`?")
    for n in range(130):
        fake_github.add_reaction(reply, "+1" if n % 3 else "-1", user=f"user{n}")

    result = collect(*_client(fake_github), now=NOW)

    assert [(r["up"], r["down"], r["reactors"]) for r in result.records] == [(86, 44, 130)]
    pages = fake_github.calls("GET", rf"/comments/{reply}/reactions$")
    assert [r.query.get("page", ["1"])[0] for r in pages] == ["1", "2"]


def test_server_errors_are_retried_and_the_run_completes(fake_github):
    pr = fake_github.add_pull()
    _, reply, _ = _scored(fake_github, pr, "This loop is O(n^2); a set makes it O(n).")
    fake_github.add_reaction(reply, "+1", user="carol")
    fake_github.fail("GET", rf"/pulls/{pr}/comments$", status=502)
    fake_github.fail("GET", r"/reactions$", status=503)
    slept: list[float] = []

    result = collect(*_client(fake_github), now=NOW, sleep=slept.append)

    assert [(r["reply_comment_id"], r["up"]) for r in result.records] == [(reply, 1)]
    assert len(slept) == 2


def test_stops_before_the_rate_limit_and_keeps_what_it_read(fake_github):
    first = fake_github.add_pull(updated_at=NOW - timedelta(hours=1))
    _scored(fake_github, first, "first")
    second = fake_github.add_pull(updated_at=NOW - timedelta(hours=2))
    _scored(fake_github, second, "second")
    for n in (first, second):
        fake_github.repo.pulls[n]["updated_at"] = NOW - timedelta(hours=n)
    fake_github.rate_used = fake_github.rate_limit - 104  # a few requests left this hour

    result = collect(*_client(fake_github), now=NOW)

    assert [r["pr"] for r in result.records] == [first]
    (note,) = result.notes
    assert re.fullmatch(r"stopped at pull request #2: (\d+) API requests left this hour; "
                        r"the next run continues", note)  # fmt: skip
    assert int(re.search(r"\d+ API", note)[0].split()[0]) < RATE_RESERVE
    assert len(_records(fake_github)) == 1


def test_conversation_replies_are_collected_when_scored(fake_github):
    pr = fake_github.add_pull()
    target, reply, _ = _scored(fake_github, pr, "Looks good overall, but see the retry loop.",
                               kind="issues")  # fmt: skip
    fake_github.add_reaction(reply, "-1", user="carol", kind="issues")

    skipped = collect(*_client(fake_github, run_id="a"), now=NOW)
    result = collect(*_client(fake_github, run_id="b", score_issue_comments=True), now=NOW)

    assert skipped.records == []
    assert [(r["review_comment_id"], r["reply_comment_id"], r["down"], r["path"])
            for r in result.records] == [(target, reply, 1, None)]  # fmt: skip


def test_a_reply_whose_comment_is_gone_is_skipped_with_a_note(fake_github):
    pr = fake_github.add_pull()
    target, reply, _ = _scored(fake_github, pr, "gone soon")
    del fake_github.repo.review_comments[target]

    result = collect(*_client(fake_github), now=NOW)

    assert result.records == [] and result.replies == 1
    assert result.notes == [f"reply {reply} on #{pr} skipped: the scored comment is gone"]
    assert fake_github.ref_sha("review-forge-data") is None  # nothing to write, nothing written


def test_a_bad_since_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["collect", "--since", "last tuesday"])

    assert exit_.value.code == 2
    assert "'last tuesday' is not an ISO date" in capsys.readouterr().err


def test_a_bad_repository_is_a_one_line_error(capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "t")

    assert main(["collect", "--repository", "just-a-name"]) == 2

    err = capsys.readouterr().err
    assert err.strip() == ("review-forge: error: repository must be OWNER/NAME, got 'just-a-name'")


def test_two_collectors_racing_both_land_and_reading_has_no_duplicate(fake_github):
    pr = fake_github.add_pull()
    _, reply, _ = _scored(fake_github, pr, "Please add a test for the empty list case.")
    fake_github.add_reaction(reply, "+1", user="carol")
    DataStore(fake_github.client().get_repo("octo-org/octo-repo")).ensure()
    # Both build their commit on the same tip; GitHub lets one fast-forward and refuses the other.
    fake_github.gate("PATCH", "/git/refs/heads/review-forge-data$", 2)
    results, errors = {}, []

    def run(run_id: str) -> None:
        try:
            results[run_id] = collect(*_client(fake_github, run_id=run_id), now=NOW,
                                      sleep=lambda s: None)  # fmt: skip
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in ("7001", "7002")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    assert sorted(r.status for r in fake_github.calls("PATCH", "/git/refs/")) == [200, 200, 422]
    files = sorted(p for p in fake_github.files("review-forge-data") if p.startswith("feedback/"))
    assert files == ["feedback/2024/05/01/7001.jsonl", "feedback/2024/05/01/7002.jsonl"]
    records = _records(fake_github)
    assert len(records) == 2
    assert [(r["reply_comment_id"], r["up"]) for r in latest_per_reply(records)] == [(reply, 1)]
