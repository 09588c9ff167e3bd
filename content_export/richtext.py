"""The HTML that rich text may hold, and the one function that cleans it: the importer, the
headless API and the site builder all pass rich text through `clean_html`, so nothing
executable reaches readers whichever way it came in."""

import nh3

ALLOWED_TAGS = frozenset(
    {"p", "a", "b", "i", "strong", "em", "code", "br", "sup", "sub", "ol", "ul", "li", "h2", "h3"}
)


def clean_html(html: str, link_attributes: frozenset[str] = frozenset({"href"})) -> str:
    """Keep only ALLOWED_TAGS, and on links only `link_attributes`; drop scripts, styles,
    event handlers and unsafe URL schemes."""
    return nh3.clean(
        html, tags=set(ALLOWED_TAGS), attributes={"a": set(link_attributes)}, link_rel=None
    )
