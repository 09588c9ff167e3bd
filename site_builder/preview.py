"""The preview renderer: shows an editor's draft in the real theme before it is published.

A small WSGI app (`python -m site_builder preview`; gunicorn in production). Wagtail sends
the editor to `/?content_type=…&token=…`; the app fetches the draft from the CMS's
`/api/v2/page_preview/`, renders it with the live build's templates, assets and listings
(the snapshot in public/snapshot), and answers it with `Cache-Control: no-store` and
`X-Robots-Tag: noindex`. Any other path redirects to the live site, so links in a preview
lead to what readers see. A missing, expired or forged token gets a plain error page.
"""

import mimetypes
import os
import tempfile
from html import escape
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIServer, make_server

from content_export.client import ApiClient, ExportError
from content_export.export import normalise, set_rendition_files
from content_export.schema import InvalidPage, validate_page
from content_export.snapshot import Snapshot

from . import engine
from .build import WarmState
from .content import load
from .contents import forget_rendered
from .render import SiteRenderer, environment
from .site_settings import site_settings

PRIVATE = [("Cache-Control", "no-store"), ("X-Robots-Tag", "noindex")]


class PreviewApp:
    def __init__(
        self,
        api_url: str,
        public: Path,
        *,
        snapshot: Path | None = None,
        settings_file: Path | None = None,
        theme: str | None = None,
        site_url: str | None = None,
    ):
        """The settings are the build's (site_settings.py): a preview looks as the page
        will."""
        self.client = ApiClient(api_url, retries=1, timeout=15)
        self.public = Path(public)
        self.snapshot = Path(snapshot) if snapshot else self.public / "snapshot"
        self.settings = site_settings(settings_file, theme=theme, site_url=site_url)
        self.site_url = self.settings["SITEURL"]
        self.env = environment(self.settings)
        self.pelican = engine.start(self.settings, Path(tempfile.gettempdir()))
        self.state = WarmState()  # kept between previews, as a build worker keeps it

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path == "/":
            status, headers, body = self.preview(parse_qs(environ.get("QUERY_STRING", "")))
        elif path.startswith(("/assets/", "/media/")):
            status, headers, body = self.static(path)
        else:
            status, headers, body = "302 Found", [("Location", self.site_url + path)], b""
        start_response(status, headers + [("Content-Length", str(len(body)))])
        return [body]

    def preview(self, query: dict) -> tuple[str, list, bytes]:
        content_type = (query.get("content_type") or [""])[0]
        token = (query.get("token") or [""])[0]
        if not content_type or not token:
            return self.error(
                "400 Bad Request",
                "This address is missing its preview link. Open the preview from the editor.",
            )
        try:
            data = self.client.get_json(
                "page_preview/", {"content_type": content_type, "token": token}, allow_404=True
            )
        except ExportError as error:
            return self.error(
                "502 Bad Gateway", f"The CMS could not be asked for the draft: {error}"
            )
        if data is None:
            return self.error(
                "404 Not Found",
                "This preview link is not valid or has expired."
                " Go back to the editor and press Preview again.",
            )
        data["id"] = data.get("id") or 0  # a page that was never saved has no id yet
        try:
            validate_page(data)
        except InvalidPage as error:
            return self.error(
                "502 Bad Gateway", f"The CMS gave a draft this site cannot show: {error}"
            )
        return "200 OK", [("Content-Type", "text/html; charset=utf-8"), *PRIVATE], self.render(data)

    def render(self, data: dict) -> bytes:
        document = normalise(data)
        known = (Snapshot(self.snapshot).read_manifest() or {}).get("images", {})
        # images already published are served from the live site; new ones from the CMS
        set_rendition_files(document, lambda url: known.get(url) or self.client.url(url))
        content = load(
            self.snapshot, replace=[document], missing_ok=True, documents=self.state.documents
        )
        page = next(p for p in content.pages if p["id"] == document["id"])
        renderer = SiteRenderer(content, self.settings, cards=self.state.cards)
        output = next(renderer.page_outputs(page))  # the page itself, a listing's first
        # rendered as a build renders it, then shown as the site's plugins leave it
        with tempfile.TemporaryDirectory(prefix="preview-") as folder:
            run = engine.begin(self.pelican, Path(folder))
            made = renderer.content_objects([output])
            engine.generators_finalized(run, made)
            context = renderer.context(self.env, output)
            path = Path(folder) / output.save_as
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(renderer.render(self.env, output, context).encode())
            engine.written(Path(folder), [output], lambda _: context)
            engine.finalized(run)
            forget_rendered(made)
            return path.read_bytes()

    def static(self, path: str) -> tuple[str, list, bytes]:
        live = (self.public / "current").resolve()
        target = (live / path.lstrip("/")).resolve()
        if not target.is_relative_to(live) or not target.is_file():
            return "404 Not Found", [("Content-Type", "text/plain")], b"Not found"
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return "200 OK", [("Content-Type", kind)], target.read_bytes()

    def error(self, status: str, message: str) -> tuple[str, list, bytes]:
        body = (
            "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Preview unavailable</title>"
            f"<main><h1>Preview unavailable</h1><p>{escape(message)}</p></main></html>"
        )
        return status, [("Content-Type", "text/html; charset=utf-8"), *PRIVATE], body.encode()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def make_preview_server(app: PreviewApp, port: int = 8081, host: str = "127.0.0.1"):
    return make_server(host, port, app, server_class=_ThreadingWSGIServer)


def application():
    """For gunicorn: `gunicorn 'site_builder.preview:application()'` with PREVIEW_API_URL."""
    return PreviewApp(os.environ["PREVIEW_API_URL"], Path(os.environ.get("PUBLIC_DIR", "public")))
