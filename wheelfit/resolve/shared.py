"""Images that resolve alike resolve once.

python:3.12 and python:3.12-slim have the same tags, markers, libc and Python, so pip picks
the same files in both: the second image takes the first one's resolution (its main one and
those of its build environments) instead of running resolvelib again. What follows the
resolution (system packages, sizes, costs) stays per image.

Images that differ only in their glibc (bookworm's 2.36, trixie's 2.41) differ in their tags
by the manylinux tags between the two. When no file the first image's resolution looked at
carries one of those tags, pip ranks every one of those files alike in both (the tags they
share are in the same order), so it makes the same choices at every step, and the second
image takes that resolution too. Only a resolution that succeeded without problems is taken:
the explanations of one that did not name the image's glibc.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from concurrent.futures import Future

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName

from ..index.client import IndexClient
from ..inputs.requirements import IndexOptions
from ..models import Libc
from .candidates import Req, Resolution
from .finder import TargetContext
from .resolver import Provider, resolve

Outcome = tuple[Resolution, Provider]


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
        self._done: dict[Hashable, Future[Outcome]] = {}
        # resolutions by everything but the glibc version, each with its image's context
        self._kin: dict[Hashable, list[tuple[TargetContext, Future[Outcome]]]] = {}

    def resolve(
        self,
        ctx: TargetContext,
        env: Mapping[str, str],
        requirements: list[Req],
        constraints: Mapping[NormalizedName, SpecifierSet],
    ) -> Outcome:
        key = (
            _image_key(ctx),
            tuple(sorted(env.items())),
            tuple(requirements),  # in order: the order is the user's preference (pip's too)
            tuple(sorted(constraints.items())),
        )
        kin_key = (_kin_key(ctx), *key[1:])
        with self._lock:
            future = self._done.get(key)
            first = future is None
            if future is None:
                future = self._done[key] = Future()
                kin = list(self._kin.get(kin_key, []))
                self._kin.setdefault(kin_key, []).append((ctx, future))
        if first:
            try:
                outcome = _taken_from_kin(kin, ctx) or resolve(
                    self.client, ctx, env, requirements, self.options, constraints
                )
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


def _kin_key(ctx: TargetContext) -> Hashable:
    """What two images' resolutions must share to be taken one for the other when their tags
    differ: all but the glibc version (and so the manylinux tags), for glibc images only."""
    target = ctx.target
    if target.libc is not Libc.GLIBC:
        return _image_key(ctx)
    return (
        target.libc,
        target.machine,
        target.python_version,
        target.python_full_version,
        target.free_threaded,
    )


def _taken_from_kin(
    kin: list[tuple[TargetContext, Future[Outcome]]], ctx: TargetContext
) -> Outcome | None:
    """The resolution of an image of another glibc, when pip would make the same choices for
    ``ctx`` (the module's docstring); None when none fits."""
    for other_ctx, future in kin:
        try:
            resolution, provider = future.result()  # resolutions run one at a time anyway
        except BaseException:
            continue  # it failed there: this image resolves on its own
        if not resolution.complete or resolution.problems or resolution.fetch_errors:
            continue
        differing = set(other_ctx.tag_rank).symmetric_difference(ctx.tag_rank)
        if not any(dist.tags & differing for dist in provider.files_looked_at()):
            return resolution, provider.for_other_tags(ctx)
    return None
