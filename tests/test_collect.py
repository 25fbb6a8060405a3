"""`review-forge collect` against the fake GitHub: the bot's replies (marker AND author), people's
👍/👎 (GraphQL, REST past 100), one snapshot per run on the data branch, the look-back window,
paging, faults, a budget that runs out and the next run that goes on from there."""

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
    new = sorted(p for p in after if p not in first)
    assert new == ["collect/2024/05/01/2.json", "feedback/2024/05/01/2.jsonl"]
    latest = latest_per_reply(_records(fake_github))
    assert [(r["reply_comment_id"], r["up"], r["down"]) for r in latest] == [(reply, 0, 1)]


def test_only_comments_updated_in_the_window_are_read(fake_github):
    pr = fake_github.add_pull(updated_at=NOW - timedelta(days=90))
    old = fake_github.add_review_comment(pr, "old", created_at=NOW - timedelta(days=90))
    old_reply = fake_github.add_review_comment(
        pr, _reply_body("old", old), user=BOT, in_reply_to=old, created_at=NOW - timedelta(days=90)
    )
    _, recent, _ = _scored(fake_github, pr, "recent")
    fake_github.repo.review_comments[recent]["updated_at"] = NOW - timedelta(days=2)
    store = DataStore(fake_github.client().get_repo("octo-org/octo-repo"), "review-forge-data")
    last = json.dumps({"reply_comment_id": 1, "collected_at": "2024-04-25T00:00:00Z"})
    store.add_files({"feedback/2024/04/25/9.jsonl": last.encode()}, "earlier run")

    result = collect(*_client(fake_github, collect_lookback_days=30), now=NOW)

    assert result.since == datetime(2024, 3, 26, tzinfo=UTC)  # last collection - 30 days
    assert [r.reply_comment_id for r in result.records] == [recent]
    assert old_reply not in [r.reply_comment_id for r in result.records]
    (listing,) = fake_github.calls("GET", r"/pulls/comments$")
    assert listing.query["since"] == ["2024-03-26T00:00:00Z"]
    # the next run's window starts where this pass began, minus the look-back
    later = collect(*_client(fake_github, run_id="102", collect_lookback_days=30),
                    now=NOW + timedelta(days=1))  # fmt: skip
    assert later.since == NOW - timedelta(days=30)


def _reply_body(text: str, target: int) -> str:
    return render_reply(RubricScorer().score_many([Comment(text, None, None)])[0], target)


@pytest.mark.parametrize(("ignore", "up"), [(True, 1), (False, 2)])
def test_the_reviewers_own_vote_counts_only_when_allowed(fake_github, ignore, up):
    pr = fake_github.add_pull()
    _, reply, _ = _scored(fake_github, pr, "Use a context manager here.", reviewer="bob")
    fake_github.add_reaction(reply, "+1", user="bob")
    fake_github.add_reaction(reply, "+1", user="carol")

    result = collect(*_client(fake_github, ignore_reviewer_reactions=ignore), now=NOW)

    assert [r.up for r in result.records] == [up]


def test_more_than_100_of_a_kind_are_listed_over_rest_page_by_page(fake_github):
    pr = fake_github.add_pull()
    _, reply, _ = _scored(fake_github, pr, "Why not reuse `parse_config`?")
    _, small, _ = _scored(fake_github, pr, "Why not reuse `load_config`?")
    for n in range(230):
        fake_github.add_reaction(reply, "+1" if n % 4 else "-1", user=f"user{n}")
    for n in range(99):
        fake_github.add_reaction(small, "+1", user=f"user{n}")

    result = collect(*_client(fake_github), now=NOW)

    assert [(r.up, r.down, r.reactors) for r in result.records] == [(172, 58, 230), (99, 0, 99)]
    pages = fake_github.calls("GET", rf"/comments/{reply}/reactions$")
    assert [r.query.get("page", ["1"])[0] for r in pages] == ["1", "2", "3"]
    assert not fake_github.calls("GET", rf"/comments/{small}/reactions$")  # GraphQL had them all


def test_server_errors_are_retried_and_the_run_completes(fake_github):
    pr = fake_github.add_pull()
    _, reply, _ = _scored(fake_github, pr, "This loop is O(n^2); a set makes it O(n).")
    fake_github.add_reaction(reply, "+1", user="carol")
    fake_github.fail("GET", r"/pulls/comments$", status=502)
    fake_github.fail("POST", r"/graphql$", status=503)
    slept: list[float] = []

    result = collect(*_client(fake_github), now=NOW, sleep=slept.append)

    assert [(r.reply_comment_id, r.up) for r in result.records] == [(reply, 1)]
    assert len(slept) == 2


