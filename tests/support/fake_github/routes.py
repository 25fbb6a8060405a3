"""The fake GitHub's routes: one handler per REST operation, answering in GitHub's shapes.

Handlers run under the server's lock with a `Call` (the request, its path parameters, the caller)
and return `(status, body, headers)`; they raise `ApiError` for GitHub's error answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import tests.support.fake_github.openapi as openapi
from tests.support.fake_github.git_routes import (
    create_blob,
    create_commit,
    create_ref,
    create_tree,
    delete_ref,
    get_blob,
    get_commit,
    get_contents,
    get_ref,
    get_tree,
    matching_refs,
    update_ref,
)
from tests.support.fake_github.shapes import (
    REACTIONS,
    Answer,
    ApiError,
    Call,
    parse_ts,
    render_issue_comment,
    render_pull,
    render_reaction,
    render_repo,
    render_review,
    render_review_comment,
)


def _int(text: str) -> int:
    if not text.isdigit():
        raise ApiError(404, "Not Found")
    return int(text)


def _pull(c: Call) -> dict:
    pull = c.repo.pulls.get(_int(c.params["pull_number"]))
    if pull is None:
        raise ApiError(404, "Not Found")
    return pull


def _review_comment(c: Call) -> dict:
    comment = c.repo.review_comments.get(_int(c.params["comment_id"]))
    if comment is None:
        raise ApiError(404, "Not Found")
    return comment


def _comments(c: Call, kind: str) -> dict[int, dict]:
    return c.repo.review_comments if kind == "pulls" else c.repo.issue_comments


def _since_sorted(c: Call, items: list[dict], *, default_sort: str) -> list[dict]:
    """GitHub's `since`, `sort` and `direction` query parameters on comment lists."""
    since = c.q("since")
    if since:
        items = [i for i in items if i["updated_at"] >= parse_ts(since)]
    sort = c.q("sort", default_sort)
    key = "updated_at" if sort == "updated" else "created_at"
    return sorted(items, key=lambda i: (i[key], i["id"]), reverse=c.q("direction") == "desc")


def get_rate_limit(c: Call) -> Answer:
    out = openapi.example("GET", "/rate_limit", 200)
    core = {
        "limit": c.fake.rate_limit,
        "used": c.fake.rate_used,
        "remaining": max(0, c.fake.rate_limit - c.fake.rate_used),
        "reset": int(datetime.now(UTC).timestamp()) + 3600,
    }
    out["resources"]["core"] = out["rate"] = core
    return 200, out, {}


def get_user(c: Call) -> Answer:
    login, actions = c.who
    if actions:  # GITHUB_TOKEN is an installation token: it has no user
        raise ApiError(403, "Resource not accessible by integration")
    return 200, openapi.example("GET", "/user", 200) | c.fake.user(login), {}


def get_repo(c: Call) -> Answer:
    return 200, render_repo(c.fake, c.repo), {}


def list_pulls(c: Call) -> Answer:
    state = c.q("state", "open")
    pulls = [p for p in c.repo.pulls.values() if state == "all" or p["state"] == state]
    sort = c.q("sort", "created")
    key = {"updated": "updated_at"}.get(sort or "", "created_at")
    default = "desc" if sort == "created" else "asc"
    desc = (c.q("direction") or default) == "desc"
    pulls.sort(key=lambda p: (p[key], p["number"]), reverse=desc)
    return c.page([render_pull(c.fake, c.repo, p) for p in pulls])


def get_pull(c: Call) -> Answer:
    return 200, render_pull(c.fake, c.repo, _pull(c)), {}


def list_pull_review_comments(c: Call) -> Answer:
    n = _pull(c)["number"]
    items = [x for x in c.repo.review_comments.values() if x["pr"] == n]
    items = _since_sorted(c, items, default_sort="created")
    return c.page(items, lambda x: render_review_comment(c.fake, c.repo, x))


def list_repo_review_comments(c: Call) -> Answer:
    items = _since_sorted(c, list(c.repo.review_comments.values()), default_sort="created")
    return c.page(items, lambda x: render_review_comment(c.fake, c.repo, x))


def list_repo_issue_comments(c: Call) -> Answer:
    items = _since_sorted(c, list(c.repo.issue_comments.values()), default_sort="created")
    return c.page(items, lambda x: render_issue_comment(c.fake, c.repo, x))


def _new_review_comment(c: Call, pr: int, body: str, **where: Any) -> Answer:
    cid = c.fake.add_review_comment(pr, body, user=c.login, repo=c.repo, **where)
    return 201, render_review_comment(c.fake, c.repo, c.repo.review_comments[cid]), {}


