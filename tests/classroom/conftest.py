"""Class tests run against both backends: SQLite in a temporary file and a throw-away PostgreSQL (tests/classroom/
postgres.py). Without PostgreSQL's programs the PostgreSQL cases skip, and under CI=true they fail."""
import os

import pytest

from classroom import schema, store
from classroom.classes import Classroom
from tests.classroom import postgres


class Clock:
    """A clock the tests move: seconds since the epoch."""

    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(scope="session")
def postgres_server():
    if not postgres.available():
        message = "PostgreSQL's initdb and pg_ctl are not installed (Debian's package postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must install it (.ci/run)")
        pytest.skip(message)
    server = postgres.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty class database's URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'classes.sqlite'}"
    url = request.getfixturevalue("postgres_server").url
    engine = store.make_engine(url)
    schema.metadata.drop_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def room(database_url, clock):
    engine = store.make_engine(database_url)
    yield Classroom(engine, clock=clock)
    engine.dispose()
