"""The feedback record: one writer, one reader, the design's JSON shape kept byte for byte."""

from __future__ import annotations

import json

import pytest

from review_forge.bot.errors import FormatError
from review_forge.bot.feedback.record import FeedbackRecord
from review_forge.bot.github.data_branch import parse_jsonl, parse_records

POSTED = {"score": 72, "dimensions": {"clarity": 80}, "scorer": "rubric"}
# Lines as collect and learn wrote them before the record was a class (the design's shape).
COLLECTED = json.dumps({
    "schema": 1, "repo": "o/r", "pr": 3, "review_comment_id": 11, "reply_comment_id": 12,
    "body": "Rename `x`. ünïcode", "diff_hunk": "@@ -1 +1 @@", "path": "a.py", "posted": POSTED,
    "up": 2, "down": 1, "reactors": 3, "collected_at": "2024-05-01T12:00:00Z",
}, ensure_ascii=False)  # fmt: skip
LEARNED = json.dumps({
    "schema": 1, "repo": None, "pr": None, "review_comment_id": None,
    "reply_comment_id": "manual-0123456789abcdef", "body": "x", "diff_hunk": None, "path": None,
    "posted": POSTED, "up": 0, "down": 1, "reactors": 1, "rating": 20, "source": "learn",
    "collected_at": "2024-05-01T12:00:00Z",
})  # fmt: skip


@pytest.mark.parametrize("line", [COLLECTED, LEARNED, '{"reply_comment_id": 4, "up": 1}',
                                  '{"reply_comment_id": 5, "later_field": [1, 2]}'])  # fmt: skip
def test_a_line_read_and_written_again_is_the_same_line(line):
    assert FeedbackRecord.from_json(line, "f line 1").to_json() == line


def test_records_built_by_collect_and_learn_have_the_design_shape():
    collected = FeedbackRecord(reply_comment_id=12, repo="o/r", pr=3, review_comment_id=11,
                               body="Rename `x`. ünïcode", diff_hunk="@@ -1 +1 @@", path="a.py",
                               posted=POSTED, up=2, down=1, reactors=3,
                               collected_at="2024-05-01T12:00:00Z")  # fmt: skip
    learned = FeedbackRecord(reply_comment_id="manual-0123456789abcdef", body="x", posted=POSTED,
                             down=1, reactors=1, rating=20, source="learn",
                             collected_at="2024-05-01T12:00:00Z")  # fmt: skip

    assert collected.to_json() == COLLECTED
    assert learned.to_json() == LEARNED


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{broken", "f.jsonl line 7: not JSON (Expecting property name"),
        ('{"up": 1}', "f.jsonl line 7: not a feedback record (no reply_comment_id)"),
        ('{"reply_comment_id": 1, "up": -1}', "f.jsonl line 7: up must be a count, got -1"),
        ('{"reply_comment_id": 1, "up": true}', "f.jsonl line 7: up must be a count, got true"),
        ('{"reply_comment_id": 1, "posted": "72"}', 'posted must be a score object, got "72"'),
        ('{"reply_comment_id": 1, "rating": 101}', "rating must be 0-100 or null, got 101"),
        ('{"reply_comment_id": ""}', "reply_comment_id must be a comment id or a text key"),
        ('{"reply_comment_id": 1, "schema": 2}', "schema 2 is newer than this review-forge reads"),
    ],
)
def test_a_bad_line_is_a_format_error_naming_file_and_line(line, message):
    with pytest.raises(FormatError) as err:
        FeedbackRecord.from_json(line, "f.jsonl line 7")

    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_branch_reader_skips_bad_lines_and_keeps_dicts_for_downstream_readers():
    warnings: list[str] = []
    data = "\n".join([COLLECTED, '{"reply_comment_id": 1, "down": "many"}', LEARNED]).encode()

    records = parse_records(data, "feedback/x.jsonl", warnings.append)
    dicts = parse_jsonl(data, "feedback/x.jsonl", lambda w: None)

    assert [r.reply_comment_id for r in records] == [12, "manual-0123456789abcdef"]
    assert warnings == ['feedback/x.jsonl line 2: down must be a count, got "many"; skipped']
    assert dicts == [json.loads(COLLECTED), json.loads(LEARNED)]
    assert "rating" not in dicts[0] and dicts[1]["rating"] == 20