def create_review_comment(c: Call) -> Answer:
    pr = _pull(c)["number"]
    body = c.body("body")
    if "in_reply_to" in body:
        top = c.repo.review_comments.get(body["in_reply_to"])
        if top is None or top["pr"] != pr:
            raise ApiError(404, "Not Found")
        return _new_review_comment(c, pr, body["body"], in_reply_to=top["id"])
    body = c.body("body", "commit_id", "path")
    if "line" not in body and "position" not in body:
        raise ApiError(
            422,
            "Validation Failed",
            [{"resource": "PullRequestReviewComment", "code": "missing_field", "field": "line"}],
        )
    return _new_review_comment(
        c, pr, body["body"], path=body["path"], line=body.get("line") or body["position"]
    )


def create_reply(c: Call) -> Answer:
    pr = _pull(c)["number"]
    top = _review_comment(c)
    if top["pr"] != pr:
        raise ApiError(404, "Not Found")
    if top["in_reply_to_id"] is not None:  # GitHub threads are one level deep
        raise ApiError(
            422,
            "Validation Failed",
            [
                {
                    "resource": "PullRequestReviewComment",
                    "code": "invalid",
                    "field": "in_reply_to_id",
                    "message": "in_reply_to_id cannot be a reply to a reply",
                }
            ],
        )
    return _new_review_comment(c, pr, c.body("body")["body"], in_reply_to=top["id"])


def get_review_comment(c: Call) -> Answer:
    return 200, render_review_comment(c.fake, c.repo, _review_comment(c)), {}


def update_review_comment(c: Call) -> Answer:
    item = _review_comment(c)
    item.update(body=c.body("body")["body"], updated_at=c.fake.now())
    return 200, render_review_comment(c.fake, c.repo, item), {}


def delete_review_comment(c: Call) -> Answer:
    item = _review_comment(c)
    del c.repo.review_comments[item["id"]]
    return 204, None, {}


def _review(c: Call) -> dict:
    review = c.repo.reviews.get(_int(c.params["review_id"]))
    if review is None or review["pr"] != _pull(c)["number"]:
        raise ApiError(404, "Not Found")
    return review


def list_reviews(c: Call) -> Answer:
    n = _pull(c)["number"]
    items = sorted((r for r in c.repo.reviews.values() if r["pr"] == n), key=lambda r: r["id"])
    return c.page([render_review(c.fake, c.repo, r) for r in items])


def get_review(c: Call) -> Answer:
    return 200, render_review(c.fake, c.repo, _review(c)), {}


def list_review_comments_for_review(c: Call) -> Answer:
    rid = _review(c)["id"]
    items = [x for x in c.repo.review_comments.values() if x["review_id"] == rid]
    return c.page([render_review_comment(c.fake, c.repo, x) for x in sorted(items, key=_id)])


def _id(item: dict) -> int:
    return item["id"]


def _issue_comment(c: Call) -> dict:
    item = c.repo.issue_comments.get(_int(c.params["comment_id"]))
    if item is None:
        raise ApiError(404, "Not Found")
    return item


def list_issue_comments(c: Call) -> Answer:
    n = _int(c.params["issue_number"])
    if n not in c.repo.pulls:
        raise ApiError(404, "Not Found")
    items = _since_sorted(
        c, [x for x in c.repo.issue_comments.values() if x["pr"] == n], default_sort="created"
    )
    return c.page(items, lambda x: render_issue_comment(c.fake, c.repo, x))


def create_issue_comment(c: Call) -> Answer:
    n = _int(c.params["issue_number"])
    if n not in c.repo.pulls:
        raise ApiError(404, "Not Found")
    cid = c.fake.add_issue_comment(n, c.body("body")["body"], user=c.login)
    return 201, render_issue_comment(c.fake, c.repo, c.repo.issue_comments[cid]), {}


def get_issue_comment(c: Call) -> Answer:
    return 200, render_issue_comment(c.fake, c.repo, _issue_comment(c)), {}


def update_issue_comment(c: Call) -> Answer:
    item = _issue_comment(c)
    item.update(body=c.body("body")["body"], updated_at=c.fake.now())
    return 200, render_issue_comment(c.fake, c.repo, item), {}


def delete_issue_comment(c: Call) -> Answer:
    item = _issue_comment(c)
    del c.repo.issue_comments[item["id"]]
    return 204, None, {}


def _reaction_target(c: Call) -> tuple[str, int]:
    kind = c.params["kind"]
    cid = _int(c.params["comment_id"])
    if cid not in _comments(c, kind):
        raise ApiError(404, "Not Found")
    return kind, cid


def list_reactions(c: Call) -> Answer:
    key = _reaction_target(c)
    content = c.q("content")
    items = [r for r in c.repo.reactions.get(key, []) if content in (None, r["content"])]
    return c.page([render_reaction(c.fake, r) for r in items])


