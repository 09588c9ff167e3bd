"""python -m content_export --api URL --out DIR [--full]"""

import argparse
import sys
import time
from pathlib import Path

from .client import ExportError
from .export import MEDIA_ORIGIN_HELP, export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m content_export",
        description="Export the CMS's published, public pages into a content snapshot.",
    )
    parser.add_argument(
        "--api", required=True, help="the headless API, e.g. http://127.0.0.1:8000/api/v2/"
    )
    parser.add_argument("--out", required=True, type=Path, help="the snapshot folder")
    parser.add_argument("--full", action="store_true", help="re-read every page, not only changes")
    parser.add_argument("--media-origin", help=MEDIA_ORIGIN_HELP)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        result = export(args.api, args.out, full=args.full, media_origin=args.media_origin)
    except ExportError as error:
        print(
            f"export failed: {error}\nThe previous snapshot in {args.out} is unchanged.",
            file=sys.stderr,
        )
        return 1
    print(
        f"{result.mode} export: {result.pages} pages in {args.out} "
        f"({result.fetched} fetched, {result.removed} removed, "
        f"{result.images_downloaded} images downloaded, {result.requests} requests, "
        f"{time.perf_counter() - started:.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
