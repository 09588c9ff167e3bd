"""Pelican as this site runs it, so that Pelican plugins work in every kind of build.

A full build runs Pelican itself (`Pelican.run`, with the snapshot generator of
pelican_plugin.py). An incremental build and a preview do not need Pelican's generators, but
they start the same `SitePelican` and send the signals a run sends, in the same order:
`initialized`, `get_generators`, `content_object_init` for each page object made,
`all_generators_finalized` with a generator holding those objects, `content_written` for each
file rendered, and `finalized` with `output_path` set to a folder holding only what was
rendered. A plugin sees the pages that changed, and only those.

`SitePelican` registers each plugin once per process: a build worker builds many times, and
a plugin registered twice would see every signal twice. Pelican's signals are global, so it
also notes what each plugin connected, and keeps connected only the plugins that the
settings of the build at hand name (a test process builds with several settings files).
"""

import copy
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import blinker
from pelican import Pelican, signals
from pelican.contents import Article, Content
from pelican.generators import ArticlesGenerator
from pelican.plugins._utils import get_plugin_name, load_plugins

from .site_settings import SettingsError

# plugin name -> the (signal, receiver) pairs its register() connected
_REGISTERED: dict[str, list[tuple[blinker.Signal, Callable]]] = {}
SITEMAP_PLUGIN = "pelican.plugins.sitemap"


class PluginError(SettingsError):
    """A plugin named in PLUGINS cannot be imported or registered."""


class SitePelican(Pelican):
    def init_plugins(self):
        self.plugins = load_plugins(self.settings)
        names = [get_plugin_name(plugin) for plugin in self.plugins]
        missing = [
            wanted
            for wanted in self.settings.get("PLUGINS") or []
            if isinstance(wanted, str) and not {wanted, f"pelican.plugins.{wanted}"} & set(names)
        ]
        if missing:
            raise PluginError(
                f"{self.settings.get('SETTINGS_FILE', 'settings')}: PLUGINS:"
                f" cannot import {', '.join(missing)} (is it installed?)"
            )
        for name, connected in _REGISTERED.items():
            for signal, receiver in connected:
                if name in names:
                    signal.connect(receiver)  # nothing happens if it is connected
                else:
                    signal.disconnect(receiver)
        for plugin, name in zip(self.plugins, names, strict=True):
            if name not in _REGISTERED:
                _REGISTERED[name] = _register(plugin, name, self.settings)
        self.settings["PLUGINS"] = names
        _forget_unfinished_runs()


def _register(plugin, name: str, settings: dict) -> list[tuple[blinker.Signal, Callable]]:
    """Register `plugin`: what it connected to which signal."""
    before = _connections()
    try:
        plugin.register()
    except Exception as error:
        raise PluginError(
            f"{settings.get('SETTINGS_FILE', 'settings')}: PLUGINS:"
            f" {name} could not be registered: {error!r}"
        ) from error
    after = _connections()
    return [after[key] for key in after.keys() - before.keys()]


def _connections() -> dict[tuple, tuple[blinker.Signal, Callable]]:
    found = {}
    for name, signal in blinker.default_namespace.items():
        for key, reference in list(signal.receivers.items()):
            receiver = reference() if isinstance(reference, weakref.ref) else reference
            if receiver is not None:
                found[(name, key)] = (signal, receiver)
    return found


class ContentGenerator(ArticlesGenerator):
    """A generator holding the snapshot's page objects: solutions in `articles`, other
    pages in `pages`, as plugins look for them in `all_generators_finalized`. It reads
    nothing and writes nothing itself."""

    def hold(self, objects: Iterable[Content]) -> None:
        objects = list(objects)
        self.articles = [found for found in objects if isinstance(found, Article)]
        self.pages = [found for found in objects if not isinstance(found, Article)]

    def generate_context(self):
        pass

    def generate_output(self, writer):
        pass


def start(settings: dict, output: Path) -> SitePelican:
    """A Pelican for one build (or one preview server) writing to `output`; this sends
    `initialized`, as Pelican does."""
    return SitePelican({**settings, "OUTPUT_PATH": str(output)})


def begin(pelican: SitePelican, output: Path) -> SitePelican:
    """One run of `pelican` into `output` (a preview server runs several at once); this
    sends `get_generators`, as `Pelican.run` does first."""
    run = copy.copy(pelican)
    run.output_path = str(output)
    _forget_unfinished_runs()
    signals.get_generators.send(run)
    return run


def generators_finalized(run: SitePelican, objects: list[Content]) -> None:
    """Send `all_generators_finalized` for the page objects made for this run."""
    generator = ContentGenerator(
        context={},
        settings=run.settings,
        path=run.path,
        theme=run.theme,
        output_path=run.output_path,
    )
    generator.hold(objects)
    signals.all_generators_finalized.send([generator])


def written(folder: Path, outputs: Iterable, context_of: Callable[[Any], dict]) -> None:
    """Send `content_written` for `outputs` (each with its `save_as`) just written to
    `folder`, as Pelican's Writer does; `context_of` makes an output's template context,
    only if a plugin listens."""
    if not signals.content_written.receivers:
        return
    for output in outputs:
        signals.content_written.send(str(folder / output.save_as), context=context_of(output))


def lists_every_page(settings: dict) -> bool:
    """Whether a plugin makes one file from every page written (pelican-sitemap)."""
    return _enabled(settings, SITEMAP_PLUGIN)


def kept(output: Path, objects: Iterable[tuple[str, Content | None]]) -> None:
    """pelican-sitemap lists the files written in a run. An incremental build writes only
    what changed, so the files it kept from the live release are queued on the sitemap
    too, with the objects a full build gives it: both write the same sitemap."""
    from pelican.plugins.sitemap.sitemap import generator

    folder = f"{output}/"  # joined as strings: this runs for every page of the site
    for name, found in objects:
        generator.queue_page(folder + name, {"page": found})


def _forget_unfinished_runs() -> None:
    """pelican-sitemap waits for `finalized` from the run that started it, keeping every
    page it was told of: in a process that builds again, a build that failed would leave
    it waiting (and growing) for good. Each run starts it afresh."""
    if SITEMAP_PLUGIN in _REGISTERED:
        from pelican.plugins.sitemap.sitemap import generator

        generator._main_pelican, generator.page_queue = None, []


def finalized(run: SitePelican) -> None:
    """Send `finalized` for what was rendered into the run's output folder."""
    signals.finalized.send(run)


def has_plugins(settings: dict) -> bool:
    """Whether a plugin besides the snapshot generator may change the files written."""
    return len(settings.get("PLUGINS") or []) > 1


def _enabled(settings: dict, plugin: str) -> bool:
    short = plugin.removeprefix("pelican.plugins.")
    return any(name in (plugin, short) for name in settings.get("PLUGINS") or [])
