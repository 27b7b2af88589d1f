"""Real servers for the Airflow integration tests: fresh PostgreSQL databases on
127.0.0.1:5432 (dropped at the end of the session) and the Redis broker on 6379."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
REDIS_URL = "redis://127.0.0.1:6379/{db}"
# A database number of our own on the shared Redis server.
REDIS_TEST_DB = 11


def _postgres() -> object:
    import psycopg2

    try:
        conn = psycopg2.connect(POSTGRES_DSN, connect_timeout=5)
    except psycopg2.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 as user postgres: {error}")
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty PostgreSQL databases; each returns its SQLAlchemy URL."""
    import importlib.util

    # Airflow 3 opens an async engine next to the sync one; on PostgreSQL that is asyncpg.
    if importlib.util.find_spec("asyncpg") is None:
        pytest.fail("Airflow on PostgreSQL needs asyncpg: pip install asyncpg==0.32.0")
    conn = _postgres()
    created: list[str] = []

    def create() -> str:
        name = f"airflow_test_{uuid.uuid4().hex[:12]}"
        with conn.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return POSTGRES_URL.format(name=name)

    try:
        yield create
    finally:
        with conn.cursor() as cursor:  # type: ignore[attr-defined]
            for name in created:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def redis_broker() -> str:
    """The Redis broker URL (a database number of our own); fails when Redis is down."""
    import redis

    url = REDIS_URL.format(db=REDIS_TEST_DB)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is not reachable on 127.0.0.1:6379: {error}")
    return url
