"""Sitemaps that search engines accept at any size. The sitemaps protocol allows at most
50,000 URLs in one file (https://www.sitemaps.org/protocol.html#index). pelican-sitemap
writes one sitemap.xml of every page; a site with more pages has it split here into
sitemap-1.xml, sitemap-2.xml, … in the same order, and sitemap.xml becomes their index,
which robots.txt names as before. SITEMAP_MAX_URLS in the site settings lowers the limit.
"""

import re
from pathlib import Path
from xml.sax.saxutils import escape

MAX_URLS = 50_000  # the protocol's limit per file
_PART = re.compile(r"sitemap-\d+\.xml")
INDEX = """<?xml version="1.0" encoding="utf-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{}</sitemapindex>
"""


def split_sitemap(folder: Path, settings: dict) -> list[str]:
    """Split `folder`/sitemap.xml if it lists more URLs than a sitemap may: the names of the
    parts written beside it (none when it is within the limit, or there is none)."""
    path = Path(folder) / "sitemap.xml"
    if not path.is_file():
        return []
    limit = int(settings.get("SITEMAP_MAX_URLS") or MAX_URLS)
    data = path.read_bytes()
    if data.count(b"<url>") <= limit:
        return []
    start, end = data.index(b"<url>"), data.rindex(b"</url>") + len(b"</url>")
    head, tail = data[:start], data[end:].lstrip(b"\n")
    listed = data[start:end].split(b"<url>")[1:]
    entries = [b"<url>" + entry.rstrip(b"\n") + b"\n" for entry in listed]  # and one line end
    names = []
    for number, first in enumerate(range(0, len(entries), limit), start=1):
        names.append(f"sitemap-{number}.xml")
        (path.parent / names[-1]).write_bytes(
            head + b"".join(entries[first : first + limit]) + tail
        )
    site = settings["SITEURL"].rstrip("/")
    listed = "".join(f"<sitemap><loc>{escape(site)}/{name}</loc></sitemap>\n" for name in names)
    path.write_text(INDEX.format(listed), encoding="utf-8")
    return names


def sitemap_parts(folder: Path) -> list[str]:
    """The parts of a split sitemap in `folder`."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.iterdir() if _PART.fullmatch(path.name))
