"""The fake GitHub itself, driven by real PyGithub calls over HTTP: it must behave like GitHub
where our code depends on it (state, threading rules, Git ancestry, paging, errors)."""

from __future__ import annotations

import base64

import pytest
from github import Auth, Github, GithubException, InputGitTreeElement, RateLimitExceededException
from github.GithubException import BadCredentialsException

from tests.support.fake_github import NOT_ACCESSIBLE


def test_stored_review_comments_come_back_with_author_thread_and_reaction_counts(fake_github):
    pr = fake_github.add_pull(user="alice")
    top = fake_github.add_review_comment(pr, "Rename x to retries.", user="bob", path="a.py")
    fake_github.add_reaction(top, "+1", user="carol")
    fake_github.add_reaction(top, "+1", user="dave")
    fake_github.add_reaction(top, "-1", user="erin")
    gh = fake_github.client()

    pull = gh.get_repo("octo-org/octo-repo").get_pull(pr)
    reply = pull.create_review_comment_reply(top, "Score: 40")
    comments = list(pull.get_review_comments())

    assert [c.id for c in comments] == [top, reply.id]
    first, second = comments
    assert (first.body, first.user.login, first.path, first.in_reply_to_id) == (
        "Rename x to retries.", "bob", "a.py", None,
    )  # fmt: skip
    assert (first.reactions["+1"], first.reactions["-1"], first.reactions["total_count"]) == (
        2,
        1,
        3,
    )
    assert second.in_reply_to_id == top
    assert (second.user.login, second.user.type) == ("github-actions[bot]", "Bot")
    assert second.html_url.endswith(f"/pull/{pr}#discussion_r{reply.id}")


def test_a_reply_to_a_reply_is_refused_with_422(fake_github):
    pr = fake_github.add_pull()
    top = fake_github.add_review_comment(pr, "top")
    reply = fake_github.add_review_comment(pr, "reply", in_reply_to=top)
    pull = fake_github.client().get_repo("octo-org/octo-repo").get_pull(pr)

    with pytest.raises(GithubException) as err:
        pull.create_review_comment_reply(reply, "nested")

    assert err.value.status == 422
    assert [c["body"] for c in fake_github.repo.review_comments.values()] == ["top", "reply"]


def test_reactions_200_when_existing_201_when_new_and_content_filter(fake_github):
    pr = fake_github.add_pull()
    cid = fake_github.add_review_comment(pr, "hmm")
    fake_github.add_reaction(cid, "-1", user="carol")
    comment = (
        fake_github.client().get_repo("octo-org/octo-repo").get_pull(pr).get_review_comment(cid)
    )

    comment.create_reaction("+1")
    comment.create_reaction("+1")
    statuses = [r.status for r in fake_github.calls("POST", r"/reactions$")]
    thumbs_down = comment._requester.requestJsonAndCheck(
        "GET", f"{comment.url}/reactions", parameters={"content": "-1"}
    )[1]

    assert statuses == [201, 200]
    assert [r.content for r in comment.get_reactions()] == ["-1", "+1"]
    assert [(r["content"], r["user"]["login"]) for r in thumbs_down] == [("-1", "carol")]


def test_listing_pages_with_link_headers_and_per_page(fake_github):
    pr = fake_github.add_pull()
    ids = [fake_github.add_review_comment(pr, f"c{i}") for i in range(7)]
    gh = Github(base_url=fake_github.url, auth=Auth.Token(fake_github.token), per_page=3,
                retry=None, seconds_between_requests=0, seconds_between_writes=0)  # fmt: skip

    listed = gh.get_repo("octo-org/octo-repo").get_pull(pr).get_review_comments()

    assert [c.id for c in listed] == ids
    pages = fake_github.calls("GET", rf"/pulls/{pr}/comments$")
    assert [r.query.get("page", ["1"])[0] for r in pages] == ["1", "2", "3"]
    assert listed.totalCount == 7


def test_repo_review_comments_since_and_pulls_sorted_by_update(fake_github):
    from datetime import timedelta

    old = fake_github.add_pull(updated_at=fake_github.now() - timedelta(days=3))
    new = fake_github.add_pull()
    fake_github.add_review_comment(old, "old", created_at=fake_github.now() - timedelta(days=3))
    fresh = fake_github.add_review_comment(new, "fresh")
    repo = fake_github.client().get_repo("octo-org/octo-repo")

    since = fake_github.now() - timedelta(days=1)
    recent = repo.get_pulls_review_comments(since=since)
    pulls = repo.get_pulls(state="all", sort="updated", direction="desc")

    assert [c.id for c in recent] == [fresh]
    assert [p.number for p in pulls] == [new, old]


