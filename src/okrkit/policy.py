"""The operator's policy for a shared scheduler: what OKR files may make a refresh do.

A refresh does what its OKR file says: it runs the connectors the file names, asks the hosts it
names, opens the files and databases it names and reads the environment variables it names. On a
laptop that is the user asking for their own data. On a scheduler that refreshes many teams'
files, a file is input from someone else, and a `Policy` says what any file may ask for:

- which connectors may run (``connectors``);
- which hosts the HTTP-based ones may reach (``hosts``), and which addresses those hosts may
  resolve to (public ones; private, loopback and link-local ones only through ``networks`` or
  ``allow_private_networks``);
- which files the ``csv`` connector may read (``files``) and which databases the ``sql``
  connector may open (``databases``);
- which environment variables a file may read with ``${VAR}`` (``environment``), and whether
  ``~`` means the scheduler's home folder in paths (``expand_home``).

What a policy file does not list is refused. `Policy.permissive` is the behaviour without a
policy (everything allowed), the right one for a single user. No key allows running a command:
okrkit never runs one from a file.

The checks are methods (`Policy.check_url`, `Policy.check_file`...) that raise `PolicyError`; the
runner, the HTTP client and the built-in connectors call them, and a connector with its own
HTTP stack can call them too.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import attrs

from okrkit.errors import FileFormatError, Location, ModelError, PolicyError, TransientError
from okrkit.files import _kind_of
from okrkit.secrets import Redactor

__all__ = ["KEYS", "Policy"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The keys of a policy file, each with a one-line description.
KEYS: Final[Mapping[str, str]] = {
    "connectors": "The connectors key results may use, by name ('*': any installed).",
    "hosts": "The hosts HTTP-based connectors may reach: names, *.suffix patterns, addresses.",
    "allow_private_networks": "true lets hosts resolve to private and loopback addresses.",
    "networks": "Private networks hosts may resolve to anyway, in CIDR form (10.1.0.0/16).",
    "files": "The folders (or files) the csv connector may read.",
    "databases": "The SQLite files and database URLs (without password) sql may open.",
    "environment": "The environment variables a file may read with ${VAR} ('*': any).",
    "expand_home": "true lets a path in a file start with ~ (the scheduler's home folder).",
}

_EXAMPLES: Final = {
    "connectors": "[http, csv]",
    "hosts": "[api.example.com]",
    "networks": "[10.1.0.0/16]",
    "files": "[/srv/okr-data]",
    "databases": "[/srv/okr-data/signups.db]",
    "environment": "[YOUTUBE_API_KEY]",
}
_ANY: Final = "*"
_SCHEMES: Final = ("http", "https")
_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_VARIABLE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LABEL: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")
_COMMAND_KEYS: Final = frozenset(
    {"shell", "commands", "command", "exec", "execute", "run", "scripts", "allow_shell"}
)
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")


# -- Reading values -------------------------------------------------------------------------


def _connector_name(text: str) -> str:
    name = text.strip()
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"{text!r} is not a connector name: write it as a key result's source does, "
            "as in http or youtube"
        )
    return name


def _variable_name(text: str) -> str:
    name = text.strip()
    if name.startswith("${") and name.endswith("}"):
        raise ValueError(f"write the variable's name without ${{ }}: {name[2:-1]}")
    if not _VARIABLE.fullmatch(name):
        raise ValueError(
            f"{text!r} is not an environment variable name: letters, digits and _, "
            "as in YOUTUBE_API_KEY"
        )
    return name


def _literal(host: str) -> Address | None:
    """The address a host written as an IP address stands for, or None for a name."""
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def _normal_host(host: str) -> str:
    """A host as policies compare it: lower case, no trailing dot, IDNA, addresses canonical."""
    literal = _literal(host)
    if literal is not None:
        return str(literal)
    name = host.strip().lower().rstrip(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return name  # no pattern can match it: it is refused as it is
    return name


def _host_pattern(text: str) -> str:
    written = text.strip()
    literal = _literal(written)
    if literal is not None:
        return str(literal)
    if any(mark in written for mark in ":/@?#"):
        raise ValueError(
            f"{text!r} is not a host: write the host name only, as in api.example.com or "
            "*.example.com (no scheme, port or path)"
        )
    wildcard = written.startswith("*.")
    name = _normal_host(written[2:] if wildcard else written)
    if not all(_LABEL.fullmatch(label) for label in name.split(".")):
        hint = (
            "a * stands only for the leading labels, as in *.example.com"
            if "*" in name
            else "write a host name such as api.example.com, or an address"
        )
        raise ValueError(f"{text!r} is not a host name: {hint}")
    return f"*.{name}" if wildcard else name


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def _network(text: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip())
    except ValueError as error:
        raise ValueError(
            f"{text!r} is not a network ({error}): write an address or a network in CIDR "
            "form, as in 10.1.0.0/16, 127.0.0.1 or fd00::/8"
        ) from None


def _path(text: str, base: Path | None) -> Path:
    if not text.strip():
        raise ValueError("an empty path: write a folder, as in /srv/okr-data")
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return path.resolve(strict=False)


def _sqlite_scheme(scheme: str) -> bool:
    return scheme == "sqlite" or scheme.startswith("sqlite+")


def _database(text: str, base: Path | None) -> str:
    """A database entry: a SQLite file's absolute path, or a URL without its password."""
    written = text.strip()
    if "://" not in written:
        return str(_path(written, base))
    scheme, _, rest = written.partition("://")
    if _sqlite_scheme(scheme.lower()):
        name = rest.removeprefix("/")
        if not rest.startswith("/") or name in ("", ":memory:") or name.startswith("file:"):
            raise ValueError(
                f"{text!r}: write a SQLite database as its path, or as sqlite:///path.db"
            )
        if "?" in name:
            raise ValueError(f"{text!r}: a SQLite database is listed without options after '?'")
        return str(_path(name, base))
    parts = urlsplit(written)
    if parts.password is not None:
        raise ValueError(
            f"{Redactor().redact(written)!r}: leave the password out (a URL is matched without "
            "it, and the file that holds the password is the OKR file's environment)"
        )
    return written


