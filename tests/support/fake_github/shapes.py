"""The fake GitHub's request context (`Call`), error (`ApiError`) and JSON renderers.

Every response body starts from GitHub's own example for the operation (from the REST
description), with our values written in, so field names and nesting are GitHub's.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import tests.support.fake_github.openapi as openapi
from tests.support.fake_github.git import Commit

if TYPE_CHECKING:
    from tests.support.fake_github import FakeGitHub, Repo, Request

DOCS = "https://docs.github.com/rest"
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")
CONTENTS_LIMIT = 1024 * 1024  # the Contents API leaves out the content of files above 1 MB
TYPENAME = {"pulls": "PullRequestReviewComment", "issues": "IssueComment"}  # GraphQL types
Answer = tuple[int, Any, dict[str, str]]


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def ts(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Call:
    fake: FakeGitHub
    req: Request
    params: dict[str, str]
    who: tuple[str, bool]

    @property
    def repo(self) -> Repo:
        key = f"{self.params['owner']}/{self.params['repo']}".lower()
        if key not in self.fake.repos:
            raise ApiError(404, "Not Found")
        return self.fake.repos[key]

    @property
    def login(self) -> str:
        return self.who[0]

    def q(self, name: str, default: str | None = None) -> str | None:
        return self.req.query.get(name, [default])[-1]

    def body(self, *required: str) -> dict:
        body = self.req.body if isinstance(self.req.body, dict) else {}
        missing = [k for k in required if k not in body]
        if missing:
            raise ApiError(422, "Invalid request.\n\n" + f'"{missing[0]}" wasn\'t supplied.')
        return body

    def page(
        self, items: list, render: Callable[[Any], Any] | None = None
    ) -> tuple[int, list, dict[str, str]]:
        """One page of `items`, with GitHub's `Link` header; `render` turns only that page's
        items into JSON (a busy repository has tens of thousands)."""
        per_page = min(int(self.q("per_page", "30") or 30), 100)
        page = max(int(self.q("page", "1") or 1), 1)
        last = max(1, -(-len(items) // per_page))
        links = []

        def link(n: int, rel: str) -> str:
            query = {k: v[-1] for k, v in self.req.query.items()}
            query["page"] = str(n)
            return f'<{self.fake.url}{self.req.path}?{urlencode(query)}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        headers = {"Link": ", ".join(links)} if links else {}
        chunk = items[(page - 1) * per_page : page * per_page]
        return 200, [render(i) for i in chunk] if render else chunk, headers


# --- JSON renderers (GitHub's examples, with our values) -----------------------------------
def api_url(fake: FakeGitHub, repo: Repo, rest: str = "") -> str:
    return f"{fake.url}/repos/{repo.full_name}{rest}"


def node_id(kind: str, repo: Repo, comment_id: int) -> str:
    """The opaque global id a REST answer carries as `node_id`, for GraphQL's `nodes(ids:)`."""
    return base64.b64encode(f"{TYPENAME[kind]}:{repo.id}:{comment_id}".encode()).decode()


def _rollup(fake: FakeGitHub, repo: Repo, kind: str, cid: int) -> dict:
    items = repo.reactions.get((kind, cid), [])
    counts = {c: sum(r["content"] == c for r in items) for c in REACTIONS}
    return {
        "url": api_url(fake, repo, f"/{kind}/comments/{cid}/reactions"),
        "total_count": len(items),
        **counts,
    }


def render_repo(fake: FakeGitHub, repo: Repo) -> dict:
    out = openapi.example("GET", "/repos/{owner}/{repo}", 200)
    for key in ("source", "parent", "template_repository", "organization"):
        out.pop(key, None)  # this repo is no fork and belongs to a user
    out.update(
        id=repo.id,
        name=repo.name,
        full_name=repo.full_name,
        language=None,
        owner=fake.user(repo.owner),
        default_branch=repo.default_branch,
        fork=False,
        url=api_url(fake, repo),
        html_url=f"{fake.html_url}/{repo.full_name}",
    )
    return out


def render_pull(fake: FakeGitHub, repo: Repo, p: dict) -> dict:
    out = openapi.example("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", 200)
    n = p["number"]
    url = api_url(fake, repo, f"/pulls/{n}")
    html = f"{fake.html_url}/{repo.full_name}/pull/{n}"
    out.update(
        id=p["id"],
        number=n,
        title=p["title"],
        state=p["state"],
        user=fake.user(p["user"]),
        url=url,
        html_url=html,
        created_at=ts(p["created_at"]),
        updated_at=ts(p["updated_at"]),
        requested_teams=[],
        merged=False,
        comments=0,
        review_comments=sum(c["pr"] == n for c in repo.review_comments.values()),
        review_comments_url=f"{url}/comments",
        comments_url=api_url(fake, repo, f"/issues/{n}/comments"),
        issue_url=api_url(fake, repo, f"/issues/{n}"),
    )
    out["head"]["sha"] = p["head_sha"]
    for side in ("head", "base"):
        out[side]["repo"] = render_repo(fake, repo) | {"language": None}
    out["_links"]["self"]["href"] = url
    out["_links"]["html"]["href"] = html
    return out


