"""Find the organisations a page names in its “companies and organizations” passages.

The handbook names them in two ways: a sentence ending in “include:” followed by a list
whose items start with the name (“Daikin: A leading manufacturer…”), or a sentence such as
“…organizations include the A, the B, and the C.” Both are read here; nothing else is
guessed at.
"""

import re

from bs4 import BeautifulSoup

from .source import Node, OrganisationName

_INTRODUCES_ORGANISATIONS = re.compile(r"\b(compan(y|ies)|organi[sz]ations?)\b", re.IGNORECASE)
_INLINE_LIST = re.compile(
    r"\b(?:include|including|such as)\s+(?:the following:?\s*)?(.+?)(?:\.\s|\.?$)"
)
_ABBREVIATION = re.compile(r"^(?P<name>.+?)\s*\((?P<abbr>[A-Z][A-Za-z0-9&.\-]{1,15})\)$")
_MAX_NAME_WORDS = 10
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BULLETS = ("* ", "- ", "+ ")
_NAME_SEPARATOR = re.compile(r":\s+|\s+[-–—]\s+")


def organisations_in(body: list[Node]) -> list[OrganisationName]:
    found: list[OrganisationName] = []
    for section in body:
        if section.type != "section":
            continue
        content = section.data["content"]
        key = section.data["key"]
        for index, node in enumerate(content):
            if node.type != "paragraph":
                continue
            lead, *pseudo_items = _text(node.data["html"]).split("\n")
            sentence = _SENTENCE_END.split(lead.strip())[-1]
            if not _INTRODUCES_ORGANISATIONS.search(sentence):
                continue
            following = content[index + 1] if index + 1 < len(content) else None
            # “include:” followed by “* A” lines that Markdown left inside the paragraph
            items = [line.strip()[2:] for line in pseudo_items if line.strip()[:2] in _BULLETS]
            if not items and sentence.endswith(":") and following and following.type == "list":
                items = [_text(item) for item in following.data["items"]]
            if items:
                for item in items:
                    found += _from_list_item(item, key)
            elif match := _INLINE_LIST.search(sentence):
                found += _from_sentence(match.group(1), key)
    return found


def _from_list_item(text: str, section_key: str) -> list[OrganisationName]:
    name, _, note = _split_item(text)
    if not note and len(name.split()) > _MAX_NAME_WORDS:
        return []
    organisation = _organisation(name, section_key, note.strip())
    return [organisation] if organisation else []


def _split_item(text: str) -> tuple[str, str, str]:
    """“Daikin: A leading maker…” or “Daikin – a leading maker…” → name, separator, note."""
    parts = _NAME_SEPARATOR.split(text, maxsplit=1)
    return (parts[0], ":", parts[1]) if len(parts) == 2 else (text, "", "")


def _from_sentence(phrase: str, section_key: str) -> list[OrganisationName]:
    parts = [part.strip() for part in phrase.split(",")]
    if len(parts) == 1:
        return []  # “include Daikin and LG” is ambiguous with “Carbon Capture and Storage”
    parts[-1] = re.sub(r"^and\s+", "", parts[-1])
    names = [_organisation(part, section_key, "") for part in parts]
    return [name for name in names if name]


def _organisation(raw: str, section_key: str, note: str) -> OrganisationName | None:
    name = re.sub(r"^(?:the|The)\s+", "", raw.strip().rstrip("."))
    if not name or not name[0].isupper() or len(name.split()) > _MAX_NAME_WORDS:
        return None
    abbreviation = ""
    if match := _ABBREVIATION.match(name):
        name, abbreviation = match.group("name"), match.group("abbr")
    return OrganisationName(name, abbreviation, section_key, note)


def _text(html: str) -> str:
    """Plain text with the source's line breaks kept (they mark unrendered bullet lines)."""
    return BeautifulSoup(html, "html.parser").get_text().strip()