def _read_all(name: str, values: Iterable[Any] | None, parse: Callable[[str], Any]) -> Any:
    """The items of a list-valued field read with `parse`, or None for "anything" (None, or a
    list holding ``*``)."""
    if values is None:
        return None
    if isinstance(values, str):
        raise ModelError("give a list, not a single text", field=name, owner="policy")
    items = list(values)
    if _ANY in items:
        return None
    try:
        return [parse(item) for item in items]
    except ValueError as error:
        raise ModelError(str(error), field=name, owner="policy") from None


def _connectors(values: Iterable[str] | None) -> frozenset[str] | None:
    found = _read_all("connectors", values, _connector_name)
    return None if found is None else frozenset(found)


def _hosts(values: Iterable[str] | None) -> tuple[str, ...] | None:
    found = _read_all("hosts", values, _host_pattern)
    return None if found is None else tuple(found)


def _files(values: Iterable[str | os.PathLike[str]] | None) -> tuple[Path, ...] | None:
    found = _read_all("files", values, lambda item: _path(os.fspath(item), None))
    return None if found is None else tuple(found)


def _databases(values: Iterable[str] | None) -> tuple[str, ...] | None:
    found = _read_all("databases", values, lambda item: _database(item, None))
    return None if found is None else tuple(found)


def _environment(values: Iterable[str] | None) -> frozenset[str] | None:
    found = _read_all("environment", values, _variable_name)
    return None if found is None else frozenset(found)


def _flag(name: str) -> Any:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if not isinstance(value, bool):
            raise ModelError(f"true or false, not {value!r}", field=name, owner="policy")

    return check


def _networks(values: Iterable[Network | str]) -> tuple[Network, ...]:
    try:
        return tuple(
            value
            if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network)
            # a network written as text is read as in a policy file
            else _network(value)
            for value in values
        )
    except ValueError as error:
        raise ModelError(str(error), field="networks", owner="policy") from None


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 one (mapped, 6to4, NAT64, compatible), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if (address in _NAT64 or address in _COMPATIBLE) and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _public(address: Address) -> bool:
    return address.is_global and not (address.is_multicast or address.is_reserved)


def _kind(address: Address) -> str:
    for attribute, words in (
        ("is_unspecified", "an unspecified"),
        ("is_loopback", "a loopback"),
        ("is_link_local", "a link-local"),
        ("is_multicast", "a multicast"),
        ("is_private", "a private"),
    ):
        if getattr(address, attribute):
            return f"{words} address"
    return "not a public address"


# -- The policy ---------------------------------------------------------------------------------


