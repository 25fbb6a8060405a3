"""bot/activities.py: what the Action plans for each event, table-driven over real webhook payloads
(tests/fixtures/webhooks/, edits listed in EDITS.md) and the comments the API would list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review_forge.bot.errors import InputError
from review_forge.bot.github.event import (
    ISSUE,
    REVIEW,
    Fetch,
    Reply,
    Skip,
    is_bot,
    needs,
    own_replies,
    plan,
)
from review_forge.bot.github.marker import make_marker
from review_forge.bot.settings import Config

HOOKS = Path(__file__).parent / "fixtures" / "webhooks"
TOP = 284312630  # the review comment in octokit's pull_request_review_comment examples
REVIEW_ID = 237895671  # its review, the one in octokit's pull_request_review examples
BOT = "github-actions[bot]"
OPT_IN = Config(score_issue_comments=True)


RC, PRR, IC, WD = (
    "pull_request_review_comment",
    "pull_request_review",
    "issue_comment",
    "workflow_dispatch",
)
SHORT = {"rc.": f"{RC}.", "review.": f"{PRR}."}


def payload(name: str) -> dict:
    """A fixture by name; "rc." and "review." abbreviate the event names."""
    for short, full in SHORT.items():
        name = full + name.removeprefix(short) if name.startswith(short) else name
    return json.loads((HOOKS / f"{name}.payload.json").read_text(encoding="utf-8"))


def listed(
    cid: int,
    body: str = "Please rename x.",
    *,
    login: str = "Codertocat",
    kind: str = "User",
    reply_to: int | None = None,
    review: int | None = REVIEW_ID,
) -> dict:
    """A review comment as the API lists it (only the fields the planner reads)."""
    comment = {
        "id": cid,
        "body": body,
        "user": {"login": login, "type": kind},
        "pull_request_review_id": review,
        "path": "README.md",
        "line": 1,
        "html_url": f"https://github.com/Codertocat/Hello-World/pull/2#discussion_r{cid}",
    }
    if reply_to is not None:
        comment["in_reply_to_id"] = reply_to
    return comment


def bot_reply(cid: int, target: int, login: str = BOT) -> dict:
    body = f"**Review score: 50/100**\n\n{make_marker(target, 'rubric')}"
    return listed(cid, body, login=login, kind="Bot" if login.endswith("[bot]") else "User",
                  reply_to=target, review=None)  # fmt: skip


def summary(actions: list) -> list[tuple]:
    """Plans as tuples: ("reply", comment, reply_to, update) or ("skip", comment, why)."""
    return [
        ("reply", a.target.id, a.target.reply_to, a.update)
        if isinstance(a, Reply)
        else ("skip", a.comment_id, a.reason)
        for a in actions
    ]


@pytest.mark.parametrize(
    ("event", "fixture", "config", "expected"),
    [
        (RC, "rc.created", Config(), Fetch(2, REVIEW)),
        (RC, "rc.edited", Config(), Fetch(2, REVIEW)),
        (RC, "rc.deleted", Config(), Skip(None, "deleted events are ignored")),
        (PRR, "review.submitted", Config(), Fetch(2, REVIEW)),
        (PRR, "review.dismissed", Config(), Skip(None, "review action 'dismissed' is ignored")),
        (IC, "issue_comment.created.on-pr", Config(),
         Skip(492700400, "issue comments are not scored (score_issue_comments: false)")),
        (IC, "issue_comment.created.on-pr", OPT_IN, Fetch(1, ISSUE)),
        (IC, "issue_comment.created", OPT_IN,
         Skip(492700400, "comment is on an issue, not a pull request")),
        (IC, "issue_comment.edited.on-pr.octocrab", OPT_IN, Fetch(5, ISSUE)),
        (WD, "workflow_dispatch.pr", Config(), Fetch(2, REVIEW)),
        ("ping", "ping", Config(), Skip(None, "event 'ping' is not one review-forge handles")),
    ],
)  # fmt: skip
def test_needs(event, fixture, config, expected):
    assert needs(event, payload(fixture), config) == expected


def test_workflow_dispatch_without_a_pr_input_is_a_clear_input_error():
    with pytest.raises(InputError, match="`pr` input"):
        needs("workflow_dispatch", payload("workflow_dispatch"), Config())


HUMAN_FAKE_MARKER = listed(500, f"I agree.\n{make_marker(TOP, 'rubric')}", reply_to=TOP)


@pytest.mark.parametrize(
    ("case", "event", "fixture", "config", "comments", "expected"),
    [
        ("created: reply on the thread", RC, "rc.created", Config(), [listed(TOP)],
         [("reply", TOP, TOP, None)]),
        ("created again: edit the earlier reply", RC, "rc.created", Config(),
         [listed(TOP), bot_reply(900, TOP)], [("reply", TOP, TOP, 900)]),
        ("edited: update the reply", RC, "rc.edited", Config(),
         [listed(TOP), bot_reply(900, TOP)], [("reply", TOP, TOP, 900)]),
        ("edited, never scored: post one", RC, "rc.edited", Config(), [listed(TOP)],
         [("reply", TOP, TOP, None)]),
        ("the listing lags: the payload still counts", RC, "rc.created", Config(), [],
         [("reply", TOP, TOP, None)]),
        ("reply to a reply: answered on the thread's top", RC, "rc.created.reply", Config(),
         [listed(TOP)], [("reply", 284312631, TOP, None)]),
        ("a bot's comment", RC, "rc.created.bot", Config(), [],
         [("skip", TOP, "comment by a bot")]),
        ("the bot posts as a user (PAT): its comments are skipped", RC, "rc.created",
         Config(bot_login="Codertocat"), [], [("skip", TOP, "comment by a bot")]),
        ("a person pasted the marker: not the bot's reply", RC, "rc.created", Config(),
         [listed(TOP), HUMAN_FAKE_MARKER], [("reply", TOP, TOP, None)]),
        ("review submitted: its comments not yet scored, once", PRR, "review.submitted", Config(),
         [listed(TOP), listed(601), bot_reply(602, 601), listed(603, review=1),
          listed(604, login=BOT, kind="Bot")],
         [("reply", TOP, TOP, None), ("skip", 601, "already scored"),
          ("skip", 604, "comment by a bot")]),
        ("review with changes requested: the same", PRR, "review.submitted.changes-requested",
         Config(), [listed(TOP)], [("reply", TOP, TOP, None)]),
        ("dispatch: the whole PR, updating earlier replies", WD, "workflow_dispatch.pr", Config(),
         [listed(TOP), listed(701, reply_to=TOP), bot_reply(702, TOP), HUMAN_FAKE_MARKER],
         [("reply", TOP, TOP, 702), ("reply", 701, TOP, None), ("reply", 500, TOP, None)]),
        ("issue comment on a PR, opted in", IC, "issue_comment.created.on-pr", OPT_IN, [],
         [("reply", 492700400, 492700400, None)]),
        ("issue comment by an App bot on a PR", IC, "issue_comment.edited.on-pr.octocrab", OPT_IN,
         [], [("skip", 1640255529, "comment by a bot")]),
        ("deleted", RC, "rc.deleted", Config(), [listed(TOP)],
         [("skip", None, "deleted events are ignored")]),
    ],
)  # fmt: skip
def test_plan(case, event, fixture, config, comments, expected):
    assert summary(plan(event, payload(fixture), config, comments)) == expected


def test_own_reply_needs_the_marker_and_the_bot_as_author():
    """A marker pasted by a person and a bot reply without a marker both leave the map alone."""
    comments = [
        bot_reply(900, TOP),
        HUMAN_FAKE_MARKER,
        listed(901, "no marker", login=BOT, kind="Bot"),
        bot_reply(902, TOP),  # a duplicate from a retried POST: the earliest wins
        bot_reply(903, 601),
    ]

    assert own_replies(comments, Config()) == {TOP: 900, 601: 903}


def test_the_bots_own_reply_event_is_skipped_as_such():
    event = payload("rc.created.reply")
    event["comment"]["body"] += "\n" + make_marker(TOP, "rubric")
    config = Config(bot_login="Codertocat")  # the bot posting with a PAT as a user account

    assert summary(plan(RC, event, config, [])) == [("skip", 284312631, "the bot's own reply")]


def test_issue_comment_targets_keep_their_kind_and_text():
    (action,) = plan("issue_comment", payload("issue_comment.created.on-pr"), OPT_IN, [])

    assert action.target.kind == ISSUE
    assert action.target.body == "You are totally right! I'll get this fixed right away."
    assert action.target.path is None and action.target.author == "Codertocat"


def test_a_reply_whose_parent_is_itself_a_reply_climbs_to_the_top():
    event = payload("rc.created.reply")
    event["comment"]["in_reply_to_id"] = 800
    comments = [listed(TOP), listed(800, reply_to=TOP)]

    assert summary(plan(RC, event, Config(), comments)) == [("reply", 284312631, TOP, None)]


@pytest.mark.parametrize(
    ("user", "config", "expected"),
    [
        ({"login": "Codertocat", "type": "User"}, Config(), False),
        ({"login": "dependabot[bot]", "type": "Bot"}, Config(), True),
        ({"login": "renovate[bot]", "type": "User"}, Config(), True),  # "[bot]" alone suffices
        ({"login": "ci-robot", "type": "Bot"}, Config(), True),
        ({"login": "Review-Bot", "type": "User"}, Config(bot_login="review-bot"), True),
        (None, Config(), False),  # a deleted account ("ghost")
    ],
)
def test_is_bot(user, config, expected):
    assert is_bot(user, config) is expected
