"""``python -m bench.compare REV``: the refresh by REV's okrkit and by this tree's, in turns.

A change to the refresh is judged by running the code before it and after it a moment apart, on
the same fake API, rather than against a table measured another day: this machine's speed moves by
15% between runs. The revision's okrkit (``src/`` and the YouTube connector's ``src/``) is checked
out into a temporary git worktree; both sides run this tree's harness (`bench.refresh`, the fake
API, the workload) in a fresh interpreter each turn, with only okrkit taken from their tree.

python -m bench.compare 2d53b2f              # 3 turns: each side a warm-up and its best of 3
python -m bench.compare HEAD~2 --turns 5
python -m bench.compare HEAD --smoke         # tiny sizes: proves it works, in seconds
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["main", "refresh_times"]

ROOT = Path(__file__).resolve().parents[1]

# run in a child interpreter whose okrkit comes from the tree under test (PYTHONPATH first)
_PROBE = """
import json, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import okrkit
import okrkit_youtube
from bench.fakeapi import FakeApiServer
from bench.harness import Sizes
from bench.refresh import _refresh_once
from bench.workload import TOKEN, refresh_workload
sizes = Sizes.smoke_sized() if sys.argv[2] == "smoke" else Sizes.full()
with FakeApiServer(latency=sizes.latency, token=TOKEN) as server:
    workload = refresh_workload(sizes, server.url)
    with tempfile.TemporaryDirectory() as folder:
        _refresh_once(workload, sizes, Path(folder), 0)
        times = [_refresh_once(workload, sizes, Path(folder), n)[0] for n in (1, 2, 3)]
modules = [okrkit.__file__, okrkit_youtube.__file__]
print("PROBE " + json.dumps({"modules": modules, "times": times}))
"""


def refresh_times(tree: Path, *, smoke: bool = False) -> list[float]:
    """Three timed refreshes (after a warm-up) by the okrkit of `tree`, in a fresh interpreter."""
    paths = [tree / "src", tree / "connectors" / "youtube" / "src"]
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [*map(str, paths), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    done = subprocess.run(  # noqa: S603  # our own interpreter and probe
        [sys.executable, "-c", _PROBE, str(ROOT), "smoke" if smoke else "full"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the refresh of {tree} failed:\n{done.stderr[-3000:]}")
    found = json.loads(lines[-1].removeprefix("PROBE "))
    for module in found["modules"]:
        if not Path(module).resolve().is_relative_to(tree.resolve()):
            raise RuntimeError(f"the probe imported {module}, not the one of {tree}")
    return [float(seconds) for seconds in found["times"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("revision", help="the git revision to compare this tree with")
    parser.add_argument("--turns", type=int, default=3, help="turns of each side (default 3)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it works")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="okrkit-compare-") as folder:
        other = Path(folder) / "tree"
        subprocess.run(  # noqa: S603  # git, with the revision as one argument
            ["git", "worktree", "add", "--detach", "--quiet", str(other), options.revision],  # noqa: S607
            cwd=ROOT,
            check=True,
        )
        try:
            sides = {options.revision: other, "this tree": ROOT}
            best: dict[str, list[float]] = {name: [] for name in sides}
            for turn in range(1, max(1, options.turns) + 1):
                for name, tree in sides.items():
                    times = refresh_times(tree, smoke=options.smoke)
                    best[name].append(min(times))
                    shown = ", ".join(f"{seconds:.2f}" for seconds in times)
                    print(f"turn {turn}  {name:12}  best {min(times):.2f} s  ({shown})")  # noqa: T201
        finally:
            subprocess.run(  # noqa: S603
                ["git", "worktree", "remove", "--force", str(other)],  # noqa: S607
                cwd=ROOT,
                check=False,
            )
    before, after = min(best[options.revision]), min(best["this tree"])
    print(  # noqa: T201
        f"\nbest of the turns: {options.revision} {before:.2f} s, this tree {after:.2f} s: "
        f"{after / before:.2f} of the time"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
