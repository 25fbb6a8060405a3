"""`reply: every|below|summary|none` end to end: the CLI entry point, PyGithub over HTTP to the fake
GitHub (every request checked against GitHub's REST description), real webhook payloads. The
rubric scores; what is asserted is where the scores went: threads, one summary comment per pull
request, or the job summary only."""

from __future__ import annotations

import json

import pytest
from markdown_it import MarkdownIt

from review_forge.bot.github.marker import find_marker, find_score
from review_forge.bot.github.summary import SUMMARY_MARKER, Entry, read_entries, render
from tests import test_action
from tests.test_action import BOT, PR, RC, bot_replies, seed, text, writes

gh = test_action.gh  # the fake GitHub with pull request PR
action = test_action.action  # `review-forge action` in this process, in an Actions environment

GOOD = (  # on the fixture's hunk: `# Hello-World` in README.md
    "Please change the heading `Hello-World` to `Hello World`, because the README title is shown "
    "on the project page and the hyphen reads as a typo; otherwise readers will search for the "
    "wrong name."
)
BAD = "meh"
SUMMARIES = r"/issues/\d+/comments$"


def summaries(fake) -> dict[int, dict]:
    return {
        i: c
        for i, c in fake.repo.issue_comments.items()
        if c["user"] == BOT and SUMMARY_MARKER in c["body"]
    }


def report(run) -> list[dict]:
    return json.loads(run.outputs["report"])


# --- every (the default) and below ------------------------------------------------------------


def test_every_is_the_default_and_replies_to_a_good_comment_too(gh, action):
    cid, event = seed(gh, body=GOOD)

    run = action(RC, event)

    assert run.code == 0, run.stderr
    assert [find_marker(c["body"]).target_id for c in bot_replies(gh).values()] == [cid]
    assert report(run)[0]["reply"] == "posted"


def test_below_replies_only_under_the_threshold_and_lists_the_rest(gh, action):
    bad, bad_event = seed(gh, body=BAD)
    _, good_event = seed(gh, body=GOOD)

    low = action(RC, bad_event, reply="below", reply_threshold="50")
    high = action(RC, good_event, reply="below", reply_threshold="50")

    low_score, high_score = (int(r.outputs["score"]) for r in (low, high))
    assert low_score < 50 <= high_score  # the two comments are on either side of the threshold
    assert [find_marker(c["body"]).target_id for c in bot_replies(gh).values()] == [bad]
    assert report(low)[0]["reply"] == "posted"
    assert report(high)[0] == {**report(high)[0], "reply": "job summary only", "reply_url": None}
    assert high.outputs["replies"] == "0" and high.outputs["scored"] == "1"
    assert "comments scoring 50 or more are listed here, without a reply" in text(high.summary)
    assert f"{high_score} " in text(high.summary)


def test_below_keeps_an_earlier_reply_current_when_the_comment_improves(gh, action):
    cid, event = seed(gh, body=BAD)
    action(RC, event, reply="below")
    (reply_id,) = bot_replies(gh)
    gh.repo.review_comments[cid]["body"] = GOOD
    _, edited = seed(gh, f"{RC}.edited", body=GOOD)
    edited["comment"]["id"] = cid

    run = action(RC, edited, reply="below")

    assert run.code == 0, run.stderr
    assert list(bot_replies(gh)) == [reply_id]  # no second reply, and not left with the old score
    assert writes(gh)[-1] == f"PATCH /repos/octo-org/octo-repo/pulls/comments/{reply_id}"
    assert find_score(gh.repo.review_comments[reply_id]["body"])["score"] >= 50
    assert report(run)[0]["reply"] == "updated"


# --- summary ----------------------------------------------------------------------------------


def test_summary_posts_one_comment_per_pull_request_and_nothing_in_the_threads(gh, action):
    first, first_event = seed(gh, body=BAD)
    second, second_event = seed(gh, body=GOOD)

    one = action(RC, first_event, reply="summary")
    two = action(RC, second_event, reply="summary")

    assert one.code == two.code == 0, one.stderr + two.stderr
    assert bot_replies(gh) == {}  # no reply in any thread
    ((sid, comment),) = summaries(gh).items()
    assert writes(gh) == [
        f"POST /repos/octo-org/octo-repo/issues/{PR}/comments",
        f"PATCH /repos/octo-org/octo-repo/issues/comments/{sid}",
    ]
    rows = read_entries(comment["body"])
    assert sorted(rows) == [first, second]
    assert rows[first].score == int(one.outputs["score"])
    assert rows[second].score == int(two.outputs["score"])
    url = f"https://github.com/octo-org/octo-repo/pull/{PR}#issuecomment-{sid}"
    assert report(two)[0]["reply"] == "summary comment" and report(two)[0]["reply_url"] == url
    assert two.outputs["replies"] == "0"
    assert "Reactions here are not collected" in text(comment["body"])
    assert "React 👍" not in comment["body"]


