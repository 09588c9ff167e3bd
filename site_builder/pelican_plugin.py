"""Pelican plugin that renders the content snapshot with the theme.

It registers one generator (Pelican's `get_generators` signal). The snapshot already holds
final HTML, so nothing is read through Markdown: the generator loads the snapshot, derives
the listings (sectors, organisations, tags) and writes every page with Pelican's writer
and Jinja environment, plus the feed, sitemap, robots.txt and fingerprinted assets.
"""

import hashlib
from datetime import datetime
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

import feedgenerator
import nh3
from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator

from .content import SiteContent, load, slugify

ALLOWED_TAGS = {"p", "a", "b", "i", "strong", "em", "code", "br", "sup", "sub", "ol", "ul", "li", "h2", "h3"}  # fmt: skip
RECENT = 20


def html(value: str | None, inline: bool = False) -> Markup:
    """Content HTML, sanitised once more here: nothing executable reaches a reader."""
    clean = nh3.clean(value or "", tags=ALLOWED_TAGS, attributes={"a": {"href"}}, link_rel=None)
    if inline and clean.startswith("<p>") and clean.endswith("</p>") and clean.count("<p>") == 1:
        clean = clean[3:-4]
    return Markup(clean)


def media_url(file: str) -> str:
    return "/media/" + PurePosixPath(file).name


def human_date(value: str) -> str:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%-d %B %Y")


def save_as(url: str) -> str:
    path = url.lstrip("/")
    return path + "index.html" if url.endswith("/") else path


class SnapshotGenerator(Generator):
    def generate_context(self):
        self.content: SiteContent = load(Path(self.settings["SNAPSHOT_PATH"]))
        self.env.filters.update(html=html, media_url=media_url, date=human_date, slug=slugify)
        self.urls: list[str] = []

    def generate_output(self, writer):
        content = self.content
        solutions = content.solutions
        self.recent = recent = sorted(
            (s for s in solutions if s.get("last_published_at")),
            key=lambda s: s["last_published_at"],
            reverse=True,
        )[:RECENT]
        self.context.update(
            SITE_DESCRIPTION=self.settings["SITE_DESCRIPTION"],
            assets=self.write_assets(),
            solutions=solutions,
            sectors=content.sectors,
            organisations=content.organisations,
        )
        for page in content.pages:
            self.write_page(writer, page)
        self.write(writer, "/organisations/", "organisation_index", "Organisations", section="organisations")  # fmt: skip
        for organisation in content.organisations:
            self.write(
                writer, organisation.url, "organisation", organisation.name,
                description=f"Where the catalogue names {organisation.name}.",
                organisation=organisation, section="organisations",
            )  # fmt: skip
        for tag in content.tags:
            self.write(writer, tag.url, "tag", f"Tagged {tag.name}", tag=tag)
        self.write(writer, "/search/", "search", "Search", section="search")
        self.write(writer, "/404.html", "404", "Page not found", sitemap=False)
        self.write_feed(recent)
        self.write_text("sitemap.xml", self.sitemap())
        self.write_text("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {self.settings['SITEURL']}/sitemap.xml\n")  # fmt: skip

    # --- pages -----------------------------------------------------------------------
    def write_page(self, writer, page: dict) -> None:
        kind = page["type"]
        template, extra = {
            "home.HomePage": ("home", {}),
            "home.ContentPage": ("content_page", {}),
            "solutions.SolutionIndexPage": ("solution_index", {"section": "solutions"}),
            "solutions.SectorIndexPage": ("sector_index", {"section": "sectors"}),
            "solutions.SectorPage": ("sector", {"section": "sectors"}),
            "solutions.SolutionPage": ("solution", {"section": "solutions"}),
        }[kind]
        if kind == "home.HomePage":
            extra["recent"] = self.recent[:6]
        cover = (page.get("cover") or {}).get("image")
        og_image = media_url(cover["renditions"][-1]["file"]) if cover else None
        json_ld = self.json_ld(page)
        self.write(
            writer, page["url"], template, page["title"], page=page,
            description=page.get("summary", ""), og_image=og_image, json_ld=json_ld, **extra,
        )  # fmt: skip

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

    def write(self, writer, url: str, template: str, title: str, sitemap: bool = True, **context):
        context.setdefault("json_ld", {"@context": "https://schema.org", "@type": "WebPage", "name": title})  # fmt: skip
        writer.write_file(
            save_as(url), self.get_template(template), self.context,
            title=title, page_url=url, **context,
        )  # fmt: skip
        if sitemap:
            self.urls.append(url)

    # --- other files -----------------------------------------------------------------
    def write_assets(self) -> dict[str, str]:
        """Copy the theme's CSS and JS with their content hash in the name (cache forever)."""
        static = Path(self.theme) / "static"
        assets = {}
        for key, name in (("css", "site.css"), ("filter_js", "filter.js"), ("search_js", "search.js")):  # fmt: skip
            data = (static / name).read_bytes()
            stem, suffix = name.rsplit(".", 1)
            hashed = f"assets/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{suffix}"
            self.write_bytes(hashed, data)
            assets[key] = "/" + hashed
        self.write_bytes("favicon.svg", (static / "favicon.svg").read_bytes())
        return assets

    def write_feed(self, recent: list[dict]) -> None:
        site = self.settings["SITEURL"]
        feed = feedgenerator.Atom1Feed(
            title=f"{self.settings['SITENAME']}: recently updated solutions",
            link=site + "/",
            feed_url=site + "/feed.xml",
            description=self.settings["SITE_DESCRIPTION"],
        )
        for solution in recent:
            published = datetime.fromisoformat(solution["last_published_at"].replace("Z", "+00:00"))
            feed.add_item(
                title=solution["title"],
                link=site + solution["url"],
                unique_id=site + solution["url"],
                description=solution.get("summary", ""),
                updateddate=published,
                pubdate=published,
            )
        self.write_bytes("feed.xml", feed.writeString("utf-8").encode())

    def sitemap(self) -> str:
        site = self.settings["SITEURL"]
        lastmod = {p["url"]: p.get("last_published_at") for p in self.content.pages}
        rows = []
        for url in sorted(set(self.urls)):
            modified = lastmod.get(url)
            rows.append(
                f"<url><loc>{escape(site + url)}</loc>"
                + (f"<lastmod>{modified[:10]}</lastmod>" if modified else "")
                + "</url>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(rows)
            + "\n</urlset>\n"
        )

    def write_text(self, name: str, text: str) -> None:
        self.write_bytes(name, text.encode())

    def write_bytes(self, name: str, data: bytes) -> None:
        path = Path(self.output_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def get_generators(pelican):
    return SnapshotGenerator


def register():
    signals.get_generators.connect(get_generators)
