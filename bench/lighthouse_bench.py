"""Lighthouse 12.2.3 (mobile settings) on the seed page, a sector page and the home page of
the sample site, and on the heaviest page of the handbook (conservation-agriculture), when
the corpus is beside the clone.

    python -m bench lighthouse

Installs lighthouse@12.2.3 from npm into .cache/lighthouse the first time, runs it with
Debian's Chromium (CHROME_PATH=/usr/bin/chromium) against the site served on loopback, and
prints the four category scores, LCP and the bytes transferred."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from .sites import REPO, corpus_is_missing, public_site, results_table

LIGHTHOUSE = REPO / ".cache" / "lighthouse"
PAGES = {
    "sample": ["/solutions/high-efficiency-heat-pumps/", "/sectors/buildings/", "/"],
    "corpus": ["/solutions/conservation-agriculture/", "/solutions/"],
}
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run"
    " --disable-background-networking --disable-component-update --disable-sync"
)


def lighthouse_bin() -> Path:
    binary = LIGHTHOUSE / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        LIGHTHOUSE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(LIGHTHOUSE), "lighthouse@12.2.3"],
            check=True,
        )
    return binary


def main(argv: list[str]) -> int:
    binary = lighthouse_bin()
    table = results_table(
        "Lighthouse 12.2.3, mobile (default) settings",
        ["page", "performance", "accessibility", "best practices", "SEO", "LCP", "CLS", "KiB"],
    )
    sites = ["sample"] if corpus_is_missing() else ["sample", "corpus"]
    sites = [name for name in sites if not argv or name in argv]
    for content in sites:
        with (
            tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as tmp,
            public_site(content) as site,
        ):
            for page in PAGES[content]:
                table.add_row(f"{content} {page}", *_audit(binary, site + page, Path(tmp)))
    Console(width=150).print(table)
    return 0


def _audit(binary: Path, url: str, workdir: Path) -> list[str]:
    """Lighthouse's four scores, LCP and bytes for one page; failing audits on stderr."""
    report = workdir / "report.json"
    subprocess.run(
        [
            str(binary),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
        check=True,
    )
    data = json.loads(report.read_text())
    scores = [
        round(data["categories"][c]["score"] * 100)
        for c in ("performance", "accessibility", "best-practices", "seo")
    ]
    lcp = data["audits"]["largest-contentful-paint"]["displayValue"]
    element = data["audits"].get("largest-contentful-paint-element", {}).get("details") or {}
    print(f"{url}: largest contentful paint: {json.dumps(element)[:300]}", file=sys.stderr)
    cls = data["audits"]["cumulative-layout-shift"]["displayValue"]
    kib = data["audits"]["total-byte-weight"]["numericValue"] / 1024
    failing = [
        a["id"]
        for a in data["audits"].values()
        if a.get("score") is not None
        and a["score"] < 1
        and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
    ]
    for name in failing:
        items = (data["audits"][name].get("details") or {}).get("items") or []
        shown = ", ".join(
            str(item.get("url") or item.get("node", {}).get("snippet", "")) for item in items[:3]
        )
        print(f"{url}: audit not passed: {name} {shown}", file=sys.stderr)
    return [*map(str, scores), lcp, cls, f"{kib:.0f}"]
