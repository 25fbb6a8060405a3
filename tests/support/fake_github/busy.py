"""A busy repository for the fake GitHub, seeded straight into its state (no HTTP): pull
requests, review comments, the bot's replies to them, and reactions on a share of the replies,
some by bots and some by the reviewer. Used by the scale test and `benchmarks/collect_scale.py`.
"""

from __future__ import annotations

from datetime import timedelta

from review_forge.bot.github.reply import render_reply
from review_forge.bot.scoring.rubric import RubricScorer
from review_forge.bot.scoring.score import Comment
from tests.support.fake_github import ACTIONS_LOGIN, FakeGitHub

BODIES = [
    "`parse_date` accepts Feb 30; raise ValueError past the month's end and add a test.",
    "nit: rename `x` to `retries`, it counts retries.",
    "Why not reuse `load_config` here?",
    "This loop re-reads the file on every pass; open it once above the loop.",
    "looks fine",
]


def seed_busy_repository(fake: FakeGitHub, pulls: int, replies: int) -> dict[str, int]:
    """`pulls` pull requests sharing `replies` scored comments, each with the bot's reply; every
    third reply has reactions (people's 👍/👎, and on some a bot's and the reviewer's too).
    Returns what was seeded, for the caller to check against."""
    scores = RubricScorer().score_many([Comment(b, None, None) for b in BODIES])
    start = fake.now() - timedelta(days=5)
    numbers = [fake.add_pull(updated_at=start) for _ in range(pulls)]
    reacted = 0
    for n in range(replies):
        pr, when = numbers[n % pulls], start + timedelta(seconds=n)
        reviewer = f"reviewer{n % 17}"
        target = fake.add_review_comment(pr, BODIES[n % len(BODIES)], user=reviewer,
                                         created_at=when)  # fmt: skip
        body = render_reply(scores[n % len(BODIES)], target)
        reply = fake.add_review_comment(pr, body, user=ACTIONS_LOGIN, in_reply_to=target,
                                        created_at=when)  # fmt: skip
        if n % 3:
            continue
        reacted += 1
        for k in range(1 + n % 3):
            fake.add_reaction(reply, "+1" if (n + k) % 4 else "-1", user=f"person{(n + k) % 50}")
        if n % 4 == 0:
            fake.add_reaction(reply, "+1", user="dependabot[bot]")
        if n % 5 == 0:
            fake.add_reaction(reply, "-1", user=reviewer)
    return {"pulls": pulls, "replies": replies, "with_reactions": reacted}
