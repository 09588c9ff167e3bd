"""Pelican plugin that renders the content snapshot with the theme.

It registers one generator (Pelican's `get_generators` signal). The snapshot already holds
final HTML, so nothing is read through Markdown: the generator loads the snapshot, asks
SiteRenderer what to write, and writes every page with Pelican's writer and Jinja
environment, plus the feed, sitemap, robots.txt and fingerprinted assets.
"""

from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import feedgenerator
from pelican import signals
from pelican.generators import Generator

from .content import load
from .render import FILTERS, SiteRenderer, assets


class SnapshotGenerator(Generator):
    def generate_context(self):
        self.content = load(Path(self.settings["SNAPSHOT_PATH"]))
        self.renderer = SiteRenderer(self.content, self.settings, Path(self.theme))
        self.env.filters.update(FILTERS)

    def generate_output(self, writer):
        self.context.update(self.renderer.global_context())
        for url, data in assets(Path(self.theme)).values():
            self.write_bytes(url.lstrip("/"), data)
        self.write_bytes("favicon.svg", (Path(self.theme) / "static" / "favicon.svg").read_bytes())
        sitemap_urls = []
        for output in self.renderer.outputs():
            writer.write_file(
                output.save_as,
                self.get_template(output.template),
                self.context,
                **SiteRenderer.local_context(output),
            )
            if output.in_sitemap:
                sitemap_urls.append(output.url)
        self.write_feed(self.renderer.recent)
        self.write_bytes("sitemap.xml", self.sitemap(sitemap_urls).encode())
        robots = f"User-agent: *\nAllow: /\nSitemap: {self.settings['SITEURL']}/sitemap.xml\n"
        self.write_bytes("robots.txt", robots.encode())

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

    def sitemap(self, urls: list[str]) -> str:
        site = self.settings["SITEURL"]
        lastmod = {p["url"]: p.get("last_published_at") for p in self.content.pages}
        rows = []
        for url in sorted(set(urls)):
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

    def write_bytes(self, name: str, data: bytes) -> None:
        path = Path(self.output_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def get_generators(pelican):
    return SnapshotGenerator


def register():
    signals.get_generators.connect(get_generators)