def _commit(repo, files: dict[str, str], parents: list, base=None):
    elements = [InputGitTreeElement(p, "100644", "blob", content=c) for p, c in files.items()]
    tree = repo.create_git_tree(elements, base) if base else repo.create_git_tree(elements)
    return repo.create_git_commit("msg", tree, parents)


def test_git_data_round_trip_and_real_object_ids(fake_github):
    repo = fake_github.client().get_repo("octo-org/octo-repo")
    blob = repo.create_git_blob(base64.b64encode(b"\x00binary\xff").decode(), "base64")
    text = repo.create_git_blob("hello\n", "utf-8")
    root = _commit(repo, {"README.md": "data\n"}, [])
    repo.create_git_ref("refs/heads/data", root.sha)
    tip = repo.get_git_ref("heads/data").object.sha
    elements = [
        InputGitTreeElement("feedback/2024/01/02/run.jsonl", "100644", "blob", sha=blob.sha)
    ]
    tree = repo.create_git_tree(elements, repo.get_git_tree(root.tree.sha))
    child = repo.create_git_commit("add", tree, [repo.get_git_commit(tip)])

    listed = repo.get_git_tree(child.tree.sha, recursive=True).tree

    assert text.sha == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object` of "hello\n"
    assert base64.b64decode(repo.get_git_blob(blob.sha).content) == b"\x00binary\xff"
    assert [(e.path, e.type) for e in listed] == [
        ("README.md", "blob"), ("feedback", "tree"), ("feedback/2024", "tree"),
        ("feedback/2024/01", "tree"), ("feedback/2024/01/02", "tree"),
        ("feedback/2024/01/02/run.jsonl", "blob"),
    ]  # fmt: skip
    assert [p.sha for p in repo.get_git_commit(child.sha).parents] == [root.sha]


def test_ref_updates_must_fast_forward_unless_forced(fake_github):
    repo = fake_github.client().get_repo("octo-org/octo-repo")
    root = _commit(repo, {"a": "1"}, [])
    ref = repo.create_git_ref("refs/heads/data", root.sha)
    ahead = _commit(repo, {"b": "2"}, [root], base=repo.get_git_tree(root.tree.sha))
    sibling = _commit(repo, {"c": "3"}, [root], base=repo.get_git_tree(root.tree.sha))

    ref.edit(ahead.sha, force=False)
    with pytest.raises(GithubException) as stale:
        ref.edit(sibling.sha, force=False)  # a writer that read the tip before `ahead` landed
    with pytest.raises(GithubException) as again:
        repo.create_git_ref("refs/heads/data", root.sha)

    assert (stale.value.status, stale.value.data["message"]) == (
        422,
        "Update is not a fast forward",
    )
    assert (again.value.status, again.value.data["message"]) == (422, "Reference already exists")
    assert fake_github.ref_sha("data") == ahead.sha
    assert fake_github.files("data") == {"a": b"1", "b": b"2"}
    ref.edit(sibling.sha, force=True)
    assert fake_github.ref_sha("data") == sibling.sha


def test_contents_api_leaves_out_files_over_1_mb(fake_github):
    repo = fake_github.client().get_repo("octo-org/octo-repo")
    big = "x" * (1024 * 1024 + 1)
    root = _commit(repo, {"small.txt": "tiny", "big.txt": big}, [])
    repo.create_git_ref("refs/heads/main", root.sha)

    assert repo.get_contents("small.txt").decoded_content == b"tiny"
    large = repo.get_contents("big.txt")
    assert (large.encoding, large.content, large.size) == ("none", "", len(big))


@pytest.mark.parametrize(
    ("inject", "expected"),
    [
        (lambda s: s.fail("GET", r"/pulls/1$", status=502), (502, GithubException)),
        (lambda s: s.fail_secondary_rate_limit("GET", r"/pulls/1$", retry_after=7),
         (403, RateLimitExceededException)),
        (lambda s: s.fail_primary_rate_limit("GET", r"/pulls/1$"),
         (403, RateLimitExceededException)),
        (lambda s: s.fail_like_fork("GET", r"/pulls/1$", times=1), (403, GithubException)),
    ],
)  # fmt: skip
def test_injected_faults_reach_pygithub_once(fake_github, inject, expected):
    fake_github.add_pull(1)
    repo = fake_github.client().get_repo("octo-org/octo-repo")
    inject(fake_github)

    with pytest.raises(expected[1]) as err:
        repo.get_pull(1)

    assert err.value.status == expected[0]
    assert repo.get_pull(1).number == 1  # a fault is consumed, the next call succeeds


def test_fault_headers_reach_the_client(fake_github):
    fake_github.add_pull(1)
    repo = fake_github.client().get_repo("octo-org/octo-repo")
    fake_github.fail_secondary_rate_limit("GET", r"/pulls/1$", retry_after=7)

    with pytest.raises(RateLimitExceededException) as err:
        repo.get_pull(1)

    assert err.value.headers["retry-after"] == "7"


def test_fork_token_cannot_write(fake_github):
    pr = fake_github.add_pull()
    top = fake_github.add_review_comment(pr, "x")
    pull = fake_github.client().get_repo("octo-org/octo-repo").get_pull(pr)
    fake_github.fail_like_fork()

    with pytest.raises(GithubException) as err:
        pull.create_review_comment_reply(top, "reply")

    assert (err.value.status, err.value.data["message"]) == (403, NOT_ACCESSIBLE)
    assert len(fake_github.repo.review_comments) == 1


def test_bad_token_gets_401_and_actions_token_cannot_read_user(fake_github):
    with pytest.raises(BadCredentialsException):
        fake_github.client("wrong").get_repo("octo-org/octo-repo")
    with pytest.raises(GithubException) as err:
        _ = fake_github.client().get_user().login
    fake_github.add_token("pat", "maintainer")

    assert (err.value.status, err.value.data["message"]) == (403, NOT_ACCESSIBLE)
    assert fake_github.client("pat").get_user().login == "maintainer"


def test_requests_outside_githubs_description_are_recorded(fake_github):
    fake_github.add_pull(1)
    requester = fake_github.client().get_repo("octo-org/octo-repo")._requester

    requester.requestJson("PATCH", "/repos/octo-org/octo-repo/git/refs/heads/x", input={"force": 1})
    requester.requestJson("GET", "/repos/octo-org/octo-repo/pulls/comments", {"sort": "bogus"})
    requester.requestJson("POST", "/repos/octo-org/octo-repo/pulls/1/merge")

    problems = fake_github.take_violations()
    assert any("'sha' is a required property" in p for p in problems)
    assert any("'bogus' is not one of" in p for p in problems)
    assert any("no such operation" in p for p in problems)


def test_every_route_answers_in_githubs_shapes(fake_github):
    # One call per route; the fixture's teardown fails on any request or response that does not
    # match GitHub's REST description, so this checks the fake's JSON against GitHub's schemas.
    pr = fake_github.add_pull()
    top = fake_github.add_review_comment(pr, "x")
    rid = fake_github.add_review(pr, body="review")
    in_review = fake_github.add_review_comment(pr, "in review", review_id=rid)
    ic = fake_github.add_issue_comment(pr, "issue comment")
    fake_github.add_reaction(ic, "heart", user="zed", kind="issues")
    gh = fake_github.client()
    repo = gh.get_repo("octo-org/octo-repo")
    pull = repo.get_pull(pr)
    root = _commit(repo, {"f": "1", "d/g": "2"}, [])
    repo.create_git_ref("refs/heads/main", root.sha)
    issue_comment = pull.get_issue_comment(ic)
    issue_comment.edit("edited")

    assert [r.body for r in pull.get_reviews()] == ["review"]
    assert [c.id for c in pull.get_single_review_comments(rid)] == [in_review]
    assert [c.body for c in pull.get_issue_comments()] == ["edited"]
    assert [(r.content, r.user.login) for r in issue_comment.get_reactions()] == [("heart", "zed")]
    assert [c.id for c in repo.get_pulls_review_comments()] == [top, in_review]
    assert pull.create_review_comment_reply(top, "r").in_reply_to_id == top
    assert gh.get_rate_limit().resources.core.limit == 5000
    assert [r.ref for r in repo.get_git_matching_refs("heads/")] == ["refs/heads/main"]
    assert [c.path for c in repo.get_contents("d")] == ["d/g"]
    assert fake_github.response_violations == []
