"""The public site's Pelican settings (https://docs.getpelican.com/en/latest/settings.html).

`python -m site_builder build` and the build worker read this file; production reads
publishconf.py, which starts from it. PUBLIC_SITE_URL in the environment sets SITEURL.
"""

import os

SITENAME = "Climate Solutions Catalogue"
SITE_DESCRIPTION = "Climate solutions: what works, who is working on it, and what is left to do."
SITEURL = os.environ.get("PUBLIC_SITE_URL", "http://127.0.0.1:8080")
RELATIVE_URLS = False

THEME = "themes/default"  # or any folder holding a theme (see themes/README.md)

# Pelican plugins, by module name; the build adds its own, which reads the CMS snapshot,
# before them. They run in full builds, incremental builds and previews alike.
PLUGINS = [
    "pelican.plugins.sitemap",  # sitemap.xml (pelican-sitemap)
    "pelican.plugins.readtime",  # reading time on solution pages (pelican-readtime)
]
SITEMAP = {"format": "xml"}

TIMEZONE = "UTC"
DEFAULT_LANG = "en"

# Listings of solutions (the solutions index, each sector, each tag) show this many cards a
# page, as Pelican paginates; further pages are /solutions/page/2/, /sectors/…/page/2/ and on.
DEFAULT_PAGINATION = 100
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
