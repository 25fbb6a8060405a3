"""The data-branch store against the fake GitHub (real HTTP, real Git object ids, a ref update
that refuses a stale parent)."""

from __future__ import annotations

import json
import threading

import pytest

from review_forge.bot.errors import GitHubError, InputError
from review_forge.bot.github.data_branch import README, DataStore, latest_per_reply, parse_jsonl


def _store(server, **kw) -> DataStore:
    repo = server.client().get_repo("octo-org/octo-repo")
    return DataStore(repo, "review-forge-data", sleep=lambda s: None, **kw)


def _line(reply_id: int, up: int, when: str) -> str:
    return json.dumps({"schema": 1, "reply_comment_id": reply_id, "up": up, "collected_at": when})


def test_first_write_creates_an_orphan_branch_with_a_readme(fake_github):
    store = _store(fake_github)

    assert store.tip() is None
    sha = store.add_files({"feedback/2024/05/01/1.jsonl": b"{}\n"}, "snapshot 1")

    files = fake_github.files("review-forge-data")
    assert files == {"README.md": README.encode(), "feedback/2024/05/01/1.jsonl": b"{}\n"}
    git = fake_github.repo.git
    root = git.commits[git.commits[sha].parents[0]]
    assert root.parents == () and git.flatten(root.tree).keys() == {"README.md"}
    assert fake_github.ref_sha("review-forge-data") == sha


def test_existing_files_are_never_rewritten(fake_github):
    store = _store(fake_github)
    store.add_files({"feedback/a.jsonl": b"one\n"}, "a")
    before = fake_github.ref_sha("review-forge-data")

    with pytest.raises(InputError, match=r"feedback/a.jsonl already exists .*never rewritten"):
        store.add_files({"feedback/a.jsonl": b"two\n", "feedback/b.jsonl": b"b\n"}, "again")

    assert fake_github.ref_sha("review-forge-data") == before
    assert store.read_file("feedback/a.jsonl") == b"one\n"
    assert store.read_file("feedback/b.jsonl") is None


def test_replace_dir_replaces_that_folder_only(fake_github):
    store = _store(fake_github)
    store.add_files(
        {"adapter/old.bin": b"old", "adapter/manifest.json": b"{}", "feedback/x.jsonl": b"x"}, "v1"
    )

    store.add_files({"adapter/manifest.json": b'{"v": 2}', "adapter/new.bin": b"new"}, "promote",
                    replace_dir="adapter/")  # fmt: skip

    files = fake_github.files("review-forge-data")
    assert {p: v for p, v in files.items() if p != "README.md"} == {
        "adapter/manifest.json": b'{"v": 2}', "adapter/new.bin": b"new", "feedback/x.jsonl": b"x",
    }  # fmt: skip


def test_files_over_1_mb_and_binary_bytes_read_back_exactly(fake_github):
    store = _store(fake_github)
    big = bytes(range(256)) * 5000  # 1.28 MB: the Contents API would return no content

    store.add_files({"adapter/adapter_model.safetensors": big}, "adapter")

    assert store.read_file("adapter/adapter_model.safetensors") == big
    assert store.file_sha("adapter/adapter_model.safetensors") == fake_github.repo.git.add_blob(big)
    assert not fake_github.calls("GET", "/contents/")


def test_read_feedback_skips_bad_lines_naming_file_and_line(fake_github):
    warnings: list[str] = []
    store = _store(fake_github, warn=warnings.append)
    day1 = "\n".join([_line(1, 1, "2024-05-01T00:00:00Z"), "{broken", "", "[1, 2]"]) + "\n"
    day2 = _line(1, 0, "2024-05-02T00:00:00Z") + "\n" + _line(2, 3, "2024-05-02T00:00:00Z")
    store.add_files({"feedback/2024/05/01/r1.jsonl": day1.encode(),
                     "feedback/2024/05/02/r2.jsonl": day2.encode(),
                     "reports/r.json": b"not feedback"}, "two runs")  # fmt: skip

    records = store.read_feedback()

    assert [(r["reply_comment_id"], r["up"]) for r in records] == [(1, 1), (1, 0), (2, 3)]
    assert warnings == [
        "feedback/2024/05/01/r1.jsonl line 2: not JSON (Expecting property name enclosed in "
        "double quotes); skipped",
        "feedback/2024/05/01/r1.jsonl line 4: not a feedback record (no reply_comment_id); skipped",
    ]


