"""What the atheris harnesses hold every input to, shared by both."""

# ruff: noqa: INP001  # scripts run by path, not a package

import datetime as dt

import okrkit
from okrkit import FileFormatError, OkrkitError

MOMENTS = (
    dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC),
    dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 30, tzinfo=dt.UTC),
)
# Errors about the file as a whole: there is no line to point at.
WHOLE_FILE = ("the file is empty", "more than the limit of")


def check_file_error(error: FileFormatError, path: str) -> None:
    location = error.location
    if location.path != path:
        raise AssertionError(f"wrong path in: {error}")
    if location.line is None and not any(words in error.message for words in WHOLE_FILE):
        raise AssertionError(f"no line in: {error}")


def check_loads(data: bytes | str, path: str) -> None:
    """Only okrkit's errors escape; a plan that loads is scored, linted and written."""
    try:
        plan = okrkit.loads(data, path=path, strict=False)
    except FileFormatError as error:
        check_file_error(error, path)
        return
    except OkrkitError:
        return
    for moment in MOMENTS:
        okrkit.score(plan, moment)
    okrkit.lint(plan)
    okrkit.dumps(plan)
    okrkit.dumps(plan, "json")
