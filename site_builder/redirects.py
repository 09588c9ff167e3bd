"""The release's redirects as the web server reads them.

Each release holds, in its hidden `.redirects/` folder (never served):

- `permanent.map` and `temporary.map`: nginx `map` entries, old path -> new URL, that
  deploy/nginx-site.conf.template includes; deploy/follow-releases.sh reloads nginx when a
  release goes live, so the maps of the live release are the ones in force;
- `redirects.json`: the same, for `site_builder serve`.

render.py also writes a meta-refresh page at each old URL, for static hosts that have no
server configuration.
"""

import json
from pathlib import Path
from urllib.parse import quote

from .content import Redirect

FOLDER = ".redirects"
# Characters a Location may hold as they are; any other is percent-encoded, so nothing in a
# map value can be nginx syntax ("$" variables, quotes, ";").
_SAFE_IN_URL = ":/?#[]@!&'()*+,=%-._~"


def redirect_files(redirects: dict[str, Redirect]) -> dict[str, bytes]:
    """The files of `.redirects/` for a release with these redirects (by old URL)."""
    maps = {True: [], False: []}
    table = {}
    for old_url, redirect in sorted(redirects.items()):
        target = quote(redirect.target, safe=_SAFE_IN_URL)
        table[old_url] = [301 if redirect.permanent else 302, target]
        for path in paths_of(old_url):
            maps[redirect.permanent].append(f'"{path}" "{target}";\n')
    return {
        f"{FOLDER}/permanent.map": "".join(maps[True]).encode(),
        f"{FOLDER}/temporary.map": "".join(maps[False]).encode(),
        f"{FOLDER}/redirects.json": json.dumps(table, sort_keys=True, indent=1).encode(),
    }


def paths_of(old_url: str) -> list[str]:
    """Every path a reader may ask for an old URL by: /a, /a/ and /a/index.html."""
    base = old_url.rstrip("/")
    return [base, base + "/", base + "/index.html"] if base else ["/"]


def read_redirects(release: Path) -> dict[str, tuple[int, str]]:
    """Path asked for -> (status, Location), from a release's redirects.json."""
    try:
        table = json.loads((Path(release) / FOLDER / "redirects.json").read_text())
    except (OSError, ValueError):
        return {}
    return {
        path: (status, target)
        for old_url, (status, target) in table.items()
        for path in paths_of(old_url)
    }
