"""A resolution does not wait for its pages in the file's order: the likely files are described
as their pages come in, and the resolution itself starts before the last page is in."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest
from indexserver import IndexServer
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from wheelfit import target_from_image
from wheelfit.errors import IndexFetchError
from wheelfit.index.cache import Cache
from wheelfit.index.client import IndexClient
from wheelfit.index.page import ProjectPage
from wheelfit.index.simple import make_dist_file
from wheelfit.inputs.parsed import IndexOptions
from wheelfit.resolve.candidates import Req
from wheelfit.resolve.finder import TargetContext
from wheelfit.resolve.resolver import Provider, resolve
from wheelfit.targets.tags import supported_tags

TARGET = target_from_image("python:3.12-slim-bookworm")
CTX = TargetContext.for_target(TARGET, supported_tags(TARGET))


def req(text: str) -> Req:
    name, _, version = text.partition("==")
    return Req(
        canonicalize_name(name), frozenset(), SpecifierSet(f"=={version}"), "requirements.txt", text
    )


class HeldPages:
    """A client whose pages come in when the test says so; it records what is described."""

    def __init__(self, names: list[str]) -> None:
        self.futures: dict[str, Future[ProjectPage]] = {n: Future() for n in names}
        self.described: list[str] = []

    def arrive(self, name: str) -> None:
        wheel = make_dist_file(f"{name}-1.0-py3-none-any.whl", f"https://h/{name}.whl", name)  # type: ignore[arg-type]
        assert wheel is not None
        self.futures[name].set_result(ProjectPage(NormalizedName(name), [wheel]))

    def project_future(self, name: str) -> Future[ProjectPage]:
        return self.futures[name]

    def get_project(self, name: str) -> ProjectPage:
        return self.futures[name].result()

    def submit(self, kind: str, key: str, work: Any) -> Future[Any]:
        self.described.append(key.rsplit("/", 1)[-1].removesuffix(".whl"))
        return Future()


def wait_for(condition: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_files_are_described_as_their_pages_come_in() -> None:
    client = HeldPages(["first", "second", "third"])
    provider = Provider(client, CTX, {}, IndexOptions(), {}, lenient=False)  # type: ignore[arg-type]
    prefetching = threading.Thread(
        target=provider.prefetch, args=([req("first==1.0"), req("second==1.0"), req("third==1.0")],)
    )
    prefetching.start()
    try:
        client.arrive("third")
        client.arrive("second")
        # the first requirement's page is not in: the other two are described meanwhile
        described = wait_for(lambda: len(client.described) == 2)
        assert described, client.described
        assert client.described == ["third", "second"]
    finally:
        client.arrive("first")
        prefetching.join(10)
    assert client.described == ["third", "second", "first"]


def test_prefetch_leaves_a_page_that_could_not_be_read_to_the_resolution() -> None:
    client = HeldPages(["broken", "fine"])
    provider = Provider(client, CTX, {}, IndexOptions(), {}, lenient=False)  # type: ignore[arg-type]
    client.futures["broken"].set_exception(IndexFetchError("HTTP 503"))
    client.arrive("fine")

    provider.prefetch([req("broken==1.0"), req("fine==1.0")])

    assert client.described == ["fine"]
    # the resolution records the error when it asks for the page, in its own order
    assert provider.fetch_errors == {}


def test_a_resolution_starts_before_its_last_page_is_in(
    index_server: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resolution asks for its first project while the page of its last is held back;
    waiting for every page first left all of its CPU work after the last one."""
    held = threading.Event()
    real_get_page = IndexClient._get_page

    def get_page(self: IndexClient, url: str, auth: Any, name: NormalizedName) -> Any:
        if name == "six":
            held.wait(10)
        return real_get_page(self, url, auth, name)

    monkeypatch.setattr(IndexClient, "_get_page", get_page)
    asked_while_held: list[bool] = []
    real_find_matches = Provider.find_matches

    def find_matches(self: Provider, *args: Any, **kwargs: Any) -> Any:
        asked_while_held.append(not held.is_set())
        held.set()  # let the held page in now that the resolution is under way
        return real_find_matches(self, *args, **kwargs)

    monkeypatch.setattr(Provider, "find_matches", find_matches)
    releaser = threading.Timer(5, held.set)  # a resolution that waits would wait for this
    releaser.start()
    try:
        client = IndexClient([f"{index_server.url}/simple/"], cache=Cache(None), timeout=5.0)
        with client:
            resolution, _ = resolve(
                client, CTX, {}, [req("idna==3.20"), req("six==1.16.0")], IndexOptions(), {}
            )
    finally:
        releaser.cancel()
    assert asked_while_held[0], "the resolution waited for every page before it began"
    assert {str(c.name): str(c.version) for c in resolution.candidates.values()} == {
        "idna": "3.20",
        "six": "1.16.0",
    }


def test_pages_that_could_not_be_read_are_reported_in_the_requirements_order(
    index_server: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second requirement's page fails first; the report still lists the first one's
    error first, as it did when the pages were read in the file's order."""
    second_failed = threading.Event()

    def get_page(self: IndexClient, url: str, auth: Any, name: NormalizedName) -> Any:
        if name == "six":
            second_failed.wait(10)
        else:
            second_failed.set()
        raise IndexFetchError(f"HTTP 503 for {name}")

    monkeypatch.setattr(IndexClient, "_get_page", get_page)
    client = IndexClient([f"{index_server.url}/simple/"], cache=Cache(None), timeout=5.0)
    with client:
        resolution, _ = resolve(
            client, CTX, {}, [req("six==1.16.0"), req("idna==3.20")], IndexOptions(), {}
        )
    assert list(resolution.fetch_errors) == ["six", "idna"]
    assert not resolution.complete
