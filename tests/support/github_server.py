"""A local stand-in for the GitHub REST API endpoints forgeml uses, on 127.0.0.1.

It keeps pull requests, labels and comments in memory and answers with JSON shaped like
GitHub's documented responses (https://docs.github.com/en/rest/pulls/pulls,
/rest/issues/labels, /rest/issues/comments,
/rest/repos/repos#list-organization-repositories): the fields a client reads, with the
same names and types, and `Link` headers for pagination. It can
be told to fail the next requests (a 502, or a 429 or 403 rate limit with Retry-After)
so retries are exercised through the real client.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_test_token"


@dataclass
class GitHubState:
    base_url: str = ""
    pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    org_repos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Status codes (with headers) to answer the next requests with, before serving them.
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_pull(
        self,
        repo: str,
        head: str,
        base: str,
        title: str,
        body: str | None = None,
        head_owner: str | None = None,
    ) -> dict[str, Any]:
        """Open a pull request (from `head_owner`'s fork when given), as GitHub stores it."""
        owner = repo.split("/", maxsplit=1)[0]
        number = sum(len(listed) for listed in self.pulls.values()) + 1
        pull = {
            "id": 1000 + number,
            "node_id": f"PR_{1000 + number}",
            "number": number,
            "state": "open",
            "title": title,
            "body": body,
            "draft": False,
            "labels": [],
            "comments": [],  # not a GitHub field: the issue comments, kept for the tests
            "url": f"{self.base_url}/repos/{repo}/pulls/{number}",
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "issue_url": f"{self.base_url}/repos/{repo}/issues/{number}",
            "head": {"label": f"{head_owner or owner}:{head}", "ref": head, "sha": "0" * 40},
            "base": {"label": f"{owner}:{base}", "ref": base, "sha": "0" * 40},
            "user": {"login": "forgeml-bot[bot]", "type": "Bot"},
        }
        self.pulls.setdefault(repo, []).append(pull)
        return pull

    def repository(self, full_name: str) -> dict[str, Any]:
        owner, name = full_name.split("/")
        return {
            "id": abs(hash(full_name)) % 10**8,
            "name": name,
            "full_name": full_name,
            "owner": {"login": owner, "type": "Organization"},
            "private": False,
            "archived": False,
            "default_branch": "main",
            "url": f"{self.base_url}/repos/{full_name}",
            "html_url": f"https://github.com/{full_name}",
            "clone_url": f"https://github.com/{full_name}.git",
            "ssh_url": f"git@github.com:{full_name}.git",
        }


class _Handler(BaseHTTPRequestHandler):
    state: GitHubState

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the recorded requests instead."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        state = self.state
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        with state.lock:
            state.requests.append((method, url.path))
            if self.headers.get("Authorization") not in {f"token {TOKEN}", f"Bearer {TOKEN}"}:
                return self._json(401, {"message": "Bad credentials"})
            if state.failures:
                status, headers = state.failures.pop(0)
                message = "API rate limit exceeded" if status in {403, 429} else "Server Error"
                return self._json(status, {"message": message}, headers)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            return self._route(method, url.path, query, body)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> None:
        routes = (
            (r"/graphql", self._graphql),
            (r"/orgs/([^/]+)", self._org),
            (r"/orgs/([^/]+)/repos", self._org_repos),
            (r"/repos/([^/]+/[^/]+)/pulls", self._pulls),
            (r"/repos/([^/]+/[^/]+)/pulls/(\d+)", self._one_pull),
            (r"/repos/([^/]+/[^/]+)/issues/(\d+)/labels", self._labels),
            (r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", self._comments),
        )
        for pattern, serve in routes:
            if match := re.fullmatch(pattern, path):
                return serve(method, path, query, body, *match.groups())
        return self._json(404, {"message": "Not Found"})

    def _graphql(self, method: str, path: str, query: dict[str, str], body: Any) -> None:
        """The two draft mutations (docs.github.com/en/graphql/reference/mutations)."""
        drafts = {"convertPullRequestToDraft": True, "markPullRequestReadyForReview": False}
        name = re.search(r"\{ (\w+)\(input:", body["query"])
        if method != "POST" or name is None or name.group(1) not in drafts:
            return self._json(200, {"errors": [{"message": "unsupported query"}]})
        node = body["variables"]["input"]["pullRequestId"]
        pull = next(
            (p for listed in self.state.pulls.values() for p in listed if p["node_id"] == node),
            None,
        )
        if pull is None:
            return self._json(200, {"errors": [{"type": "NOT_FOUND", "message": node}]})
        pull["draft"] = drafts[name.group(1)]
        result = {"clientMutationId": None, "pullRequest": {"isDraft": pull["draft"]}}
        return self._json(200, {"data": {name.group(1): result}})

    def _org(self, method: str, path: str, query: dict[str, str], body: Any, org: str) -> None:
        if org not in self.state.org_repos:
            return self._json(404, {"message": "Not Found"})
        return self._json(200, {"login": org, "id": 1, "type": "Organization"})

    def _org_repos(
        self, method: str, path: str, query: dict[str, str], body: Any, org: str
    ) -> None:
        if org not in self.state.org_repos:
            return self._json(404, {"message": "Not Found"})
        return self._page(path, query, self.state.org_repos[org])

    def _pulls(self, method: str, path: str, query: dict[str, str], body: Any, repo: str) -> None:
        state = self.state
        pulls = state.pulls.setdefault(repo, [])
        if method == "GET":
            listed = [
                pull
                for pull in pulls
                if pull["state"] == query.get("state", "open")
                and query.get("head", pull["head"]["label"]) == pull["head"]["label"]
                and query.get("base", pull["base"]["ref"]) == pull["base"]["ref"]
            ]
            return self._page(path, query, listed)
        owner = repo.split("/", maxsplit=1)[0]
        if any(p["head"]["ref"] == body["head"] and p["state"] == "open" for p in pulls):
            problem = f"A pull request already exists for {owner}:{body['head']}."
            return self._json(
                422, {"message": "Validation Failed", "errors": [{"message": problem}]}
            )
        pull = state.new_pull(repo, body["head"], body["base"], body["title"], body.get("body"))
        pull["draft"] = bool(body.get("draft", False))
        return self._json(201, pull)

    def _one_pull(
        self, method: str, path: str, query: dict[str, str], body: Any, repo: str, number: str
    ) -> None:
        pull = self._pull(repo, int(number))
        if pull is None:
            return self._json(404, {"message": "Not Found"})
        if method == "PATCH":
            pull.update({k: v for k, v in body.items() if k in {"title", "body", "state"}})
        return self._json(200, pull)

    def _labels(
        self, method: str, path: str, query: dict[str, str], body: Any, repo: str, number: str
    ) -> None:
        pull = self._pull(repo, int(number))
        if pull is None:
            return self._json(404, {"message": "Not Found"})
        # GitHub accepts {"labels": [...]} or a bare array of names.
        names = body["labels"] if isinstance(body, dict) else body
        for name in names:
            if name not in [label["name"] for label in pull["labels"]]:
                label = {"id": len(pull["labels"]) + 1, "name": name, "color": "ededed"}
                pull["labels"].append(label)
        return self._json(200, pull["labels"])

    def _comments(
        self, method: str, path: str, query: dict[str, str], body: Any, repo: str, number: str
    ) -> None:
        pull = self._pull(repo, int(number))
        if pull is None or method != "POST":
            return self._json(404, {"message": "Not Found"})
        comment = {"id": 5000 + len(pull["comments"]), "body": body["body"]}
        pull["comments"].append(comment)
        return self._json(201, comment)

    def _pull(self, full_name: str, number: int) -> dict[str, Any] | None:
        return next((p for p in self.state.pulls.get(full_name, []) if p["number"] == number), None)

    def _page(self, path: str, query: dict[str, str], items: list[Any]) -> None:
        per_page = int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
            headers["Link"] = f'<{self.state.base_url}{path}?{rest}&page={page + 1}>; rel="next"'
        self._json(200, chunk, headers)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def github_server() -> Iterator[GitHubState]:
    state = GitHubState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
