"""The Git object store behind the fake GitHub's Git Data API: real Git object ids, real ancestry.

Blobs, trees and commits are hashed the way Git hashes them, so equal content gets equal ids and a
ref update can be checked for being a fast-forward by walking real parent links.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

TREE_MODE = "040000"


class GitDataError(Exception):
    """A request GitHub would refuse; `status` and `message` are what it answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Entry:
    name: str
    mode: str
    type: str  # blob | tree | commit
    sha: str


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: dict[str, str]
    committer: dict[str, str]


def _hash(kind: str, payload: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload).hexdigest()


@dataclass
class GitStore:
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/x" -> commit sha

    def add_blob(self, data: bytes) -> str:
        sha = _hash("blob", data)
        self.blobs[sha] = data
        return sha

    def _add_tree(self, entries: list[Entry]) -> str:
        # Git sorts tree entries by name, with directory names compared as if ending in "/".
        ordered = sorted(entries, key=lambda e: e.name + ("/" if e.type == "tree" else ""))
        payload = b"".join(
            f"{e.mode.lstrip('0')} {e.name}\0".encode() + bytes.fromhex(e.sha) for e in ordered
        )
        sha = _hash("tree", payload)
        self.trees[sha] = tuple(ordered)
        return sha

    def flatten(self, tree_sha: str, prefix: str = "") -> dict[str, Entry]:
        """Every non-tree entry under a tree, keyed by full path."""
        out: dict[str, Entry] = {}
        for e in self.trees[tree_sha]:
            path = f"{prefix}{e.name}"
            if e.type == "tree":
                out.update(self.flatten(e.sha, path + "/"))
            else:
                out[path] = Entry(path, e.mode, e.type, e.sha)
        return out

    def walk(self, tree_sha: str, prefix: str = "") -> list[Entry]:
        """Every entry under a tree, trees included, with full paths (what `recursive=1` lists)."""
        out: list[Entry] = []
        for e in self.trees[tree_sha]:
            path = f"{prefix}{e.name}"
            out.append(Entry(path, e.mode, e.type, e.sha))
            if e.type == "tree":
                out += self.walk(e.sha, path + "/")
        return out

    def create_tree(self, items: list[dict], base_tree: str | None) -> str:
        """POST /git/trees: entries override `base_tree`'s; `sha: null` deletes a path."""
        if base_tree is not None and base_tree not in self.trees:
            raise GitDataError(422, "Invalid tree info")
        files = self.flatten(base_tree) if base_tree else {}
        for item in items:
            path = str(item.get("path", "")).strip("/")
            if not path or item.get("type") not in ("blob", "tree", "commit"):
                raise GitDataError(422, "Invalid tree info")
            if "content" in item and item.get("sha") is not None:
                raise GitDataError(422, "Invalid tree info: use either sha or content")
            under = [p for p in files if p == path or p.startswith(path + "/")]
            for p in under:
                del files[p]
            if "content" in item:
                sha = self.add_blob(str(item["content"]).encode("utf-8"))
            elif item.get("sha") is None:
                continue  # deletion
            else:
                sha = item["sha"]
            if item["type"] == "tree":
                if sha not in self.trees:
                    raise GitDataError(422, f"Invalid tree info: tree {sha} does not exist")
                files.update({f"{path}/{p}": e for p, e in self.flatten(sha).items()})
            elif item["type"] == "blob" and sha not in self.blobs:
                raise GitDataError(422, f"Invalid tree info: blob {sha} does not exist")
            else:
                files[path] = Entry(path, str(item.get("mode", "100644")), item["type"], sha)
        return self._build(files)

    def _build(self, files: dict[str, Entry]) -> str:
        here: list[Entry] = []
        subdirs: dict[str, dict[str, Entry]] = {}
        for path, e in files.items():
            head, _, rest = path.partition("/")
            if rest:
                subdirs.setdefault(head, {})[rest] = e
            else:
                here.append(Entry(head, e.mode, e.type, e.sha))
        for name, sub in subdirs.items():
            here.append(Entry(name, TREE_MODE, "tree", self._build(sub)))
        return self._add_tree(here)

    def create_commit(
        self, message: str, tree: str, parents: list[str], author: dict[str, str]
    ) -> Commit:
        if tree not in self.trees:
            raise GitDataError(422, "Tree SHA does not exist")
        for p in parents:
            if p not in self.commits:
                raise GitDataError(422, "Parent SHA does not exist or is not a commit object")
        stamp = f"{author['name']} <{author['email']}> {author['date']}"
        text = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents)
        text += f"author {stamp}\ncommitter {stamp}\n\n{message}"
        sha = _hash("commit", text.encode("utf-8"))
        commit = Commit(sha, tree, tuple(parents), message, author, dict(author))
        self.commits[sha] = commit
        return commit

    def is_ancestor(self, old: str, new: str) -> bool:
        seen: set[str] = set()
        todo = [new]
        while todo:
            sha = todo.pop()
            if sha == old:
                return True
            if sha not in seen and sha in self.commits:
                seen.add(sha)
                todo += self.commits[sha].parents
        return False

    def create_ref(self, ref: str, sha: str) -> None:
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise GitDataError(422, "Reference name is invalid")
        if sha not in self.commits:
            raise GitDataError(422, "Object does not exist")
        if ref in self.refs:
            raise GitDataError(422, "Reference already exists")
        self.refs[ref] = sha

    def update_ref(self, ref: str, sha: str, force: bool) -> None:
        if ref not in self.refs:
            raise GitDataError(422, "Reference does not exist")
        if sha not in self.commits:
            raise GitDataError(422, "Object does not exist")
        if not force and not self.is_ancestor(self.refs[ref], sha):
            raise GitDataError(422, "Update is not a fast forward")
        self.refs[ref] = sha
