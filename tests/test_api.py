"""The public surface, pinned: a change here is a change users see."""

import subprocess
import sys

import okrkit

PUBLIC = [
    "RULES",
    "Baseline",
    "CheckIn",
    "ConnectorError",
    "CredentialsError",
    "Cycle",
    "Direction",
    "FileFormatError",
    "Finding",
    "Grade",
    "KeyResult",
    "KeyResultScore",
    "KeyResultSentence",
    "Kind",
    "Location",
    "Measurement",
    "ModelError",
    "Objective",
    "ObjectiveScore",
    "OkrkitError",
    "Outcome",
    "Pace",
    "Plan",
    "PlanError",
    "Policy",
    "PolicyError",
    "Problem",
    "Project",
    "ProjectProgress",
    "QuotaError",
    "Record",
    "RefreshResult",
    "Retry",
    "Rule",
    "RunRecord",
    "SchemaVersionError",
    "Scorecard",
    "SentenceError",
    "SettingsError",
    "Severity",
    "SourceMap",
    "Status",
    "Store",
    "StoreError",
    "StoreLockedError",
    "Target",
    "Task",
    "TaskStatus",
    "TerminalError",
    "TransientError",
    "UnknownConnectorError",
    "UnknownIdError",
    "__version__",
    "dump",
    "dumps",
    "json_schema",
    "lint",
    "load",
    "loads",
    "open_store",
    "parse",
    "refresh",
    "score",
    "status",
]


def test_all_is_pinned_and_sorted():
    # ruff (RUF022) keeps the order: constants, classes, then functions, each sorted
    assert okrkit.__all__ == PUBLIC


def test_lazy_names_are_the_real_objects():
    from okrkit import runner, store

    assert okrkit.refresh is runner.refresh
    assert okrkit.open_store is store.open_store
    assert okrkit.RefreshResult is runner.RefreshResult


def test_every_public_name_exists():
    for name in okrkit.__all__:
        assert getattr(okrkit, name) is not None, name


def test_errors_share_one_root_and_their_builtins():
    for error in (
        okrkit.ModelError,
        okrkit.PlanError,
        okrkit.FileFormatError,
        okrkit.SentenceError,
    ):
        assert issubclass(error, okrkit.OkrkitError)
        assert issubclass(error, ValueError)
    assert issubclass(okrkit.UnknownIdError, LookupError)
    assert issubclass(okrkit.UnknownIdError, okrkit.OkrkitError)


def test_version_comes_from_the_installed_metadata():
    from importlib.metadata import version

    assert okrkit.__version__ == version("okrkit")


def test_import_is_light():
    """`import okrkit` must not pull in the YAML parser, the CLI, HTTP or Google clients."""
    code = (
        "import sys, okrkit; "
        "heavy = ['yaml', 'click', 'requests', 'googleapiclient', 'sqlalchemy', "
        "'jsonschema', 'socket']; "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
