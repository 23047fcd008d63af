"""The client's child processes: one fetches the project pages into the cache, the other packs
them and reads sdists there, both beside this process's GIL (pageprocess.py says why).

The pages' child only waits on the network: parsing there made its page threads wait for the
GIL (awx's page answers: median 0.65 s into a cold run when the parent parsed them, 1.10 s
when that child did). The worker is started by the caller (analyze() runs
inspect/worker.py: the index stage names no later stage's module); without one, the client
parses its pages and reads its sdists itself.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from typing import Any

from packaging.utils import NormalizedName

from .cache import Cache
from .page import ProjectPage
from .pagepacking import packed_page_key
from .pageprocess import PageProcess
from .simple import unpack_page

# what the worker may take to pack a page (its queue included) before the client parses it
PACK_SECONDS = 30.0
# what the worker may take for work on an archive beyond its download before the parent does it
ARCHIVE_WORK_SECONDS = 120.0


class Children:
    def __init__(
        self,
        cache: Cache,
        pages: PageProcess | None,
        worker: PageProcess | None,
        pack: bool,
    ) -> None:
        """``pack``: whether the worker packs the pages (not with --exclude-newer, whose
        cut-off is applied while a page is parsed)."""
        self.cache = cache
        self.pages = pages
        self.worker = worker
        self._pack = pack and worker is not None

    def close(self) -> None:
        for child in (self.pages, self.worker):
            if child is not None:
                child.close()

    def ask_page(self, url: str, auth: tuple[str, str] | None, project: NormalizedName) -> None:
        """Ask for a page not in the cache (``url`` without credentials), ahead of the page
        threads."""
        if self.pages is not None and self.cache.page_state(url) is None:
            self._ask(url, auth, project)

    def page_answer(
        self, url: str, auth: tuple[str, str] | None, project: NormalizedName
    ) -> dict[str, Any]:
        """The pages' child's answer for a page it was asked for, or is asked for now as the
        page is not in the cache (PageProcess.ask); {} when there is no child, for a page of
        an earlier run (read, or revalidated, by the client), and when the child did not
        store it."""
        if self.pages is None:
            return {}
        if not self.pages.asked(url):
            if self.cache.page_state(url) is not None:
                return {}
            self._ask(url, auth, project)
        return self.pages.answer(url, auth)

    def packed_page(
        self, answer: dict[str, Any], url: str, project: NormalizedName, parse: Executor
    ) -> ProjectPage | None:
        """The page the child stored (``answer``), as the worker packed it; None when it did
        not, and the client parses the page itself. Unpacked on ``parse``, the thread that
        makes every page's files."""
        if not self._pack or not answer.get("stored"):
            return None
        assert self.worker is not None
        job = _pack_job(url, project, answer)
        packed = self.worker.job("pack", url, job, work=PACK_SECONDS, network=False)
        if not packed.get("packed"):
            return None
        data = self.cache.load_blob(*packed_page_key(answer["sha256"], answer["url"], project))
        if data is None:
            return None
        try:
            return parse.submit(unpack_page, data, project).result()
        except ValueError:
            return None

    def archive_job(self, kind: str, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The worker's answer for work on an archive (PageProcess.job); {} without one."""
        if self.worker is None:
            return {}
        return self.worker.job(kind, url, payload, work=ARCHIVE_WORK_SECONDS, network=True)

    def _ask(self, url: str, auth: tuple[str, str] | None, project: NormalizedName) -> None:
        """Ask the pages' child for a page (once: a page is asked for only when not yet
        asked), and have the worker pack it as soon as the child has stored it."""
        assert self.pages is not None
        page = self.pages.ask(url, auth)
        worker = self.worker
        if not self._pack or worker is None:
            return

        def stored(done: Future[dict[str, Any]]) -> None:
            answer = done.result()
            if answer.get("stored"):
                worker.submit("pack", url, _pack_job(url, project, answer))

        page.add_done_callback(stored)


def _pack_job(url: str, project: str, answer: dict[str, Any]) -> dict[str, Any]:
    return {"url": url, "project": project, "sha256": answer["sha256"], "final_url": answer["url"]}
