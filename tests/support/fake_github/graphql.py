"""The fake GitHub's GraphQL endpoint (`POST /graphql`): the part of GitHub's schema a review bot
uses to read who reacted to its replies, executed with graphql-core over the fake's state.

The schema below is an excerpt of GitHub's public GraphQL schema (types, fields and arguments as
GitHub names them; fields the bot never asks for are left out), so a query with a misspelt field,
a wrong argument or a missing fragment fails validation here as it would on GitHub. Like GitHub,
`nodes(ids:)` answers null for an id it cannot resolve and adds a NOT_FOUND error naming it, and
a bot is a `Bot` whose login has no "[bot]" suffix. Query cost (GitHub's points) is not modelled:
each query is one request in the fake's log and rate count.
"""

from __future__ import annotations

import base64
from functools import cache
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLSchema, build_schema, execute, parse, validate

from tests.support.fake_github.shapes import DOCS, REACTIONS, TYPENAME

if TYPE_CHECKING:
    from tests.support.fake_github import FakeGitHub

SDL = """
scalar URI
scalar DateTime

type Query {
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit { cost: Int! limit: Int! nodeCount: Int! remaining: Int! used: Int! }

interface Node { id: ID! }
interface Actor { avatarUrl(size: Int): URI! login: String! resourcePath: URI! url: URI! }

enum ReactionContent { CONFUSED EYES HEART HOORAY LAUGH ROCKET THUMBS_DOWN THUMBS_UP }

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

union Reactor = Bot | Mannequin | Organization | User
type ReactorEdge { cursor: String! node: Reactor! }
type ReactorConnection {
  edges: [ReactorEdge]
  nodes: [Reactor]
  pageInfo: PageInfo!
  totalCount: Int!
}

type ReactionGroup {
  content: ReactionContent!
  createdAt: DateTime
  reactors(after: String, before: String, first: Int, last: Int): ReactorConnection!
  viewerHasReacted: Boolean!
}

type User implements Node & Actor {
  avatarUrl(size: Int): URI! databaseId: Int id: ID! login: String! resourcePath: URI! url: URI!
}
type Bot implements Node & Actor {
  avatarUrl(size: Int): URI! databaseId: Int id: ID! login: String! resourcePath: URI! url: URI!
}
type Organization implements Node & Actor {
  avatarUrl(size: Int): URI! databaseId: Int id: ID! login: String! resourcePath: URI! url: URI!
}
type Mannequin implements Node & Actor {
  avatarUrl(size: Int): URI! databaseId: Int id: ID! login: String! resourcePath: URI! url: URI!
}

type PullRequestReviewComment implements Node {
  body: String! databaseId: Int id: ID! reactionGroups: [ReactionGroup!] url: URI!
}
type IssueComment implements Node {
  body: String! databaseId: Int id: ID! reactionGroups: [ReactionGroup!] url: URI!
}
"""

# REST reaction content -> GraphQL ReactionContent
CONTENT = {"+1": "THUMBS_UP", "-1": "THUMBS_DOWN", "laugh": "LAUGH", "confused": "CONFUSED",
           "heart": "HEART", "hooray": "HOORAY", "eyes": "EYES", "rocket": "ROCKET"}  # fmt: skip


@cache
def schema() -> GraphQLSchema:
    s = build_schema(SDL)
    s.type_map["Node"].resolve_type = lambda obj, *_: obj["__typename"]  # type: ignore[attr-defined]
    s.type_map["Reactor"].resolve_type = lambda obj, *_: obj["__typename"]  # type: ignore[attr-defined]
    s.type_map["ReactionGroup"].fields["reactors"].resolve = _reactors  # type: ignore[attr-defined]
    return s


