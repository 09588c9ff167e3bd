"""Pelican as this site runs it, so that Pelican plugins work in every kind of build.

A full build runs Pelican itself (`Pelican.run`, with the snapshot generator of
pelican_plugin.py). An incremental build and a preview do not need Pelican's generators, but
they start the same `SitePelican` and send the same signals a run sends: `initialized`,
`content_written` for each file rendered, and `finalized` with `output_path` set to a folder
holding only what was rendered. A plugin sees the files that changed, and only those.

`SitePelican` registers each plugin once per process: a build worker builds many times, and
a plugin registered twice would see every signal twice.
"""

import copy
from pathlib import Path

from pelican import Pelican, signals
from pelican.plugins._utils import get_plugin_name, load_plugins

from .site_settings import SettingsError

_REGISTERED: set[str] = set()  # plugins are connected to Pelican's signals, which are global


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
        for plugin, name in zip(self.plugins, names, strict=True):
            if name in _REGISTERED:
                continue
            try:
                plugin.register()
            except Exception as error:
                raise PluginError(
                    f"{self.settings.get('SETTINGS_FILE', 'settings')}: PLUGINS:"
                    f" {name} could not be registered: {error!r}"
                ) from error
            _REGISTERED.add(name)
        self.settings["PLUGINS"] = names


def start(settings: dict, output: Path) -> SitePelican:
    """A Pelican for one build (or one preview server) writing to `output`; this sends
    `initialized`, as Pelican does."""
    return SitePelican({**settings, "OUTPUT_PATH": str(output)})


def finalized(pelican: SitePelican, output: Path) -> None:
    """Send `finalized` for what was rendered into `output`."""
    run = copy.copy(pelican)  # a preview server finalises several previews at once
    run.output_path = str(output)
    signals.finalized.send(run)


def written(path: Path, context: dict) -> None:
    """Send `content_written` for a file just written, as Pelican's Writer does."""
    signals.content_written.send(str(path), context=context)


def has_plugins(settings: dict) -> bool:
    """Whether a plugin besides the snapshot generator may change the files written."""
    return len(settings.get("PLUGINS") or []) > 1
