"""Full-page screenshots of the pages a reader sees, from Debian's Chromium, in the light and
the dark colour scheme, at a phone's and a laptop's width.

    python -m bench screenshots [--content corpus|sample] [--out var/screenshots]

Builds the site from the corpus (or the sample content when ../shared is absent), serves it
on loopback and saves <page>-<scheme>-<width>.png in --out."""

import argparse
from pathlib import Path

from .sites import CORPUS, REPO, public_site

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
    with public_site(content) as site:
        saved = shoot(site, args.out)
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