def test_people_bots_and_the_reviewer_are_told_apart_in_one_query(fake_github):
    pr = fake_github.add_pull()
    replies = []
    for n in range(5):
        _, reply, _ = _scored(fake_github, pr, f"Comment {n}: rename `x` to `count`.")
        for user, content in [("carol", "+1"), ("dependabot[bot]", "-1"), ("bob", "-1"),
                              ("dave", "-1" if n % 2 else "+1")]:  # fmt: skip
            fake_github.add_reaction(reply, content, user=user)
        replies.append(reply)

    result = collect(*_client(fake_github), now=NOW)

    assert [(r.reply_comment_id, r.up, r.down, r.reactors) for r in result.records] == [
        (reply, 1 + (n % 2 == 0), n % 2, 2) for n, reply in enumerate(replies)
    ]
    assert len(fake_github.calls("POST", "/graphql$")) == 1  # five replies, one question
    assert not fake_github.calls("GET", "/reactions$")


def test_rest_asks_once_per_reply_and_agrees_with_graphql(fake_github):
    pr = fake_github.add_pull()
    for n in range(4):
        _, reply, _ = _scored(fake_github, pr, f"Comment {n}: use a set here.")
        fake_github.add_reaction(reply, "+1", user=f"person{n}")
        fake_github.add_reaction(reply, "-1", user="github-actions[bot]")

    by_graphql = collect(*_client(fake_github, run_id="g"), now=NOW)
    by_rest = collect(*_client(fake_github, run_id="r"), now=NOW, by_graphql=False,
                      since=NOW - timedelta(days=1))  # fmt: skip

    assert [r.to_dict() for r in by_rest.records] == [r.to_dict() for r in by_graphql.records]
    assert len(fake_github.calls("GET", "/reactions$")) == 4
    assert len(fake_github.calls("POST", "/graphql$")) == 1


def test_a_reply_deleted_before_its_reactions_are_read_is_skipped(fake_github):
    pr = fake_github.add_pull()
    _, kept, _ = _scored(fake_github, pr, "kept")
    _, gone, _ = _scored(fake_github, pr, "gone")
    for reply in (kept, gone):
        fake_github.add_reaction(reply, "+1", user="carol")
    # Deleted between the listing and the GraphQL question: GitHub answers null + NOT_FOUND.
    original = fake_github._carry_out

    def delete_then_answer(req):
        if req.path == "/graphql":
            fake_github.repo.review_comments.pop(gone, None)
        return original(req)

    fake_github._carry_out = delete_then_answer

    result = collect(*_client(fake_github), now=NOW)

    assert [r.reply_comment_id for r in result.records] == [kept]
    assert f"reply {gone} skipped: deleted meanwhile" in result.notes


def test_a_run_out_of_requests_writes_what_it_has_and_the_next_goes_on(fake_github):
    prs = [fake_github.add_pull() for _ in range(3)]
    for n in range(160):  # 320 comments: four pages of 100
        _, reply, _ = _scored(fake_github, prs[n % 3], f"Comment {n}: add a test for it.")
        if n % 3 == 0:
            fake_github.add_reaction(reply, "+1" if n % 2 else "-1", user=f"user{n % 7}")
    # Left: the repository, the data branch's tip and two pages, then under the reserve.
    fake_github.rate_used = fake_github.rate_limit - RATE_RESERVE - 3

    first = collect(*_client(fake_github, run_id="1"), now=NOW)
    fake_github.rate_used = 0  # the next hour
    second = collect(*_client(fake_github, run_id="2"), now=NOW + timedelta(hours=1))
    whole = collect(*_client(fake_github, run_id="3"), now=NOW + timedelta(hours=2),
                    since=datetime(2000, 1, 1, tzinfo=UTC))  # fmt: skip

    assert first.cursor.complete is False and second.cursor.complete is True
    assert re.fullmatch(r"stopped at page \d of the review comments: \d+ API requests left this "
                        r"hour; the next run continues there", first.notes[0])  # fmt: skip
    assert 0 < len(first.records) < 160 and len(whole.records) == 160

    def key(records):
        return sorted((r.reply_comment_id, r.up, r.down, r.reactors, r.body) for r in records)

    assert key(latest_per_reply(first.records + second.records)) == key(whole.records)
    assert len(first.records) + len(second.records) == 160  # none twice
    files = fake_github.files("review-forge-data")
    cursor = json.loads(files["collect/2024/05/01/1.json"])
    assert cursor["complete"] is False and cursor["page"] > 1
    assert {r["reply_comment_id"] for r in _records(fake_github)} == {
        r.reply_comment_id for r in whole.records
    }


def test_conversation_replies_are_collected_when_scored(fake_github):
    pr = fake_github.add_pull()
    target, reply, _ = _scored(fake_github, pr, "Looks good overall, but see the retry loop.",
                               kind="issues")  # fmt: skip
    fake_github.add_reaction(reply, "-1", user="carol", kind="issues")

    skipped = collect(*_client(fake_github, run_id="a"), now=NOW)
    result = collect(*_client(fake_github, run_id="b", score_issue_comments=True), now=NOW)

    assert skipped.records == []
    assert [(r.review_comment_id, r.reply_comment_id, r.down, r.path)
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
