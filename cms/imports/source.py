"""A handbook page as the importer reads it: plain data, and the problem that names the file
and line where reading it failed."""

from dataclasses import dataclass, field
from pathlib import Path


class ImportProblem(Exception):
    """A problem in one source file, with the line it is on."""

    def __init__(self, path: Path, line: int, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class SourceLink:
    href: str
    text: str
    line: int


@dataclass
class SourceImage:
    src: str
    alt: str
    path: Path | None  # None for a picture on another site (downloaded at import)
    line: int

    @property
    def is_remote(self) -> bool:
        return self.path is None


@dataclass
class Node:
    """One block: type is a BodyBlock / SectionContentBlock name; data is its fields."""

    type: str
    data: dict


@dataclass
class OrganisationName:
    name: str
    abbreviation: str
    section_key: str
    note: str


@dataclass
class SectorMetricValue:
    label: str
    value: str
    value_max: str | None
    unit: str


@dataclass
class SourcePage:
    path: Path
    kind: str  # "solution" or "sector"
    slug: str
    title: str
    markdown: str
    front_matter: dict
    cover: SourceImage | None = None
    cover_caption: str = ""
    body: list[Node] = field(default_factory=list)
    summary: str = ""
    icon: str = ""
    images: dict[str, SourceImage] = field(default_factory=dict)
    links: list[SourceLink] = field(default_factory=list)
    solution_links: list[SourceLink] = field(default_factory=list)
    organisations: list[OrganisationName] = field(default_factory=list)
    metrics: list[SectorMetricValue] = field(default_factory=list)
    # (line, message) for things an editor should fix that do not stop the import
    notices: list[tuple[int, str]] = field(default_factory=list)

    @property
    def mkdocs_url(self) -> str:
        """The URL MkDocs gave this page; relative links in it are relative to this."""
        return f"/{self.path.stem}/"
