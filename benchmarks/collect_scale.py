"""What one `review-forge collect` costs on a busy repository, from the fake GitHub's request log.

The fake GitHub is seeded straight into its state (tests/support/fake_github/busy.py) with 500
pull requests and 10,000 bot replies, a third with reactions (some by bots and by the reviewer),
and gets GITHUB_TOKEN's budget of 1,000 requests an hour. Then, each on a fresh copy:

- GraphQL (what collect does): the repository's review comments in pages of 100, who reacted
  asked for 100 replies per GraphQL query;
- REST (the baseline, same run): the same pages, then each reacted reply's reactions listed one
  reply at a time; the hour's budget runs out, so it takes several runs (the budget renewed
  between them), each going on from where the last stopped;
- GraphQL interrupted: the first run gets only 60 requests, the next run finishes the pass; its
  records must equal the uninterrupted run's.

    python -m benchmarks.collect_scale [--pulls 500] [--replies 10000]

Times are wall-clock on this machine, server and client in one process; the fake answers in
microseconds where GitHub takes tens of milliseconds, so they show our side only.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from review_forge.bot.feedback.collect import RATE_RESERVE, collect
from review_forge.bot.github.client import connect
from review_forge.bot.github.data_branch import DataStore, latest_per_reply
from review_forge.bot.settings import Config
from tests.support.fake_github import FakeGitHub
from tests.support.fake_github.busy import seed_busy_repository

BUDGET = 1000  # GITHUB_TOKEN: about 1,000 REST requests an hour per repository


def run(pulls: int, replies: int, *, by_graphql: bool, first_budget: int | None = None) -> dict:
    fake = FakeGitHub().start()
    try:
        seed_busy_repository(fake, pulls, replies)
        fake.sample_lists = True
        fake.rate_limit = BUDGET
        if first_budget is not None:
            fake.rate_used = BUDGET - RATE_RESERVE - first_budget
        runs, requests, seconds = 0, Counter(), 0.0
        now = datetime.now(UTC).replace(microsecond=0)
        while True:
            runs += 1
            config = Config(github_token=fake.token, api_url=fake.url,
                            repository=fake.repo.full_name, github_request_interval=0.0,
                            github_write_interval=0.0, run_id=str(runs))  # fmt: skip
            before = len(fake.requests)
            start = time.perf_counter()
            result = collect(config, connect(config), now=now + timedelta(hours=runs),
                             sleep=lambda s: None, by_graphql=by_graphql)  # fmt: skip
            seconds += time.perf_counter() - start
            requests[runs] = len(fake.requests) - before
            if result.cursor.complete:
                break
            fake.rate_used = 0  # the next hour
        kinds = Counter(_kind(r.method, r.path) for r in fake.requests)
        records = DataStore(fake.client().get_repo(fake.repo.full_name)).read_records()
        latest = latest_per_reply(records)
        assert not fake.violations, fake.violations[:3]
        return {"runs": runs, "requests": requests, "kinds": kinds, "seconds": seconds,
                "records": sorted((r.reply_comment_id, r.up, r.down, r.reactors, r.body)
                                  for r in latest)}  # fmt: skip
    finally:
        fake.stop()


def _kind(method: str, path: str) -> str:
    if path == "/graphql":
        return "GraphQL queries"
    if path.endswith("/pulls/comments"):
        return "comment pages"
    if path.endswith("/reactions"):
        return "reaction listings"
    if "/git/" in path:
        return "data branch"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulls", type=int, default=500)
    parser.add_argument("--replies", type=int, default=10_000)
    args = parser.parse_args()
    graphql = run(args.pulls, args.replies, by_graphql=True)
    rest = run(args.pulls, args.replies, by_graphql=False)
    split = run(args.pulls, args.replies, by_graphql=True, first_budget=60)
    print(f"{args.pulls} pull requests, {args.replies} bot replies, budget {BUDGET}/hour\n")
    print(
        "| collect | runs | requests per run | comment pages | GraphQL | reaction listings "
        "| data branch | seconds |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for name, r in [("GraphQL (ours)", graphql), ("REST, one listing per reply", rest),
                    ("GraphQL, interrupted after 60", split)]:  # fmt: skip
        k = r["kinds"]
        per_run = " + ".join(str(n) for n in r["requests"].values())
        print(f"| {name} | {r['runs']} | {per_run} | {k['comment pages']} | "
              f"{k['GraphQL queries']} | {k['reaction listings']} | {k['data branch']} | "
              f"{r['seconds']:.1f} |")  # fmt: skip
    print(
        f"\nrecords: {len(graphql['records'])}; REST gives the same: "
        f"{rest['records'] == graphql['records']}; interrupted then completed gives the same: "
        f"{split['records'] == graphql['records']}"
    )


if __name__ == "__main__":
    main()
