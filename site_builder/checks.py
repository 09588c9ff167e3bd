"""Checks a release before it goes live: every page is there, the HTML parses, and no
internal link, anchor or asset points at something missing.

Links are read with a pattern over the attributes our templates write (always quoted), which
takes about a millisecond a page. The strict HTML5 parse is slow (some 14 ms a page), so it
runs on one page of each kind (home, a solution, a sector, an organisation, …): the page
structure comes from the kind's template, and content inside it is sanitised, balanced
HTML (nh3), so a template that writes broken HTML is caught on its first page.
"""

import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import html5lib

# Our templates and nh3 write attributes after one space, always quoted; a pattern that
# starts with a literal is several times quicker over a page of 10,000 cards.
_LINK = re.compile(r' (?:href|src)="([^"]*)"')
_SRCSET = re.compile(r' srcset="([^"]*)"')
_ID = re.compile(r'\sid="([^"]*)"')
_PLAIN_PATH = re.compile(r"/(?!/)[^?#%:\s]*")  # a site path with nothing to decode


SEARCH_INDEX = "/pagefind/"  # built after the release goes live (search.py): not checked here


def file_name(url: str) -> str:
    """The release file a site URL is served from: "/a/b/" -> "a/b/index.html"."""
    path = (
        url.lstrip("/") if _PLAIN_PATH.fullmatch(url) else unquote(urlsplit(url).path).lstrip("/")
    )
    return path + "index.html" if path.endswith("/") or not path else path


def links_in(text: str) -> list[str]:
    links = _LINK.findall(text)
    for srcset in _SRCSET.findall(text):
        links += [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]
    return [link.replace("&amp;", "&") for link in links]


def kind_of(name: str) -> tuple:
    """Pages of one kind share a template: solutions/x/index.html and solutions/y/index.html
    are one kind."""
    parts = PurePosixPath(name).parts
    return (parts[0], len(parts))


def check_page(url: str, text: str, files: set[str], *, parse: bool = False) -> list[str]:
    """Problems of one page: links to files not in `files` (release paths), anchors missing
    from the page, and with `parse`, HTML that does not parse strictly."""
    problems = []
    if parse:
        try:
            html5lib.HTMLParser(strict=True).parse(text)
        except html5lib.html5parser.ParseError as error:
            problems.append(f"{url}: HTML does not parse: {error}")
    ids = None
    for link in dict.fromkeys(links_in(text)):
        if _PLAIN_PATH.fullmatch(link):  # "/solutions/x/": the usual case, and quick
            path = link
        else:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:")):
                continue
            if not parts.path:  # "#anchor" on the same page
                ids = ids if ids is not None else set(_ID.findall(text))
                if parts.fragment and parts.fragment not in ids:
                    problems.append(f"{url}: link to missing anchor #{parts.fragment}")
                continue
            path = unquote(parts.path)
        if not path.startswith(SEARCH_INDEX) and file_name(path) not in files:
            problems.append(f"{url}: link to missing {link}")
    return problems


def check_release(root: Path, page_urls: list[str]) -> list[str]:
    """Every page of a release on disk: present, linking only to files that are there, and
    one page of each kind parsed strictly. Empty when all is well."""
    root = Path(root)
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    problems = [
        f"{url}: the page is missing from the release"
        for url in page_urls
        if file_name(url) not in files
    ]
    parsed_kinds: set[tuple] = set()
    for name in sorted(n for n in files if n.endswith(".html")):
        kind = kind_of(name)
        problems += check_page(
            "/" + name, (root / name).read_text(), files, parse=kind not in parsed_kinds
        )
        parsed_kinds.add(kind)
    return problems


def parse_errors(root: Path) -> list[str]:
    """Every page parsed strictly (slow): for tests and audits, not the publish path."""
    parser = html5lib.HTMLParser(strict=True)
    problems = []
    for path in sorted(Path(root).rglob("*.html")):
        try:
            parser.parse(path.read_text())
        except html5lib.html5parser.ParseError as error:
            problems.append(f"/{path.relative_to(root).as_posix()}: {error}")
    return problems
