"""A realistic pull-request review: 10 comments with their diff hunks, for the latency benchmark.

The hunks are shaped as GitHub sends them with a review comment: from the `@@` header down to the
commented line. Written for this project (no third-party text).
"""

from __future__ import annotations

from review_forge.bot.scoring.score import Comment

_CLIENT_HUNK = """\
@@ -1,18 +1,24 @@
 import logging
 import time
+import random
 from dataclasses import dataclass
 from typing import Any

 import requests

 log = logging.getLogger(__name__)

+RETRY_STATUSES = {429, 500, 502, 503, 504}
+
+
 @dataclass
 class ClientConfig:
     base_url: str
     token: str
-    timeout: float = 10
+    timeout: float = 10.0
+    max_retries: int = 5
+    backoff: float = 0.5"""

_RETRY_HUNK = """\
@@ -40,12 +46,31 @@ class Client:
     def get(self, path: str, **params: Any) -> dict:
-        response = self.session.get(self.url(path), params=params, timeout=self.config.timeout)
-        response.raise_for_status()
-        return response.json()
+        attempt = 0
+        while True:
+            try:
+                response = self.session.get(
+                    self.url(path), params=params, timeout=self.config.timeout
+                )
+            except requests.ConnectionError:
+                attempt += 1
+                time.sleep(self.config.backoff * 2**attempt)
+                continue
+            if response.status_code in RETRY_STATUSES:
+                attempt += 1
+                if attempt > self.config.max_retries:
+                    response.raise_for_status()
+                delay = self.config.backoff * 2**attempt + random.random()
+                log.warning("retrying %s in %.1fs", path, delay)
+                time.sleep(delay)
+                continue"""

_PAGES_HUNK = """\
@@ -71,9 +96,22 @@ class Client:
     def pages(self, path: str, **params: Any) -> Iterator[dict]:
-        url = self.url(path)
-        while url:
-            data = self.get(url, **params)
-            yield from data["items"]
-            url = data.get("next")
+        page = 1
+        while True:
+            data = self.get(path, page=page, per_page=100, **params)
+            items = data["items"]
+            if not items:
+                return
+            for item in items:
+                yield item
+            page = page + 1"""

_TEST_HUNK = """\
@@ -0,0 +1,27 @@
+import pytest
+import responses
+
+from client import Client, ClientConfig
+
+
+@responses.activate
+def test_get_retries_on_503():
+    responses.add(responses.GET, "https://api.test/items", status=503)
+    responses.add(responses.GET, "https://api.test/items", json={"items": []})
+    client = Client(ClientConfig("https://api.test", "t", backoff=0))
+    assert client.get("items") == {"items": []}
+
+
+@responses.activate
+def test_pages_stops_on_empty_page():
+    responses.add(responses.GET, "https://api.test/items", json={"items": [1, 2]})
+    responses.add(responses.GET, "https://api.test/items", json={"items": []})
+    client = Client(ClientConfig("https://api.test", "t"))
+    assert list(client.pages("items")) == [1, 2]"""

_CACHE_HUNK = """\
@@ -120,6 +158,17 @@ class Client:
+    def user(self, login: str) -> dict:
+        if login in self._users:
+            return self._users[login]
+        user = self.get(f"users/{login}")
+        self._users[login] = user
+        return user"""

_CONFIG_HUNK = """\
@@ -3,7 +3,9 @@ def load_settings(path: Path) -> ClientConfig:
     data = yaml.safe_load(path.read_text())
-    return ClientConfig(data["base_url"], data["token"])
+    token = os.environ.get("API_TOKEN") or data["token"]
+    print(f"using token {token}")
+    return ClientConfig(data["base_url"], token, **data.get("client", {}))"""

COMMENTS = [
    Comment(
        "`random` is only used for the jitter; fine, but please seed nothing globally here.",
        _CLIENT_HUNK.split("\n+RETRY")[0],
        "client.py",
    ),
    Comment(
        "Why is `backoff` a float of seconds while `timeout` is too, but `max_retries` counts "
        "attempts and not retries? With max_retries=5 we make six requests. Please rename it to "
        "`max_attempts` or make the loop stop after five retries, and say which in the docstring.",
        _CLIENT_HUNK,
        "client.py",
    ),
    Comment(
        "A ConnectionError retries forever: `attempt` grows but nothing compares it with "
        "`max_retries` on this branch, so a dead host hangs the job. Check the limit here as "
        "well and re-raise the last error once it is reached.",
        _RETRY_HUNK.rsplit("\n", 9)[0],
        "client.py",
    ),
    Comment(
        "Should honour `Retry-After` on 429 and 503 instead of our own backoff: GitHub and most "
        "APIs send it, and sleeping less than it asks gets us rate limited again.",
        _RETRY_HUNK,
        "client.py",
    ),
    Comment("nit: `page += 1`", _PAGES_HUNK, "client.py"),
    Comment(
        "This changes behaviour: the old code followed `next` links, the new one counts pages. "
        "APIs with cursor pagination (ours since v3) ignore `page`, so this loops over page 1 "
        "forever. Can we keep following `next` when it is present?",
        _PAGES_HUNK.rsplit("\n", 6)[0],
        "client.py",
    ),
    Comment(
        "Nice tests! Could you add one where every attempt fails, so the retry limit is covered?",
        _TEST_HUNK,
        "tests/test_client.py",
    ),
    Comment(
        "The cache never expires and is unbounded; for a long-running worker that is a leak. "
        "`functools.lru_cache(maxsize=1024)` on a helper would bound it.",
        _CACHE_HUNK,
        "client.py",
    ),
    Comment("This is wrong.", _CACHE_HUNK.rsplit("\n", 2)[0], "client.py"),
    Comment(
        "Please don't print the token: CI logs are public for this repo. Log that a token was "
        "found (and from where), never its value.",
        _CONFIG_HUNK,
        "settings.py",
    ),
]
