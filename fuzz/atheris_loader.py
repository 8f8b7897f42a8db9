"""libFuzzer (atheris) harness for the OKR file loader: see fuzz/README.md.

    python fuzz/atheris_loader.py -runs=100000 -dict=fuzz/okr.dict \
        /tmp/corpus-loader fuzz/seeds/loader

The first byte picks the file's kind (odd: .json, even: .yaml), the rest is the file.
"""

# ruff: noqa: INP001  # scripts run by path, not a package

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).parent))

import yaml  # noqa: F401  # loaded first, so that its Python half is instrumented too
from _checks import check_loads

import okrkit.files  # noqa: F401

atheris.instrument_all()  # okrkit is installed in editable mode: instrument_imports cannot hook it


def test_one_input(data: bytes) -> None:
    if not data:
        return
    path = "f.json" if data[0] % 2 else "f.yaml"
    check_loads(data[1:], path)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
