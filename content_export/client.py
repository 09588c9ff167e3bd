"""A small client for the CMS's headless API: one Session, timeouts, retries with backoff,
and errors that say which request failed and why."""

from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


class ExportError(Exception):
    """The export cannot go on; the message says what to fix. The old snapshot is intact."""


class ApiClient:
    def __init__(self, base_url: str, *, retries: int = 3, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = (5.0, timeout)
        self.retries = retries
        self.request_count = 0
        self.session = requests.Session()
        retry = Retry(
            total=retries,
            backoff_factor=0.2,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods={"GET"},
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["Accept"] = "application/json"

    def url(self, path: str) -> str:
        """A path relative to the API (“pages/”) or to its host (“/media/…”)."""
        return urljoin(self.base_url, path)

    def get(self, path: str, params: dict | None = None) -> requests.Response:
        url = self.url(path)
        self.request_count += 1
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as error:
            raise ExportError(
                f"GET {url}: the CMS could not be reached after {self.retries + 1} tries ({error})"
            ) from None
        return response

    def get_json(self, path: str, params: dict | None = None, *, allow_404: bool = False) -> Any:
        response = self.get(path, params)
        if allow_404 and response.status_code == 404:
            return None
        if not response.ok:
            raise ExportError(
                f"GET {response.url} answered {response.status_code} {response.reason}"
                + (" after retries" if response.status_code >= 500 else "")
                + f": {response.text[:200]}"
            )
        try:
            return response.json()
        except ValueError:
            raise ExportError(
                f"GET {response.url} did not answer JSON (got {response.text[:80]!r})"
            ) from None

    def get_bytes(self, path: str) -> bytes:
        response = self.get(path)
        if not response.ok:
            raise ExportError(f"GET {response.url} answered {response.status_code}")
        return response.content
