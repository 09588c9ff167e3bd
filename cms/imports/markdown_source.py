"""Read one handbook page (MkDocs-Material Markdown) into a plain structure.

No Django here: this module only understands the file. It renders the Markdown with
Python-Markdown and the extensions the handbook's MkDocs site enabled (footnotes, definition
lists, `???` details, ==marks==, tabs, task lists…), then walks the HTML into sections and
blocks. Line numbers come from scanning the source, so every problem names its file and line.
"""

import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import markdown
import yaml
from bs4 import BeautifulSoup, NavigableString, Tag
from django.utils.text import slugify

from cms.solutions.vocabulary import CALLOUT_KINDS, SECTION_KEY_BY_HEADING

from .organisations import organisations_in
from .source import ImportProblem, Node, SectorMetricValue, SourceImage, SourceLink, SourcePage

KNOWN_CALLOUTS = {kind for kind, _ in CALLOUT_KINDS}
SECTOR_SOLUTIONS_HEADING = "solutions in this sector"
NOTES_HEADING = "Notes"  # the section that footnotes become

# The Markdown dialect of the handbook (its mkdocs.yml), minus what only draws the page
# (emoji, highlighting, maths).
MARKDOWN_EXTENSIONS = [
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "tables",
    "pymdownx.betterem",
    "pymdownx.caret",
    "pymdownx.details",
    "pymdownx.keys",
    "pymdownx.mark",
    "pymdownx.smartsymbols",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.tasklist",
    "pymdownx.tilde",
]
MARKDOWN_SETTINGS = {"pymdownx.tabbed": {"alternate_style": True}}


def markdown_to_html(text: str) -> str:
    """Markdown of the handbook's dialect → HTML."""
    return markdown.markdown(
        text, extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_SETTINGS
    )


_LIST_ITEM = re.compile(r"^[ \t]*(?:[*+-]|\d+[.)])[ \t]+\S")
_ADMONITION = re.compile(r"^(!!!|\?\?\?\+?)[ \t]+([\w-]+)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_EMPTY_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*\)")
# (an address may hold balanced parentheses, as Markdown allows: "javascript:alert(1)")
_LINK = re.compile(
    r"(?<!!)\[([^\]]*)\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))+)>?(?:\s+\"[^\"]*\")?\s*\)"
)
_HREF = re.compile(r"""(?:href|src)=["']([^"']+)["']""")
_ICON_SHORTCODE = re.compile(r":[a-z]+(?:-[a-z0-9]+)+:(?:\{[^}]*\})?[ \t]*")
_CARBON_BUDGET = re.compile(
    r"^\W*([\d.]+)\W*(?:[–-]\W*([\d.]+))?\W*Gigatons will be saved from our carbon budget",
    re.IGNORECASE,
)


def page_kind(path: Path) -> str | None:
    """“sector” for sector-*.md, “solution” for any other Markdown file (the seed page has
    no prefix), None for anything else."""
    if path.suffix != ".md":
        return None
    return "sector" if path.name.startswith("sector-") else "solution"


def read_page(path: Path, docs_root: Path | None = None) -> SourcePage:
    """Parse one solution-*.md or sector-*.md file, or raise ImportProblem."""
    kind = page_kind(path)
    if kind is None:
        raise ImportProblem(path, 1, "is not a Markdown (.md) page")
    text = decode(path, path.read_bytes())
    front_matter, body_text, body_line = _split_front_matter(path, text)
    title = str(front_matter.get("title") or "").strip()
    if not title:
        raise ImportProblem(path, 2, "front matter has no “title:”")

    page = SourcePage(
        path=path,
        kind=kind,
        slug=path.stem.removeprefix(f"{kind}-"),
        title=title,
        markdown=text,
        front_matter=front_matter,
        icon=str(front_matter.get("icon") or "").rsplit("/", 1)[-1],
    )
    body_text = _scan_source(page, body_text, body_line, docs_root or path.parent)
    _HtmlWalker(page).walk(BeautifulSoup(markdown_to_html(body_text), "html.parser"))
    page.summary = _summary(page.body)
    return page


def as_wagtail_tags(soup: BeautifulSoup) -> BeautifulSoup:
    """Wagtail's rich text says <b>, <i> and <s> where Markdown says <strong>, <em> and
    <del>; it has no <ins> (^^text^^): its text stays."""
    for tag, replacement in (("strong", "b"), ("em", "i"), ("del", "s")):
        for element in soup.find_all(tag):
            element.name = replacement
    for element in soup.find_all("ins"):
        element.unwrap()
    return soup


