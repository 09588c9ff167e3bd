"""Checks a release before it goes live: every page is there, the HTML parses, and no
internal link or asset points at a file that is missing."""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib


def output_file(root: Path, url: str) -> Path:
    path = unquote(urlsplit(url).path)
    target = root / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name):
                self.links.append(attributes[name])
        for candidate in (attributes.get("srcset") or "").split(","):
            if candidate.strip():
                self.links.append(candidate.split()[0])


def check_release(root: Path, page_urls: list[str], *, skip: tuple[str, ...] = ()) -> list[str]:
    """Problems found, each naming the file and what is wrong; empty when all is well.
    Links under the `skip` prefixes are not followed (e.g. a search index not built)."""
    root = Path(root)
    problems = [f"{url}: the page is missing from the release" for url in page_urls
                if not output_file(root, url).is_file()]  # fmt: skip
    parser = html5lib.HTMLParser(strict=True)
    for path in sorted(root.rglob("*.html")):
        if "pagefind" in path.parts:
            continue
        relative = "/" + path.relative_to(root).as_posix()
        text = path.read_text()
        try:
            parser.parse(text)
        except html5lib.html5parser.ParseError as error:
            problems.append(f"{relative}: HTML does not parse: {error}")
        links = _Links()
        links.feed(text)
        for link in links.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:")):
                continue
            if not parts.path:  # "#anchor" on the same page
                if parts.fragment and parts.fragment not in links.ids:
                    problems.append(f"{relative}: link to missing anchor #{parts.fragment}")
                continue
            if parts.path.startswith(skip):
                continue
            if not output_file(root, parts.path).is_file():
                problems.append(f"{relative}: link to missing {link}")
    return problems
