"""The fake GitHub's routes: one handler per REST operation, answering in GitHub's shapes.

Handlers run under the server's lock with a `Call` (the request, its path parameters, the caller)
and return `(status, body, headers)`; they raise `ApiError` for GitHub's error answers.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import fake_github_openapi as openapi
from fake_github_git import Commit

if TYPE_CHECKING:
    from fake_github import FakeGitHub, Repo, Request

DOCS = "https://docs.github.com/rest"
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")
CONTENTS_LIMIT = 1024 * 1024  # the Contents API leaves out the content of files above 1 MB
Answer = tuple[int, Any, dict[str, str]]


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def _ts(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_ts(text: str) -> datetime:
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

    def page(self, items: list) -> tuple[int, list, dict[str, str]]:
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
        return 200, items[(page - 1) * per_page : page * per_page], headers


# --- JSON renderers (GitHub's examples, with our values) -----------------------------------
def _api(fake: FakeGitHub, repo: Repo, rest: str = "") -> str:
    return f"{fake.url}/repos/{repo.full_name}{rest}"


def _rollup(fake: FakeGitHub, repo: Repo, kind: str, cid: int) -> dict:
    items = repo.reactions.get((kind, cid), [])
    counts = {c: sum(r["content"] == c for r in items) for c in REACTIONS}
    return {
        "url": _api(fake, repo, f"/{kind}/comments/{cid}/reactions"),
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
        url=_api(fake, repo),
        html_url=f"{fake.html_url}/{repo.full_name}",
    )
    return out


def render_pull(fake: FakeGitHub, repo: Repo, p: dict) -> dict:
    out = openapi.example("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", 200)
    n = p["number"]
    url = _api(fake, repo, f"/pulls/{n}")
    html = f"{fake.html_url}/{repo.full_name}/pull/{n}"
    out.update(
        id=p["id"],
        number=n,
        title=p["title"],
        state=p["state"],
        user=fake.user(p["user"]),
        url=url,
        html_url=html,
        created_at=_ts(p["created_at"]),
        updated_at=_ts(p["updated_at"]),
        requested_teams=[],
        merged=False,
        comments=0,
        review_comments=sum(c["pr"] == n for c in repo.review_comments.values()),
        review_comments_url=f"{url}/comments",
        comments_url=_api(fake, repo, f"/issues/{n}/comments"),
        issue_url=_api(fake, repo, f"/issues/{n}"),
    )
    out["head"]["sha"] = p["head_sha"]
    for side in ("head", "base"):
        out[side]["repo"] = render_repo(fake, repo) | {"language": None}
    out["_links"]["self"]["href"] = url
    out["_links"]["html"]["href"] = html
    return out


def render_review_comment(fake: FakeGitHub, repo: Repo, c: dict) -> dict:
    out = openapi.example("GET", "/repos/{owner}/{repo}/pulls/comments/{comment_id}", 200)
    url = _api(fake, repo, f"/pulls/comments/{c['id']}")
    html = f"{fake.html_url}/{repo.full_name}/pull/{c['pr']}#discussion_r{c['id']}"
    pull_url = _api(fake, repo, f"/pulls/{c['pr']}")
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
        created_at=_ts(c["created_at"]),
        updated_at=_ts(c["updated_at"]),
        start_line=None,
        original_start_line=None,
        start_side=None,
        commit_id=repo.pulls[c["pr"]]["head_sha"],
        reactions=_rollup(fake, repo, "pulls", c["id"]),
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
        url=_api(fake, repo, f"/issues/comments/{c['id']}"),
        html_url=f"{fake.html_url}/{repo.full_name}/pull/{c['pr']}#issuecomment-{c['id']}",
        issue_url=_api(fake, repo, f"/issues/{c['pr']}"),
        created_at=_ts(c["created_at"]),
        updated_at=_ts(c["updated_at"]),
        reactions=_rollup(fake, repo, "issues", c["id"]),
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
        pull_request_url=_api(fake, repo, f"/pulls/{r['pr']}"),
        submitted_at=_ts(r["submitted_at"]),
    )
    out["_links"] = {"html": {"href": html}, "pull_request": {"href": out["pull_request_url"]}}
    return out


def render_reaction(fake: FakeGitHub, r: dict) -> dict:
    path = "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions"
    out = openapi.example("POST", path, 201)
    out.update(
        id=r["id"], user=fake.user(r["user"]), content=r["content"], created_at=_ts(r["created_at"])
    )
    return out


def render_ref(fake: FakeGitHub, repo: Repo, ref: str) -> dict:
    sha = repo.git.refs[ref]
    return {
        "ref": ref,
        "node_id": base64.b64encode(f"Ref:{ref}".encode()).decode(),
        "url": _api(fake, repo, f"/git/{ref}"),
        "object": {"type": "commit", "sha": sha, "url": _api(fake, repo, f"/git/commits/{sha}")},
    }


def render_commit(fake: FakeGitHub, repo: Repo, c: Commit) -> dict:
    def link(sha: str) -> dict:
        return {
            "sha": sha,
            "url": _api(fake, repo, f"/git/commits/{sha}"),
            "html_url": f"{fake.html_url}/{repo.full_name}/commit/{sha}",
        }

    return {
        **link(c.sha),
        "node_id": base64.b64encode(f"Commit:{c.sha}".encode()).decode(),
        "author": c.author,
        "committer": c.committer,
        "message": c.message,
        "tree": {"sha": c.tree, "url": _api(fake, repo, f"/git/trees/{c.tree}")},
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
        "url": _api(fake, repo, f"/git/blobs/{sha}"),
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
            "url": _api(fake, repo, f"/git/{e.type}s/{e.sha}"),
        }
        if e.type == "blob":
            item["size"] = len(git.blobs[e.sha])
        items.append(item)
    return {
        "sha": sha,
        "url": _api(fake, repo, f"/git/trees/{sha}"),
        "tree": items,
        "truncated": False,
    }


# --- handlers ------------------------------------------------------------------------------
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
        items = [i for i in items if i["updated_at"] >= _parse_ts(since)]
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
    return c.page([render_review_comment(c.fake, c.repo, x) for x in items])


def list_repo_review_comments(c: Call) -> Answer:
    items = _since_sorted(c, list(c.repo.review_comments.values()), default_sort="created")
    return c.page([render_review_comment(c.fake, c.repo, x) for x in items])


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
    return c.page([render_issue_comment(c.fake, c.repo, x) for x in items])


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


def _ref_name(c: Call) -> str:
    return "refs/" + c.params["ref"].removeprefix("refs/")


def get_ref(c: Call) -> Answer:
    ref = _ref_name(c)
    if ref not in c.repo.git.refs:
        raise ApiError(404, "Not Found")
    return 200, render_ref(c.fake, c.repo, ref), {}


def matching_refs(c: Call) -> Answer:
    prefix = _ref_name(c)
    refs = sorted(r for r in c.repo.git.refs if r.startswith(prefix))
    return c.page([render_ref(c.fake, c.repo, r) for r in refs])


def create_ref(c: Call) -> Answer:
    body = c.body("ref", "sha")
    c.repo.git.create_ref(body["ref"], body["sha"])
    return 201, render_ref(c.fake, c.repo, body["ref"]), {}


def update_ref(c: Call) -> Answer:
    ref = _ref_name(c)
    body = c.body("sha")
    c.repo.git.update_ref(ref, body["sha"], bool(body.get("force", False)))
    return 200, render_ref(c.fake, c.repo, ref), {}


def delete_ref(c: Call) -> Answer:
    ref = _ref_name(c)
    if c.repo.git.refs.pop(ref, None) is None:
        raise ApiError(422, "Reference does not exist")
    return 204, None, {}


def create_blob(c: Call) -> Answer:
    body = c.body("content")
    if body.get("encoding", "utf-8") == "base64":
        try:
            data = base64.b64decode(body["content"], validate=False)
        except (binascii.Error, ValueError):
            raise ApiError(422, "Invalid base64 content") from None
    elif body.get("encoding", "utf-8") in ("utf-8", "utf8"):
        data = body["content"].encode("utf-8")
    else:
        raise ApiError(422, "Validation Failed", [{"field": "encoding", "code": "invalid"}])
    sha = c.repo.git.add_blob(data)
    return 201, {"url": _api(c.fake, c.repo, f"/git/blobs/{sha}"), "sha": sha}, {}


def get_blob(c: Call) -> Answer:
    sha = c.params["file_sha"]
    if sha not in c.repo.git.blobs:
        raise ApiError(404, "Not Found")
    return 200, render_blob(c.fake, c.repo, sha), {}


def create_tree(c: Call) -> Answer:
    body = c.body("tree")
    sha = c.repo.git.create_tree(list(body["tree"]), body.get("base_tree"))
    return 201, render_tree(c.fake, c.repo, sha, recursive=False), {}


def get_tree(c: Call) -> Answer:
    sha = c.params["tree_sha"]
    if sha not in c.repo.git.trees:
        raise ApiError(404, "Not Found")
    recursive = c.q("recursive") not in (None, "", "0", "false")
    return 200, render_tree(c.fake, c.repo, sha, recursive), {}


def create_commit(c: Call) -> Answer:
    body = c.body("message", "tree")
    user = c.fake.user(c.login)
    author = {
        "name": user["login"],
        "email": f"{user['id']}+{user['login']}@users.noreply.github.com",
        "date": _ts(c.fake.now()),
    }
    author.update(body.get("author") or {})
    commit = c.repo.git.create_commit(
        body["message"], body["tree"], list(body.get("parents", [])), author
    )
    return 201, render_commit(c.fake, c.repo, commit), {}


def get_commit(c: Call) -> Answer:
    commit = c.repo.git.commits.get(c.params["commit_sha"])
    if commit is None:
        raise ApiError(404, "Not Found")
    return 200, render_commit(c.fake, c.repo, commit), {}


def get_contents(c: Call) -> Answer:
    git = c.repo.git
    ref = c.q("ref") or c.repo.default_branch
    sha = git.refs.get(f"refs/heads/{ref}") or git.refs.get("refs/" + ref) or ref
    if sha not in git.commits:
        raise ApiError(404, "No commit found for the ref " + ref)
    path = c.params["path"].strip("/")
    entries = {e.name: e for e in git.walk(git.commits[sha].tree)}
    if path not in entries:
        raise ApiError(404, "Not Found")
    e = entries[path]
    if e.type == "tree":
        listing = [
            _content(c, x, with_data=False)
            for x in git.walk(e.sha, path + "/")
            if x.name.count("/") == path.count("/") + 1
        ]
        return 200, listing, {}
    return 200, _content(c, e, with_data=True), {}


def _content(c: Call, e: Any, *, with_data: bool) -> dict:
    out = openapi.example(
        "GET", "/repos/{owner}/{repo}/contents/{path}", 200, "response-if-content-is-a-file"
    )
    data = c.repo.git.blobs.get(e.sha, b"")
    url = _api(c.fake, c.repo, f"/contents/{e.name}")
    html = f"{c.fake.html_url}/{c.repo.full_name}/blob/{c.repo.default_branch}/{e.name}"
    git_url = _api(c.fake, c.repo, f"/git/{e.type}s/{e.sha}")
    out.update(
        type="file" if e.type == "blob" else "dir",
        name=e.name.rsplit("/", 1)[-1],
        path=e.name,
        sha=e.sha,
        size=len(data),
        url=url,
        html_url=html,
        git_url=git_url,
        download_url=None,
        _links={"self": url, "git": git_url, "html": html},
    )
    if not with_data:
        out.pop("content")
        out.pop("encoding")
    elif len(data) > CONTENTS_LIMIT:  # GitHub: "none" encoding, empty content, use the blob
        out.update(content="", encoding="none")
    else:
        out.update(content=base64.encodebytes(data).decode(), encoding="base64")
    return out


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