def decode(path: Path, raw: bytes) -> str:
    """The text of a source file, or ImportProblem naming the line that is not UTF-8."""
    try:
        return raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise ImportProblem(
            path,
            line,
            f"is not valid UTF-8 (byte 0x{raw[error.start]:02x} at column {column}); "
            "save the file as UTF-8 and import it again",
        ) from None


def _split_front_matter(path: Path, text: str) -> tuple[dict, str, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ImportProblem(
            path, 1, "has no front matter: start the file with “---”, “title: …”, “---”"
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ImportProblem(path, 1, "front matter is not closed by a “---” line") from None
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        reason = getattr(error, "problem", None) or "is not valid YAML"
        raise ImportProblem(path, line, f"front matter is not valid YAML: {reason}") from None
    if not isinstance(data, dict):
        raise ImportProblem(path, 2, "front matter must be “key: value” lines")
    front_matter = {str(key).lower(): value for key, value in data.items()}
    return front_matter, "\n".join(lines[end + 1 :]), end + 2


def _scan_source(page: SourcePage, body_text: str, first_line: int, docs_root: Path) -> str:
    """Check admonitions and images, record links with their lines, and normalise the
    Markdown for Python-Markdown (lists right after a paragraph, icon shortcodes)."""
    out = []
    in_list = False
    for offset, line in enumerate(body_text.split("\n")):
        number = first_line + offset
        if _LIST_ITEM.match(line) and not in_list and out and _is_paragraph_line(out[-1]):
            # CommonMark starts a list here; Python-Markdown wants a blank line first
            out.append("")
            page.notices.append(
                (number, "A list right after a paragraph (no blank line): imported as a list")
            )
        in_list = bool(line.strip()) and (in_list or bool(_LIST_ITEM.match(line)))
        if match := _ADMONITION.match(line):
            kind = match.group(2)
            if kind not in KNOWN_CALLOUTS:
                raise ImportProblem(
                    page.path,
                    number,
                    f"unknown admonition “{kind}”; use one of {', '.join(sorted(KNOWN_CALLOUTS))}",
                )
        for match in _IMAGE.finditer(line):
            alt, src = match.groups()
            page.images[src] = SourceImage(
                src, alt, _image_path(page, src, docs_root, number), number
            )
        for match in _EMPTY_IMAGE.finditer(line):
            page.notices.append(
                (number, f"Image “{match.group(1)}” has no file; add one in the CMS")
            )
        for match in _LINK.finditer(line):
            page.links.append(SourceLink(match.group(2), match.group(1), number))
        for match in _HREF.finditer(line):
            page.links.append(SourceLink(match.group(1), "", number))
        out.append(_ICON_SHORTCODE.sub("", line))
    return "\n".join(out)


def _is_paragraph_line(line: str) -> bool:
    """A line of running text (not blank, a heading, a table row, a block's marker or HTML)."""
    text = line.strip()
    return bool(text) and not text.startswith(
        ("#", "|", "!!!", "???", "===", "<", "---", "```", ":", "*[", "[^")
    )


def _image_path(page: SourcePage, src: str, docs_root: Path, line: int) -> Path | None:
    if urlsplit(src).scheme in ("http", "https"):
        return None
    relative = PurePosixPath(src)
    path = (
        (docs_root / str(relative).lstrip("/"))
        if relative.is_absolute()
        else page.path.parent / relative
    )
    if not path.is_file():
        raise ImportProblem(page.path, line, f"image “{src}” not found (looked for {path})")
    return path


def is_relative_link(href: str) -> bool:
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and not href.startswith(("#", "mailto:"))


class _HtmlWalker:
    """Turns the rendered HTML into the page's cover, body nodes, organisations and links."""

    def __init__(self, page: SourcePage):
        self.page = page
        self.section: Node | None = None
        self.previous: Node | None = None

    def walk(self, soup: BeautifulSoup) -> None:
        _as_plain_markup(soup)
        for element in list(soup.children):
            self.top_level(element)
        if self.page.kind == "solution":
            self.page.organisations = organisations_in(self.page.body)

    # --- top level --------------------------------------------------------------------
    def top_level(self, element) -> None:
        if isinstance(element, NavigableString):
            if _has_words(element):
                self.add(Node("paragraph", {"html": str(element).strip()}))
            return
        name = element.name
        if name == "h1" or name == "hr":
            return
        if name == "h2":
            self.start_section(element.get_text(" ", strip=True))
        elif name in ("h3", "h4", "h5", "h6"):
            self.add(Node("subheading", {"text": element.get_text(" ", strip=True)}))
        elif name == "p":
            self.paragraph(element)
        elif name in ("ol", "ul"):
            self.list(element)
        elif name == "div" and "admonition" in element.get("class", []):
            self.callout(element)
        elif name == "details":
            self.callout(element, collapsible=True)
        elif name == "dl":
            self.definitions(element)
        elif name == "div" and "tabbed-set" in element.get("class", []):
            self.tabs(element)
        elif name == "div" and "footnote" in element.get("class", []):
            self.start_section(NOTES_HEADING)
            for child in list(element.children):
                self.top_level(child)
        elif name == "div":
            for child in list(element.children):
                self.top_level(child)
        elif name == "blockquote":
            self.add(Node("quote", {"text": _inner(element), "attribution": ""}))
        elif name == "table":
            self.table(element)
        elif name == "iframe":
            self.add(
                Node("video", {"url": element.get("src", ""), "title": element.get("title", "")})
            )
        else:
            self.add(Node("paragraph", {"html": str(element)}))

    def start_section(self, heading: str) -> None:
        key = SECTION_KEY_BY_HEADING.get(heading.lower(), "other")
        self.section = Node(
            "section",
            {"key": key, "heading": heading, "anchor": slugify(heading), "content": []},
        )
        self.previous = None
        if self.is_sector_solution_list():
            return  # the sector's solution list becomes sector links, not body text
        self.page.body.append(self.section)

    def is_sector_solution_list(self) -> bool:
        return (
            self.page.kind == "sector"
            and self.section is not None
            and self.section.data["heading"].lower() == SECTOR_SOLUTIONS_HEADING
        )

    def add(self, node: Node) -> None:
        if self.section is not None and not self.is_sector_solution_list():
            self.section.data["content"].append(node)
        else:
            self.page.body.append(node)
        self.previous = node

    # --- blocks ---------------------------------------------------------------------
    def paragraph(self, element: Tag) -> None:
        children = [
            c for c in element.children if not (isinstance(c, NavigableString) and not c.strip())
        ]
        first = getattr(children[0], "name", None) if children else None
        if first == "img":
            # “![Cover](…)” alone, or followed on the next line by its credit
            self.image(children[0].extract())
            if _has_words(element.get_text()):
                self.caption(_inner(element))
        elif first == "em" and self.previous_is_media() and len(children) <= 3:
            self.caption(_inner(children[0]) if len(children) == 1 else _inner(element))
        elif first == "em" and len(children) == 1 and self.is_cover_credit(element.get_text()):
            self.page.cover_caption = _inner(children[0])
        elif _has_words(element.get_text()):
            self.add(Node("paragraph", {"html": _inner(element)}))
        # a paragraph of bare punctuation (MkDocs placeholders such as " -") carries nothing

    def previous_is_media(self) -> bool:
        if self.previous is None:
            return (
                self.section is None and self.page.cover is not None and not self.page.cover_caption
            )
        return self.previous.type in ("figure", "video") and not self.previous.data.get("caption")

    def is_cover_credit(self, text: str) -> bool:
        """“_Image from …_” before the first section, with a callout between it and the cover:
        the cover's credit, not the page's first words."""
        return (
            self.section is None
            and self.page.cover is not None
            and not self.page.cover_caption
            and _CREDIT.match(text.strip()) is not None
        )

    def caption(self, html: str) -> None:
        if self.previous is None:
            self.page.cover_caption = html
        else:
            self.previous.data["caption"] = html

    def image(self, element: Tag) -> None:
        image = self.page.images.get(element.get("src", ""))
        if image is None:  # “![Cover]()”: reported by _scan_source, nothing to show
            return
        if self.section is None and self.page.cover is None and not self.page.body:
            self.page.cover = image
            self.previous = None
            return
        self.add(Node("figure", {"image": image, "alt": image.alt, "caption": ""}))

    def list(self, element: Tag) -> None:
        items = [_item_html(li) for li in element.find_all("li", recursive=False)]
        items = [item for item in items if item]  # MkDocs placeholder items (" -") are empty
        if self.is_sector_solution_list():
            self.solution_links(element)
            return
        if self.page.kind == "sector":
            self.sector_metrics(element)
        if items:
            self.add(Node("list", {"ordered": element.name == "ol", "items": items}))

    def solution_links(self, element: Tag) -> None:
        for anchor in element.find_all("a"):
            href, text = anchor.get("href", ""), anchor.get_text(strip=True)
            line = next(
                (link.line for link in self.page.links if text and link.text == text),
                next((link.line for link in self.page.links if link.href == href), 1),
            )
            self.page.solution_links.append(SourceLink(href, text, line))

    def sector_metrics(self, element: Tag) -> None:
        for li in element.find_all("li", recursive=False):
            if match := _CARBON_BUDGET.match(li.get_text(" ", strip=True)):
                value, value_max = match.groups()
                self.page.metrics.append(
                    SectorMetricValue(
                        "Emissions avoided or removed (carbon budget saved)",
                        value.strip("."),
                        value_max.strip(".") if value_max else None,
                        "Gt CO₂e",
                    )
                )

    def callout(self, element: Tag, collapsible: bool = False) -> None:
        """`!!! kind "Title"` (a div) or `??? kind "Title"` (details, folded)."""
        kind = next(c for c in element["class"] if c != "admonition")
        title = element.find("summary", recursive=False) or element.find(
            "p", class_="admonition-title", recursive=False
        )
        if title is not None:
            title.extract()
        self.add(
            Node(
                "callout",
                {
                    "kind": kind,
                    "title": _inner(title) if title is not None else "",
                    "body": element.decode_contents().strip(),
                    "collapsible": collapsible,
                },
            )
        )

    def definitions(self, element: Tag) -> None:
        """A definition list (“Term” then “:   what it means”): terms with their meanings."""
        items = []
        for term in element.find_all("dt", recursive=False):
            meanings = []
            for sibling in term.find_next_siblings(["dt", "dd"]):
                if sibling.name == "dt":
                    break
                meanings.append(_item_html(sibling))
            items.append({"term": term.get_text(" ", strip=True), "definition": " ".join(meanings)})
        if items:
            self.add(Node("definitions", {"items": items}))

    def tabs(self, element: Tag) -> None:
        """Content tabs (=== "Label"): on a page that is read, not clicked, each tab is a
        subheading followed by its content."""
        labels = element.select(".tabbed-labels > label")
        blocks = element.select(".tabbed-content > .tabbed-block")
        for label, block in zip(labels, blocks, strict=False):
            self.add(Node("subheading", {"text": label.get_text(" ", strip=True)}))
            for child in list(block.children):
                self.top_level(child)

    def table(self, element: Tag) -> None:
        rows = element.find_all("tr")
        header = [_inner(cell) for cell in rows[0].find_all(["th", "td"])] if rows else []
        body = [[_inner(cell) for cell in row.find_all(["th", "td"])] for row in rows[1:]]
        self.add(Node("table", {"caption": "", "header": header, "rows": body}))


_CREDIT = re.compile(r"(image|photo|picture|illustration)s?\b|credit", re.IGNORECASE)


def _as_plain_markup(soup: BeautifulSoup) -> None:
    """What the extensions add for MkDocs's scripts and styles, made plain: footnote
    references link to the Notes section (without the “↩” links back), task-list boxes
    become ☑ and ☐, and a keyboard shortcut (++ctrl+c++) is code: “Ctrl+C”."""
    for backref in soup.select("a.footnote-backref"):
        backref.decompose()
    for ref in soup.select("a.footnote-ref"):
        ref.attrs = {"href": "#" + slugify(NOTES_HEADING)}
    for box in soup.select("li.task-list-item > input[type=checkbox]"):
        box.replace_with("☑" if box.has_attr("checked") else "☐")  # the text has its space
    for keys in soup.select("span.keys"):
        code = soup.new_tag("code")
        code.string = keys.get_text()
        keys.replace_with(code)


def _has_words(text: str) -> bool:
    return any(character.isalnum() for character in text)


def _inner(element: Tag) -> str:
    return element.decode_contents().strip()


def _item_html(li: Tag) -> str:
    children = [c for c in li.children if not (isinstance(c, NavigableString) and not c.strip())]
    if len(children) == 1 and getattr(children[0], "name", None) == "p":
        return _inner(children[0])
    return _inner(li)


def _summary(body: list[Node], limit: int = 300) -> str:
    """The first sentences of the first paragraph, for listings and search."""
    for node in body:
        nodes = node.data["content"] if node.type == "section" else [node]
        for child in nodes:
            if child.type == "paragraph":
                text = BeautifulSoup(child.data["html"], "html.parser").get_text(" ", strip=True)
                if len(text) <= limit:
                    return text
                cut = text[:limit].rsplit(". ", 1)[0]
                return cut + "." if len(cut) > 40 else text[: limit - 1] + "…"
    return ""
