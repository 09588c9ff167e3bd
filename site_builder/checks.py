"""Checks a release before it goes live: every page is there, the HTML parses, and no
internal link, anchor or asset points at something missing.

Links are read with a pattern over the attributes our templates write (always quoted), which
takes about a millisecond a page. The strict HTML5 parse is slow (some 14 ms a page), so it
runs on one page of each kind (home, a solution, a sector, an organisation, …): the page
structure comes from the kind's template, and content inside it is sanitised, balanced
HTML (nh3), so a template that writes broken HTML is caught on its first page.
"""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib

_LINK = re.compile(r'\s(?:href|src)="([^"]*)"')
_SRCSET = re.compile(r'\ssrcset="([^"]*)"')
_ID = re.compile(r'\sid="([^"]*)"')


def output_file(root: Path, url: str) -> Path:
    path = unquote(urlsplit(url).path)
    target = root / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def links_in(text: str) -> list[str]:
    links = _LINK.findall(text)
    for srcset in _SRCSET.findall(text):
        links += [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]
    return [link.replace("&amp;", "&") for link in links]


def _kind(relative: Path) -> tuple:
    """Pages of one kind share a template: /solutions/x/ and /solutions/y/ are one kind."""
    parts = relative.parts
    return (parts[0] if len(parts) > 1 else parts[0], len(parts))


def check_release(root: Path, page_urls: list[str], *, skip: tuple[str, ...] = ()) -> list[str]:
    """Problems found, each naming the file and what is wrong; empty when all is well.
    Links under the `skip` prefixes are not followed (e.g. a search index not built)."""
    root = Path(root)
    problems = [f"{url}: the page is missing from the release" for url in page_urls
                if not output_file(root, url).is_file()]  # fmt: skip
    parser = html5lib.HTMLParser(strict=True)
    parsed_kinds: set[tuple] = set()
    for path in sorted(root.rglob("*.html")):
        relative_path = path.relative_to(root)
        if relative_path.parts[0] == "pagefind":
            continue
        relative = "/" + relative_path.as_posix()
        text = path.read_text()
        kind = _kind(relative_path)
        if kind not in parsed_kinds:
            parsed_kinds.add(kind)
            try:
                parser.parse(text)
            except html5lib.html5parser.ParseError as error:
                problems.append(f"{relative}: HTML does not parse: {error}")
        ids = None
        for link in links_in(text):
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:")):
                continue
            if not parts.path:  # "#anchor" on the same page
                ids = ids if ids is not None else set(_ID.findall(text))
                if parts.fragment and parts.fragment not in ids:
                    problems.append(f"{relative}: link to missing anchor #{parts.fragment}")
                continue
            if parts.path.startswith(skip):
                continue
            if not output_file(root, parts.path).is_file():
                problems.append(f"{relative}: link to missing {link}")
    return problems


def parse_errors(root: Path) -> list[str]:
    """Every page parsed strictly (slow): for tests and audits, not the publish path."""
    parser = html5lib.HTMLParser(strict=True)
    problems = []
    for path in sorted(Path(root).rglob("*.html")):
        if "pagefind" in path.relative_to(root).parts:
            continue
        try:
            parser.parse(path.read_text())
        except html5lib.html5parser.ParseError as error:
            problems.append(f"/{path.relative_to(root).as_posix()}: {error}")
    return problems
