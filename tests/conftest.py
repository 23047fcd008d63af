"""Shared pytest fixtures for wheelfit's tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent
INDEX_FIXTURES = TESTS_DIR / "data" / "index"

# indexserver.py sits beside this file and tests/ is not a package; putting the directory
# on sys.path explicitly keeps `import indexserver` working under any pytest import mode.
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from gitrepo import init_repo  # noqa: E402
from indexserver import IndexServer  # noqa: E402


@pytest.fixture(scope="session")
def index_server() -> Iterator[IndexServer]:
    """The local test index (recorded fixtures), one per test session."""
    with IndexServer(INDEX_FIXTURES) as srv:
        yield srv


@pytest.fixture(scope="session")
def index_url(index_server: IndexServer) -> str:
    """Base URL of the local index's simple API, e.g. ``http://127.0.0.1:PORT/simple/``."""
    return f"{index_server.url}/simple/"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty cache folder, never the user's."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("WHEELFIT_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def fresh_server() -> Iterator[IndexServer]:
    """A private index server, for tests that add projects or count requests."""
    with IndexServer(INDEX_FIXTURES) as srv:
        yield srv


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty git repository, made the current folder (diff --base, the GitHub Action)."""
    repo = init_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    return repo
