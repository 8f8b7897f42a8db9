# A throwaway PostgreSQL server for okrkit's tests, from Debian's packages.
#
#   source .ci/postgres.sh          start one for this shell; it stops (and its data directory
#                                   goes) when the shell exits; prints the export line
#   bash .ci/postgres.sh start      start one that outlives the command; prints the export lines,
#                                   OKRKIT_TEST_POSTGRES_DIR among them
#   bash .ci/postgres.sh stop [DIR] stop that one (DIR, or $OKRKIT_TEST_POSTGRES_DIR) and delete it
#
# The server listens on 127.0.0.1 only, on a free port (never 5432), with password (SCRAM)
# authentication over TCP: the role okrkit, a random password kept in a password file beside the
# data (PGPASSFILE), so that the URL holds none; its data directory is a new temporary folder.
# initdb and pg_ctl are looked up on PATH, then in /usr/lib/postgresql/*/bin; when they are
# missing, `apt-get install postgresql` brings them (as root). PostgreSQL refuses to run as root:
# as root, the server runs as the `postgres` user that Debian's package creates.
# Set OKRKIT_TEST_POSTGRES_URL beforehand to use a server of your own instead: nothing starts.

_okrkit_pg_bin() {
    local found
    # on PATH (resolving links: Debian keeps the tools together in /usr/lib/postgresql/N/bin)
    if found=$(command -v pg_ctl 2>/dev/null) && found=$(dirname "$(readlink -f "$found")") &&
        [ -x "$found/initdb" ] && [ -x "$found/psql" ]; then
        echo "$found"
        return 0
    fi
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$found" ] && [ -x "$found/initdb" ] && [ -x "$found/pg_ctl" ] && [ -x "$found/psql" ]; then
        echo "$found"
        return 0
    fi
    return 1
}

_okrkit_pg_as() {
    # run a command as the server's user: postgres when we are root, ourselves otherwise
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

_okrkit_pg_free_port() {
    python3 - <<'EOF'
import socket

for port in range(55432, 56432):  # a fixed range away from 5432, so that it is easy to spot
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    raise SystemExit("no free port in 55432-56431")
EOF
}

okrkit_pg_start() {
    if [ -n "${OKRKIT_TEST_POSTGRES_URL:-}" ] && [ -z "${OKRKIT_TEST_POSTGRES_DIR:-}" ]; then
        echo "postgres: using OKRKIT_TEST_POSTGRES_URL from the environment" >&2
        export OKRKIT_REQUIRE_POSTGRES=1
        return 0
    fi
    local bin dir port password
    if ! bin=$(_okrkit_pg_bin); then
        echo "== installing postgresql (Debian's packages)" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bin=$(_okrkit_pg_bin) || { echo "postgres: initdb/pg_ctl still missing" >&2; return 1; }
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "postgres: running as root, but there is no postgres user to run the server" >&2
        return 1
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/okrkit-postgres.XXXXXX")
    chmod 755 "$dir"
    mkdir "$dir/data" "$dir/socket"
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    printf '%s\n' "$password" >"$dir/password"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    chmod 700 "$dir/data"
    if ! _okrkit_pg_as "$bin/initdb" -D "$dir/data" -U okrkit --pwfile="$dir/password" \
        --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        return 1
    fi
    rm -f "$dir/password"
    port=$(_okrkit_pg_free_port)
    # throwaway data: no fsync; enough connections for the concurrency tests
    if ! _okrkit_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null; then
        cat "$dir/server.log" >&2
        rm -rf "$dir"
        return 1
    fi
    if ! _okrkit_pg_as "$bin/psql" -X -q -h "$dir/socket" -p "$port" -U okrkit -d postgres \
        -c "CREATE DATABASE okrkit_test" >/dev/null; then
        _okrkit_pg_as "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
        rm -rf "$dir"
        return 1
    fi
    # the password is in a password file, not in the URL: a store's url (password masked)
    # then opens the same store again, in another process too
    (umask 077 && printf '127.0.0.1:%s:*:okrkit:%s\n' "$port" "$password" >"$dir/pgpass")
    export PGPASSFILE="$dir/pgpass"
    export OKRKIT_TEST_POSTGRES_URL="postgresql://okrkit@127.0.0.1:$port/okrkit_test"
    export OKRKIT_TEST_POSTGRES_DIR="$dir"
    export OKRKIT_REQUIRE_POSTGRES=1
    echo "postgres: $("$bin/postgres" --version) on 127.0.0.1:$port, data in $dir" >&2
}

okrkit_pg_stop() {
    local dir="${1:-${OKRKIT_TEST_POSTGRES_DIR:-}}" bin
    [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
    if bin=$(_okrkit_pg_bin); then
        _okrkit_pg_as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    if [ "$dir" = "${OKRKIT_TEST_POSTGRES_DIR:-}" ]; then
        unset OKRKIT_TEST_POSTGRES_URL OKRKIT_TEST_POSTGRES_DIR PGPASSFILE
    fi
}

_okrkit_pg_exports() {
    echo "export OKRKIT_TEST_POSTGRES_URL='$OKRKIT_TEST_POSTGRES_URL' OKRKIT_REQUIRE_POSTGRES=1"
    if [ -n "${OKRKIT_TEST_POSTGRES_DIR:-}" ]; then
        echo "export OKRKIT_TEST_POSTGRES_DIR='$OKRKIT_TEST_POSTGRES_DIR' PGPASSFILE='$PGPASSFILE'"
    fi
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # sourced: a server for this shell, stopped when it exits
    if okrkit_pg_start; then
        trap 'okrkit_pg_stop' EXIT
        _okrkit_pg_exports
    else
        return 1
    fi
else
    set -euo pipefail
    case "${1:-}" in
        start)
            okrkit_pg_start
            _okrkit_pg_exports
            ;;
        stop) okrkit_pg_stop "${2:-}" ;;
        *)
            echo "usage: source .ci/postgres.sh | bash .ci/postgres.sh start | stop [DIR]" >&2
            exit 2
            ;;
    esac
fi
