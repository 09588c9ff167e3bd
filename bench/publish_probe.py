"""Publish edits and time each until the static server serves it (run with the CMS's
Django settings by bench.publish_bench): prints one JSON line of results.

    python -m bench.publish_probe SITE_URL EDITS
"""

import json
import sys
import time
import urllib.request

import django


def wait_for_text(url: str, text: str, timeout: float = 600) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url) as response:
                if text in response.read().decode():
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{text!r} did not appear on {url} in {timeout} s")


def main(site: str, edits: int) -> None:
    django.setup()
    from cms.publishing.models import Build
    from cms.solutions.models import SolutionPage

    pages = list(SolutionPage.objects.live().order_by("pk")[:edits])
    seconds, build_seconds = [], []
    for number, page in enumerate(pages):
        marker = f"Edited for the benchmark, {number} {time.time_ns()}."
        draft = page.get_latest_revision_as_object()
        draft.summary = marker
        draft.save_revision().publish()  # returns: the clock starts
        seconds.append(wait_for_text(f"{site}/solutions/{page.slug}/", marker))
        build = Build.objects.filter(status="live").first()
        build_seconds.append(build.seconds)
        time.sleep(0.5)
    print(json.dumps({"publish_to_live": seconds, "build": build_seconds, "rendered": build.rendered}))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
