"""A small client for the CMS's headless API: a Session per thread, timeouts, retries with
backoff, several requests at once where the answers are independent, and errors that say
which request failed and why."""

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .images import read_image


class ExportError(Exception):
    """The export cannot go on; the message says what to fix. The old snapshot is intact.
    `status` is the HTTP status the API answered, if it answered."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of an address (the port made explicit)."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = None
    return parts.scheme, (parts.hostname or ""), port


class ApiClient:
    """`media_origin`: where images may be fetched from besides the API's own host (media
    on S3 or a CDN). Nothing is fetched from anywhere else."""

    def __init__(
        self,
        base_url: str,
        *,
        retries: int = 3,
        timeout: float = 30.0,
        concurrency: int = 4,
        media_origin: str | None = None,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        self.origins = {origin(self.base_url)} | ({origin(media_origin)} if media_origin else set())
        self.timeout = (5.0, timeout)
        self.retries = retries
        self.concurrency = concurrency  # requests at once in get_all_json
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        """This thread's session: requests does not promise that one is safe to share."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            retry = Retry(
                total=self.retries,
                backoff_factor=0.2,
                status_forcelist=(500, 502, 503, 504),
                allowed_methods={"GET"},
                raise_on_status=False,
            )
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["Accept"] = "application/json"
        return session

    def url(self, path: str) -> str:
        """A path relative to the API (“pages/”) or to its host (“/media/…”)."""
        return urljoin(self.base_url, path)

    def get(self, path: str, params: dict | None = None, **options) -> requests.Response:
        url = self.url(path)
        with self._count_lock:
            self.request_count += 1
        try:
            response = self.session.get(url, params=params, timeout=self.timeout, **options)
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
                + f": {response.text[:200]}",
                status=response.status_code,
            )
        try:
            return response.json()
        except ValueError:
            raise ExportError(
                f"GET {response.url} did not answer JSON (got {response.text[:80]!r})"
            ) from None

    def get_image(self, path: str) -> tuple[bytes, str]:
        """An image's bytes and its file extension. Only from the API's host or the media
        origin, never through a redirect, at most MAX_IMAGE_BYTES, and only a raster image."""
        url = self.url(path)
        if origin(url) not in self.origins:
            raise ExportError(
                f"{url}: images are fetched only from the CMS's own host or the media origin "
                "(BUILD_MEDIA_ORIGIN); this address is elsewhere"
            )
        with self.get(url, stream=True, allow_redirects=False) as response:
            if response.is_redirect:
                raise ExportError(
                    f"GET {url} answered a redirect to {response.headers.get('Location')!r}; "
                    "images are not fetched through redirects"
                )
            if not response.ok:
                raise ExportError(f"GET {url} answered {response.status_code}")
            try:
                return read_image(response)
            except ValueError as error:
                raise ExportError(f"GET {url}: {error}") from None

    def get_all_json(
        self, calls: Iterable[tuple[str, dict | None]], *, allow_404: bool = False
    ) -> Iterator[Any]:
        """The answers to (path, params) requests, in order, fetched `concurrency` at a time:
        the CMS answers with several processes while this one parses and writes. At most
        twice that many answers wait to be taken: a full export at 100,000 pages held
        every listing at once otherwise (2.5 GB), as the CMS answers faster than they are
        stored."""
        calls = list(calls)
        if len(calls) < 2:  # one page published: no threads needed
            yield from (self.get_json(*request, allow_404=allow_404) for request in calls)
            return
        pool = ThreadPoolExecutor(self.concurrency)
        waiting: deque[Future] = deque()
        try:
            for path, params in calls:
                waiting.append(pool.submit(self.get_json, path, params, allow_404=allow_404))
                if len(waiting) >= 2 * self.concurrency:
                    yield waiting.popleft().result()
            while waiting:
                yield waiting.popleft().result()
        finally:  # on an error, do not wait for the requests not yet sent
            pool.shutdown(cancel_futures=True)
