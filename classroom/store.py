"""The class database's engine: SQLite under the user's data directory by default, or BACKPROP_LENS_DB's URL.

SQLite runs in WAL mode (readers never wait for the one writer) and every transaction begins IMMEDIATE, so
that a transaction that reads a round and then writes an answer holds the write lock from its first read:
a round closed by another session cannot be seen open. PostgreSQL takes row locks instead (classes.py).
Any failure to reach the database becomes Unavailable, whose message the pages show as it is.
"""
import functools
import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from i18n import domain

from . import schema

_, ngettext = domain("classroom")

ENV = "BACKPROP_LENS_DB"
CONNECT_TIMEOUT_S = 3   # a PostgreSQL that does not answer: the page says so after this, not after minutes
BUSY_TIMEOUT_MS = 10_000  # SQLite: how long a writer waits for another one


class Unavailable(RuntimeError):
    """The class database cannot be reached; str() is the message for the page."""


def data_dir():
    """The user's data directory for the app ($XDG_DATA_HOME/backprop-lens, else ~/.local/share/...)."""
    root = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(root) / "backprop-lens"


def database_url():
    """BACKPROP_LENS_DB when set (postgresql://... or sqlite:///...), else the SQLite file in data_dir()."""
    url = os.environ.get(ENV, "").strip()
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return f"sqlite:///{data_dir() / 'classes.sqlite'}"


def _sqlite(engine):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin below issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url):
    """A new SQLAlchemy engine for url, with the tables created; Unavailable when it cannot be reached."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
        _sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=20,
                               connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        schema.create(engine)
    except (OperationalError, DBAPIError) as error:
        engine.dispose()
        raise Unavailable(unreachable(url, error)) from None
    return engine


def unreachable(url, error):
    """The page's message for a database that failed: which one, and the driver's first line."""
    where = _("the SQLite file") if url.startswith("sqlite") else _("the PostgreSQL server in BACKPROP_LENS_DB")
    first = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return _("The class database ({where}) cannot be reached, so class features are off; stepping alone works "
             "as always. ({error})").format(where=where, error=first)


@functools.lru_cache(maxsize=4)
def _engine(url):
    return make_engine(url)


def engine(url=None):
    """The process's engine for url (default: database_url()), made once; Unavailable when unreachable (it is
    tried again on the next call)."""
    return _engine(url or database_url())
