"""The site's Pelican settings: `pelicanconf.py` at the project root (`publishconf.py` in
production, or any file given with --settings or SITE_SETTINGS_FILE), read by Pelican's own
`read_settings`, plus what the snapshot generator needs whatever the file says.

A site owner sets the name, description, SITEURL, THEME and PLUGINS there, as in any
Pelican project. The snapshot generator (pelican_plugin.py) is always the first plugin.
"""

import hashlib
import json
import os
from pathlib import Path

from pelican.settings import DEFAULT_CONFIG, read_settings

REPO = Path(__file__).resolve().parent.parent
THEMES = REPO / "themes"
ENGINE_PLUGIN = "site_builder.pelican_plugin"
DEFAULT_THEME = "default"


class SettingsError(Exception):
    pass


def default_settings_file() -> Path:
    """SITE_SETTINGS_FILE if set (production sets publishconf.py), else pelicanconf.py."""
    return Path(os.environ.get("SITE_SETTINGS_FILE") or REPO / "pelicanconf.py")


# Pelican's Jinja settings, and autoescape: titles and summaries are plain text that editors
# write, and may hold "<" or "&". Content HTML comes through the `html` filter (sanitised).
JINJA_ENVIRONMENT = {**DEFAULT_CONFIG["JINJA_ENVIRONMENT"], "autoescape": True}

# Pelican's own generators read Markdown from PATH; the site's content is the snapshot, read
# by the engine plugin.
ENGINE_SETTINGS = {
    "JINJA_ENVIRONMENT": JINJA_ENVIRONMENT,
    "DIRECT_TEMPLATES": [],
    "PAGINATED_TEMPLATES": {},
    "ARTICLE_PATHS": [],
    "PAGE_PATHS": [],
    "STATIC_PATHS": [],
    "THEME_STATIC_PATHS": [],
    "FEED_ALL_ATOM": None,
    "CATEGORY_FEED_ATOM": None,
    "TRANSLATION_FEED_ATOM": None,
    "AUTHOR_FEED_ATOM": None,
    "AUTHOR_FEED_RSS": None,
    "CACHE_CONTENT": False,
    "LOAD_CONTENT_CACHE": False,
    "DELETE_OUTPUT_DIRECTORY": False,
}
REQUIRED = ("SITENAME", "SITEURL")
# Settings that differ from build to build without changing what a page shows.
PER_BUILD = {"PATH", "OUTPUT_PATH", "SNAPSHOT_PATH", "CACHE_PATH", "SETTINGS_FILE"}


def site_settings(
    path: Path | str | None = None, *, theme: str | None = None, site_url: str | None = None
) -> dict:
    """Pelican's settings from `path`; `theme` (a name under themes/ or a folder) and
    `site_url` override the file's THEME and SITEURL."""
    path = Path(path or default_settings_file())
    if not path.is_file():
        raise SettingsError(f"no Pelican settings file at {path}")
    override = dict(ENGINE_SETTINGS)
    if theme:
        override["THEME"] = str(theme_dir(theme))
    if site_url:
        override["SITEURL"] = site_url
    try:
        settings = read_settings(str(path), override=override)
    except Exception as error:  # a settings file is Python: anything can go wrong in it
        raise SettingsError(f"{path}: {type(error).__name__}: {error}") from error
    missing = [name for name in REQUIRED if not settings.get(name)]
    if missing:
        raise SettingsError(f"{path}: set {' and '.join(missing)}")
    settings["SETTINGS_FILE"] = str(path)  # for messages
    settings["SITEURL"] = settings["SITEURL"].rstrip("/")
    if settings["THEME"] == DEFAULT_CONFIG["THEME"]:  # THEME not set: ours, not Pelican's blog
        settings["THEME"] = str(THEMES / DEFAULT_THEME)
    try:
        settings["THEME"] = str(theme_dir(settings["THEME"]))
    except SettingsError as error:
        raise SettingsError(f"{path}: THEME: {error}") from None
    settings.setdefault("SITE_DESCRIPTION", "")
    plugins = [p for p in settings.get("PLUGINS") or [] if p != ENGINE_PLUGIN]
    settings["PLUGINS"] = [ENGINE_PLUGIN, *plugins]
    return settings


# The templates a theme provides (themes/README.md says what each one receives).
THEME_TEMPLATES = (
    "base", "home", "content_page", "solution_index", "solution", "sector_index", "sector",
    "organisation_index", "organisation", "tag", "glossary", "search", "redirect", "404",
    "macros",
)  # fmt: skip


def theme_dir(theme: str | Path) -> Path:
    """A theme folder: a path, or the name of a theme under themes/."""
    path = Path(theme) if Path(theme).is_absolute() else THEMES / theme
    if not (path / "templates").is_dir():
        raise SettingsError(f"no theme at {path} (a theme has a templates/ folder)")
    missing = [
        name for name in THEME_TEMPLATES if not (path / "templates" / f"{name}.html").is_file()
    ]
    if missing:
        raise SettingsError(
            f"the theme at {path} is not a theme for this site: it has no"
            f" {', '.join(name + '.html' for name in missing)} (see themes/README.md)"
        )
    return path


def settings_digest(settings: dict) -> str:
    """A hash of the settings a page can depend on: a change to any of them (the site name,
    a plugin's option) renders every page again."""
    shown = {
        name: value
        for name, value in settings.items()
        if name.isupper() and name not in PER_BUILD and _plain(value)
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def _plain(value) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
