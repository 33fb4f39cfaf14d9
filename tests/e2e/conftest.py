"""Fixtures of the E2E suite: a fake OpenAI-compatible upstream, a real PostgreSQL, the pod runner.

See docs/e2e.md for what the suite proves and tests/e2e/podrunner.py for how a Deployment is run
as local processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from typing import Any

import pytest

from tests.e2e.podrunner import Pod, run_hook_pod, run_pod
from tests.e2e.postgres import PostgresServer, PostgresUnavailable, find_bindir, postgres_server
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
def fake_upstream() -> Iterator[FakeOpenAI]:
    """A fresh fake upstream per test, so its recorded requests belong to that test only."""
    with FakeOpenAI() as upstream:
        yield upstream


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL for the session (a test wanting a clean database calls create_database).

    Skips only when no PostgreSQL binaries exist; a server that exists but fails to start is an error.
    """
    try:
        find_bindir()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    with postgres_server() as server:
        yield server


@pytest.fixture
def start_pod() -> Iterator[Callable[..., Pod]]:
    """`start_pod(deployment, objects, **kw)` -> a ready Pod, stopped and removed after the test."""
    with ExitStack() as stack:

        def start(deployment: Mapping[str, Any], objects: Any = (), **kwargs: Any) -> Pod:
            return stack.enter_context(run_pod(deployment, objects, **kwargs))

        yield start


@pytest.fixture
def start_hook_pod() -> Iterator[Callable[..., Pod]]:
    """`start_hook_pod(response, request)` -> the ready pod of a hook response, stopped after the test."""
    with ExitStack() as stack:

        def start(response: Mapping[str, Any], request: Mapping[str, Any] | None = None, **kwargs: Any) -> Pod:
            return stack.enter_context(run_hook_pod(response, request, **kwargs))

        yield start
