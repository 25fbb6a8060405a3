"""The fake GitHub's Git Data API and Contents API handlers (refs, blobs, trees, commits)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import tests.support.fake_github.openapi as openapi
from tests.support.fake_github.shapes import (
    CONTENTS_LIMIT,
    Answer,
    ApiError,
    Call,
    api_url,
    render_blob,
    render_commit,
    render_ref,
    render_tree,
    ts,
)


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
    return 201, {"url": api_url(c.fake, c.repo, f"/git/blobs/{sha}"), "sha": sha}, {}


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
        "date": ts(c.fake.now()),
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
    url = api_url(c.fake, c.repo, f"/contents/{e.name}")
    html = f"{c.fake.html_url}/{c.repo.full_name}/blob/{c.repo.default_branch}/{e.name}"
    git_url = api_url(c.fake, c.repo, f"/git/{e.type}s/{e.sha}")
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