def check_request(body: Any) -> list[str]:
    """What GitHub would refuse in this GraphQL request (empty when nothing)."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return ["POST /graphql: the body must be a JSON object with a `query` string"]
    try:
        document = parse(body["query"])
    except GraphQLError as exc:
        return [f"POST /graphql: {exc.message}"]
    return [f"POST /graphql: {e.message}" for e in validate(schema(), document)]


def answer(fake: FakeGitHub, body: Any, who: tuple[str, bool]) -> tuple[int, Any, dict]:
    """Execute the query over the fake's state; (status, body, headers) like the REST routes."""
    problems = check_request(body)
    if problems:
        return 200, {"errors": [{"message": p} for p in problems]}, {}
    variables = body.get("variables") or {}
    missing: list[dict] = []
    root = {"nodes": lambda info, ids: [_node(fake, i, n, missing) for n, i in enumerate(ids)],
            "rateLimit": lambda info, dryRun=False: _rate(fake)}  # fmt: skip
    # graphql-core's default resolver calls a root field that is a callable with (info, **args)
    result = execute(schema(), parse(body["query"]), root_value=root, variable_values=variables)
    out: dict[str, Any] = {"data": result.data}
    errors = missing + [{"message": e.message, "path": e.path} for e in result.errors or []]
    if errors:
        out["errors"] = errors
    return 200, out, {}


def _rate(fake: FakeGitHub) -> dict:
    remaining = max(0, fake.rate_limit - fake.rate_used)
    return {"cost": 1, "limit": fake.rate_limit, "nodeCount": 0, "remaining": remaining,
            "used": fake.rate_used}  # fmt: skip


def _node(fake: FakeGitHub, gid: str, index: int, missing: list[dict]) -> dict | None:
    try:
        typename, repo_id, cid = base64.b64decode(gid, validate=True).decode().split(":")
        repo = next(r for r in fake.repos.values() if r.id == int(repo_id))
        kind = {v: k for k, v in TYPENAME.items()}[typename]
        comment = (repo.review_comments if kind == "pulls" else repo.issue_comments)[int(cid)]
    except (ValueError, KeyError, StopIteration, UnicodeDecodeError):
        message = f"Could not resolve to a node with the global id of '{gid}'"
        missing.append({"type": "NOT_FOUND", "path": ["nodes", index], "message": message})
        return None
    reactions = repo.reactions.get((kind, comment["id"]), [])
    groups = [
        {"content": CONTENT[c], "createdAt": None, "viewerHasReacted": False,
         "_users": [r["user"] for r in reactions if r["content"] == c], "_fake": fake}
        for c in REACTIONS
    ]  # fmt: skip
    return {"__typename": typename, "id": gid, "databaseId": comment["id"],
            "body": comment["body"], "url": DOCS, "reactionGroups": groups}  # fmt: skip


def _reactors(group: dict, info: Any, first: int | None = None, after: str | None = None,
              **_: Any) -> dict:  # fmt: skip
    if first is None or not 1 <= first <= 100:
        raise GraphQLError("`first` must be between 1 and 100 on the `reactors` connection")
    start = int(base64.b64decode(after).decode()) if after else 0
    users = group["_users"]
    page = users[start : start + first]
    end = start + len(page)
    fake = group["_fake"]
    nodes = [_actor(fake.user(login)) for login in page]
    return {"totalCount": len(users), "nodes": nodes,
            "edges": [{"cursor": _cursor(start + n + 1), "node": x} for n, x in enumerate(nodes)],
            "pageInfo": {"hasNextPage": end < len(users), "hasPreviousPage": start > 0,
                         "startCursor": _cursor(start + 1) if page else None,
                         "endCursor": _cursor(end) if page else None}}  # fmt: skip


def _cursor(n: int) -> str:
    return base64.b64encode(str(n).encode()).decode()


def _actor(user: dict) -> dict:
    bot = user["type"] == "Bot"
    login = user["login"].removesuffix("[bot]") if bot else user["login"]
    return {"__typename": "Bot" if bot else "User", "id": f"U_{user['id']}", "login": login,
            "databaseId": user["id"], "avatarUrl": user["avatar_url"], "url": user["html_url"],
            "resourcePath": "/" + login}  # fmt: skip
