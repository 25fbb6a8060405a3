"""Collect 👍/👎 on the bot's replies into a feedback snapshot on the data branch.

GitHub sends no event for reactions, so this polls: pull requests updated since the last
collection (minus a look-back, since a reaction does not count as an update), newest first; the
bot's replies among their comments (marker AND author); the people's 👍/👎 on each. The reaction
roll-up on a reply says when there is nothing to list. One snapshot file per run; readers keep
the newest snapshot per reply, so a changed or withdrawn reaction shows up in the next one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from github import Github
from github.PaginatedList import PaginatedList
from github.PullRequest import PullRequest
from github.Reaction import Reaction
from github.Repository import Repository

from review_forge.bot.errors import ConfigError
from review_forge.bot.github.client import call_with_retries, paged
from review_forge.bot.github.data_branch import FEEDBACK_DIR, DataStore, parse_jsonl
from review_forge.bot.github.event import is_bot, is_own_reply
from review_forge.bot.github.marker import find_marker, find_score
from review_forge.bot.settings import Config

RATE_RESERVE = 100  # requests left for the write and for other jobs sharing the token


@dataclass
class Collection:
    """What one run did, for the log and the job summary."""

    since: datetime | None
    pulls: int = 0
    replies: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    path: str | None = None
    notes: list[str] = field(default_factory=list)


def collect(
    config: Config,
    gh: Github,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    warn: Callable[[str], None] | None = None,
) -> Collection:
    """Read reactions and write one snapshot; `since` overrides the last collection's time."""
    if not config.repository:
        raise ConfigError("no repository: set GITHUB_REPOSITORY or --repository OWNER/NAME")
    now = now or datetime.now(UTC).replace(microsecond=0)
    repo = call_with_retries(lambda: gh.get_repo(config.repository), what="reading the repository")
    store = DataStore(repo, config.data_branch, sleep=sleep, **({"warn": warn} if warn else {}))
    files = store.list_files(FEEDBACK_DIR)
    if since is None:
        last = last_collected(store, files)
        since = last - timedelta(days=config.collect_lookback_days) if last else None
    result = Collection(since=since)
    pulls = repo.get_pulls(state="all", sort="updated", direction="desc")
    for pull in paged(pulls, per_page=gh.per_page, what="listing pull requests", sleep=sleep):
        if since is not None and pull.updated_at < since:
            break  # sorted by update, newest first: the rest are older
        remaining, _ = gh.rate_limiting
        if remaining < RATE_RESERVE:
            result.notes.append(
                f"stopped at pull request #{pull.number}: {remaining} API requests left this "
                "hour; the next run continues"
            )
            break
        result.pulls += 1
        result.records += _pull_records(gh, repo, pull, config, now, result, sleep)
    if result.records:
        result.path = snapshot_path(files, now, config.run_id)
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result.records)
        store.add_files(
            {result.path: lines.encode("utf-8")},
            f"Feedback snapshot: {len(result.records)} replies (run {config.run_id})",
        )
    return result


def _pull_records(
    gh: Github,
    repo: Repository,
    pull: PullRequest,
    config: Config,
    now: datetime,
    result: Collection,
    sleep: Callable[[float], None],
) -> list[dict[str, Any]]:
    """Records for the bot's replies on one pull request: review threads, and the conversation
    when issue comments are scored too (a reply there scores a comment of the same kind)."""
    listings = {"pulls": pull.get_review_comments()}
    if config.score_issue_comments:
        listings["issues"] = pull.get_issue_comments()
    records = []
    for kind, listing in listings.items():
        what = f"reading comments of pull request #{pull.number}"
        comments = [
            c.raw_data for c in paged(listing, per_page=gh.per_page, what=what, sleep=sleep)
        ]
        by_id = {int(c["id"]): c for c in comments}
        for reply in comments:
            marker = find_marker(reply.get("body"))
            if marker is None or not is_own_reply(reply, config):
                continue
            result.replies += 1
            target, posted = by_id.get(marker.target_id), find_score(reply.get("body"))
            if target is None or posted is None:
                why = "the scored comment is gone" if target is None else "it carries no score"
                result.notes.append(f"reply {reply['id']} on #{pull.number} skipped: {why}")
                continue
            reviewer = str((target.get("user") or {}).get("login") or "")
            up, down, reactors = _votes(gh, repo, kind, reply, reviewer, config, sleep)
            records.append({
                "schema": 1, "repo": repo.full_name, "pr": pull.number,
                "review_comment_id": marker.target_id, "reply_comment_id": int(reply["id"]),
                "body": target.get("body") or "", "diff_hunk": target.get("diff_hunk"),
                "path": target.get("path"), "posted": posted, "up": up, "down": down,
                "reactors": reactors, "collected_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            })  # fmt: skip
    return records


def _votes(
    gh: Github,
    repo: Repository,
    kind: str,
    reply: Mapping[str, Any],
    reviewer: str,
    config: Config,
    sleep: Callable[[float], None],
) -> tuple[int, int, int]:
    """(👍, 👎, people who gave either) from people: not bots, not the reviewer if so set."""
    rollup = reply.get("reactions") or {}
    if rollup and not rollup.get("+1") and not rollup.get("-1"):
        return 0, 0, 0  # the roll-up already says there is nothing to list
    url = f"{repo.url}/{kind}/comments/{int(reply['id'])}/reactions"
    listing = PaginatedList(Reaction, repo.requester, url, None)
    up, down = set(), set()
    what = f"reading reactions on reply {reply['id']}"
    for reaction in paged(listing, per_page=gh.per_page, what=what, sleep=sleep):
        user = reaction.raw_data.get("user") or {}
        login = str(user.get("login") or "")
        if is_bot(user, config) or (config.ignore_reviewer_reactions and login == reviewer):
            continue
        if reaction.content == "+1":
            up.add(login)
        elif reaction.content == "-1":
            down.add(login)
    return len(up), len(down), len(up | down)


def last_collected(store: DataStore, files: Mapping[str, str]) -> datetime | None:
    """The newest `collected_at` among feedback `files` ({path: sha}), reading only the newest
    day's snapshots."""
    paths = sorted(p for p in files if p.startswith(FEEDBACK_DIR) and p.endswith(".jsonl"))
    if not paths:
        return None
    newest_day = paths[-1].rsplit("/", 1)[0] + "/"
    times = []
    for path in (p for p in paths if p.startswith(newest_day)):
        for record in parse_jsonl(store.read_blob(files[path]), path, store.warn):
            try:
                when = datetime.fromisoformat(str(record["collected_at"]).replace("Z", "+00:00"))
            except (KeyError, ValueError):
                continue
            times.append(when if when.tzinfo else when.replace(tzinfo=UTC))
    return max(times) if times else None


def snapshot_path(files: Mapping[str, str], now: datetime, run_id: str) -> str:
    """`feedback/YYYY/MM/DD/<run-id>.jsonl`; when a re-run reuses the id, `<run-id>_002.jsonl`
    and so on, which sort after it: path order stays chronological for readers.

    >>> snapshot_path({"feedback/2024/05/01/77.jsonl": "x"}, datetime(2024, 5, 1), "77")
    'feedback/2024/05/01/77_002.jsonl'
    """
    day = f"{FEEDBACK_DIR}{now:%Y/%m/%d}/"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id) or "run"
    path, n = f"{day}{safe}.jsonl", 1
    while path in files:
        n += 1
        path = f"{day}{safe}_{n:03d}.jsonl"
    return path
