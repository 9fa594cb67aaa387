"""Where `sandbox load` writes: a database URL parsed into its kind, its file or server, and a form safe to show.

`postgresql://user:password@host:port/db` (or `postgres://`; the password may also come from PGPASSWORD or
~/.pgpass, as libpq reads them), `duckdb:///file.duckdb` and `sqlite:///file.db` (a path relative to the
working folder; four slashes for an absolute one, `sqlite:////tmp/x.db`, as SQLAlchemy spells them).
A password never reaches a message: every error shows `shown`, and `scrub` takes it out of a driver's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sandbox.errors import UsageError

KINDS = ("postgresql", "duckdb", "sqlite")
_SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql", "duckdb": "duckdb", "sqlite": "sqlite"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Target:
    kind: str
    #: The URL as given, for the driver only: never print it.
    url: str
    #: The URL with its password masked, for every message.
    shown: str
    #: The file of a DuckDB or SQLite target.
    path: Path | None = None
    password: str | None = None

    def scrub(self, text: str) -> str:
        """A driver's message with the password (raw or URL-encoded) masked."""
        for secret in {self.password, _quoted_password(self.url)} - {None, ""}:
            text = text.replace(str(secret), "***")
        return text.replace(self.url, self.shown)


def _quoted_password(url: str) -> str | None:
    netloc = urlsplit(url).netloc
    if "@" not in netloc or ":" not in netloc.rpartition("@")[0]:
        return None
    return netloc.rpartition("@")[0].partition(":")[2]


def masked(url: str) -> str:
    """The URL with any password replaced by `***`."""
    secret = _quoted_password(url)
    if not secret:
        return url
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{parts.netloc.rpartition('@')[2]}").geturl()


def parse_target(url: str) -> Target:
    """The target `url` names, or exit 2 saying which forms are understood."""
    scheme, sep, rest = url.partition("://")
    kind = _SCHEMES.get(scheme.lower()) if sep else None
    if kind is None:
        raise UsageError(
            f"{masked(url)}: expected a database URL: postgresql://USER@HOST:PORT/DB, duckdb:///FILE.duckdb "
            "or sqlite:///FILE.db"
        )
    shown = masked(url)
    if kind == "postgresql":
        parts = urlsplit(url)
        if not parts.hostname and "host=" not in (parts.query or ""):
            raise UsageError(f"{shown}: expected a host, as in postgresql://USER@HOST:PORT/DB")
        return Target(kind, url, shown, password=unquote(parts.password) if parts.password else None)
    if not rest.startswith("/") or rest == "/":
        raise UsageError(f"{shown}: expected {scheme}:///FILE (three slashes, then the file's path)")
    return Target(kind, url, shown, path=Path(rest[1:]))


def schema_name(name: str, where: str) -> str:
    """A schema name as given, if it is a plain identifier (it is quoted in SQL either way)."""
    if not _NAME.match(name):
        raise UsageError(f"{where}: expected a schema name of letters, digits and _ (at most 63), got {name!r}")
    return name


def default_schema(recipe_name: str) -> str:
    """The schema a sandbox loads into by default: its recipe's name as an identifier."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", recipe_name).strip("_").lower() or "sandbox"
    return name if name[0].isalpha() else f"s_{name}"[:63]
