"""Full-page screenshots of the pages a reader sees, from Debian's Chromium, in the light and
the dark colour scheme, at a phone's and a laptop's width.

    python -m bench screenshots [--content corpus|sample] [--out var/screenshots]

Builds the site from the corpus (or the sample content when ../shared is absent), serves it
on loopback and saves <page>-<scheme>-<width>.png in --out."""

import argparse
import tempfile
import threading
from pathlib import Path

from content_export.export import export
from site_builder.build import build
from site_builder.serve import make_server

from .sites import CORPUS, REPO, build_site, database_urls, serve

PAGES = {
    "home": "/",
    "solutions-filtered": "/solutions/#sector=buildings",
    "solution": "/solutions/high-efficiency-heat-pumps/",
    "sector": "/sectors/buildings/",
    "search": "/search/?q=heat+pump",
}
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench screenshots")
    parser.add_argument("--content", choices=["corpus", "sample"])
    parser.add_argument("--out", type=Path, default=REPO / "var" / "screenshots")
    args = parser.parse_args(argv)
    content = args.content or ("corpus" if CORPUS.is_dir() else "sample")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-screenshots-") as tmp:
        workdir = Path(tmp)
        url = database_urls(["sqlite"], workdir)["sqlite"]
        build_site(url, workdir, content)
        with serve(url, workdir) as api:
            export(api, workdir / "snapshot")
        server = make_server(workdir / "public", port=0)
        site = f"http://127.0.0.1:{server.server_port}"
        build(workdir / "snapshot", workdir / "public", site_url=site)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            saved = shoot(site, args.out)
        finally:
            server.shutdown()
    for path in saved:
        print(path)
    return 0


def shoot(site: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for scheme in SCHEMES:
            for width in WIDTHS:
                page = browser.new_page(
                    viewport={"width": width, "height": 900}, color_scheme=scheme
                )
                for name, path in PAGES.items():
                    page.goto(site + path)
                    if name == "search":
                        page.locator(".pagefind-ui__result-link").first.wait_for(timeout=10_000)
                    page.wait_for_load_state("networkidle")
                    target = out / f"{name}-{scheme}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    saved.append(target)
                page.close()
        browser.close()
    return saved
