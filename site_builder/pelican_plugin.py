"""Pelican plugin that renders the content snapshot with the theme.

It registers one generator (Pelican's `get_generators` signal). The snapshot already holds
final HTML, so nothing is read through Markdown: the generator loads the snapshot, asks
SiteRenderer what to write, and writes every page with Pelican's writer and Jinja
environment, plus the feed, sitemap, robots.txt and fingerprinted assets.

The keys of what it wrote (see `Output.key`) are left in the setting BUILD_KEYS, so the next
build can render only what changed.
"""

from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from .content import load
from .render import FILTERS, SiteRenderer, extra_files


class SnapshotGenerator(Generator):
    def generate_context(self):
        self.content = load(Path(self.settings["SNAPSHOT_PATH"]))
        self.renderer = SiteRenderer(self.content, self.settings, Path(self.theme))
        self.env.filters.update(FILTERS)

    def generate_output(self, writer):
        self.context.update(self.renderer.global_context())
        site_key = self.renderer.site_key
        keys, sitemap_urls = self.settings["BUILD_KEYS"], []
        for output in self.renderer.outputs():
            writer.write_file(
                output.save_as,
                self.get_template(output.template),
                self.context,
                **SiteRenderer.local_context(output),
            )
            keys[output.save_as] = [output.url, output.key(site_key)]
            if output.in_sitemap:
                sitemap_urls.append(output.url)
        for name, data in extra_files(self.renderer, sitemap_urls).items():
            path = Path(self.output_path) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def get_generators(pelican):
    return SnapshotGenerator


def register():
    signals.get_generators.connect(get_generators)
