"""The policy for shared schedulers: policy files, and every way an OKR file tries to break out.

Each break-out attempt runs through the real `okrkit.refresh` (real registry, real SQLite store,
real HTTP servers on 127.0.0.1 and 127.0.0.2) and checks both the refused key result's exact
outcome and that the other key results of the same run were measured and stored.
"""

import datetime as dt
import hashlib
import json
import sqlite3
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import okrkit
from fakeapi import Answer, FakeApi
from okrkit.cli import main
from okrkit.connectors import Connector, Context, HttpClient, Query, Registry, Window
from okrkit.connectors.builtin.csv import CsvConnector, CsvSettings
from okrkit.connectors.builtin.sql import SqlConnector, SqlSettings
from okrkit.errors import (
    FileFormatError,
    ModelError,
    PolicyError,
    TerminalError,
    TransientError,
)
from okrkit.policy import KEYS, Policy
from okrkit.runner import Retry, refresh

ROOT = Path(__file__).parent.parent
AT = dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC)
KEY = "okrs"
SECRET = "s3cr3t-value-of-the-scheduler"


# -- Fixtures -------------------------------------------------------------------------------


class Site:
    """A scheduler's folders: the policy at the top, a team's OKR file and data below."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.team = root / "team"
        self.data = self.team / "data"
        self.data.mkdir(parents=True)
        (self.data / "posts.csv").write_text("id,posted_at\n1,2026-07-02\n2,2026-07-03\n")
        (self.root / "secret.csv").write_text("id\n1\n2\n3\n")
        self.db = self.data / "signups.db"
        with sqlite3.connect(self.db) as connection:
            connection.execute("CREATE TABLE signups (id INTEGER)")
            connection.executemany("INSERT INTO signups VALUES (?)", [(n,) for n in range(4)])
        connection.close()
        self.okrs = self.team / "okrs.yaml"
        self.policy_path = self.root / "policy.yaml"

    def policy(self, text: str = "") -> Policy:
        """The policy file: `text` added to a base that allows the team's own sources."""
        base = """\
            connectors: [static, csv, sql, http]
            files: [team/data]
            databases: [team/data/signups.db]
            environment: [TEAM_TOKEN]
        """
        keys = {line.split(":", 1)[0] for line in textwrap.dedent(text).splitlines() if line}
        kept = [
            line for line in textwrap.dedent(base).splitlines() if line.split(":")[0] not in keys
        ]
        self.policy_path.write_text("\n".join(kept) + "\n" + textwrap.dedent(text))
        return Policy.load(self.policy_path)

    @property
    def named(self) -> str:
        return f"the policy {self.policy_path}"

    def plan(self, sources: dict[str, dict]) -> okrkit.Plan:
        """An OKR file with the two control key results, then `sources`, one key result each."""
        every = {
            "control": {"connector": "static", "value": 7},
            "posts": {"connector": "csv", "path": "data/posts.csv"},
            **sources,
        }
        lines = [
            f"- id: {kr_id}\n  title: Sign-ups ({kr_id}) over 100\n  source: {json.dumps(s)}"
            for kr_id, s in every.items()
        ]
        self.okrs.write_text(
            "cycle: 2026-Q3\nobjectives:\n  - id: o\n    title: Become the tool teams reach for\n"
            "    key_results:\n" + textwrap.indent("\n".join(lines), " " * 6) + "\n"
        )
        return okrkit.load(self.okrs)


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path)


@pytest.fixture
def store(tmp_path):
    with okrkit.open_store(tmp_path / "s.db") as opened:
        yield opened


def run(plan, store, **kwargs):
    kwargs.setdefault("at", AT)
    kwargs.setdefault("environ", {"TEAM_TOKEN": "team-token-1234", "HOME_SECRET": SECRET})
    kwargs.setdefault("registry", Registry())
    kwargs.setdefault("retry", Retry(attempts=2, backoff=0.0))
    kwargs.setdefault("sleep", lambda _seconds: None)
    return refresh(plan, store, **kwargs)


def by_id(result):
    return {outcome.key_result: outcome for outcome in result.outcomes}


def assert_others_measured(result, store, expected=None):
    """The control key results of the run were measured, and their values are in the store."""
    expected = {"control": 7.0, "posts": 2.0, **(expected or {})}
    outcomes = by_id(result)
    for kr_id, value in expected.items():
        assert outcomes[kr_id].status == "measured", outcomes[kr_id]
        assert outcomes[kr_id].value == value
        assert [record.value for record in store.history(KEY, kr_id)] == [value]


