"""python -m bench scale | editors | export | build | collector | lighthouse | screenshots
(each takes --help)"""

import argparse
import sys

from . import (
    build_bench,
    collector_bench,
    editors_bench,
    export_bench,
    lighthouse_bench,
    scale_bench,
    screenshots,
)

BENCHES = {
    "export": export_bench.main,
    "build": build_bench.main,
    "collector": collector_bench.main,
    "editors": editors_bench.main,
    "lighthouse": lighthouse_bench.main,
    "scale": scale_bench.main,
    "screenshots": screenshots.main,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("bench", choices=sorted(BENCHES))
    args, rest = parser.parse_known_args()
    return BENCHES[args.bench](rest)


if __name__ == "__main__":
    sys.exit(main())