@pytest.mark.parametrize(
    ("snapshots", "expected"),
    [
        # newer collected_at wins even when it comes first in file order
        ([(1, 5, "2024-05-03T00:00:00Z"), (1, 9, "2024-05-01T00:00:00Z")], [(1, 5)]),
        # equal collected_at: the later file/line wins
        ([(1, 5, "2024-05-03T00:00:00Z"), (1, 9, "2024-05-03T00:00:00Z")], [(1, 9)]),
        # offsets are compared as instants
        ([(1, 5, "2024-05-03T01:00:00+02:00"), (1, 9, "2024-05-02T23:30:00Z")], [(1, 9)]),
        # an undated snapshot never beats a dated one
        ([(1, 5, "2024-05-03T00:00:00Z"), (1, 9, "someday")], [(1, 5)]),
        ([(1, 1, "2024-05-01T00:00:00Z"), (2, 2, "2024-05-01T00:00:00Z")], [(1, 1), (2, 2)]),
    ],
)
def test_latest_per_reply(snapshots, expected):
    records = [{"reply_comment_id": r, "up": u, "collected_at": w} for r, u, w in snapshots]

    assert [(r["reply_comment_id"], r["up"]) for r in latest_per_reply(records)] == expected


def test_parse_jsonl_tolerates_non_utf8_bytes():
    warnings: list[str] = []

    records = parse_jsonl(b'\xff\xfe\n{"reply_comment_id": 4}\n', "f.jsonl", warnings.append)

    assert records == [{"reply_comment_id": 4}]
    assert warnings and warnings[0].startswith("f.jsonl line 1: not JSON")


@pytest.mark.parametrize("writers", [2, 3])
def test_racing_writers_all_land_and_none_is_lost(fake_github, writers):
    _store(fake_github).ensure()
    # Every writer builds on the same tip before any moves the ref: all but one get 422.
    fake_github.gate("PATCH", "/git/refs/heads/review-forge-data$", writers)
    errors: list[BaseException] = []

    def collect(n: int) -> None:
        try:
            line = _line(n, n, "2024-05-01T00:00:00Z") + "\n"
            _store(fake_github).add_files({f"feedback/2024/05/01/run-{n}.jsonl": line.encode()},
                                          f"run {n}")  # fmt: skip
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=collect, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    patches = [r.status for r in fake_github.calls("PATCH", "/git/refs/")]
    assert patches.count(422) >= writers - 1 and patches.count(200) == writers
    records = _store(fake_github).read_feedback()
    assert sorted(r["reply_comment_id"] for r in records) == list(range(writers))


def test_a_branch_that_keeps_moving_gives_up_cleanly(fake_github):
    store = _store(fake_github, max_attempts=3)
    store.ensure()
    body = {"message": "Update is not a fast forward", "documentation_url": "x"}
    fake_github.fail("PATCH", "/git/refs/", status=422, body=body, times=10)

    with pytest.raises(GitHubError, match="another writer moved it 3 times"):
        store.add_files({"feedback/a.jsonl": b"a"}, "a")

    assert len(fake_github.calls("PATCH", "/git/refs/")) == 3
    assert fake_github.files("review-forge-data").keys() == {"README.md"}


def test_server_errors_during_a_write_are_retried(fake_github):
    store = _store(fake_github)
    fake_github.fail("POST", "/git/trees$", status=502, times=2)

    store.add_files({"feedback/a.jsonl": b"a\n"}, "a")

    assert store.read_file("feedback/a.jsonl") == b"a\n"
