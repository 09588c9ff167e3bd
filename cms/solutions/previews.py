"""The editor's preview, served from the CMS itself.

The preview renderer (site_builder/preview.py) draws a draft in the real theme. Wagtail's
preview panel shows whatever the page's `serve_preview` answers; wagtail-headless-preview
answers a frame around the renderer's address, which Wagtail's content checks (the
accessibility checker, words, reading time, readability) cannot look into: another origin.
Here the CMS fetches the rendered draft and answers it as its own page, with Wagtail's
userbar added (it carries the checker; its scripts come from WAGTAILADMIN_BASE_URL), and a
`<base>` so that the page's assets and links resolve against the renderer, as they do when
it is opened there.
"""

import logging

import requests
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from wagtail.admin.userbar import Userbar
from wagtail_headless_preview.models import HeadlessPreviewMixin, PagePreview
from wagtail_headless_preview.signals import preview_update

logger = logging.getLogger(__name__)


class RenderedPreviewMixin(HeadlessPreviewMixin):
    def serve_preview(self, request, preview_mode):
        PagePreview.garbage_collect()
        preview = self.create_page_preview()
        preview.save()
        preview_update.send(sender=HeadlessPreviewMixin, token=preview.token)
        url, root = self.get_preview_url(request, preview.token), self.get_client_root_url(request)
        # The renderer as the CMS reaches it: the editors' address, unless it has another
        # name inside the deployment (PREVIEW_RENDERER_URL, as in docker-compose).
        fetched = (settings.PREVIEW_RENDERER_URL or root) + url.removeprefix(root)
        try:
            answer = requests.get(fetched, timeout=settings.PREVIEW_TIMEOUT_SECONDS)
        except requests.RequestException as error:
            logger.warning("the preview renderer did not answer (%s); showing it in a frame", error)
            answer = None
        if answer is None or "text/html" not in answer.headers.get("content-type", ""):
            return render(request, "wagtail_headless_preview/preview.html", {"preview_url": url})
        userbar = Userbar(object=self).render_html({"request": request, "page": self})
        if settings.STATIC_URL.startswith("/"):  # from the CMS, not from the <base>
            cms_static = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + settings.STATIC_URL
            userbar = userbar.replace(f'"{settings.STATIC_URL}', f'"{cms_static}')
        html = _with_base(answer.text, root)
        html = html.replace("</body>", f"{userbar}</body>", 1)
        response = HttpResponse(html, status=answer.status_code)
        response["Cache-Control"] = "no-store"
        return response


def _with_base(html: str, base: str) -> str:
    tag = f'<base href="{base}">'
    if "<head>" in html:
        return html.replace("<head>", f"<head>{tag}", 1)
    return tag + html
