"""Production settings: pelicanconf.py, with the public address required.

The build worker reads this file when SITE_SETTINGS_FILE=publishconf.py (docker-compose.yml
sets it).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: E402, F403

SITEURL = os.environ.get("PUBLIC_SITE_URL", "")  # where readers find the site, https://…
if not SITEURL:
    raise ValueError("set PUBLIC_SITE_URL to the public site's address")
RELATIVE_URLS = False
