"""The shape of what the headless API gives, checked before anything is written.

A malformed or unexpected answer is an error that names the page and the field, so the
site builder never meets it. Extra fields are allowed (the API may grow); missing or
mistyped ones are not.
"""

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

SCHEMA_VERSION = 4

# A path on the public site: no "." or ".." segment, nothing a web server or its
# configuration would read as syntax (quotes, "$", braces, ";", backslashes, whitespace).
_UNSAFE_IN_PATH = re.compile(r'[\x00-\x20\x7f"\'$;{}\\<>`]')


def site_path(path: str) -> str:
    """`path` if it is a safe absolute path on the site; ValueError saying why if not."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"{path!r} is not a path on the site (it must start with one /)")
    if _UNSAFE_IN_PATH.search(path) or "?" in path or "#" in path:
        raise ValueError(f"{path!r} holds characters a site path may not")
    if any(segment in (".", "..") for segment in path.split("/")):
        raise ValueError(f"{path!r} has a . or .. segment")
    if len(path) > 400:
        raise ValueError(f"{path[:40]!r}… is longer than 400 characters")
    return path


def redirect_target(target: str) -> str:
    """A site path, or an http(s) address elsewhere."""
    if target.startswith("/"):
        return site_path(target)
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{target!r} is neither a site path nor an http(s) address")
    if _UNSAFE_IN_PATH.search(target):
        raise ValueError(f"{target!r} holds characters an address may not")
    return target


class Model(BaseModel):
    model_config = ConfigDict(extra="allow")


def page_url(url: str) -> str:
    """A page's address: http(s), with a safe path that ends in "/" (the page's folder)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) address")
    if not site_path(parts.path).endswith("/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r}: a page's address is a folder, ending in /")
    return url


class Meta(Model):
    type: str
    html_url: Annotated[str, AfterValidator(page_url)]
    slug: str
    first_published_at: datetime | None = None
    last_published_at: datetime | None = None


class Rendition(Model):
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    url: str
    file: str | None = None  # set by the exporter: the downloaded copy in the snapshot


class ImageData(Model):
    id: int
    title: str
    alt: str
    width: int
    height: int
    renditions: list[Rendition] = Field(min_length=1)


class Cover(Model):
    image: ImageData | None
    alt: str
    caption: str
    remote_url: str


class PageRef(Model):
    id: int
    title: str
    url: str


class SectorRef(PageRef):
    is_primary: bool


class Source(Model):
    id: int
    title: str
    publisher: str
    url: str
    year: int | None


class Metric(Model):
    label: str
    value: str
    value_max: str | None
    unit: str
    period: str
    source: Source | None
    sourced: bool


class OrganisationMention(Model):
    id: int
    name: str
    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    abbreviation: str
    kind: str
    website: str
    section: str
    role: str
    note: str


class Reference(Source):
    note: str


BlockType = Literal[
    "section",
    "callout",
    "paragraph",
    "subheading",
    "list",
    "definitions",
    "figure",
    "table",
    "quote",
    "video",
]


class Block(Model):
    type: BlockType
    value: Any
    id: str | None = None


class Section(Model):
    key: str
    heading: str
    anchor: str
    content: list[Block]


class Figure(Model):
    image: ImageData
    alt: str
    caption: str


class BasePage(Model):
    id: int
    title: str
    meta: Meta


class HomePage(BasePage):
    intro: str


class ContentPage(BasePage):
    body: str


class IndexPage(BasePage):
    intro: str


class HandbookPage(BasePage):
    summary: str
    body: list[Block]
    editorial_status: str


class SectorPage(HandbookPage):
    icon: str
    metrics: list[Metric]
    solution_order: list[int]  # solution ids, in the order the sector's editor gave


class SolutionPage(HandbookPage):
    cover: Cover | None
    sectors: list[SectorRef]
    tags: list[str]
    organisations: list[OrganisationMention]
    metrics: list[Metric]
    references: list[Reference]
    related_solutions: list[PageRef]


class GlossaryTerm(Model):
    term: str
    slug: str = Field(pattern=r"^[-a-zA-Z0-9_]+$")  # an anchor of the glossary page
    definition: str
    synonyms: list[str]


class GlossaryPage(BasePage):
    intro: str
    terms: list[GlossaryTerm]


PAGE_TYPES: dict[str, type[BasePage]] = {
    "home.HomePage": HomePage,
    "home.ContentPage": ContentPage,
    "solutions.SolutionIndexPage": IndexPage,
    "solutions.SectorIndexPage": IndexPage,
    "solutions.SectorPage": SectorPage,
    "solutions.SolutionPage": SolutionPage,
    "glossary.GlossaryPage": GlossaryPage,
}


class Redirect(Model):
    """A redirect of the public site: an old path to a live page (by id) or to an address."""

    old_path: Annotated[str, AfterValidator(site_path)]
    page: int | None
    link: Annotated[str, AfterValidator(redirect_target)] | None
    permanent: bool


class InvalidPage(ValueError):
    pass


def validate_redirects(data: Any) -> list[dict]:
    """The API's redirects, checked; ValueError naming the redirect and the field."""
    if not isinstance(data, list):
        raise ValueError(f"redirects: not a list: {str(data)[:80]}")
    found = []
    for index, item in enumerate(data):
        try:
            redirect = Redirect.model_validate(item)
        except ValidationError as error:
            field, message = first_problem(error)
            old = item.get("old_path") if isinstance(item, dict) else None
            raise ValueError(f"redirect {index} ({old!r}): field {field}: {message}") from None
        if (redirect.page is None) == (redirect.link is None):
            raise ValueError(f"redirect {index} ({redirect.old_path}): give a page or a link")
        found.append(redirect.model_dump(include={"old_path", "page", "link", "permanent"}))
    return found


def validate_page(data: Any) -> BasePage:
    """Check one page from the API; raise InvalidPage naming the page and the field."""
    if not isinstance(data, dict):
        raise InvalidPage(f"a page is not a JSON object: {str(data)[:80]}")
    label = f"page {data.get('id', '?')}"
    if isinstance(data.get("meta"), dict) and data["meta"].get("html_url"):
        label += f" ({data['meta']['html_url']})"
    page_type = (data.get("meta") or {}).get("type") if isinstance(data.get("meta"), dict) else None
    model = PAGE_TYPES.get(page_type)
    if model is None:
        raise InvalidPage(f"{label}: field meta.type: unknown page type {page_type!r}")
    try:
        page = model.model_validate(data)
        if isinstance(page, HandbookPage):
            for index, block in enumerate(page.body):
                _validate_block(block, f"body.{index}")
    except ValidationError as error:
        field, message = first_problem(error)
        raise InvalidPage(f"{label}: field {field}: {message}") from None
    except InvalidPage as error:
        raise InvalidPage(f"{label}: {error}") from None
    return page


def _validate_block(block: Block, where: str) -> None:
    try:
        if block.type == "section":
            section = Section.model_validate(block.value)
            for index, child in enumerate(section.content):
                _validate_block(child, f"{where}.value.content.{index}")
        elif block.type == "figure":
            Figure.model_validate(block.value)
    except ValidationError as error:
        field, message = first_problem(error)
        raise InvalidPage(f"field {where}.value.{field}: {message}") from None


def first_problem(error: ValidationError) -> tuple[str, str]:
    """The first problem pydantic found: where (dotted, "" for the whole) and what."""
    first = error.errors()[0]
    return ".".join(str(part) for part in first["loc"]), first["msg"]
