"""A fake GitHub REST server over real HTTP, for PyGithub to reach through `base_url`.

It keeps state like GitHub (pull requests, review comments and replies, reviews, issue comments,
reactions, the Git Data API with real object ids and fast-forward checks), answers in the shapes
of GitHub's own examples, pages with `Link` headers, and checks every request against GitHub's
REST description (`fake_github_openapi`). Tests inject faults (`fail`, rate limits, a fork's
read-only token, `drop` a connection; `after=True`: the write happens and then the answer is
lost, as with a proxy's 502 after GitHub did the work), read the request log (`requests`, and
`injected` for the faults served), and seed state with the `add_*` helpers. `POST /graphql`
answers GraphQL queries checked against an excerpt of GitHub's schema (`graphql.py`).

    server = FakeGitHub().start()
    gh = Github(base_url=server.url, auth=Auth.Token(server.token), retry=None,
                seconds_between_requests=0, seconds_between_writes=0)
"""

from __future__ import annotations

import http
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from github import Auth, Github

import tests.support.fake_github.graphql as graphql
import tests.support.fake_github.openapi as openapi
from tests.support.fake_github.git import GitDataError, GitStore
from tests.support.fake_github.routes import ROUTES
from tests.support.fake_github.shapes import DOCS, ApiError, Call

ACTIONS_LOGIN = "github-actions[bot]"
ACTIONS_BOT_ID = 41898282
NOT_ACCESSIBLE = "Resource not accessible by integration"
SECONDARY_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    status: int = 0


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int  # 0: close the connection without an answer
    body: Any
    headers: dict[str, str]
    remaining: int
    after: bool = False  # carry out the request first, then fail: the answer is lost


