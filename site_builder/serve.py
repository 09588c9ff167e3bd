"""Serve public/current for local use (nginx does this in production).

The release is looked up for every request, so a new build shows without a restart, and so
are its redirects (answered 301 or 302, as nginx does)."""

import contextlib
import functools
import os
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .redirects import read_redirects

# What the browser may do with the site's pages; deploy/nginx-site.conf.template sends the same.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class ReleaseHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args, public: Path, **kwargs):
        self.public = public
        super().__init__(*args, directory=os.path.realpath(public / "current"), **kwargs)

    def send_head(self):
        path = unquote(urlsplit(self.path).path)
        if any(part.startswith(".") for part in path.split("/")):  # as nginx: nothing hidden
            self.send_error(404)
            return None
        status, location = _redirects(self.directory).get(path, (None, None))
        if status is None and path.endswith("/index.html"):  # one address per page, as nginx
            status, location = 301, path.removesuffix("index.html")
        if status is None:
            return super().send_head()
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None

    def end_headers(self):
        hashed = self.path.startswith(("/assets/", "/media/"))
        self.send_header(
            "Cache-Control", "public, max-age=31536000, immutable" if hashed else "no-cache"
        )
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@functools.lru_cache(maxsize=4)
def _redirects(release: str) -> dict[str, tuple[int, str]]:
    return read_redirects(Path(release))  # a release never changes: read once


def make_server(public: Path, port: int = 8080, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), partial(ReleaseHandler, public=Path(public)))


def serve(public: Path, port: int = 8080, host: str = "127.0.0.1") -> None:
    server = make_server(public, port, host)
    print(f"Serving {Path(public) / 'current'} on http://{host}:{port}/ (Ctrl-C stops it)")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
