"""python -m site_builder build | publish | serve | preview | rollback"""

import argparse
import contextlib
import sys
from pathlib import Path

from content_export.client import ExportError
from content_export.export import MEDIA_ORIGIN_HELP, export

from . import deploy
from .build import BuildError, build
from .preview import PreviewApp, make_preview_server
from .serve import serve
from .site_settings import SettingsError


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--settings",
        type=Path,
        help="Pelican settings file (default: SITE_SETTINGS_FILE, else pelicanconf.py)",
    )
    parser.add_argument("--theme", help="a theme under themes/ or a folder (default: THEME)")
    parser.add_argument("--site-url", help="the public address (default: SITEURL)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m site_builder")
    commands = parser.add_subparsers(dest="command", required=True)

    b = commands.add_parser("build", help="build a release from a snapshot and make it live")
    b.add_argument("--snapshot", required=True, type=Path)
    b.add_argument("--out", default=Path("public"), type=Path)
    add_settings_options(b)

    p = commands.add_parser("publish", help="export (incrementally), build and deploy")
    p.add_argument("--api", required=True)
    p.add_argument("--out", default=Path("public"), type=Path)
    p.add_argument("--snapshot", type=Path, help="default: OUT/snapshot")
    add_settings_options(p)
    p.add_argument("--full", action="store_true", help="re-export everything")
    p.add_argument("--media-origin", help=MEDIA_ORIGIN_HELP)

    s = commands.add_parser("serve", help="serve OUT/current")
    s.add_argument("--out", default=Path("public"), type=Path)
    s.add_argument("--port", default=8080, type=int)

    v = commands.add_parser("preview", help="serve editors' previews of drafts")
    v.add_argument("--api", required=True)
    v.add_argument("--out", default=Path("public"), type=Path)
    v.add_argument("--port", default=8081, type=int)
    add_settings_options(v)

    r = commands.add_parser("rollback", help="switch back to an earlier release")
    r.add_argument("build_id", nargs="?")
    r.add_argument("--out", default=Path("public"), type=Path)

    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            serve(args.out, args.port)
        elif args.command == "preview":
            app = PreviewApp(
                args.api,
                args.out,
                settings_file=args.settings,
                theme=args.theme,
                site_url=args.site_url,
            )
            print(f"Previews on http://127.0.0.1:{args.port}/ (Ctrl-C stops it)")
            with contextlib.suppress(KeyboardInterrupt):
                make_preview_server(app, args.port).serve_forever()
        elif args.command == "rollback":
            print(f"live: {deploy.rollback(args.out, args.build_id)}")
        else:
            snapshot = args.snapshot
            if args.command == "publish":
                snapshot = snapshot or args.out / "snapshot"
                exported = export(
                    args.api, snapshot, full=args.full, media_origin=args.media_origin
                )
                print(
                    f"{exported.mode} export: {exported.fetched} page(s) fetched,"
                    f" {exported.removed} removed"
                )
            result = build(
                snapshot,
                args.out,
                settings_file=args.settings,
                theme=args.theme,
                site_url=args.site_url,
            )
            print(f"live: {result.build_id} ({result.pages} pages, {result.seconds:.1f} s)")
            print(f"  live after {result.live_after:.2f} s: {result.timings()}")
    except (BuildError, SettingsError, ExportError, deploy.DeployError) as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        if args.command not in ("serve", "preview"):
            print("The live site is unchanged.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