class SecondServer:
    """A plain HTTP server on 127.0.0.2 (loopback too, on Linux) that records what it is asked."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                body = b'{"v": 99}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.2:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def second():
    server = SecondServer()
    yield server
    server.close()


def http(url: str, path: str = "v", **settings) -> dict:
    return {"connector": "http", "url": url, "path": path, **settings}


# -- The policy file ------------------------------------------------------------------------


def test_a_policy_file_is_read_with_its_paths_from_its_own_folder(tmp_path):
    path = tmp_path / "conf" / "policy.yaml"
    path.parent.mkdir()
    path.write_text(
        textwrap.dedent("""\
        connectors: [http, youtube]
        hosts: [API.Example.com, "*.googleapis.com", "[::1]", 10.0.0.7]
        allow_private_networks: false
        networks: [10.1.0.0/16, 127.0.0.1]
        files: [data, /srv/okr-data/../okr-data]
        databases: [data/signups.db, "sqlite:///other.db", "postgresql://reader@db.internal/m"]
        environment: [YOUTUBE_API_KEY]
        expand_home: false
    """)
    )
    policy = Policy.load(path)
    assert policy.connectors == frozenset({"http", "youtube"})
    assert policy.hosts == ("api.example.com", "*.googleapis.com", "::1", "10.0.0.7")
    assert [str(network) for network in policy.networks] == ["10.1.0.0/16", "127.0.0.1/32"]
    assert policy.files == (tmp_path / "conf" / "data", Path("/srv/okr-data"))
    assert policy.databases == (
        str(tmp_path / "conf" / "data" / "signups.db"),
        str(tmp_path / "conf" / "other.db"),
        "postgresql://reader@db.internal/m",
    )
    assert policy.environment == frozenset({"YOUTUBE_API_KEY"})
    assert policy.source == str(path)
    assert policy.named == f"the policy {path}"


def test_an_empty_policy_file_allows_nothing(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("# nothing allowed yet\n")
    assert Policy.load(path) == Policy(source=str(path))
    policy = Policy.load(path)
    assert (policy.connectors, policy.hosts, policy.files, policy.databases) == (
        frozenset(),
        (),
        (),
        (),
    )
    assert policy.environment == frozenset()
    assert (policy.allow_private_networks, policy.expand_home) == (False, False)


def test_a_star_allows_anything_of_its_kind(tmp_path):
    policy = Policy.loads(
        'connectors: ["*"]\nhosts: ["*"]\nenvironment: ["*"]\nfiles: ["*"]\ndatabases: ["*"]\n',
        path=str(tmp_path / "p.yaml"),
    )
    assert (policy.connectors, policy.hosts, policy.environment) == (None, None, None)
    assert (policy.files, policy.databases) == (None, None)
    assert policy.allow_private_networks is False  # a * for hosts still keeps to public addresses


def test_a_json_policy_file_is_read_too(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text('{\n  "connectors": ["http"],\n  "hosts": ["api.example.com"]\n}\n')
    assert Policy.load(path).hosts == ("api.example.com",)
    path.write_text('{\n  "connectors": ["http"],\n  "hots": []\n}\n')
    with pytest.raises(FileFormatError) as caught:
        Policy.load(path)
    assert str(caught.value) == (
        f"{path}:3:3: unknown key 'hots' in a policy file; did you mean 'hosts'?"
    )


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "connectors: [http]\nhost: [a.example]\n",
            "2:1",
            "unknown key 'host' in a policy file; did you mean 'hosts'?",
        ),
        (
            "colour: blue\n",
            "1:1",
            (
                "unknown key 'colour' in a policy file (the keys: connectors, hosts, "
                "allow_private_networks, networks, files, databases, environment, expand_home)"
            ),
        ),
        (
            "shell: true\n",
            "1:1",
            (
                "'shell': okrkit never runs a command from an OKR file, so no policy can allow "
                "one; remove 'shell' (what a file can expand is ${VAR}, see environment, and ~, "
                "see expand_home)"
            ),
        ),
        (
            "- http\n",
            "1:1",
            (
                "a policy file is a mapping of keys (connectors, hosts, allow_private_networks, "
                "networks, files, databases, environment, expand_home), got a list"
            ),
        ),
        (
            "hosts: api.example.com\n",
            "1:1",
            "hosts: write a list, as in hosts: [api.example.com], not text",
        ),
        (
            "hosts:\n  - ok.example\n  - https://api.example.com/v1\n",
            "3:5",
            (
                "hosts: 'https://api.example.com/v1' is not a host: write the host name only, as "
                "in api.example.com or *.example.com (no scheme, port or path)"
            ),
        ),
        (
            "hosts: [api.example.com:8443]\n",
            "1:9",
            (
                "hosts: 'api.example.com:8443' is not a host: write the host name only, as in "
                "api.example.com or *.example.com (no scheme, port or path)"
            ),
        ),
        (
            "hosts: ['api.*.com']\n",
            "1:9",
            (
                "hosts: 'api.*.com' is not a host name: a * stands only for the leading labels, as "
                "in *.example.com"
            ),
        ),
        (
            "networks:\n  - 10.0.0.1/8\n",
            "2:5",
            (
                "networks: '10.0.0.1/8' is not a network (10.0.0.1/8 has host bits set): write an "
                "address or a network in CIDR form, as in 10.1.0.0/16, 127.0.0.1 or fd00::/8"
            ),
        ),
        (
            "allow_private_networks: sometimes\n",
            "1:1",
            "allow_private_networks: write true or false, not text",
        ),
        ("expand_home: 1\n", "1:1", "expand_home: write true or false, not a number"),
        (
            "environment: ['${TOKEN}']\n",
            "1:15",
            "environment: write the variable's name without ${ }: TOKEN",
        ),
        (
            "environment: [MY-TOKEN]\n",
            "1:15",
            (
                "environment: 'MY-TOKEN' is not an environment variable name: letters, digits and "
                "_, as in YOUTUBE_API_KEY"
            ),
        ),
        ("connectors: [http, 3]\n", "1:20", "connectors: write each item as text, not a number"),
        (
            "connectors: ['my connector']\n",
            "1:14",
            (
                "connectors: 'my connector' is not a connector name: write it as a key result's "
                "source does, as in http or youtube"
            ),
        ),
        (
            "databases: ['postgresql://reader:hunter22@db/m']\n",
            "1:13",
            (
                "databases: 'postgresql://reader:***@db/m': leave the password out (a URL is "
                "matched without it, and the file that holds the password is the OKR file's "
                "environment)"
            ),
        ),
        (
            "databases: ['sqlite:///:memory:']\n",
            "1:13",
            (
                "databases: 'sqlite:///:memory:': write a SQLite database as its path, or as "
                "sqlite:///path.db"
            ),
        ),
        ("files: ['']\n", "1:9", "files: an empty path: write a folder, as in /srv/okr-data"),
        (
            "hosts: [a.example]\nhosts: [b.example]\n",
            "2:1",
            "duplicate key 'hosts' (first on line 1): keep one",
        ),
        ("hosts: [a.example\n", "2:1", "not valid YAML"),
    ],
)
def test_a_bad_policy_file_is_refused_at_its_line_with_what_to_fix(tmp_path, text, where, message):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(FileFormatError) as caught:
        Policy.load(path)
    assert str(caught.value).startswith(f"{path}:{where}: {message}")


def test_a_missing_policy_file_is_a_file_error(tmp_path):
    with pytest.raises(FileFormatError) as caught:
        Policy.load(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: no such policy file"


def test_no_key_can_allow_a_command():
    """What a policy can say is exactly its documented keys: none runs anything."""
    assert [field.name for field in attrs.fields(Policy)] == [*KEYS, "source"]


def test_the_api_refuses_bad_values_as_model_errors():
    with pytest.raises(ModelError) as caught:
        Policy(hosts=["https://x.example"])
    assert str(caught.value).startswith("policy field 'hosts': 'https://x.example' is not a host")
    with pytest.raises(ModelError, match="policy field 'hosts': give a list"):
        Policy(hosts="api.example.com")
    with pytest.raises(ModelError, match="policy field 'expand_home': true or false"):
        Policy(expand_home="no")


def test_every_key_is_documented():
    text = (ROOT / "docs" / "how-to" / "shared-scheduler.md").read_text()
    for key in KEYS:
        assert f"| `{key}` |" in text, key


# -- The checks, one by one -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("api.example.com", True),
        ("API.Example.COM.", True),  # case and the trailing dot of a fully qualified name
        ("a.b.example.org", True),
        ("example.org", False),  # *.example.org is for the names below it
        ("evilexample.org", False),
        ("example.org.evil.net", False),
        ("api.example.com.evil.net", False),
        ("0:0:0:0:0:0:0:1", True),  # the same address as ::1, written out
        ("[::1]", True),
        ("127.0.0.1", False),
    ],
)
def test_hosts_match_names_patterns_and_addresses(host, allowed):
    policy = Policy(hosts=["api.example.com", "*.example.org", "::1"])
    if allowed:
        policy.check_host(host)
    else:
        with pytest.raises(PolicyError, match="is not allowed by the policy: add it to hosts"):
            policy.check_host(host)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://10.0.0.1/",
            "host '10.0.0.1' is a private address, which the policy refuses: add 10.0.0.1/32",
        ),
        ("http://192.168.1.20/", "host '192.168.1.20' is a private address"),
        (
            "http://[::1]/",
            "host '::1' is a loopback address, which the policy refuses: add ::1/128",
        ),
        ("http://[fd12::1]/", "host 'fd12::1' is a private address"),
        ("http://[fe80::1]/", "host 'fe80::1' is a link-local address"),
        (
            "http://169.254.169.254/latest/meta-data",
            "host '169.254.169.254' is a link-local address",
        ),
        ("http://0.0.0.0:8080/", "host '0.0.0.0' is an unspecified address"),
        ("http://100.64.0.1/", "host '100.64.0.1' is not a public address"),
        (
            "http://[::ffff:127.0.0.1]/",
            (
                "host '::ffff:7f00:1' is 127.0.0.1, a loopback address, which the policy refuses: "
                "add 127.0.0.1/32"
            ),
        ),
        ("http://[2002:7f00:1::]/", "host '2002:7f00:1::' is 127.0.0.1, a loopback address"),
        ("http://[64:ff9b::a00:1]/", "host '64:ff9b::a00:1' is 10.0.0.1, a private address"),
        ("http://0177.0.0.1/", "host '0177.0.0.1' resolves to 127.0.0.1, a loopback address"),
        ("http://2130706433/", "host '2130706433' resolves to 127.0.0.1, a loopback address"),
        ("http://localhost/", "host 'localhost' resolves to 127.0.0.1, a loopback address"),
        (
            "file:///etc/passwd",
            "the policy allows only http:// and https:// addresses, not file://",
        ),
        (
            "gopher://127.0.0.1:6379/_INFO",
            "the policy allows only http:// and https:// addresses, not gopher://",
        ),
    ],
)
def test_addresses_that_are_not_public_are_refused(url, message):
    with pytest.raises(PolicyError) as caught:
        Policy(hosts=["*"]).check_url(url)
    assert message in caught.value.message


def test_networks_and_allow_private_networks_let_private_addresses_through():
    assert Policy(hosts=["*"], networks=["127.0.0.0/8"]).check_url(
        "http://[::ffff:127.0.0.5]/"
    ) == ("::ffff:7f00:5",)
    assert Policy(hosts=["*"], networks=["10.1.0.0/16"]).check_url("http://10.1.2.3/") == (
        "10.1.2.3",
    )
    with pytest.raises(PolicyError, match=r"host '10\.2\.0\.1' is a private address"):
        Policy(hosts=["*"], networks=["10.1.0.0/16"]).check_url("http://10.2.0.1/")
    assert Policy(hosts=["*"], allow_private_networks=True).check_url("http://10.2.0.1/") == (
        "10.2.0.1",
    )
    assert Policy(hosts=["*"]).check_url("https://8.8.8.8/dns") == ("8.8.8.8",)


def test_check_url_without_resolving_checks_only_what_needs_no_dns():
    policy = Policy(hosts=["*"])
    assert policy.check_url("http://localhost/", resolve=False) == ()
    with pytest.raises(PolicyError, match=r"host '127\.0\.0\.1' is a loopback address"):
        policy.check_url("http://127.0.0.1/", resolve=False)


def test_a_host_that_cannot_be_resolved_is_transient(monkeypatch):
    def fail(host, *args, **kwargs):
        raise OSError("[Errno -2] Name or service not known")

    monkeypatch.setattr("socket.getaddrinfo", fail)
    with pytest.raises(TransientError) as caught:
        Policy(hosts=["*"]).check_url("https://api.example.com/")
    assert caught.value.message == (
        "could not resolve host 'api.example.com': [Errno -2] Name or service not known"
    )


def test_the_permissive_policy_allows_everything(tmp_path):
    policy = Policy.permissive()
    policy.check_connector("anything")
    policy.check_environment(["HOME", "AWS_SECRET_ACCESS_KEY"])
    policy.check_home("~/x.csv")
    assert policy.check_url("http://127.0.0.1:9/") == ("127.0.0.1",)
    assert policy.check_file(Path("/etc/passwd")) == Path("/etc/passwd")
    assert policy.check_database_file(Path("a/../b.db")) == Path("a/../b.db")
    policy.check_database_url("postgresql://u:p@h/db")
    assert not policy.checks_hosts


def test_the_http_client_pays_for_a_policy_only_when_it_restricts_hosts():
    assert HttpClient()._guard is None
    assert HttpClient(policy=Policy.permissive())._guard is None
    assert HttpClient(policy=Policy(hosts=["*"]))._guard is not None
    assert Context(policy=Policy(hosts=["*"])).http._guard is not None


# -- Break-out attempts, through the real refresh -------------------------------------------


def test_file_url_in_the_http_connector_is_refused(site, store, fake_api):
    fake_api.route("/next", Answer(302, "", {"Location": "file:///etc/passwd"}))
    site.policy("hosts: [127.0.0.1]\nnetworks: [127.0.0.1/32]\n")
    plan = site.plan(
        {
            "file": http("file:///etc/passwd"),
            "csv-file": {"connector": "csv", "path": "file:///etc/passwd"},
            "via": http(fake_api.url + "/next"),
        }
    )
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["file"].status == "invalid"
    assert outcomes["file"].error == (
        "setting 'url': write the endpoint's full address, starting with https:// or http://"
    )
    # a csv path is a file name: file:/etc/passwd in the OKR file's folder, outside the data
    assert outcomes["csv-file"].status == "invalid"
    assert outcomes["csv-file"].error.startswith(
        f"{site.named} does not allow reading '{site.team / 'file:/etc/passwd'}'"
    )
    assert outcomes["via"].status == "failed"
    assert outcomes["via"].error == (
        f"GET {fake_api.url}/next was redirected to file:///etc/passwd: {site.named} allows only "
        "http:// and https:// addresses, not file:// [terminal]"
    )
    assert_others_measured(result, store)


def test_a_loopback_address_is_refused_before_any_request(site, store, fake_api):
    fake_api.route("/v", {"v": 5})
    port = fake_api.server.server_address[1]
    site.policy("hosts: ['*']\n")
    plan = site.plan(
        {"loop": http(f"http://127.0.0.1:{port}/v"), "six": http(f"http://[::1]:{port}/v")}
    )
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["loop"].status == "invalid"
    assert outcomes["loop"].error == (
        f"GET http://127.0.0.1:{port}/v: host '127.0.0.1' is a loopback address, which "
        f"{site.named} refuses: add 127.0.0.1/32 (or a network that holds it) to networks "
        "there, or set allow_private_networks: true"
    )
    assert outcomes["six"].status == "invalid"
    assert outcomes["six"].error.startswith(
        f"GET http://[::1]:{port}/v: host '::1' is a loopback address, which {site.named} refuses"
    )
    assert fake_api.seen == []
    assert_others_measured(result, store)


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        (
            "['*']",
            (
                "host '10.0.0.1' is a private address, which {named} refuses: add 10.0.0.1/32 (or "
                "a network that holds it) to networks there, or set allow_private_networks: true"
            ),
        ),
        ("[api.example.com]", "host '10.0.0.1' is not allowed by {named}: add it to hosts there"),
    ],
)
def test_an_internal_address_is_refused(site, store, hosts, message):
    site.policy(f"hosts: {hosts}\n")
    plan = site.plan({"internal": http("http://10.0.0.1/admin/stats", token="${TEAM_TOKEN}")})
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["internal"].status == "invalid"
    assert outcomes["internal"].error == (
        "GET http://10.0.0.1/admin/stats: " + message.format(named=site.named)
    )
    assert_others_measured(result, store)


def test_a_name_that_resolves_to_loopback_is_refused_when_asked(site, store, fake_api):
    fake_api.route("/v", {"v": 5})
    port = fake_api.server.server_address[1]
    site.policy("hosts: ['*']\n")
    plan = site.plan({"local": http(f"http://localhost:{port}/v")})
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["local"].status == "failed"
    assert outcomes["local"].error == (
        f"GET http://localhost:{port}/v: host 'localhost' resolves to 127.0.0.1, a loopback "
        f"address, which {site.named} refuses: add 127.0.0.1/32 (or a network that holds it) "
        "to networks there, or set allow_private_networks: true [terminal]"
    )
    assert outcomes["local"].attempts == 1  # terminal: never retried
    assert fake_api.seen == []
    assert_others_measured(result, store)


@pytest.mark.parametrize(
    ("hosts", "refusal"),
    [
        # the host is listed, but the address it is at is not among the networks
        (
            "[127.0.0.1, 127.0.0.2]",
            (
                "host '127.0.0.2' is a loopback address, which {named} refuses: add 127.0.0.2/32 "
                "(or a network that holds it) to networks there, or set allow_private_networks: "
                "true"
            ),
        ),
        ("[127.0.0.1]", "host '127.0.0.2' is not allowed by {named}: add it to hosts there"),
    ],
)
def test_a_redirect_to_a_refused_address_is_not_followed(  # noqa: PLR0917  # fixtures
    site, store, fake_api, second, hosts, refusal
):
    fake_api.route("/v", {"v": 5})
    fake_api.route("/jump", Answer(302, "", {"Location": second.url + "/v"}))
    site.policy(f"hosts: {hosts}\nnetworks: [127.0.0.1/32]\n")
    plan = site.plan({"api": http(fake_api.url + "/v"), "jump": http(fake_api.url + "/jump")})
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["jump"].status == "failed"
    assert outcomes["jump"].error == (
        f"GET {fake_api.url}/jump was redirected to {second.url}/v: "
        + refusal.format(named=site.named)
        + " [terminal]"
    )
    assert second.paths == []
    assert len(fake_api.requests_to("/jump")) == 1
    assert_others_measured(result, store, {"api": 5.0})


def test_redirects_within_the_policy_are_followed_and_counted(site, store, fake_api):
    fake_api.route("/v", {"v": 5})
    fake_api.route("/moved", Answer(301, "", {"Location": "/v"}))
    fake_api.route("/loop", Answer(302, "", {"Location": "/loop"}))
    site.policy("hosts: [127.0.0.1]\nnetworks: [127.0.0.1/32]\n")
    plan = site.plan({"moved": http(fake_api.url + "/moved"), "loop": http(fake_api.url + "/loop")})
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["loop"].status == "failed"
    assert (
        outcomes["loop"].error
        == f"GET {fake_api.url}/loop was redirected more than 5 times [terminal]"
    )
    assert (
        len(fake_api.requests_to("/loop")) == 6
    )  # the request and 5 redirects, as without a policy
    assert_others_measured(result, store, {"moved": 5.0})


def test_a_path_with_dots_cannot_leave_the_allowed_folders(site, store):
    (site.data / "inner").mkdir()
    site.policy()
    plan = site.plan(
        {
            "escape": {"connector": "csv", "path": "../../etc/passwd"},
            "far": {"connector": "csv", "path": "../" * 30 + "etc/passwd"},
            "inside": {"connector": "csv", "path": "data/inner/../posts.csv"},
        }
    )
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    written = site.team / "../../etc/passwd"
    assert outcomes["escape"].status == "invalid"
    assert outcomes["escape"].error == (
        f"{site.named} does not allow reading '{written}' (that is {written.resolve()}): it is "
        "outside every folder in files; add a folder that holds it to files there"
    )
    assert outcomes["far"].status == "invalid"
    assert "(that is /etc/passwd): it is outside every folder in files" in outcomes["far"].error
    assert_others_measured(result, store, {"inside": 2.0})


def test_a_symlink_cannot_leave_the_allowed_folders(site, store):
    (site.data / "link.csv").symlink_to(site.root / "secret.csv")
    (site.data / "passwd.csv").symlink_to("/etc/passwd")
    (site.data / "fine.csv").symlink_to(site.data / "posts.csv")
    site.policy()
    plan = site.plan(
        {
            "link": {"connector": "csv", "path": "data/link.csv"},
            "passwd": {"connector": "csv", "path": "data/passwd.csv"},
            "fine": {"connector": "csv", "path": "data/fine.csv"},
        }
    )
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["link"].status == "invalid"
    assert outcomes["link"].error == (
        f"{site.named} does not allow reading '{site.data / 'link.csv'}' (that is "
        f"{site.root / 'secret.csv'}): it is outside every folder in files; add a folder that "
        "holds it to files there"
    )
    assert "(that is /etc/passwd)" in outcomes["passwd"].error
    assert_others_measured(result, store, {"fine": 2.0})


def test_a_symlink_is_checked_again_when_the_file_is_read(site):
    """The connector checks the file it is about to read, not only the runner when planning:
    a link changed between the two is caught too."""
    policy = site.policy()
    link = site.data / "late.csv"
    link.symlink_to(site.root / "secret.csv")
    context = Context(base_dir=site.team, policy=policy)
    window = Window(None, AT)
    query = Query("late", CsvSettings(path="data/late.csv"), window, AT)
    (answer,) = CsvConnector().fetch([query], context)
    assert isinstance(answer, PolicyError)
    assert answer.message.startswith(f"{site.named} does not allow reading '{link}' (that is")


@pytest.mark.parametrize("with_policy", [True, False], ids=["policy", "laptop"])
def test_the_sql_connector_never_writes(site, store, with_policy):
    before = hashlib.sha256(site.db.read_bytes()).hexdigest()
    url = "sqlite:///data/signups.db"
    writes = {
        "insert": "WITH x(n) AS (SELECT 9) INSERT INTO signups (id) SELECT n FROM x",
        "update": "WITH x AS (SELECT 1) UPDATE signups SET id = 0",
        "delete": "WITH x AS (SELECT 1) DELETE FROM signups",
        "pragma-fn": "SELECT count(*) FROM pragma_journal_mode('delete')",
        "extension": "SELECT load_extension('/tmp/evil.so')",
        "plain-insert": "INSERT INTO signups VALUES (1)",
        "attach": "ATTACH DATABASE '/tmp/other.db' AS other",
        "pragma": "PRAGMA journal_mode = DELETE",
    }
    plan = site.plan(
        {
            **{name: {"connector": "sql", "url": url, "query": q} for name, q in writes.items()},
            "count": {"connector": "sql", "url": url, "query": "SELECT COUNT(*) FROM signups"},
        }
    )
    policy = site.policy() if with_policy else None
    outcomes = by_id(result := run(plan, store, policy=policy))
    assert outcomes["insert"].error == (
        "the sql connector only reads, and the query tries to insert into signups [terminal]"
    )
    assert outcomes["update"].error == (
        "the sql connector only reads, and the query tries to update signups [terminal]"
    )
    assert outcomes["delete"].error == (
        "the sql connector only reads, and the query tries to delete from signups [terminal]"
    )
    assert outcomes["extension"].error == (
        "the sql connector only reads, and the query tries to call load_extension() [terminal]"
    )
    assert outcomes["pragma-fn"].status == "failed"
    assert outcomes["pragma-fn"].error.startswith("the sql connector only reads, and the query")
    for name in ("plain-insert", "attach", "pragma"):
        assert outcomes[name].status == "invalid"
        assert outcomes[name].error == (
            "setting 'query': the sql connector only reads: write one query that starts with "
            "SELECT or WITH"
        )
    assert hashlib.sha256(site.db.read_bytes()).hexdigest() == before
    assert_others_measured(result, store, {"count": 4.0})


def test_a_database_not_listed_is_refused(site, store):
    other = site.data / "other.db"
    other.write_bytes(site.db.read_bytes())
    site.policy()
    query = "SELECT COUNT(*) FROM signups"
    plan = site.plan(
        {
            "other": {"connector": "sql", "url": "sqlite:///data/other.db", "query": query},
            "dots": {"connector": "sql", "url": "sqlite:///data/x/../signups.db", "query": query},
            "alchemy": {
                "connector": "sql",
                "url": "sqlite+pysqlite:///data/other.db",
                "query": query,
            },
            "uri": {
                "connector": "sql",
                "url": "sqlite+pysqlite:///file:data/signups.db?mode=rw&uri=true",
                "query": query,
            },
            "pg": {
                "connector": "sql",
                "url": "postgresql://reader:${TEAM_TOKEN}@db.internal/metrics",
                "query": query,
            },
        }
    )
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["other"].status == "invalid"
    assert outcomes["other"].error == (
        f"{site.named} does not allow opening the database '{other}': it is not in databases; "
        "add it there"
    )
    assert outcomes["alchemy"].error == outcomes["other"].error
    assert outcomes["uri"].error == (
        f"{site.named} does not allow a SQLite file: URI (sqlite+pysqlite:///file:data/"
        "signups.db?mode=rw&uri=true): write the database's path, as in sqlite:///signups.db"
    )
    assert outcomes["pg"].status == "invalid"
    assert outcomes["pg"].error == (
        f"{site.named} does not allow connecting to postgresql://reader:***@db.internal/metrics: "
        "it is not in databases; add it there, written the same way without the password"
    )
    assert "team-token-1234" not in json.dumps(result.to_dict())
    assert_others_measured(result, store, {"dots": 4.0})


def test_a_listed_database_url_is_matched_without_its_password(site):
    policy = site.policy(
        'databases: ["postgresql://reader@db.internal/metrics", "mysql+pymysql://r@h:3307/d"]\n'
    )
    context = Context(policy=policy)
    allowed = SqlSettings(url="postgresql://reader:pw@DB.internal/metrics", query="SELECT 1")
    SqlConnector.check_policy(allowed, context)
    SqlConnector.check_policy(
        SqlSettings(url="mysql+pymysql://r:x@h:3307/d", query="SELECT 1"), context
    )
    for url in (
        "postgresql://reader:pw@db.internal/metrics?host=10.0.0.5",  # the driver would go there
        "postgresql://admin:pw@db.internal/metrics",
        "postgresql://reader:pw@db.internal:5433/metrics",
        "postgresql+psycopg://reader:pw@db.internal/metrics",
        "postgresql://reader:p@ss@evil.example@db.internal/metrics",
        "mysql+pymysql://r:x@h/d",
    ):
        with pytest.raises(PolicyError, match="it is not in databases"):
            SqlConnector.check_policy(SqlSettings(url=url, query="SELECT 1"), context)


def test_an_environment_variable_not_listed_is_refused(site, store, fake_api):
    fake_api.route("/v", {"v": 5})
    site.policy("hosts: [127.0.0.1]\nnetworks: [127.0.0.1/32]\n")
    plan = site.plan(
        {
            "steal": http(fake_api.url + "/v", params={"leak": "${HOME_SECRET}"}),
            "two": http(fake_api.url + "/v", headers={"X-A": "${HOME_SECRET}", "X-B": "${PATH}"}),
            "escaped": http(fake_api.url + "/v", params={"text": "$${HOME_SECRET}"}),
            "token": http(fake_api.url + "/v", token="${TEAM_TOKEN}"),
        }
    )
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["steal"].status == "invalid"
    assert outcomes["steal"].error == (
        f"${{HOME_SECRET}} is not allowed by {site.named}: a file may read only the environment "
        "variables in its environment key; add HOME_SECRET there"
    )
    assert outcomes["two"].error.startswith(
        f"${{HOME_SECRET}}, ${{PATH}} are not allowed by {site.named}"
    )
    assert SECRET not in json.dumps([seen.target for seen in fake_api.seen])
    assert [seen.query for seen in fake_api.requests_to("/v") if "text" in seen.query] == [
        {"text": ["${HOME_SECRET}"]}  # $${...} is text, not a reference
    ]
    auth = [seen.headers.get("Authorization") for seen in fake_api.seen]
    assert "Bearer team-token-1234" in auth
    assert_others_measured(result, store, {"escaped": 5.0, "token": 5.0})


def test_a_home_path_is_refused(site, store, monkeypatch):
    home = site.root / "home"
    (home / "okr").mkdir(parents=True)
    (home / "okr" / "x.csv").write_text("id\n1\n")
    monkeypatch.setenv("HOME", str(home))
    site.policy()
    plan = site.plan(
        {
            "home": {"connector": "csv", "path": "~/okr/x.csv"},
            "user": {"connector": "sql", "url": "sqlite:///~root/x.db", "query": "SELECT 1"},
        }
    )
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["home"].status == "invalid"
    assert outcomes["home"].error == (
        f"'~/okr/x.csv' starts with ~, which {site.named} does not expand: write the path from "
        "the OKR file's folder, or set expand_home: true there"
    )
    assert outcomes["user"].error.startswith(f"'~root/x.db' starts with ~, which {site.named}")
    assert_others_measured(result, store)
    # with expand_home and the home folder among the files, the same file is read
    site.policy(f"expand_home: true\nfiles: [team/data, {home}]\n")
    again = by_id(run(plan, None, policy=Policy.load(site.policy_path)))
    assert (again["home"].status, again["home"].value) == ("measured", 1.0)


def test_a_connector_not_listed_is_refused_before_it_is_loaded(site, store, tmp_path):
    site.policy("connectors: [static, csv]\n")
    query = "SELECT COUNT(*) FROM signups"
    plan = site.plan(
        {
            "db": {"connector": "sql", "url": "sqlite:///data/signups.db", "query": query},
            "both": {
                "connector": "sum",
                "sources": [
                    {"connector": "static", "value": 1},
                    {"connector": "http", "url": "https://api.example.com/v"},
                ],
            },
            "plugin": {"connector": "not-installed-anywhere"},
        }
    )
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert (outcomes["db"].status, outcomes["db"].connector) == ("invalid", "sql")
    assert outcomes["db"].error == (
        f"connector 'sql' is not allowed by {site.named}: add it to connectors there"
    )
    assert outcomes["both"].error == (
        f"connector 'http' is not allowed by {site.named}: add it to connectors there"
    )
    assert outcomes["plugin"].status == "invalid"  # refused, not looked for
    assert result.exit_code() == 2
    assert_others_measured(result, store)


def test_without_a_policy_the_laptop_may_do_all_of_it(site, store, fake_api, second, monkeypatch):
    fake_api.route("/v", {"v": 5})
    fake_api.route("/jump", Answer(302, "", {"Location": second.url + "/v"}))
    port = fake_api.server.server_address[1]
    home = site.root / "home"
    home.mkdir()
    (home / "x.csv").write_text("id\n1\n")
    monkeypatch.setenv("HOME", str(home))
    plan = site.plan(
        {
            "loop": http(f"http://127.0.0.1:{port}/v"),
            "local": http(f"http://localhost:{port}/v"),
            "jump": http(fake_api.url + "/jump"),
            "home": {"connector": "csv", "path": "~/x.csv"},
            "outside": {"connector": "csv", "path": "../secret.csv"},
            "env": http(f"http://127.0.0.1:{port}/v", params={"x": "${HOME_SECRET}"}),
        }
    )
    result = run(plan, store)
    assert_others_measured(
        result,
        store,
        {"loop": 5.0, "local": 5.0, "jump": 99.0, "home": 1.0, "outside": 3.0, "env": 5.0},
    )


# -- DNS: the address checked is the address connected to -----------------------------------


def test_connections_go_to_the_checked_address_not_a_new_answer(fake_api, monkeypatch):
    """A DNS answer that changes after the check (rebinding) cannot move the request: the
    client connects to the address it checked, and resolves each host once."""
    fake_api.route("/v", {"v": 5})
    port = fake_api.server.server_address[1]
    answers = iter([("127.0.0.1",), ("10.9.9.9",)])
    asked: list[str] = []

    def resolve(host):
        asked.append(host)
        return next(answers)

    monkeypatch.setattr(Policy, "resolve", staticmethod(resolve))
    monkeypatch.setattr("socket.getaddrinfo", _no_dns)  # requests may not resolve on its own
    client = HttpClient(policy=Policy(hosts=["api.test"], networks=["127.0.0.1/32"]))
    try:
        for _ in range(3):
            assert client.get_json(f"http://api.test:{port}/v") == {"v": 5}
    finally:
        client.close()
    assert asked == ["api.test"]
    assert [seen.headers["Host"] for seen in fake_api.seen] == [f"api.test:{port}"] * 3


def _no_dns(host, *args, **kwargs):
    import socket

    if host in ("127.0.0.1", "::1"):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, args[0] if args else 0))]
    raise socket.gaierror(-2, f"no DNS in this test ({host})")


def test_tls_to_a_checked_address_still_verifies_the_host_name(tmp_path, monkeypatch):
    from fault_servers import make_tls

    context, certificate = make_tls(tmp_path)  # a certificate for localhost and 127.0.0.1
    api = FakeApi(tls=context)
    try:
        api.route("/v", {"v": 5})
        port = api.server.server_address[1]
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))
        monkeypatch.setattr(Policy, "resolve", staticmethod(lambda host: ("127.0.0.1",)))
        policy = Policy(hosts=["localhost", "other.test"], networks=["127.0.0.1/32"])
        client = HttpClient(policy=policy)
        assert client.get_json(f"https://localhost:{port}/v") == {"v": 5}
        with pytest.raises(TransientError) as caught:
            client.get_json(f"https://other.test:{port}/v")
        assert "certificate" in caught.value.message.lower()
        assert "other.test" in caught.value.message
        client.close()
    finally:
        api.close()


def test_a_caller_cannot_turn_the_redirect_checks_off(fake_api, second):
    fake_api.route("/jump", Answer(302, "", {"Location": second.url + "/v"}))
    client = HttpClient(policy=Policy(hosts=["127.0.0.1"], networks=["127.0.0.1/32"]))
    with pytest.raises(PolicyError) as caught:
        client.request("GET", fake_api.url + "/jump", allow_redirects=True)
    assert caught.value.policy_key == "hosts"
    assert second.paths == []
    client.close()


def test_a_refusal_is_terminal_and_names_the_key_to_change():
    assert issubclass(PolicyError, TerminalError)
    with pytest.raises(PolicyError) as caught:
        Policy(source="p.yaml").check_connector("sql")
    assert caught.value.policy_key == "connectors"
    assert isinstance(caught.value, okrkit.OkrkitError)


# -- The command line -----------------------------------------------------------------------


def test_the_command_applies_the_policy_file(site, fake_api, tmp_path):
    fake_api.route("/v", {"v": 5})
    site.policy("hosts: ['*']\n")
    site.plan({"db": {"connector": "sql", "url": "sqlite:///data/other.db", "query": "SELECT 1"}})
    runner = CliRunner()
    store_path = tmp_path / "cli.db"
    args = [
        "refresh",
        str(site.okrs),
        "--store",
        str(store_path),
        "--policy",
        str(site.policy_path),
    ]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert any(line.split()[:3] == ["control", "measured", "7"] for line in lines)
    refused = next(line for line in lines if line.split()[:1] == ["db"])
    assert refused.split()[1:3] == ["invalid", "sql"]
    assert f"{site.named} does not allow opening the database" in refused
    with okrkit.open_store(store_path) as opened:
        assert [record.value for record in opened.history(KEY, "control")] == [7.0]


def test_the_policy_comes_from_the_environment_and_a_dry_run_fetches_nothing(site, fake_api):
    fake_api.route("/v", {"v": 5})
    site.policy("hosts: ['*']\n")
    site.plan({"api": http(fake_api.url + "/v")})
    runner = CliRunner()
    args = ["refresh", str(site.okrs), "--dry-run", "--format", "json"]
    result = runner.invoke(main, args, env={"OKRKIT_POLICY": str(site.policy_path)})
    assert result.exit_code == 2, result.output
    outcomes = {row["key_result"]: row for row in json.loads(result.output)["results"]}
    assert outcomes["control"]["status"] == "planned"
    assert outcomes["api"]["status"] == "invalid"
    assert "host '127.0.0.1' is a loopback address" in outcomes["api"]["error"]
    assert fake_api.seen == []
    assert not (site.team / "okrs.okrkit.db").exists()


def test_a_bad_policy_file_stops_the_command_before_anything_runs(site):
    site.policy_path.write_text("connectors: [static]\nhostz: []\n")
    site.plan({})
    result = CliRunner().invoke(
        main, ["refresh", str(site.okrs), "--policy", str(site.policy_path)]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {site.policy_path}:2:1: unknown key 'hostz' in a policy file; did you mean "
        "'hosts'?"
    )
    assert not (site.team / "okrs.okrkit.db").exists()


def test_without_the_option_nothing_changes(site, tmp_path, monkeypatch):
    monkeypatch.delenv("OKRKIT_POLICY", raising=False)
    site.plan({"outside": {"connector": "csv", "path": "../secret.csv"}})
    result = CliRunner().invoke(
        main, ["refresh", str(site.okrs), "--store", str(tmp_path / "c.db")]
    )
    assert result.exit_code == 0, result.output
    assert "3 measured, 0 failed, 0 skipped" in result.output


def test_the_policy_module_is_not_imported_by_okrkit():
    import subprocess
    import sys

    code = "import sys, okrkit; print('okrkit.policy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert okrkit.Policy is Policy


# -- The hook for connectors ------------------------------------------------------------------


class Checked(Connector):
    """A connector whose settings name a host, checked with the policy while planning."""

    name = "checked"

    @classmethod
    def check_policy(cls, settings, context):
        if settings["host"] == "boom":
            raise RuntimeError("a bug in the plugin")
        context.policy.check_host(settings["host"])

    def fetch(self, queries, context):
        return [1.0 for _ in queries]


def test_a_connector_checks_its_own_settings_while_planning(site, store):
    site.policy("connectors: [static, csv, checked]\nhosts: [api.example.com]\n")
    plan = site.plan(
        {
            "fine": {"connector": "checked", "host": "api.example.com"},
            "other": {"connector": "checked", "host": "evil.example"},
            "buggy": {"connector": "checked", "host": "boom"},
            "nul": {"connector": "csv", "path": "data/a\u0000b.csv"},
        }
    )
    registry = Registry(extra=[Checked])
    policy = Policy.load(site.policy_path)
    planned = by_id(run(plan, None, registry=registry, policy=policy, dry_run=True))
    assert planned["other"].status == "invalid"
    assert planned["other"].error == (
        f"host 'evil.example' is not allowed by {site.named}: add it to hosts there"
    )
    outcomes = by_id(result := run(plan, store, registry=registry, policy=policy))
    assert outcomes["other"] == planned["other"]
    assert outcomes["buggy"].status == "invalid"
    assert outcomes["buggy"].error == (
        "connector 'checked' crashed checking its settings against the policy (RuntimeError: "
        "a bug in the plugin), so they are refused"
    )
    assert outcomes["nul"].status == "invalid"
    assert "where it leads cannot be told (embedded null byte)" in outcomes["nul"].error
    assert_others_measured(result, store, {"fine": 1.0})


# -- Connectors on httplib2 (YouTube, Google) -------------------------------------------------


def _youtube(fake_api) -> dict:
    fake_api.route(
        "/youtube/v3/videos",
        {
            "kind": "youtube#videoListResponse",
            "items": [{"id": "ACMEVIDEO01", "statistics": {"viewCount": "4200"}}],
        },
    )
    return {
        "connector": "youtube",
        "videos": ["ACMEVIDEO01"],
        "statistic": "views",
        "api_key": "${TEAM_TOKEN}",
        "endpoint": fake_api.url,
    }


def test_the_youtube_connector_is_held_to_the_policys_hosts(site, store, fake_api):
    plan = site.plan({"views": _youtube(fake_api)})
    site.policy("connectors: [static, csv, youtube]\nhosts: ['*']\n")
    outcomes = by_id(result := run(plan, store, policy=Policy.load(site.policy_path)))
    assert outcomes["views"].status == "failed"
    assert "host '127.0.0.1' is a loopback address, which" in outcomes["views"].error
    assert outcomes["views"].error.endswith("[terminal]")
    assert fake_api.seen == []  # refused before a connection was made
    assert_others_measured(result, store)


def test_the_youtube_connector_reaches_what_the_policy_allows(site, store, fake_api):
    plan = site.plan({"views": _youtube(fake_api)})
    site.policy("connectors: [static, csv, youtube]\nhosts: ['*']\nnetworks: [127.0.0.1/32]\n")
    result = run(plan, store, policy=Policy.load(site.policy_path))
    assert_others_measured(result, store, {"views": 4200.0})
    assert [seen.path for seen in fake_api.seen] == ["/youtube/v3/videos"]