@attrs.frozen
class Policy:
    """What OKR files may make a refresh do. Built with no arguments it allows nothing.

    `connectors`, `hosts`, `files`, `databases` and `environment` are collections, or None for
    "anything"; `networks` are the private networks hosts may resolve to; `source` names the
    policy file in messages. Relative paths are read from the working folder (from the policy
    file's folder, in a file).
    """

    connectors: frozenset[str] | None = attrs.field(default=frozenset(), converter=_connectors)
    hosts: tuple[str, ...] | None = attrs.field(default=(), converter=_hosts)
    allow_private_networks: bool = attrs.field(
        default=False, validator=_flag("allow_private_networks")
    )
    networks: tuple[Network, ...] = attrs.field(default=(), converter=_networks)
    files: tuple[Path, ...] | None = attrs.field(default=(), converter=_files)
    databases: tuple[str, ...] | None = attrs.field(default=(), converter=_databases)
    environment: frozenset[str] | None = attrs.field(default=frozenset(), converter=_environment)
    expand_home: bool = attrs.field(default=False, validator=_flag("expand_home"))
    source: str | None = None

    @classmethod
    def permissive(cls) -> Policy:
        """Everything allowed: what a refresh does without a policy."""
        return cls(
            connectors=None,
            hosts=None,
            allow_private_networks=True,
            files=None,
            databases=None,
            environment=None,
            expand_home=True,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Policy:
        """Read a policy file (YAML, or JSON for a ``.json`` file); `FileFormatError` says
        what is wrong and where (file, line and column, and the key)."""
        name = os.fspath(path)
        try:
            raw = Path(name).read_bytes()
        except FileNotFoundError:
            raise FileFormatError("no such policy file", Location(name)) from None
        except IsADirectoryError:
            raise FileFormatError("is a directory, not a policy file", Location(name)) from None
        except OSError as error:
            raise FileFormatError(f"cannot read: {error.strerror}", Location(name)) from None
        return cls.loads(raw, path=name)

    @classmethod
    def loads(cls, text: str | bytes, *, path: str | os.PathLike[str] | None = None) -> Policy:
        """Read a policy from the text of a policy file; `path` names it in messages and is
        where its relative paths start."""
        from okrkit.files import _decode, _Limits, _read_json, _read_yaml  # noqa: PLC0415

        name = os.fspath(path) if path is not None else None
        if isinstance(text, bytes):
            text = _decode(text, name)
        json = name is not None and name.lower().endswith(".json")
        data, start = (_read_json if json else _read_yaml)(text, name, _Limits())
        base = Path(name).resolve().parent if name is not None else None
        return _Reader(name, base, start).policy(data)

    # -- What a message says ------------------------------------------------------------------

    @property
    def named(self) -> str:
        """The policy as messages name it: ``the policy /etc/okrkit/policy.yaml``."""
        return f"the policy {self.source}" if self.source else "the policy"

    @property
    def checks_hosts(self) -> bool:
        """Whether HTTP requests need checking at all (not under a permissive policy)."""
        return self.hosts is not None or not self.allow_private_networks

    # -- Checks -------------------------------------------------------------------------------

    def check_connector(self, name: str) -> None:
        """Refuse a connector the policy does not list."""
        if self.connectors is not None and name not in self.connectors:
            raise PolicyError(
                f"connector {name!r} is not allowed by {self.named}: add it to connectors there",
                policy_key="connectors",
            )

    def check_environment(self, names: Iterable[str]) -> None:
        """Refuse ``${VAR}`` references to variables the policy does not list."""
        if self.environment is None:
            return
        refused = [name for name in names if name not in self.environment]
        if refused:
            listed = ", ".join(f"${{{name}}}" for name in refused)
            many = len(refused) > 1
            raise PolicyError(
                f"{listed} {'are' if many else 'is'} not allowed by {self.named}: a file may "
                f"read only the environment variables in its environment key; add "
                f"{', '.join(refused)} there",
                policy_key="environment",
            )

    def check_home(self, name: str) -> None:
        """Refuse a path from settings that starts with ``~`` unless `expand_home` allows it."""
        if not self.expand_home and name.startswith("~"):
            raise PolicyError(
                f"{name!r} starts with ~, which {self.named} does not expand: write the path "
                "from the OKR file's folder, or set expand_home: true there",
                policy_key="expand_home",
            )

    def check_host(self, host: str) -> None:
        """Refuse a host name (or address) the policy's `hosts` do not match."""
        if self.hosts is None:
            return
        name = _normal_host(host)
        if not any(_host_matches(name, pattern) for pattern in self.hosts):
            raise PolicyError(
                f"host {name!r} is not allowed by {self.named}: add it to hosts there",
                policy_key="hosts",
            )

    def check_address(self, host: str, address: str) -> None:
        """Refuse an address `host` resolved to that is not public, unless `networks` (or
        `allow_private_networks`) allows it."""
        if self.allow_private_networks:
            return
        found = ipaddress.ip_address(address)
        inner = _embedded_ipv4(found)
        if any(found in net or (inner is not None and inner in net) for net in self.networks):
            return
        if _public(found) and (inner is None or _public(inner)):
            return
        plain = ipaddress.ip_address(address.partition("%")[0])
        literal = _literal(host)
        if literal is not None:
            shown = f"{inner}, {_kind(inner)}" if inner is not None else _kind(found)
            subject = f"host {str(literal)!r} is {shown}"
        else:
            shown = f"that is {inner}, {_kind(inner)}" if inner is not None else _kind(found)
            subject = f"host {_normal_host(host)!r} resolves to {plain}, {shown}"
        network = ipaddress.ip_network(inner if inner is not None else plain)
        raise PolicyError(
            f"{subject}, which {self.named} refuses: add {network} (or a network that holds "
            "it) to networks there, or set allow_private_networks: true",
            policy_key="networks",
        )

    def check_url(self, url: str, *, resolve: bool = True) -> tuple[str, ...]:
        """Refuse an address a connector is about to ask: its scheme (http and https only),
        its host, and every address the host resolves to. Returns those addresses (connect to
        one of them, not to the name again, to leave no room for a DNS answer that changes).

        With `resolve` false only what needs no DNS is checked (the scheme, the host's name,
        an address written in the URL), and the result is empty for a name.
        A host that cannot be resolved is a `TransientError`.
        """
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            written = f"{scheme}://" if scheme else "an address without a scheme"
            raise PolicyError(
                f"{self.named} allows only http:// and https:// addresses, not {written}"
            )
        host = parts.hostname
        if not host:
            raise PolicyError(f"{Redactor().redact(url)!r} names no host")
        self.check_host(host)
        literal = _literal(host)
        if literal is not None:
            self.check_address(host, str(literal))
            return (str(literal),)
        if not resolve or not self.checks_hosts:
            return ()
        try:
            addresses = self.resolve(host)
        except OSError as error:
            raise TransientError(f"could not resolve host {host!r}: {error}") from None
        except (ValueError, UnicodeError) as error:  # a name no resolver takes (a NUL in it)
            raise PolicyError(
                f"host {host!r} cannot be resolved ({error}), so {self.named} refuses it",
                policy_key="hosts",
            ) from None
        for address in addresses:
            self.check_address(host, address)
        return addresses

    @staticmethod
    def resolve(host: str) -> tuple[str, ...]:
        """Every address `host` resolves to, in the resolver's order (raises `OSError`)."""
        import socket  # noqa: PLC0415  # kept out of `import okrkit`

        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        found = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
        if not found:
            raise OSError(f"{host} resolves to no address")
        return found

    def check_file(self, path: Path) -> Path:
        """The file `path` really is (symlinks followed, ``..`` resolved), if it lies in one
        of the policy's `files`; `PolicyError` otherwise. Read the returned path."""
        if self.files is None:
            return path
        resolved = self._resolved(path, "reading")
        if any(resolved == folder or resolved.is_relative_to(folder) for folder in self.files):
            return resolved
        raise PolicyError(
            f"{self.named} does not allow reading {self._shown(path, resolved)}: it is outside "
            "every folder in files; add a folder that holds it to files there",
            policy_key="files",
        )

    def check_database_file(self, path: Path) -> Path:
        """The SQLite file `path` really is, if the policy's `databases` list it."""
        if self.databases is None:
            return path
        resolved = self._resolved(path, "opening")
        if str(resolved) in self.databases:
            return resolved
        raise PolicyError(
            f"{self.named} does not allow opening the database {self._shown(path, resolved)}: "
            "it is not in databases; add it there",
            policy_key="databases",
        )

    def check_database_url(
        self,
        url: str,
        *,
        key: Callable[[str], Hashable] | None = None,
        shown: str | None = None,
    ) -> None:
        """Refuse a database URL (other than a SQLite file) the policy's `databases` do not
        list. `key` turns a URL into what is compared (the sql connector reads URLs as
        SQLAlchemy does, ignoring the password); by default the URL without its password.
        `shown` is the URL as the message shows it (passwords are masked either way)."""
        if self.databases is None:
            return
        compare = key or _without_password
        wanted = compare(url)
        for entry in self.databases:
            if "://" not in entry:
                continue
            try:
                if compare(entry) == wanted:
                    return
            except Exception:  # noqa: BLE001, S112  # an entry the key cannot read matches nothing
                continue
        raise PolicyError(
            f"{self.named} does not allow connecting to {Redactor().redact(shown or url)}: it "
            "is not in databases; add it there, written the same way without the password",
            policy_key="databases",
        )

    def _resolved(self, path: Path, doing: str) -> Path:
        try:
            return path.resolve(strict=False)
        except (OSError, RuntimeError, ValueError) as error:  # a symlink loop, a NUL character
            raise PolicyError(
                f"{self.named} does not allow {doing} {str(path)!r}: where it leads cannot be "
                f"told ({error})",
                policy_key="files" if doing == "reading" else "databases",
            ) from None

    @staticmethod
    def _shown(path: Path, resolved: Path) -> str:
        return f"{str(path)!r}" if path == resolved else f"{str(path)!r} (that is {resolved})"


def _without_password(url: str) -> Hashable:
    parts = urlsplit(url.strip())
    host = parts.netloc.rpartition("@")[2].lower()
    return (parts.scheme.lower(), parts.username, host, parts.path, parts.query)


# -- Reading a policy file ----------------------------------------------------------------------


@attrs.define
class _Reader:
    """Turns a policy file's data into a `Policy`, each error at its line."""

    path: str | None
    base: Path | None
    start: tuple[int, int] | None

    def where(self, position: tuple[int, int] | None) -> Location:
        return Location(self.path, *position) if position else Location(self.path)

    def policy(self, data: Any) -> Policy:
        if data is None:
            data = {}  # an empty file: nothing allowed
        if not isinstance(data, Mapping):
            raise FileFormatError(
                f"a policy file is a mapping of keys ({', '.join(KEYS)}), got {_kind_of(data)}",
                self.where(self.start),
            )
        keys_at: Mapping[Any, tuple[int, int]] = getattr(data, "keys_at", {})
        fields: dict[str, Any] = {}
        for key, value in data.items():
            at = keys_at.get(key)
            if key not in KEYS:
                raise FileFormatError(self.unknown(key), self.where(at))
            if key in ("allow_private_networks", "expand_home"):
                if not isinstance(value, bool):
                    raise FileFormatError(
                        f"{key}: write true or false, not {_kind_of(value)}", self.where(at)
                    )
                fields[key] = value
                continue
            fields[key] = self.items(key, value, at)
        return Policy(**fields, source=self.path)

    def unknown(self, key: Any) -> str:
        if str(key).lower() in _COMMAND_KEYS:
            return (
                f"{key!r}: okrkit never runs a command from an OKR file, so no policy can allow "
                f"one; remove {key!r} (what a file can expand is ${{VAR}}, see environment, "
                "and ~, see expand_home)"
            )
        close = difflib.get_close_matches(str(key), KEYS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (the keys: {', '.join(KEYS)})"
        return f"unknown key {key!r} in a policy file{hint}"

    def items(self, key: str, value: Any, at: tuple[int, int] | None) -> Any:
        if value is None:
            return ()  # "hosts:" with nothing after it: none
        if not isinstance(value, list):
            raise FileFormatError(
                f"{key}: write a list, as in {key}: {_EXAMPLES[key]}, not {_kind_of(value)}",
                self.where(at),
            )
        parse: Callable[[str], Any] = {
            "connectors": _connector_name,
            "hosts": _host_pattern,
            "networks": _network,
            "files": lambda text: _path(text, self.base),
            "databases": lambda text: _database(text, self.base),
            "environment": _variable_name,
        }[key]
        items_at: list[tuple[int, int]] = getattr(value, "items_at", [])
        read: list[Any] = []
        for index, item in enumerate(value):
            item_at = items_at[index] if index < len(items_at) else at
            if not isinstance(item, str):
                raise FileFormatError(
                    f"{key}: write each item as text, not {_kind_of(item)}", self.where(item_at)
                )
            if item.strip() == _ANY and key != "networks":
                return None
            try:
                read.append(parse(item))
            except ValueError as error:
                raise FileFormatError(f"{key}: {error}", self.where(item_at)) from None
        return read
