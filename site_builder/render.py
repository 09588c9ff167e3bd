"""What each page of the site is made of: template, title and context. Shared by the full
build (the Pelican plugin) and the preview renderer, so an editor's preview is rendered
exactly as the build would render it."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import nh3
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from pelican.settings import DEFAULT_CONFIG

from .content import SiteContent, slugify

ALLOWED_TAGS = {"p", "a", "b", "i", "strong", "em", "code", "br", "sup", "sub", "ol", "ul", "li", "h2", "h3"}  # fmt: skip
ASSETS = (("css", "site.css"), ("filter_js", "filter.js"), ("search_js", "search.js"))
RECENT = 20
TEMPLATES = {
    "home.HomePage": ("home", None),
    "home.ContentPage": ("content_page", None),
    "solutions.SolutionIndexPage": ("solution_index", "solutions"),
    "solutions.SectorIndexPage": ("sector_index", "sectors"),
    "solutions.SectorPage": ("sector", "sectors"),
    "solutions.SolutionPage": ("solution", "solutions"),
}


def html(value: str | None, inline: bool = False) -> Markup:
    """Content HTML, sanitised once more here: nothing executable reaches a reader."""
    clean = nh3.clean(value or "", tags=ALLOWED_TAGS, attributes={"a": {"href"}}, link_rel=None)
    if inline and clean.startswith("<p>") and clean.endswith("</p>") and clean.count("<p>") == 1:
        clean = clean[3:-4]
    return Markup(clean)


def media_url(file: str) -> str:
    """Where a snapshot image is served; a preview's new image stays on the CMS."""
    if file.startswith(("http://", "https://")):
        return file
    return "/media/" + PurePosixPath(file).name


def human_date(value: str) -> str:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%-d %B %Y")


FILTERS = {"html": html, "media_url": media_url, "date": human_date, "slug": slugify}


def environment(theme: Path) -> Environment:
    """A Jinja environment like the one Pelican gives its generators."""
    env = Environment(
        loader=FileSystemLoader(str(Path(theme) / "templates")),
        **DEFAULT_CONFIG["JINJA_ENVIRONMENT"],
    )
    env.filters.update(FILTERS)
    return env


def assets(theme: Path) -> dict[str, tuple[str, bytes]]:
    """Theme files under names that carry their content hash (cacheable forever)."""
    static = Path(theme) / "static"
    found = {}
    for key, name in ASSETS:
        data = (static / name).read_bytes()
        stem, suffix = name.rsplit(".", 1)
        found[key] = (f"/assets/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{suffix}", data)
    return found


@dataclass
class Output:
    url: str
    template: str
    title: str
    context: dict
    in_sitemap: bool = True

    @property
    def save_as(self) -> str:
        path = self.url.lstrip("/")
        return path + "index.html" if self.url.endswith("/") else path


class SiteRenderer:
    def __init__(self, content: SiteContent, settings: dict, theme: Path):
        self.content, self.settings, self.theme = content, settings, Path(theme)
        self.recent = sorted(
            (s for s in content.solutions if s.get("last_published_at")),
            key=lambda s: s["last_published_at"],
            reverse=True,
        )[:RECENT]

    def global_context(self) -> dict:
        return {
            "SITENAME": self.settings["SITENAME"],
            "SITEURL": self.settings["SITEURL"],
            "SITE_DESCRIPTION": self.settings["SITE_DESCRIPTION"],
            "assets": {key: url for key, (url, _) in assets(self.theme).items()},
            "solutions": self.content.solutions,
            "sectors": self.content.sectors,
            "organisations": self.content.organisations,
        }

    def outputs(self) -> Iterator[Output]:
        for page in self.content.pages:
            yield self.page(page)
        yield Output("/organisations/", "organisation_index", "Organisations", {"section": "organisations"})  # fmt: skip
        for organisation in self.content.organisations:
            yield Output(
                organisation.url, "organisation", organisation.name,
                {"organisation": organisation, "section": "organisations",
                 "description": f"Where the catalogue names {organisation.name}."},
            )  # fmt: skip
        for tag in self.content.tags:
            yield Output(tag.url, "tag", f"Tagged {tag.name}", {"tag": tag})
        yield Output("/search/", "search", "Search", {"section": "search"})
        yield Output("/404.html", "404", "Page not found", {}, in_sitemap=False)

    def page(self, page: dict) -> Output:
        template, section = TEMPLATES[page["type"]]
        cover = (page.get("cover") or {}).get("image")
        context = {
            "page": page,
            "section": section,
            "description": page.get("summary", ""),
            "og_image": media_url(cover["renditions"][-1]["file"]) if cover else None,
            "json_ld": self.json_ld(page),
        }
        if page["type"] == "home.HomePage":
            context["recent"] = self.recent[:6]
        return Output(page["url"], template, page["title"], context)

    def render(self, env: Environment, output: Output) -> str:
        """Render one output the way Pelican's writer does (global context, then its own)."""
        context = {**self.global_context(), **self.local_context(output)}
        return env.get_template(output.template + ".html").render(context)

    @staticmethod
    def local_context(output: Output) -> dict:
        json_ld = {"@context": "https://schema.org", "@type": "WebPage", "name": output.title}
        return {"json_ld": json_ld, **output.context, "title": output.title, "page_url": output.url}  # fmt: skip

    def json_ld(self, page: dict) -> dict:
        url = self.settings["SITEURL"] + page["url"]
        if page["type"] != "solutions.SolutionPage":
            return {"@context": "https://schema.org", "@type": "WebPage", "name": page["title"], "url": url}  # fmt: skip
        data = {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": page["title"],
            "description": page.get("summary", ""),
            "url": url,
            "datePublished": page["meta"].get("first_published_at"),
            "dateModified": page.get("last_published_at"),
            "about": [s["title"] for s in page.get("sector_pages", [])],
        }
        cover = (page.get("cover") or {}).get("image")
        if cover:
            data["image"] = self.settings["SITEURL"] + media_url(cover["renditions"][-1]["file"])
        return data
