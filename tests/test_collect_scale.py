"""`collect` on a busy repository, at the issue's scale: 500 pull requests, 10,000 bot replies, a
third with reactions (some by bots and by the reviewer), GITHUB_TOKEN's 1,000 requests an hour.
The fake's state is seeded directly, not through HTTP; the fake checks every request, and the
first item of each listed page (`sample_lists`), against GitHub's REST description."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from review_forge.bot.feedback.collect import RATE_RESERVE, collect
from review_forge.bot.github.client import connect
from review_forge.bot.github.data_branch import DataStore, latest_per_reply
from review_forge.bot.settings import Config
from tests.support.fake_github import ACTIONS_LOGIN, FakeGitHub
from tests.support.fake_github.busy import seed_busy_repository

PULLS, REPLIES, BUDGET = 500, 10_000, 1000
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def busy():
    fake = FakeGitHub().start()
    try:
        seed_busy_repository(fake, PULLS, REPLIES)
        fake.sample_lists = True
        fake.rate_limit = BUDGET
        yield fake
        fake.assert_all_requests_valid()
    finally:
        fake.stop()


def _collect(fake: FakeGitHub, run: int):
    config = Config(github_token=fake.token, api_url=fake.url, repository=fake.repo.full_name,
                    github_request_interval=0.0, github_write_interval=0.0,
                    run_id=str(run))  # fmt: skip
    return collect(config, connect(config), now=NOW + timedelta(hours=run), sleep=lambda s: None)


def _people(fake: FakeGitHub) -> dict[int, tuple[int, int]]:
    """Per bot reply, people's 👍 and 👎 (no bots, not the reviewer), from the fake's state."""
    comments = fake.repo.review_comments
    out = {}
    for cid, c in comments.items():
        if c["user"] != ACTIONS_LOGIN:
            continue
        reviewer = comments[c["in_reply_to_id"]]["user"]
        reactions = fake.repo.reactions.get(("pulls", cid), [])
        people = [r for r in reactions if not r["user"].endswith("[bot]") and r["user"] != reviewer]
        out[cid] = (sum(r["content"] == "+1" for r in people),
                    sum(r["content"] == "-1" for r in people))  # fmt: skip
    return out


def _key(records) -> list[tuple]:
    return sorted((r.reply_comment_id, r.up, r.down, r.reactors, r.body, r.posted["score"])
                  for r in latest_per_reply(records))  # fmt: skip


def test_one_collect_fits_the_hourly_budget(busy):
    result = _collect(busy, 1)

    assert result.cursor.complete and not result.notes
    assert len(busy.requests) <= BUDGET
    graphql = busy.calls("POST", "/graphql$")
    assert len(graphql) <= -(-REPLIES // 3 // 100) + 1  # a hundred reacted replies per query
    assert not busy.calls("GET", "/reactions$")
    expected = _people(busy)
    assert {r.reply_comment_id: (r.up, r.down) for r in result.records} == expected
    assert sum(up + down for up, down in expected.values()) > 0


def test_an_interrupted_collection_finished_by_the_next_run_gives_the_same_records(busy):
    busy.rate_used = BUDGET - RATE_RESERVE - 60  # 60 requests left this hour
    first = _collect(busy, 1)
    busy.rate_used = 0  # the next hour
    second = _collect(busy, 2)
    whole = _collect(busy, 3)  # a fresh pass over the same window, in one run

    assert not first.cursor.complete and second.cursor.complete
    assert 0 < len(first.records) < REPLIES
    assert len(first.records) + len(second.records) == REPLIES  # none twice, none skipped
    assert _key(first.records + second.records) == _key(whole.records)
    stored = DataStore(busy.client().get_repo(busy.repo.full_name)).read_records()
    assert _key(stored) == _key(whole.records)
