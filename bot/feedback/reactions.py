"""Who gave 👍/👎 to the bot's replies: people only, not bots, not the reviewer (when so set).

A comment's reaction roll-up (in every REST listing) counts reactions but does not say who gave
them, so it can only say when there is nothing to look at. For the rest, one GraphQL query asks
for the reactors of up to 100 replies at once (`nodes(ids:)` with each reaction group's
reactors), where the REST API needs one request per reply: on a busy repository that is the
difference between fitting GITHUB_TOKEN's ~1,000 requests an hour and not
(`python -m benchmarks.collect_scale` measures both). A reply with more than 100 reactors of one
kind is listed over REST, page by page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from github import Github
from github.PaginatedList import PaginatedList
from github.Reaction import Reaction
from github.Repository import Repository

from review_forge.bot.errors import GitHubError
from review_forge.bot.github.client import call_with_retries, paged
from review_forge.bot.github.event import is_bot
from review_forge.bot.settings import Config

Votes = tuple[int, int, int]  # (👍, 👎, people who gave either)
BATCH = 100  # GitHub's most ids in one `nodes(ids:)`, and most reactors in one page
_GROUP = """reactionGroups {
      content
      reactors(first: 100) { totalCount nodes { __typename ... on Actor { login } } }
    }"""
QUERY = f"""query($ids: [ID!]!) {{
  nodes(ids: $ids) {{
    ... on PullRequestReviewComment {{ databaseId {_GROUP} }}
    ... on IssueComment {{ databaseId {_GROUP} }}
  }}
}}"""
_CONTENT = {"THUMBS_UP": "+1", "THUMBS_DOWN": "-1"}


def nothing_to_list(reply: Mapping[str, Any]) -> bool:
    """The roll-up says no one gave 👍 or 👎 (a reply without a roll-up must be looked at).

    >>> nothing_to_list({"reactions": {"+1": 0, "-1": 0, "heart": 2}})
    True
    """
    rollup = reply.get("reactions") or {}
    return bool(rollup) and not rollup.get("+1") and not rollup.get("-1")


def count(
    reactions: Iterable[tuple[str, Mapping[str, Any]]], reviewer: str, config: Config
) -> Votes:
    """Votes from (content, user) pairs: one vote per person and kind, bots and (when
    `ignore_reviewer_reactions`) the reviewer left out.

    >>> from review_forge.bot.settings import Config
    >>> alice, bot = {"login": "alice"}, {"login": "ci", "type": "Bot"}
    >>> rev = {"login": "rev"}
    >>> count([("+1", alice), ("+1", alice), ("-1", bot), ("+1", rev)], "rev", Config())
    (1, 0, 1)
    """
    up, down = set(), set()
    for content, user in reactions:
        login = str(user.get("login") or "")
        if is_bot(user, config) or (config.ignore_reviewer_reactions and login == reviewer):
            continue
        (up if content == "+1" else down if content == "-1" else set()).add(login)
    return len(up), len(down), len(up | down)


def votes_by_graphql(
    gh: Github,
    repo: Repository,
    replies: Sequence[tuple[str, Mapping[str, Any], str]],
    config: Config,
    sleep: Callable[[float], None],
) -> dict[int, Votes | None]:
    """{reply id: votes} for (kind, reply, reviewer) triples, 100 replies per query; None for a
    reply deleted meanwhile."""
    out: dict[int, Votes | None] = {}
    for start in range(0, len(replies), BATCH):
        batch = replies[start : start + BATCH]
        nodes = _query(gh, [str(reply["node_id"]) for _, reply, _ in batch], sleep)
        for (kind, reply, reviewer), node in zip(batch, nodes, strict=True):
            rid = int(reply["id"])
            if node is None:
                out[rid] = None
                continue
            groups = [g for g in node.get("reactionGroups") or [] if g["content"] in _CONTENT]
            if any(g["reactors"]["totalCount"] > len(g["reactors"]["nodes"]) for g in groups):
                out[rid] = votes_by_rest(gh, repo, kind, reply, reviewer, config, sleep)
                continue
            pairs = [
                (_CONTENT[g["content"]], _user(n)) for g in groups for n in g["reactors"]["nodes"]
            ]
            out[rid] = count(pairs, reviewer, config)
    return out


def _query(gh: Github, ids: list[str], sleep: Callable[[float], None]) -> list[Any]:
    """The `nodes` of one query. An id GitHub cannot resolve (deleted) comes back as null with a
    NOT_FOUND error; any other error means the answer cannot be trusted."""
    requester = gh.requester
    _, data = call_with_retries(
        lambda: requester.requestJsonAndCheck(
            "POST", requester.graphql_url, input={"query": QUERY, "variables": {"ids": ids}}
        ),
        what=f"reading reactions on {len(ids)} replies (GraphQL)",
        sleep=sleep,
    )
    errors = [e for e in data.get("errors") or [] if e.get("type") != "NOT_FOUND"]
    nodes = (data.get("data") or {}).get("nodes")
    if errors or not isinstance(nodes, list) or len(nodes) != len(ids):
        first = errors[0].get("message") if errors else "no nodes in the answer"
        raise GitHubError(f"reading reactions (GraphQL): GitHub answered with an error: {first}")
    return nodes


def _user(node: Mapping[str, Any]) -> dict[str, Any]:
    """A reactor as the REST API shows users: GraphQL names a bot without its "[bot]" suffix."""
    bot = node.get("__typename") == "Bot"
    login = str(node.get("login") or "")
    return {"login": f"{login}[bot]" if bot else login, "type": "Bot" if bot else "User"}


def votes_by_rest(
    gh: Github,
    repo: Repository,
    kind: str,
    reply: Mapping[str, Any],
    reviewer: str,
    config: Config,
    sleep: Callable[[float], None],
) -> Votes:
    """One reply's votes from its REST reaction listing (one request per 100 reactions)."""
    url = f"{repo.url}/{kind}/comments/{int(reply['id'])}/reactions"
    listing = PaginatedList(Reaction, repo.requester, url, None)
    what = f"reading reactions on reply {reply['id']}"
    items = paged(listing, per_page=gh.per_page, what=what, sleep=sleep)
    return count(((r.content, r._rawData.get("user") or {}) for r in items), reviewer, config)
