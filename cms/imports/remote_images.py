"""Pictures that a handbook page shows from another site, downloaded at import so that the
public site shows them as its own (its pages load images only from the site itself).

The address comes from content, so it is checked before use: http(s) only, no host on a
private or local network (unless IMPORT_IMAGES_FROM_PRIVATE_ADDRESSES, for tests), each
redirect checked the same way, at most MAX_IMAGE_BYTES, and only a raster image.
"""

import functools
import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from content_export.images import read_image

TIMEOUT = (3.05, 20)  # seconds to connect, seconds between bytes
MAX_REDIRECTS = 3


class Unavailable(Exception):
    """Why a picture could not be downloaded, in words for the import report."""


def download_image(url: str) -> tuple[bytes, str]:
    """The picture's bytes and file extension (".jpg"…), or Unavailable saying why not."""
    session = _session()
    for _ in range(MAX_REDIRECTS + 1):
        _check_address(url)
        try:
            with session.get(url, stream=True, timeout=TIMEOUT, allow_redirects=False) as answer:
                if answer.is_redirect:
                    url = urljoin(url, answer.headers.get("Location", ""))
                    continue
                if not answer.ok:
                    raise Unavailable(f"the site answered {answer.status_code}")
                return read_image(answer)
        except ValueError as error:
            raise Unavailable(str(error)) from None
        except requests.RequestException as error:
            raise Unavailable(f"the site could not be reached ({type(error).__name__})") from None
    raise Unavailable(f"more than {MAX_REDIRECTS} redirects")


@functools.cache
def _session() -> requests.Session:
    """One session for the import's downloads: its connections are kept for the next."""
    session = requests.Session()
    retry = Retry(total=2, backoff_factor=0.3, status_forcelist=(502, 503, 504))
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.headers["Accept"] = "image/avif,image/webp,image/*"
    return session


def _check_address(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unavailable("it is not an http(s) address")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except (socket.gaierror, UnicodeError):
        raise Unavailable(f"the host {parts.hostname} is not known") from None
    if settings.IMPORT_IMAGES_FROM_PRIVATE_ADDRESSES:
        return
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise Unavailable(f"the host {parts.hostname} is on a private or local network")
