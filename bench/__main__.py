"""python -m bench export [--sizes sample,1000] [--databases sqlite,postgres]"""

import argparse
import sys

from . import export_bench

BENCHES = {"export": export_bench.main}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("bench", choices=sorted(BENCHES))
    args, rest = parser.parse_known_args()
    return BENCHES[args.bench](rest)


if __name__ == "__main__":
    sys.exit(main())
