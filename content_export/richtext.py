"""What content may hold, and the functions that enforce it everywhere: the importer, the
headless API and the site builder (site and preview) all pass rich text through
`clean_html` and every address through `safe_url`, so nothing executable reaches readers
whichever way it came in."""

import re
from functools import cache

import nh3

ALLOWED_TAGS = frozenset(
    {"p", "a", "b", "i", "strong", "em", "mark", "s", "code", "br", "sup", "sub"}
    | {"ol", "ul", "li", "h2", "h3"}
)
# The schemes a link or source may have; otherwise only a path on the site ("/…", "#…").
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Browsers ignore tabs and newlines anywhere in an address, and spaces and control
# characters at its ends ("java\tscript:" is "javascript:").
_IGNORED_BY_BROWSERS = re.compile(r"[\t\n\r]")
_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def safe_url(url: str | None) -> str | None:
    """`url` (trimmed) if it is a site path or an http, https or mailto address; None
    for anything else (javascript:, data:, vbscript:, a path relative to the page, …)."""
    if not isinstance(url, str):
        return None
    cleaned = _IGNORED_BY_BROWSERS.sub("", url).strip(_CONTROL_OR_SPACE)
    if not cleaned:
        return None
    if cleaned.startswith(("/", "#")):
        return cleaned
    scheme = _SCHEME.match(cleaned)
    return cleaned if scheme and scheme.group(1).lower() in URL_SCHEMES else None


def clean_html(html: str, link_attributes: frozenset[str] = frozenset({"href"})) -> str:
    """Keep only ALLOWED_TAGS, and on links only `link_attributes`; drop scripts, styles,
    event handlers and links whose scheme is not in URL_SCHEMES (their text stays)."""
    clean = _cleaner(link_attributes).clean(html)
    return _BARE_LINK.sub(r"\1", clean) if "<a>" in clean else clean


@cache
def _cleaner(link_attributes: frozenset[str]) -> nh3.Cleaner:
    """nh3's cleaner for these rules, made once: a page has dozens of rich-text blocks, and
    making the rules again for each took twice as long as the cleaning."""
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={"a": set(link_attributes)},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
    )


# A link left with no attribute (its address was unsafe): its text stays, the link goes.
# nh3 writes `<a>` exactly so, and links cannot nest.
_BARE_LINK = re.compile(r"<a>(.*?)</a>", re.DOTALL)


def dropped_links(before: str, after: str) -> int:
    """How many links `clean_html` took out of `before` to give `after`."""
    return before.lower().count("<a ") + before.lower().count("<a>") - after.count("<a ")
