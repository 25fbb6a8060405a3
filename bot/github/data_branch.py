"""The data branch: feedback snapshots, the promoted adapter and reports, kept in the repository.

An orphan branch (default `review-forge-data`) written only through the Git Data API (blobs,
trees, commits, refs), so no checkout is needed and files over 1 MB are read by blob sha. Writes
never rewrite a file, except a folder replaced on purpose (promotion replaces `adapter/`); the
ref moves only by fast-forward, and when another writer got there first the commit is rebuilt on
the new tip and tried again. Every write step goes through `bot.github.writes`: when an answer is
lost, the branch is read before anything is sent again, and a commit whose files are already at
the tip is not made a second time. So collect, learn and retrain can write at the same time and
each snapshot, report or promotion lands in exactly one commit, on a linear history.
"""

from __future__ import annotations

import base64
import hashlib
import random
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from github import GithubException, InputGitTreeElement
from github.GitRef import GitRef
from github.Repository import Repository

from review_forge.bot.errors import FormatError, GitHubError, InputError
from review_forge.bot.feedback.record import FeedbackRecord
from review_forge.bot.feedback.record import latest_per_reply as latest_per_reply  # its home before
from review_forge.bot.github.client import call_with_retries
from review_forge.bot.github.writes import write_once

DEFAULT_BRANCH = "review-forge-data"
FEEDBACK_DIR = "feedback/"
README = """# review-forge data

This branch is written by review-forge, never merged. It holds:

- `feedback/YYYY/MM/DD/<run-id>.jsonl`: snapshots of the 👍/👎 on the bot's replies, one file per
  collection run. They contain review comment text: anyone who can read this repository can
  read them.
- `adapter/`: the promoted LoRA adapter and its `manifest.json`.
- `reports/`: evaluation results of each retraining.

Files are added, never rewritten (the adapter is replaced on promotion). Delete the branch to
start over.
"""


def _stderr(message: str) -> None:
    print(f"review-forge: warning: {message}", file=sys.stderr)


