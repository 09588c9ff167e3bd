"""Lighthouse 12.2.3 (mobile settings) on the seed page and a sector page of the sample site.

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

from .sites import REPO, public_site, results_table

LIGHTHOUSE = REPO / ".cache" / "lighthouse"
PAGES = ["/solutions/high-efficiency-heat-pumps/", "/sectors/buildings/", "/"]
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
        ["page", "performance", "accessibility", "best practices", "SEO", "LCP", "transfer KiB"],
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as tmp,
        public_site("sample") as site,
    ):
        workdir = Path(tmp)
        for page in PAGES:
            report = workdir / "report.json"
            subprocess.run(
                [
                    str(binary),
                    site + page,
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
            kib = data["audits"]["total-byte-weight"]["numericValue"] / 1024
            failing = [
                a["id"]
                for a in data["audits"].values()
                if a.get("score") == 0 and a.get("scoreDisplayMode") == "binary"
            ]
            if failing:
                print(f"{page}: failing audits: {', '.join(failing)}", file=sys.stderr)
            table.add_row(page, *map(str, scores), lcp, f"{kib:.0f}")
    Console(width=150).print(table)
    return 0
