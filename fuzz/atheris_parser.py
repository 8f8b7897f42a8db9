"""libFuzzer (atheris) harness for the key-result sentence parser: see fuzz/README.md.

    python fuzz/atheris_parser.py -runs=100000 -dict=fuzz/okr.dict \
        /tmp/corpus-parser fuzz/seeds/parser

Every input becomes text (any code point, surrogates too); `parse` must read it without
raising, or raise `SentenceError` only for text longer than `MAX_SENTENCE_LENGTH`.
"""

# ruff: noqa: INP001  # scripts run by path, not a package

import sys

import atheris

from okrkit.errors import SentenceError
from okrkit.parsing import MAX_SENTENCE_LENGTH, parse

atheris.instrument_all()  # okrkit is installed in editable mode: instrument_imports cannot hook it


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    text = provider.ConsumeUnicode(provider.remaining_bytes())
    try:
        reading = parse(text)
    except SentenceError:
        if len(text) <= MAX_SENTENCE_LENGTH:
            raise
        return
    if reading.text != text:
        raise AssertionError("the reading lost the text")
    if reading.target is None and not reading.reason:
        raise AssertionError(f"no target and no reason for {text!r}")
    reading.to_dict()


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