def create_reaction(c: Call) -> Answer:
    kind, cid = _reaction_target(c)
    content = c.body("content")["content"]
    if content not in REACTIONS:
        raise ApiError(
            422,
            "Validation Failed",
            [{"resource": "Reaction", "code": "invalid", "field": "content"}],
        )
    reaction, new = c.fake._react(c.repo, kind, cid, content, c.login)
    return (201 if new else 200), render_reaction(c.fake, reaction), {}


def delete_reaction(c: Call) -> Answer:
    key = _reaction_target(c)
    rid = _int(c.params["reaction_id"])
    items = c.repo.reactions.get(key, [])
    if not any(r["id"] == rid for r in items):
        raise ApiError(404, "Not Found")
    items[:] = [r for r in items if r["id"] != rid]
    return 204, None, {}


_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_KIND = r"(?P<kind>pulls|issues)"
Handler = Callable[[Call], Answer]
_TABLE: list[tuple[str, str, Handler]] = [
    ("GET", r"/rate_limit", get_rate_limit),
    ("GET", r"/user", get_user),
    ("GET", _REPO, get_repo),
    ("GET", _REPO + r"/pulls", list_pulls),
    ("GET", _REPO + r"/pulls/comments", list_repo_review_comments),
    ("GET", _REPO + r"/pulls/comments/(?P<comment_id>\d+)", get_review_comment),
    ("PATCH", _REPO + r"/pulls/comments/(?P<comment_id>\d+)", update_review_comment),
    ("DELETE", _REPO + r"/pulls/comments/(?P<comment_id>\d+)", delete_review_comment),
    ("GET", _REPO + r"/pulls/(?P<pull_number>\d+)", get_pull),
    ("GET", _REPO + r"/pulls/(?P<pull_number>\d+)/comments", list_pull_review_comments),
    ("POST", _REPO + r"/pulls/(?P<pull_number>\d+)/comments", create_review_comment),
    (
        "POST",
        _REPO + r"/pulls/(?P<pull_number>\d+)/comments/(?P<comment_id>\d+)/replies",
        create_reply,
    ),
    ("GET", _REPO + r"/pulls/(?P<pull_number>\d+)/reviews", list_reviews),
    ("GET", _REPO + r"/pulls/(?P<pull_number>\d+)/reviews/(?P<review_id>\d+)", get_review),
    (
        "GET",
        _REPO + r"/pulls/(?P<pull_number>\d+)/reviews/(?P<review_id>\d+)/comments",
        list_review_comments_for_review,
    ),
    ("GET", _REPO + r"/issues/comments", list_repo_issue_comments),
    ("GET", _REPO + r"/issues/(?P<issue_number>\d+)/comments", list_issue_comments),
    ("POST", _REPO + r"/issues/(?P<issue_number>\d+)/comments", create_issue_comment),
    ("GET", _REPO + r"/issues/comments/(?P<comment_id>\d+)", get_issue_comment),
    ("PATCH", _REPO + r"/issues/comments/(?P<comment_id>\d+)", update_issue_comment),
    ("DELETE", _REPO + r"/issues/comments/(?P<comment_id>\d+)", delete_issue_comment),
    ("GET", _REPO + rf"/{_KIND}/comments/(?P<comment_id>\d+)/reactions", list_reactions),
    ("POST", _REPO + rf"/{_KIND}/comments/(?P<comment_id>\d+)/reactions", create_reaction),
    (
        "DELETE",
        _REPO + rf"/{_KIND}/comments/(?P<comment_id>\d+)/reactions/(?P<reaction_id>\d+)",
        delete_reaction,
    ),
    ("GET", _REPO + r"/git/ref/(?P<ref>.+)", get_ref),
    ("GET", _REPO + r"/git/refs/(?P<ref>.+)", get_ref),
    ("GET", _REPO + r"/git/matching-refs/(?P<ref>.+)", matching_refs),
    ("POST", _REPO + r"/git/refs", create_ref),
    ("PATCH", _REPO + r"/git/refs/(?P<ref>.+)", update_ref),
    ("DELETE", _REPO + r"/git/refs/(?P<ref>.+)", delete_ref),
    ("POST", _REPO + r"/git/blobs", create_blob),
    ("GET", _REPO + r"/git/blobs/(?P<file_sha>[0-9a-f]+)", get_blob),
    ("POST", _REPO + r"/git/trees", create_tree),
    ("GET", _REPO + r"/git/trees/(?P<tree_sha>[0-9a-f]+)", get_tree),
    ("POST", _REPO + r"/git/commits", create_commit),
    ("GET", _REPO + r"/git/commits/(?P<commit_sha>[0-9a-f]+)", get_commit),
    ("GET", _REPO + r"/contents/(?P<path>.+)", get_contents),
]
ROUTES = [(m, re.compile(p), h) for m, p, h in _TABLE]
