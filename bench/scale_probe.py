"""The parts of `bench scale` that act as an editor (run with the benchmark CMS's Django
settings); each prints one JSON line.

    python -m bench.scale_probe export API SNAPSHOT EDITS
    python -m bench.scale_probe publish SITE_URL PUBLIC_DIR EDITS
"""

import json
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import django


def _status_and_text(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def _until(check, timeout: float = 600) -> float:
    """Seconds until check() is true, polling the static server every 10 ms."""
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the change did not reach the site")
        time.sleep(0.01)
    return time.perf_counter() - started


def _publish(page, summary: str) -> None:
    draft = page.get_latest_revision_as_object()
    draft.summary = summary
    draft.save_revision().publish()


def _quiet(public: Path) -> None:
    """Wait as an editor would between two publishes: until the worker has copied the live
    release for the next build (deploy.stage_next; at most 30 s), and for longer than the
    queue's quiet period, so that the next publish is a lone one, not part of a burst."""
    from django.conf import settings

    from site_builder import deploy

    started = time.monotonic()
    while time.monotonic() < started + 30:
        live = deploy.current(public)
        if live and (deploy.releases_dir(public) / f".next-{live}").is_dir():
            break
        time.sleep(0.05)
    time.sleep(max(0.5, settings.BUILD_QUIET_SECONDS + 0.5 - (time.monotonic() - started)))


def export_edits(api: str, snapshot: str, edits: int) -> dict:
    from cms.solutions.models import SolutionPage
    from content_export.export import export

    pages = list(SolutionPage.objects.live().order_by("pk"))
    seconds = []
    for number in range(edits):
        _publish(
            pages[number * len(pages) // edits], f"Export benchmark edit {number} {time.time_ns()}."
        )
        started = time.perf_counter()
        result = export(api, Path(snapshot))
        seconds.append(time.perf_counter() - started)
        assert result.fetched >= 1, result
    return {"incremental_export_ms": statistics.median(seconds) * 1000}


def publish_edits(site: str, public: str, edits: int) -> dict:
    from django.db import transaction
    from wagtail.log_actions import log

    from cms.publishing.models import Build
    from cms.solutions.models import Organisation, OrganisationMention, SolutionPage
    from site_builder import deploy, search

    public = Path(public)
    pages = list(SolutionPage.objects.live().order_by("pk"))
    seconds, builds, searchable = [], [], []
    # The edits start once search has the site's first release (a full index: about 15 s at
    # 10,000 pages), so that each one measures what one publish costs search.
    first_index = _until(lambda: search.indexed_release(public) == deploy.current(public))
    for number in range(edits):
        page = pages[(number * 7919) % len(pages)]  # spread over the site
        marker = f"Edited for the benchmark, {number} {time.time_ns()}."
        url = site + page.get_url_parts()[2]
        _quiet(public)
        _publish(page, marker)  # returns: the clock starts
        seconds.append(_until(lambda url=url, marker=marker: marker in _status_and_text(url)[1]))
        builds.append(Build.objects.filter(status="live").first().seconds)
        live = deploy.current(public)  # … and until search finds it (the index is made after)
        searchable.append(_until(lambda live=live: (search.indexed_release(public) or "") >= live))
    quantiles = statistics.quantiles(seconds, n=20, method="inclusive")

    _quiet(public)
    gone = pages[len(pages) // 2]
    gone_path = gone.get_url_parts()[2]
    gone.unpublish()
    unpublish = _until(lambda: _status_and_text(site + gone_path)[0] == 404)

    _quiet(public)
    busiest = max(
        Organisation.objects.all(),
        key=lambda o: OrganisationMention.objects.filter(organisation=o).count(),
    )
    named = (
        OrganisationMention.objects.filter(organisation=busiest, page__live=True)
        .values("page")
        .distinct()
        .count()
    )
    one = (
        site
        + OrganisationMention.objects.filter(organisation=busiest, page__live=True)
        .first()
        .page.get_url_parts()[2]
    )
    last_build = Build.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    busiest.name = f"{busiest.name} (renamed {time.time_ns()})"
    with transaction.atomic():  # as the admin's snippet edit view saves and logs it
        busiest.save()
        log(instance=busiest, action="wagtail.edit")
    organisation = _until(lambda: busiest.name in _status_and_text(one)[1])
    # the organisation's build: how long it waited to start, and ran (it is recorded as
    # live just after its release is)
    _until(lambda: Build.objects.filter(pk__gt=last_build, status="live").exists())
    wide = Build.objects.filter(pk__gt=last_build, status="live").earliest("pk")
    waited = (wide.started_at - wide.created_at).total_seconds()
    return {
        "publish_p50_s": statistics.median(seconds),
        "publish_p95_s": quantiles[18],
        "publish_max_s": max(seconds),
        "publish_s": seconds,
        "build_p50_s": statistics.median(builds),
        "searchable_p50_s": statistics.median(searchable),
        "searchable_p95_s": statistics.quantiles(searchable, n=20, method="inclusive")[18],
        "searchable_s": searchable,
        "first_index_waited_s": first_index,
        "unpublish_s": unpublish,
        "organisation_s": organisation,
        "organisation_pages": named,
        "organisation_build_waited_s": waited,
        "organisation_build_s": (wide.finished_at - wide.started_at).total_seconds(),
    }


def main(mode: str, *args: str) -> None:
    django.setup()
    if mode == "export":
        result = export_edits(args[0], args[1], int(args[2]))
    else:
        result = publish_edits(args[0], args[1], int(args[2]))
    print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
