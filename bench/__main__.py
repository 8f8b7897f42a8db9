"""``python -m bench``: run the benchmarks, print the table, write the JSON.

python -m bench                      # every row, at the issue's sizes (a few minutes)
python -m bench --only plan memory   # some rows
python -m bench --smoke              # tiny sizes: proves the harness works, in seconds
python -m bench --json out.json      # where the results go (default: bench-results.json)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import imports, plan, refresh, store, workers
from bench.harness import Sizes, render_table, write_json

#: Every row, in the order the table shows them, and the module that measures it.
MODULES = (refresh, store, plan, imports, workers)
ROWS = tuple(row for module in MODULES for row in module.ROWS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=ROWS, metavar="ROW", help=", ".join(ROWS))
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the harness")
    parser.add_argument(
        "--json", type=Path, default=Path("bench-results.json"), help="where to write the results"
    )
    options = parser.parse_args(argv)
    sizes = Sizes.smoke_sized() if options.smoke else Sizes.full()
    wanted = set(options.only or ROWS)
    started = time.perf_counter()
    results = []
    for module in MODULES:
        chosen = wanted & set(module.ROWS)
        if chosen:
            print(f"running {', '.join(r for r in module.ROWS if r in chosen)}...", file=sys.stderr)  # noqa: T201
            results += module.run_rows(sizes, chosen)
    seconds = time.perf_counter() - started
    order = {row: index for index, row in enumerate(ROWS)}
    results.sort(key=lambda result: order[result.row])
    print(render_table(results))  # noqa: T201
    print(f"\n{len(results)} rows in {seconds:.0f} s; results in {options.json}")  # noqa: T201
    write_json(options.json, results, sizes, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