@dataclass
class Gate:
    method: str
    pattern: re.Pattern[str]
    barrier: threading.Barrier
    remaining: int


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str = "main"
    pulls: dict[int, dict] = field(default_factory=dict)
    review_comments: dict[int, dict] = field(default_factory=dict)
    reviews: dict[int, dict] = field(default_factory=dict)
    issue_comments: dict[int, dict] = field(default_factory=dict)
    reactions: dict[tuple[str, int], list[dict]] = field(default_factory=dict)
    git: GitStore = field(default_factory=GitStore)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class FakeGitHub:
    def __init__(self, owner: str = "octo-org", repo: str = "octo-repo") -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        # Bound now, served from start(): the URL is known while state is seeded.
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.response_violations: list[str] = []
        self.faults: list[Fault] = []
        self.injected: list[tuple[str, str, int, bool]] = []  # (method, path, status, after)
        self.gates: list[Gate] = []
        self.latency = 0.0  # seconds to wait before handling, to widen race windows
        # Check only the first item of each listed page against GitHub's description (one
        # renderer makes them all): a busy repository's 20,000 comments check in seconds.
        self.sample_lists = False
        self.clock_offset = timedelta()
        self.html_url = "https://github.com"
        self.rate_limit, self.rate_used = 5000, 0
        self._ids = itertools.count(1001)
        self.users: dict[str, dict] = {}
        self.tokens: dict[str, tuple[str, bool]] = {}  # token -> (login, is an Actions token)
        self.token = "ghs_fake_actions_token"
        self.add_token(self.token, ACTIONS_LOGIN, actions=True)
        self.repos: dict[str, Repo] = {}
        self.repo = self.add_repo(owner, repo)

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def client(self, token: str | None = None) -> Github:
        """A PyGithub client on this server, with no waits and no retries of its own."""
        return Github(
            base_url=self.url,
            auth=Auth.Token(token or self.token),
            retry=None,
            seconds_between_requests=0,
            seconds_between_writes=0,
        )

    # --- seeding and inspection ------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0) + self.clock_offset

    def next_id(self) -> int:
        return next(self._ids)

    def add_token(self, token: str, login: str, *, actions: bool = False) -> None:
        self.user(login)
        self.tokens[token] = (login, actions)

    def user(self, login: str) -> dict:
        """The user object for a login ("...[bot]" logins are type Bot), created on first use."""
        with self.lock:
            if login not in self.users:
                u = openapi.example("GET", "/repos/{owner}/{repo}/pulls/comments/{comment_id}", 200)
                u = u["user"]
                uid = ACTIONS_BOT_ID if login == ACTIONS_LOGIN else self.next_id()
                for key, value in list(u.items()):
                    if isinstance(value, str):
                        u[key] = value.replace("octocat", login).replace("api.github.com", "")
                u.update(login=login, id=uid, type="Bot" if login.endswith("[bot]") else "User")
                u["url"] = f"{self.url}/users/{login}"
                u["html_url"] = f"{self.html_url}/{login}"
                self.users[login] = u
            return self.users[login]

    def add_repo(self, owner: str, name: str) -> Repo:
        repo = Repo(owner, name, self.next_id())
        self.repos[repo.full_name.lower()] = repo
        return repo

    def add_pull(
        self,
        number: int | None = None,
        *,
        user: str = "alice",
        title: str = "A change",
        state: str = "open",
        updated_at: datetime | None = None,
        repo: Repo | None = None,
    ) -> int:
        repo = repo or self.repo
        with self.lock:
            number = number or max([0, *repo.pulls]) + 1
            when = updated_at or self.now()
            repo.pulls[number] = {
                "number": number,
                "id": self.next_id(),
                "user": user,
                "title": title,
                "state": state,
                "created_at": when,
                "updated_at": when,
                "head_sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
            }
            return number

    def add_review(
        self, pr: int, *, user: str = "bob", body: str = "", state: str = "COMMENTED"
    ) -> int:
        with self.lock:
            rid = self.next_id()
            self.repo.reviews[rid] = {
                "id": rid,
                "pr": pr,
                "user": user,
                "body": body,
                "state": state,
                "submitted_at": self.now(),
            }
            return rid

    def add_review_comment(
        self,
        pr: int,
        body: str,
        *,
        user: str = "bob",
        path: str = "src/app.py",
        line: int = 10,
        diff_hunk: str = "@@ -8,3 +8,4 @@ def main():\n     run()\n+    retry()",
        in_reply_to: int | None = None,
        review_id: int | None = None,
        created_at: datetime | None = None,
        repo: Repo | None = None,
    ) -> int:
        repo = repo or self.repo
        with self.lock:
            if pr not in repo.pulls:
                raise KeyError(f"no pull request {pr}; add_pull first")
            cid = self.next_id()
            when = created_at or self.now()
            if in_reply_to is not None:
                top = repo.review_comments[in_reply_to]
                path, line, diff_hunk = top["path"], top["line"], top["diff_hunk"]
            repo.review_comments[cid] = {
                "id": cid,
                "pr": pr,
                "body": body,
                "user": user,
                "path": path,
                "line": line,
                "diff_hunk": diff_hunk,
                "in_reply_to_id": in_reply_to,
                "review_id": review_id or self.next_id(),
                "created_at": when,
                "updated_at": when,
            }
            self._touch_pull(repo, pr, when)
            return cid

    def add_issue_comment(self, pr: int, body: str, *, user: str = "bob") -> int:
        with self.lock:
            cid = self.next_id()
            when = self.now()
            self.repo.issue_comments[cid] = {
                "id": cid,
                "pr": pr,
                "body": body,
                "user": user,
                "created_at": when,
                "updated_at": when,
            }
            self._touch_pull(self.repo, pr, when)
            return cid

    def add_reaction(self, comment_id: int, content: str, *, user: str, kind: str = "pulls") -> int:
        """`user` reacts to a review comment (kind "pulls") or an issue comment ("issues")."""
        with self.lock:
            return self._react(self.repo, kind, comment_id, content, user)[0]["id"]

    def remove_reaction(self, comment_id: int, content: str, *, user: str, kind: str = "pulls"):
        with self.lock:
            items = self.repo.reactions.get((kind, comment_id), [])
            items[:] = [r for r in items if not (r["user"] == user and r["content"] == content)]

    def ref_sha(self, branch: str) -> str | None:
        return self.repo.git.refs.get(f"refs/heads/{branch}")

    def files(self, branch: str) -> dict[str, bytes]:
        """Every file on a branch of the default repo, by path (for assertions)."""
        with self.lock:
            sha = self.ref_sha(branch)
            if sha is None:
                return {}
            git = self.repo.git
            return {p: git.blobs[e.sha] for p, e in git.flatten(git.commits[sha].tree).items()}

    def calls(self, method: str | None = None, pattern: str = "") -> list[Request]:
        return [
            r
            for r in list(self.requests)
            if (method is None or r.method == method) and re.search(pattern, r.path)
        ]

    def take_violations(self) -> list[str]:
        with self.lock:
            out, self.violations = self.violations, []
            return out

    def assert_all_requests_valid(self) -> None:
        problems = self.violations + self.response_violations
        assert not problems, "requests GitHub would refuse:\n" + "\n".join(problems)

    # --- fault injection -------------------------------------------------------------------
    def fail(
        self,
        method: str,
        pattern: str,
        *,
        status: int = 500,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        after: bool = False,
    ) -> None:
        """Answer the next `times` requests matching method and path regex with this error;
        `after`: carry each out first (a write happens, its answer is lost)."""
        if body is None and status:
            body = {"message": http.HTTPStatus(status).phrase, "documentation_url": DOCS}
        with self.lock:
            self.faults.append(
                Fault(method, re.compile(pattern), status, body, headers or {}, times, after)
            )

    def drop(self, method: str, pattern: str, *, after: bool, times: int = 1) -> None:
        """Close the connection without an answer: before the request is carried out (a reset
        on the way in) or `after` it (the write happened, the answer never arrives)."""
        self.fail(method, pattern, status=0, times=times, after=after)

    def fail_secondary_rate_limit(
        self, method: str, pattern: str, *, retry_after: int = 1, times: int = 1
    ) -> None:
        body = {"message": SECONDARY_LIMIT, "documentation_url": DOCS}
        self.fail(
            method,
            pattern,
            status=403,
            body=body,
            headers={"Retry-After": str(retry_after)},
            times=times,
        )

    def fail_primary_rate_limit(
        self, method: str, pattern: str, *, reset_in: int = 1, times: int = 1
    ) -> None:
        body = {
            "message": "API rate limit exceeded for installation ID 1.",
            "documentation_url": DOCS,
        }
        reset = int(time.time()) + reset_in
        headers = {
            "x-ratelimit-remaining": "0",
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }
        self.fail(method, pattern, status=403, body=body, headers=headers, times=times)

    def fail_like_fork(
        self, method: str = "POST|PATCH|PUT|DELETE", pattern: str = ".", times: int = 1000
    ) -> None:
        """A fork's read-only token: writes get 403 "Resource not accessible by integration"."""
        body = {"message": NOT_ACCESSIBLE, "documentation_url": DOCS, "status": "403"}
        self.fail(method, pattern, status=403, body=body, times=times)

    def gate(self, method: str, pattern: str, parties: int) -> None:
        """Hold the next `parties` matching requests until all have arrived, then let them in
        together: a deterministic race (e.g. writers that all read the same tip)."""
        with self.lock:
            self.gates.append(
                Gate(method, re.compile(pattern), threading.Barrier(parties, timeout=20), parties)
            )

    def _wait_at_gate(self, method: str, path: str) -> None:
        with self.lock:
            gate = next(
                (g for g in self.gates
                 if g.remaining and re.fullmatch(g.method, method) and g.pattern.search(path)),
                None,
            )  # fmt: skip
            if gate is not None:
                gate.remaining -= 1
        if gate is not None:
            gate.barrier.wait()

    # --- HTTP plumbing ---------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(handler.path)
        path, query = unquote(parts.path), parse_qs(parts.query, keep_blank_values=True)
        self._wait_at_gate(handler.command, path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        req = Request(handler.command, path, query, None, dict(handler.headers.items()))
        status, body, headers = 200, None, {}
        try:
            req.body = json.loads(raw) if raw else None
        except ValueError:
            status, body = 400, {"message": "Problems parsing JSON", "documentation_url": DOCS}
        with self.lock:
            self.requests.append(req)
            if status == 200:
                if path == "/graphql":
                    self.violations += graphql.check_request(req.body)
                else:
                    self.violations += openapi.check_request(req.method, path, query, req.body)
                status, body, headers = self._answer(req)
                if 200 <= status < 300 and path != "/graphql":
                    sample = body[:1] if isinstance(body, list) and self.sample_lists else body
                    self.response_violations += openapi.check_response(
                        req.method, path, status, sample
                    )
            req.status = status
            self.rate_used += 1
        if status == 0:  # a dropped connection: no status line, no body
            handler.close_connection = True
            return
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(0, self.rate_limit - self.rate_used)),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-resource": "core",
            **headers,
        }
        payload = b"" if body is None else json.dumps(body).encode()
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _answer(self, req: Request) -> tuple[int, Any, dict[str, str]]:
        for fault in self.faults:
            if re.fullmatch(fault.method, req.method) and fault.pattern.search(req.path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                self.injected.append((req.method, req.path, fault.status, fault.after))
                if fault.after:
                    self._carry_out(req)
                return fault.status, fault.body, fault.headers
        return self._carry_out(req)

    def _carry_out(self, req: Request) -> tuple[int, Any, dict[str, str]]:
        auth = req.headers.get("Authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else ""
        if token not in self.tokens:
            return (
                401,
                {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"},
                {},
            )
        if req.path == "/graphql" and req.method == "POST":
            return graphql.answer(self, req.body, self.tokens[token])
        try:
            for method, regex, handler in ROUTES:
                m = regex.fullmatch(req.path)
                if m and method == req.method:
                    return handler(Call(self, req, m.groupdict(), self.tokens[token]))
            raise ApiError(404, "Not Found")
        except ApiError as exc:
            body = {"message": exc.message, "documentation_url": DOCS, "status": str(exc.status)}
            if exc.errors:
                body["errors"] = exc.errors
            return exc.status, body, {}
        except GitDataError as exc:
            return exc.status, {"message": exc.message, "documentation_url": DOCS}, {}

    def _touch_pull(self, repo: Repo, pr: int, when: datetime) -> None:
        pull = repo.pulls[pr]
        pull["updated_at"] = max(pull["updated_at"], when)

    def _react(
        self, repo: Repo, kind: str, cid: int, content: str, login: str
    ) -> tuple[dict, bool]:
        items = repo.reactions.setdefault((kind, cid), [])
        for r in items:
            if r["user"] == login and r["content"] == content:
                return r, False
        r = {"id": self.next_id(), "user": login, "content": content, "created_at": self.now()}
        items.append(r)
        return r, True
