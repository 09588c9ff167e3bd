"""A tiny stand-in for the headless API, for answers the real CMS never gives (malformed
JSON, missing fields, server errors, a hang). The happy path always uses the real CMS."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FakeApi:
    """Serve `routes`: path → (status, body) or a callable(path) returning one."""

    def __init__(self, routes: dict):
        self.routes = routes
        self.hits: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = urlsplit(self.path).path
                api.hits.append(path)
                route = api.routes.get(path, (404, {"message": "not found"}))
                status, body = route(path) if callable(route) else route
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/v2/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
