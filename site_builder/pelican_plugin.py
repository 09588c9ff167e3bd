"""Pelican plugin that renders the content snapshot with the theme.

It registers one generator (Pelican's `get_generators` signal). The snapshot already holds
final HTML, so nothing is read through Markdown: the generator takes the build's renderer
(or loads the snapshot at SNAPSHOT_PATH) and makes every page's Pelican object (solutions
are its `articles`, the other pages its `pages`, see contents.py). It then writes the
release with Pelican's Jinja environment through `release.write_release`, the same code an
incremental build uses, in BUILD_JOBS processes.

What it wrote (each file's key, see `Output.key`, and any problem found) is left in the
setting BUILD_WRITTEN, so the build can check it and the next build can render only what
changed.
"""

from contextlib import nullcontext
from pathlib import Path

from pelican import signals

from .content import load
from .engine import ContentGenerator
from .release import write_release
from .render import SiteRenderer, environment


class SnapshotGenerator(ContentGenerator):
    def generate_context(self):
        self.renderer = self.settings.get("SNAPSHOT_RENDERER") or SiteRenderer(
            load(Path(self.settings["SNAPSHOT_PATH"])), self.settings
        )
        self.env = environment(self.settings)  # the one incremental builds and previews use
        self.hold(self.renderer.content_objects(self.renderer.outputs()))

    def generate_output(self, writer):
        self.settings["BUILD_WRITTEN"] = write_release(
            self.renderer,
            self.env,
            Path(self.settings.get("RELEASE_PATH") or self.output_path),
            fresh=Path(self.output_path),
            jobs=self.settings.get("BUILD_JOBS", 1),
            fork_guard=self.settings.get("BUILD_FORK_GUARD", nullcontext),
        )


def get_generators(pelican):
    return SnapshotGenerator


def register():
    signals.get_generators.connect(get_generators)
