"""`python -m tests.support.fake_github --out DIR`: the fake GitHub as a process of its own.

For a container to talk to (the image smoke test, `.ci/smoke-image.sh`): it seeds a pull request
with the review comment of a recorded `pull_request_review_comment` payload, writes to DIR

- `event.json`: that payload, bound to the fake's ids (repository, pull request, comment);
- `env`: the run's variables, one `NAME=value` a line (GITHUB_API_URL, GITHUB_REPOSITORY,
  GITHUB_EVENT_NAME, INPUT_GITHUB_TOKEN, COMMENT_ID);

serves until SIGTERM or SIGINT (or `--timeout` seconds), then writes `state.json` (the review and
issue comments, the requests it answered, and any request GitHub would have refused) and exits.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path
from typing import Any

from tests.support.fake_github import FakeGitHub

RECORDED = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "webhooks"
    / "pull_request_review_comment.created.payload.json"
)
PR = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fake_github")
    parser.add_argument("--out", required=True, type=Path, help="folder for event.json, env, state")
    parser.add_argument("--event", type=Path, default=RECORDED, help="recorded payload to seed")
    parser.add_argument("--timeout", type=float, default=600.0, help="stop after this many s")
    args = parser.parse_args(argv)

    fake = FakeGitHub().start()
    event = seed(fake, json.loads(args.event.read_text(encoding="utf-8")))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "event.json").write_text(json.dumps(event), encoding="utf-8")
    env = {
        "GITHUB_API_URL": fake.url,
        "GITHUB_REPOSITORY": fake.repo.full_name,
        "GITHUB_EVENT_NAME": "pull_request_review_comment",
        "INPUT_GITHUB_TOKEN": fake.token,
        "COMMENT_ID": str(event["comment"]["id"]),
    }
    # Written last, renamed into place: whoever waits for `env` finds the payload already there.
    (args.out / "env.tmp").write_text("".join(f"{k}={v}\n" for k, v in env.items()), "utf-8")
    (args.out / "env.tmp").rename(args.out / "env")

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait(args.timeout)
    (args.out / "state.json").write_text(json.dumps(state(fake), default=str), encoding="utf-8")
    fake.stop()
    return 0


def seed(fake: FakeGitHub, event: dict[str, Any]) -> dict[str, Any]:
    """Put the payload's comment into the fake; the payload bound to the fake's ids."""
    comment = event["comment"]
    fake.add_pull(PR)
    cid = fake.add_review_comment(
        PR,
        comment["body"],
        user=comment["user"]["login"],
        path=comment["path"],
        line=comment["line"],
        diff_hunk=comment["diff_hunk"],
    )
    comment.update(id=cid, user=fake.user(comment["user"]["login"]))
    event["repository"]["full_name"] = fake.repo.full_name
    event["pull_request"]["number"] = PR
    return event


def state(fake: FakeGitHub) -> dict[str, Any]:
    with fake.lock:
        return {
            "review_comments": list(fake.repo.review_comments.values()),
            "issue_comments": list(fake.repo.issue_comments.values()),
            "requests": [
                {"method": r.method, "path": r.path, "status": r.status} for r in fake.requests
            ],
            "violations": fake.violations + fake.response_violations,
        }


if __name__ == "__main__":
    raise SystemExit(main())
