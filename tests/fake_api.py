"""A tiny stand-in for the headless API, for answers the real CMS never gives (malformed
JSON, missing fields, server errors, a hang, hostile content). The happy path always uses
the real CMS."""

import json
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeApi:
    """Serve `routes`: path → (status, body[, headers]) or a callable(path with its query)
    returning one. `hits` lists the paths asked for."""

    def __init__(self, routes: dict):
        self.routes = routes
        self.hits: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = urlsplit(self.path).path
                api.hits.append(path)
                route = api.routes.get(path, (404, {"message": "not found"}))
                status, body, *headers = route(self.path) if callable(route) else route
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers[0] if headers else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def url(self) -> str:
        return f"{self.origin}/api/v2/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def page_ids(pages: Iterable[dict]) -> Callable[[str], tuple[int, dict]]:
    """A route for /api/v2/pages/ids/?type=…: the ids of those of `pages` of that type."""
    pages = list(pages)

    def answer(path: str) -> tuple[int, dict]:
        kind = parse_qs(urlsplit(path).query).get("type", [""])[0]
        return 200, {"ids": [page["id"] for page in pages if page["meta"]["type"] == kind]}

    return answer
