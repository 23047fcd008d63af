"""Images that resolve alike resolve once.

python:3.12 and python:3.12-slim have the same tags, markers, libc and Python, so pip picks
the same files in both: the second image takes the first one's resolution (its main one and
those of its build environments) instead of running resolvelib again. What follows the
resolution (system packages, sizes, costs) stays per image.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from concurrent.futures import Future

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName

from ..index.client import IndexClient
from ..inputs.requirements import IndexOptions
from .candidates import Req, Resolution
from .finder import TargetContext
from .resolver import Provider, resolve


class SharedResolutions:
    """One run's resolutions, by everything a resolution reads of its image.

    A resolution reads the image only through its tags (ranked), its marker environment, and
    the libc, CPU and Python that the explanations name (resolve/explain.py): two images
    equal in these get equal resolutions, word for word. The client and pip's options are
    the run's, the same for every image.
    """

    def __init__(self, client: IndexClient, options: IndexOptions) -> None:
        self.client, self.options = client, options
        self._lock = threading.Lock()
        self._done: dict[Hashable, Future[tuple[Resolution, Provider]]] = {}

    def resolve(
        self,
        ctx: TargetContext,
        env: Mapping[str, str],
        requirements: list[Req],
        constraints: Mapping[NormalizedName, SpecifierSet],
    ) -> tuple[Resolution, Provider]:
        key = (
            _image_key(ctx),
            tuple(sorted(env.items())),
            tuple(requirements),  # in order: the order is the user's preference (pip's too)
            tuple(sorted(constraints.items())),
        )
        with self._lock:
            future = self._done.get(key)
            first = future is None
            if future is None:
                future = self._done[key] = Future()
        if first:
            try:
                outcome = resolve(self.client, ctx, env, requirements, self.options, constraints)
            except BaseException as exc:
                future.set_exception(exc)
                raise
            future.set_result(outcome)
        resolution, provider = future.result()  # an image waiting for its twin's turn
        return resolution, provider if provider.ctx is ctx else provider.for_context(ctx)


def _image_key(ctx: TargetContext) -> Hashable:
    target = ctx.target
    return (
        tuple(ctx.tag_rank),  # the image's tags, best first (the order ranks files)
        target.libc,
        target.libc_version,
        target.machine,
        target.python_version,
        target.python_full_version,
        target.free_threaded,
    )