def test_summary_reruns_and_edits_update_the_same_comment_in_place(gh, action):
    cid, event = seed(gh, body=BAD)
    action(RC, event, reply="summary")
    (sid,) = summaries(gh)
    before = read_entries(gh.repo.issue_comments[sid]["body"])[cid].score

    again = action(RC, event, reply="summary")  # the same event, re-run
    gh.repo.review_comments[cid]["body"] = GOOD
    _, edited = seed(gh, f"{RC}.edited", body=GOOD)
    edited["comment"]["id"] = cid
    edit = action(RC, edited, reply="summary")

    assert again.code == edit.code == 0
    assert list(summaries(gh)) == [sid]
    assert len(gh.calls("POST", SUMMARIES)) == 1
    rows = read_entries(gh.repo.issue_comments[sid]["body"])
    assert list(rows) == [cid] and rows[cid].score == int(edit.outputs["score"]) > before


def test_summary_merges_a_duplicate_left_by_a_race_and_deletes_it(gh, action):
    """Two first runs at once can each create a summary: the next run keeps the older one."""
    a = Entry(11, 40, "alice", "a.py", 1, "https://github.com/octo-org/octo-repo/pull/2#r11")
    b = Entry(12, 80, "bob", "b.py", 2, "https://github.com/octo-org/octo-repo/pull/2#r12")
    older = gh.add_issue_comment(PR, render({11: a}), user=BOT)
    newer = gh.add_issue_comment(PR, render({12: b}), user=BOT)
    cid, event = seed(gh)

    run = action(RC, event, reply="summary")

    assert run.code == 0, run.stderr
    assert list(summaries(gh)) == [older] and newer not in gh.repo.issue_comments
    assert sorted(read_entries(gh.repo.issue_comments[older]["body"])) == [11, 12, cid]


def test_summary_ignores_a_marker_pasted_by_someone_else(gh, action):
    forged = Entry(99, 100, "mallory", "x.py", 1, "https://github.com/octo-org/octo-repo/pull/2")
    pasted = gh.add_issue_comment(PR, render({99: forged}), user="mallory")
    cid, event = seed(gh)

    run = action(RC, event, reply="summary")

    assert run.code == 0, run.stderr
    assert gh.repo.issue_comments[pasted]["body"] == render({99: forged})  # not edited
    ((_, comment),) = summaries(gh).items()
    assert sorted(read_entries(comment["body"])) == [cid]  # its rows were not taken either


def test_summary_comment_shows_untrusted_text_inert(gh, action):
    _, event = seed(gh, user="octocat", path="src/<b>@everyone</b>-->.py")

    run = action(RC, event, reply="summary")

    assert run.code == 0, run.stderr
    ((_, comment),) = summaries(gh).items()
    tokens = [c for t in MarkdownIt("commonmark").enable("table").parse(comment["body"])
              for c in [t, *(t.children or [])]]  # fmt: skip
    html = {t.content.strip() for t in tokens if t.type in ("html_inline", "html_block")}
    assert {h for h in html if not h.startswith("<!--")} <= {"<sub>", "</sub>"}
    assert "@everyone" not in text(comment["body"]) and "@everyone" not in comment["body"]
    (row,) = read_entries(comment["body"]).values()
    assert row.path == "src/<b>@everyone</b>-->.py"  # kept exactly, in the escaped JSON


def test_summary_on_a_forks_read_only_token_goes_to_the_job_summary(gh, action):
    _, event = seed(gh)
    gh.fail_like_fork()

    run = action(RC, event, reply="summary")

    assert run.code == 0, run.stderr
    assert summaries(gh) == {} and bot_replies(gh) == {}
    assert "::notice::review-forge could not reply (read-only token" in run.stdout
    assert "not posted: the token cannot write here" in text(run.summary)
    assert report(run)[0]["score"] == int(run.outputs["score"])


def test_summary_refused_fails_the_step_after_the_job_summary(gh, action):
    _, event = seed(gh)
    gh.fail("POST", SUMMARIES, status=422, body={"message": "Validation Failed"})

    run = action(RC, event, reply="summary")

    assert run.code == 1
    assert run.stderr == (
        "review-forge: error: GitHub refused the summary comment: 422 Validation Failed; "
        "what was done is in the job summary\n"
    )
    assert summaries(gh) == {}


# --- none, and a bad setting --------------------------------------------------------------------


def test_none_posts_nothing_public_and_lists_the_scores_in_the_job_summary(gh, action):
    _, event = seed(gh, body=BAD)

    run = action(RC, event, reply="none", min_score="90")

    assert writes(gh) == []
    assert run.code == 1  # min_score still fails the step
    assert report(run)[0]["reply"] == "job summary only"
    assert f"{run.outputs['score']} " in text(run.summary)


@pytest.mark.parametrize(
    ("inputs", "error"),
    [
        ({"reply": "loud"}, "reply must be one of every, below, summary, none, got 'loud'"),
        ({"reply_threshold": "101"}, "reply_threshold must be between 0 and 100, got 101"),
    ],
)
def test_a_bad_reply_setting_is_one_line_and_exit_2(gh, action, inputs, error):
    _, event = seed(gh)

    run = action(RC, event, **inputs)

    assert run.code == 2
    assert run.stderr == f"review-forge: error: {error}\n"
    assert gh.requests == []