class DataStore:
    """The data branch of one repository. `sleep` is injectable so tests do not wait."""

    def __init__(
        self,
        repo: Repository,
        branch: str = DEFAULT_BRANCH,
        *,
        max_attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        warn: Callable[[str], None] = _stderr,
    ) -> None:
        self.repo, self.branch, self.max_attempts = repo, branch, max_attempts
        self.sleep, self.warn = sleep, warn

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        return call_with_retries(fn, what=f"{what} on data branch {self.branch}", sleep=self.sleep)

    def _ref(self) -> GitRef | None:
        """The branch's ref, fetched (a lazy one would PATCH the wrong URL), or None if missing."""

        def fetch() -> GitRef:
            ref = self.repo.get_git_ref(f"heads/{self.branch}")
            ref.complete()
            return ref

        try:
            return self._call(fetch, "reading the tip")
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise GitHubError(_explain(exc, f"reading branch {self.branch}")) from None

    def tip(self) -> str | None:
        """The branch's commit sha, or None when the branch does not exist yet."""
        ref = self._ref()
        return None if ref is None else ref.object.sha

    def ensure(self) -> GitRef:
        """The branch's ref, creating the orphan branch with its README first if it is missing."""
        ref = self._ref()
        if ref is not None:
            return ref
        readme = InputGitTreeElement("README.md", "100644", "blob", content=README)
        tree = self._call(lambda: self.repo.create_git_tree([readme]), "creating the first tree")
        commit = self._call(
            lambda: self.repo.create_git_commit("Start the review-forge data branch", tree, []),
            "creating the first commit",
        )
        try:
            write_once(
                lambda: self.repo.create_git_ref(f"refs/heads/{self.branch}", commit.sha),
                landed=self._ref,
                what=f"creating data branch {self.branch}",
                sleep=self.sleep,
            )
        except GithubException as exc:
            if exc.status != 422:  # 422: another writer created it first, which is as good
                raise GitHubError(_explain(exc, f"creating branch {self.branch}")) from None
        ref = self._ref()
        if ref is None:
            raise GitHubError(f"data branch {self.branch} vanished right after it was created")
        return ref

    def list_files(self, prefix: str = "", at: str | None = None) -> dict[str, str]:
        """{path: blob sha} of every file under `prefix` (empty when the branch is missing);
        `at`: a commit sha to read instead of the tip (a pinned adapter)."""
        tip = at or self.tip()
        return {} if tip is None else self._files_at(tip, prefix)

    def _files_at(self, tip: str, prefix: str = "") -> dict[str, str]:
        commit = self._call(lambda: self.repo.get_git_commit(tip), "reading a commit")
        tree = self._call(
            lambda: self.repo.get_git_tree(commit.tree.sha, recursive=True), "listing files"
        )
        return {e.path: e.sha for e in tree.tree if e.type == "blob" and e.path.startswith(prefix)}

    def file_sha(self, path: str) -> str | None:
        return self.list_files(path).get(path)

    def read_blob(self, sha: str) -> bytes:
        blob = self._call(lambda: self.repo.get_git_blob(sha), f"reading blob {sha}")
        return (
            base64.b64decode(blob.content) if blob.encoding == "base64" else blob.content.encode()
        )

    def read_file(self, path: str) -> bytes | None:
        """A file's bytes (by blob, so size does not matter), or None when it is not there."""
        sha = self.file_sha(path)
        return None if sha is None else self.read_blob(sha)

    def add_files(
        self, files: Mapping[str, bytes], message: str, *, replace_dir: str | None = None
    ) -> str:
        """Commit `files` on top of the branch and return the commit sha that holds them.

        Existing paths are refused (snapshots are never rewritten) except under `replace_dir`,
        whose old content the commit replaces entirely (promotion: `replace_dir="adapter/"`).
        When the ref moved meanwhile (GitHub answers 422/409), rebuild on the new tip and retry;
        when the tip already holds exactly these files (an earlier try landed but its answer was
        lost), that is the commit: nothing is committed twice.
        """
        try:
            return self._add(files, message, replace_dir)
        except GithubException as exc:  # a refusal (404, 422, 403): one line, not a traceback
            raise GitHubError(_explain(exc, f"writing to data branch {self.branch}")) from None

    def _add(self, files: Mapping[str, bytes], message: str, replace_dir: str | None) -> str:
        prefix = replace_dir.rstrip("/") + "/" if replace_dir else None
        blobs = {path: self._put_blob(path, data) for path, data in files.items()}
        for attempt in range(1, self.max_attempts + 1):
            ref = self.ensure()
            tip = ref.object.sha
            existing = self._files_at(tip)
            if _holds(existing, blobs, prefix):
                return tip
            clash = sorted(p for p in blobs if p in existing and not _under(p, prefix))
            if clash:
                raise InputError(
                    f"{clash[0]} already exists on data branch {self.branch}; "
                    "files there are never rewritten, write a new one"
                )
            gone = [p for p in existing if _under(p, prefix) and p not in blobs]
            elements = [InputGitTreeElement(p, "100644", "blob", sha=s) for p, s in blobs.items()]
            elements += [InputGitTreeElement(p, "100644", "blob", sha=None) for p in gone]
            sha = self._commit_on(ref, tip, elements, message)
            if sha is not None:
                return sha
            self.sleep(random.uniform(0.05, 0.25) * 2 ** min(attempt, 5))
        raise GitHubError(
            f"adding {len(files)} file(s) to data branch {self.branch}: another writer moved it "
            f"{self.max_attempts} times in a row; run again"
        )

    def _put_blob(self, path: str, data: bytes) -> str:
        """Upload one file's bytes; found again by the sha Git computes from them."""
        sha = git_blob_sha(data)

        def landed() -> str | None:
            try:
                self._call(lambda: self.repo.get_git_blob(sha), f"looking for blob {sha}")
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise GitHubError(_explain(exc, f"looking for blob {sha}")) from None
            return sha

        return write_once(
            lambda: self.repo.create_git_blob(base64.b64encode(data).decode(), "base64").sha,
            landed=landed,
            what=f"uploading {path} to data branch {self.branch}",
            sleep=self.sleep,
        )

    def _commit_on(
        self, ref: GitRef, tip: str, elements: list[InputGitTreeElement], message: str
    ) -> str | None:
        """Commit on `tip` and fast-forward `ref` to it; None when another writer moved it first.

        A tree or commit sent twice is harmless (the first, if it was made, is never referenced);
        the ref update is the step that counts, and it is found again by the tip."""
        parent = self._call(lambda: self.repo.get_git_commit(tip), "reading the tip commit")
        base = self._call(lambda: self.repo.get_git_tree(parent.tree.sha), "reading the tip tree")
        tree = self._call(lambda: self.repo.create_git_tree(elements, base), "creating a tree")
        commit = self._call(
            lambda: self.repo.create_git_commit(message, tree, [parent]), "creating a commit"
        )
        try:
            write_once(
                lambda: ref.edit(commit.sha, force=False),
                landed=lambda: True if self.tip() == commit.sha else None,
                what=f"moving data branch {self.branch}",
                sleep=self.sleep,
            )
        except GithubException as exc:
            if exc.status in (409, 422):
                return None
            raise GitHubError(_explain(exc, f"updating branch {self.branch}")) from None
        return commit.sha

    def read_records(self) -> list[FeedbackRecord]:
        """Every feedback record on the branch, in file then line order; bad lines are skipped
        with a warning naming the file and line."""
        records: list[FeedbackRecord] = []
        for path, sha in sorted(self.list_files(FEEDBACK_DIR).items()):
            if path.endswith(".jsonl"):
                records += parse_records(self.read_blob(sha), path, self.warn)
        return records

    def read_feedback(self) -> list[dict[str, Any]]:
        """`read_records` as dicts, for the readers that take dicts (training, the gate)."""
        return [record.to_dict() for record in self.read_records()]


def git_blob_sha(data: bytes) -> str:
    """The object id Git (and so GitHub) gives a blob with these bytes.

    >>> git_blob_sha(b"")
    'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    """
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _under(path: str, prefix: str | None) -> bool:
    return prefix is not None and path.startswith(prefix)


def _holds(existing: Mapping[str, str], blobs: Mapping[str, str], prefix: str | None) -> bool:
    """Whether a tree ({path: sha}) already has exactly these files (and, under `prefix`,
    nothing else): the commit that adds them has landed."""
    if any(existing.get(p) != s for p, s in blobs.items()):
        return False
    return prefix is None or {p for p in existing if p.startswith(prefix)} == set(blobs)


def _explain(exc: GithubException, what: str) -> str:
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    return f"{what}: GitHub answered {exc.status} {message or ''}".rstrip()


def parse_records(
    data: bytes, name: str, warn: Callable[[str], None] = _stderr
) -> list[FeedbackRecord]:
    """Feedback records from JSON lines; a line that is not a record is skipped with a warning
    naming the file and line (one bad line must not hide a whole snapshot)."""
    records = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(FeedbackRecord.from_json(line, f"{name} line {number}"))
        except FormatError as exc:
            warn(f"{exc}; skipped")
    return records


def parse_jsonl(
    data: bytes, name: str, warn: Callable[[str], None] = _stderr
) -> list[dict[str, Any]]:
    """`parse_records` as dicts (the shape on the branch), for readers that take dicts."""
    return [record.to_dict() for record in parse_records(data, name, warn)]
