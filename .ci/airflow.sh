#!/usr/bin/env bash
# Apache Airflow in a virtualenv of its own, to test the example DAG
# (examples/integrations/airflow/okr_refresh_dag.py) with dag.test().
#
#   bash .ci/airflow.sh          build the environment; print the command that runs the test
#   bash .ci/airflow.sh test     build it, then run the test (OKRKIT_REQUIRE_AIRFLOW=1: no skip)
#
# Airflow never goes into okrkit's own environment: it brings some 130 packages, at versions of
# its own. The environment is $OKRKIT_AIRFLOW_VENV (default: /tmp/okrkit-airflow), reused when it
# already has this Airflow. Versions come from the constraints file beside the DAG,
# constraints-<python>.txt (Airflow's own advice: install it with constraints); for a Python
# without one, pip resolves Airflow afresh and says so. Measured on the project's machine: about
# 25 s to build (some 130 packages, 300 MB; about the same with pip's cache cold), 5 s to reuse,
# then 10 to 15 s for the test.
set -euo pipefail
cd "$(dirname "$0")/.."

AIRFLOW_VERSION=3.3.2
venv=${OKRKIT_AIRFLOW_VENV:-${TMPDIR:-/tmp}/okrkit-airflow}
python=${PYTHON:-python3}
started=$SECONDS

series=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
constraints=examples/integrations/airflow/constraints-$series.txt
constrain=()
if [ -f "$constraints" ]; then
    constrain=(--constraint "$constraints")
else
    echo "airflow: no $constraints; letting pip resolve Airflow $AIRFLOW_VERSION for Python $series" >&2
fi

if ! "$venv/bin/python" -c "import airflow, sys; sys.exit(airflow.__version__ != '$AIRFLOW_VERSION')" 2>/dev/null; then
    echo "== airflow: building $venv (Apache Airflow $AIRFLOW_VERSION, Python $series)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q "${constrain[@]}" "apache-airflow==$AIRFLOW_VERSION"
fi
# okrkit (from this tree), the connector the example plan names, and what the tests need;
# under the same constraints, so nothing Airflow installed is moved
"$venv/bin/python" -m pip install -q "${constrain[@]}" -e . -e connectors/youtube \
    "pytest>=8" "hypothesis>=6.100" "jsonschema>=4.20" "responses>=0.25"
"$venv/bin/python" -m pip check
echo "== airflow: ready in $((SECONDS - started))s: $("$venv/bin/airflow" version 2>/dev/null | tail -n 1)"

command=(env OKRKIT_REQUIRE_AIRFLOW=1 "$venv/bin/python" -m pytest tests/test_integrations.py -k airflow -q -p no:cacheprovider)
if [ "${1:-}" = test ]; then
    echo "== airflow: ${command[*]}"
    "${command[@]}"
else
    echo "run the DAG's test with:"
    echo "  ${command[*]}"
fi