def render_review_comment(fake: FakeGitHub, repo: Repo, c: dict) -> dict:
    out = openapi.example("GET", "/repos/{owner}/{repo}/pulls/comments/{comment_id}", 200)
    url = api_url(fake, repo, f"/pulls/comments/{c['id']}")
    html = f"{fake.html_url}/{repo.full_name}/pull/{c['pr']}#discussion_r{c['id']}"
    pull_url = api_url(fake, repo, f"/pulls/{c['pr']}")
    out.update(
        id=c["id"],
        url=url,
        html_url=html,
        pull_request_url=pull_url,
        body=c["body"],
        user=fake.user(c["user"]),
        path=c["path"],
        line=c["line"],
        original_line=c["line"],
        diff_hunk=c["diff_hunk"],
        pull_request_review_id=c["review_id"],
        created_at=ts(c["created_at"]),
        updated_at=ts(c["updated_at"]),
        start_line=None,
        original_start_line=None,
        start_side=None,
        commit_id=repo.pulls[c["pr"]]["head_sha"],
        reactions=_rollup(fake, repo, "pulls", c["id"]),
        node_id=node_id("pulls", repo, c["id"]),
    )
    out["_links"] = {
        "self": {"href": url},
        "html": {"href": html},
        "pull_request": {"href": pull_url},
    }
    if c["in_reply_to_id"] is None:
        del out["in_reply_to_id"]  # GitHub leaves the field out on a thread's top comment
    else:
        out["in_reply_to_id"] = c["in_reply_to_id"]
    return out


def render_issue_comment(fake: FakeGitHub, repo: Repo, c: dict) -> dict:
    out = openapi.example("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 200)
    out.update(
        id=c["id"],
        body=c["body"],
        user=fake.user(c["user"]),
        url=api_url(fake, repo, f"/issues/comments/{c['id']}"),
        html_url=f"{fake.html_url}/{repo.full_name}/pull/{c['pr']}#issuecomment-{c['id']}",
        issue_url=api_url(fake, repo, f"/issues/{c['pr']}"),
        created_at=ts(c["created_at"]),
        updated_at=ts(c["updated_at"]),
        reactions=_rollup(fake, repo, "issues", c["id"]),
        node_id=node_id("issues", repo, c["id"]),
    )
    return out


def render_review(fake: FakeGitHub, repo: Repo, r: dict) -> dict:
    path = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}"
    out = openapi.example("GET", path, 200)
    html = f"{fake.html_url}/{repo.full_name}/pull/{r['pr']}#pullrequestreview-{r['id']}"
    out.update(
        id=r["id"],
        user=fake.user(r["user"]),
        body=r["body"],
        state=r["state"],
        html_url=html,
        pull_request_url=api_url(fake, repo, f"/pulls/{r['pr']}"),
        submitted_at=ts(r["submitted_at"]),
    )
    out["_links"] = {"html": {"href": html}, "pull_request": {"href": out["pull_request_url"]}}
    return out


def render_reaction(fake: FakeGitHub, r: dict) -> dict:
    path = "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions"
    out = openapi.example("POST", path, 201)
    out.update(
        id=r["id"], user=fake.user(r["user"]), content=r["content"], created_at=ts(r["created_at"])
    )
    return out


def render_ref(fake: FakeGitHub, repo: Repo, ref: str) -> dict:
    sha = repo.git.refs[ref]
    return {
        "ref": ref,
        "node_id": base64.b64encode(f"Ref:{ref}".encode()).decode(),
        "url": api_url(fake, repo, f"/git/{ref}"),
        "object": {"type": "commit", "sha": sha, "url": api_url(fake, repo, f"/git/commits/{sha}")},
    }


def render_commit(fake: FakeGitHub, repo: Repo, c: Commit) -> dict:
    def link(sha: str) -> dict:
        return {
            "sha": sha,
            "url": api_url(fake, repo, f"/git/commits/{sha}"),
            "html_url": f"{fake.html_url}/{repo.full_name}/commit/{sha}",
        }

    return {
        **link(c.sha),
        "node_id": base64.b64encode(f"Commit:{c.sha}".encode()).decode(),
        "author": c.author,
        "committer": c.committer,
        "message": c.message,
        "tree": {"sha": c.tree, "url": api_url(fake, repo, f"/git/trees/{c.tree}")},
        "parents": [link(p) for p in c.parents],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def render_blob(fake: FakeGitHub, repo: Repo, sha: str) -> dict:
    data = repo.git.blobs[sha]
    return {
        "content": base64.encodebytes(data).decode(),
        "encoding": "base64",
        "url": api_url(fake, repo, f"/git/blobs/{sha}"),
        "sha": sha,
        "size": len(data),
        "node_id": base64.b64encode(f"Blob:{sha}".encode()).decode(),
    }


def render_tree(fake: FakeGitHub, repo: Repo, sha: str, recursive: bool) -> dict:
    git = repo.git
    entries = git.walk(sha) if recursive else list(git.trees[sha])
    items = []
    for e in entries:
        item = {
            "path": e.name,
            "mode": e.mode,
            "type": e.type,
            "sha": e.sha,
            "url": api_url(fake, repo, f"/git/{e.type}s/{e.sha}"),
        }
        if e.type == "blob":
            item["size"] = len(git.blobs[e.sha])
        items.append(item)
    return {
        "sha": sha,
        "url": api_url(fake, repo, f"/git/trees/{sha}"),
        "tree": items,
        "truncated": False,
    }
