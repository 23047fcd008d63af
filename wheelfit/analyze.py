"""Orchestration: inputs -> targets -> resolve -> classify -> Report. Prints nothing."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

from . import kb
from .errors import redact_url
from .index.cache import Cache, default_cache_dir
from .index.urls import DEFAULT_INDEX, local_path
from .inputs.parsed import IndexOptions, ParsedInputs
from .inputs.project import declared_python
from .inputs.requirements import read_requirements
from .models import Report, Settings, Target, TargetReport
from .report import stored
from .report.recommend import recommend
from .targets.images import target_from_image

__all__ = ["Settings", "analyze", "command_line_options", "default_targets", "make_client"]

if TYPE_CHECKING:  # the client and the stages are imported when a target is analysed
    from .index.client import FetchObserver, IndexClient
    from .index.pageprocess import PageProcess

DEFAULT_IMAGES = ("python", "slim", "alpine")


def default_targets(
    paths: Sequence[str], python: str | None = None, arch: str | None = None
) -> tuple[list[Target], str | None]:
    """The three default images for the declared (or default) Python; and where it came from."""
    source = None
    if python is None:
        variants = kb.image_profiles()["variants"]
        stable = [
            v
            for v in variants[0]["python_versions"]
            if v not in variants[0].get("prerelease_pythons", [])
        ]
        found = declared_python(list(paths), stable)
        if found:
            python, source = found
    return [target_from_image(name, python, arch) for name in DEFAULT_IMAGES], source


def analyze(
    requirement_files: Sequence[str],
    targets: Sequence[Target] | None = None,
    settings: Settings | None = None,
    *,
    client: IndexClient | None = None,
    observer: FetchObserver | None = None,
) -> Report:
    """Resolve and classify the requirement files for every target.

    Bad lines become ``Report.input_errors``; an unreachable package becomes an
    ``unavailable`` row with the reason. Only a programming error raises.
    """
    settings = settings or Settings()
    cache = client.cache if client is not None else _cache(settings)
    children = (None, None) if client is not None else _first_run_children(settings, cache)
    inputs = read_requirements(
        list(requirement_files),
        extras=settings.extras,
        groups=settings.groups,
        all_extras=settings.all_extras,
        options=command_line_options(settings),
    )
    warnings = list(inputs.warnings)
    warnings += _missing_find_links(inputs.options.find_links)
    if targets is None:
        targets, source = default_targets(requirement_files)
        if source:
            warnings.append(f"Python {targets[0].python} taken from {source}")
    options = inputs.options
    own_client = client is None

    def the_client() -> IndexClient:
        # made when first needed: a run answered from stored results makes none
        nonlocal client
        if client is None:
            client = make_client(options, settings, observer, cache, children)
        return client

    try:
        # stored results first: when every target has one, no page is fetched or parsed
        # a --find-links folder or page has no validators: its results are not reused
        keys = (
            {}
            if settings.no_cache or options.find_links
            else {t: _reuse_key(t, inputs, options, settings) for t in targets}
        )
        done: dict[Target, TargetReport] = {}
        states: dict[str, tuple[str, bool] | None] = {}  # each page's first line read once
        for target, key in keys.items():
            previous = stored.load(cache, key, lambda u: the_client().still_absent(u), states)
            if previous is not None:
                done[target] = previous
        missing = [t for t in targets if t not in done]
        if missing:
            done.update(_analyze_missing(the_client(), missing, inputs, options, settings, keys))
        reports = [done[t] for t in targets]
        if client is not None:
            client.writer.flush()  # the next run finds everything this one fetched
            if client.writer.error:
                warnings.append(client.writer.error)
    finally:
        if own_client and client is not None:
            client.close()
        else:
            for child in children:
                if child is not None:
                    child.close()
    return Report(
        inputs=[str(p) for p in requirement_files],
        targets=reports,
        input_errors=inputs.errors,
        warnings=warnings,
        options=_describe_options(options, settings),
        recommendation=recommend(reports) if len(reports) > 1 else None,
        files_read=inputs.files,
    )


def _analyze_missing(
    client: IndexClient,
    missing: list[Target],
    inputs: ParsedInputs,
    options: IndexOptions,
    settings: Settings,
    keys: dict[Target, str],
) -> dict[Target, TargetReport]:
    """The targets without a stored result, analysed in parallel, stored as they finish."""
    # the pages first: they are fetched while the stages are imported
    client.prefetch_projects(r.name for r in inputs.installs if r.name)
    from .pipeline import analyze_target  # the stages: see pipeline's docstring
    from .resolve.shared import SharedResolutions

    done: dict[Target, TargetReport] = {}
    shared = SharedResolutions(client, options)
    pool = ThreadPoolExecutor(max_workers=len(missing))
    try:
        analysed = pool.map(
            lambda t: analyze_target(client, t, inputs, options, settings, shared), missing
        )
        for target, report in zip(missing, analysed, strict=True):
            done[target] = report
            if target in keys:
                client.writer.flush()  # a stored result reads the pages it saw from the cache
                key, pages = keys[target], dict(client.pages_read)
                client.writer.submit(partial(stored.store, client.cache, key, report, pages))
    except BaseException:
        # Ctrl-C (or a bug): stop the network work now instead of waiting for it
        client.close()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return done


def _cache(settings: Settings) -> Cache:
    return Cache(None if settings.no_cache else (settings.cache_dir or default_cache_dir()))


def _first_run_children(
    settings: Settings, cache: Cache
) -> tuple[PageProcess | None, PageProcess | None]:
    """The child processes (index/children.py), started before the requirement files are
    read when the cache folder holds no page yet: a first run fetches every page, and their
    start-up (~0.15 s) then goes beside reading them."""
    if cache.root is None or (cache.root / "pages").exists():
        return None, None
    pages, worker = _children(settings, cache)
    for child in (pages, worker):
        if child is not None:
            child.start()
    return pages, worker


def _children(settings: Settings, cache: Cache) -> tuple[PageProcess | None, PageProcess | None]:
    """The run's child processes, not started: the one that fetches the pages, and the worker
    that packs them and reads sdists (inspect/worker.py); None where none is used
    (index/pageprocess.page_process)."""
    from .index.client import DEFAULT_DEADLINE, RETRIES
    from .index.http import DEFAULT_TIMEOUT
    from .index.pageprocess import page_process

    def child(program: str) -> PageProcess | None:
        return page_process(
            cache.root, settings.offline, DEFAULT_TIMEOUT, DEFAULT_DEADLINE, RETRIES, program
        )

    return child("wheelfit.index.pageprocess"), child("wheelfit.inspect.worker")


def make_client(
    options: IndexOptions,
    settings: Settings,
    observer: FetchObserver | None = None,
    cache: Cache | None = None,
    children: tuple[PageProcess | None, PageProcess | None] = (None, None),
) -> IndexClient:
    """``children``: the pages' child and the worker, when started already (both or
    neither: page_process decides for both alike)."""
    from .index.client import IndexClient

    urls = [] if options.no_index else [options.index_url or DEFAULT_INDEX]
    urls += options.extra_index_urls
    cache = cache if cache is not None else _cache(settings)
    pages, worker = children if children != (None, None) else _children(settings, cache)
    return IndexClient(
        urls,
        cache=cache,
        offline=settings.offline,
        exclude_newer=settings.exclude_newer,
        observer=observer,
        # pip skips a path that is not there (a warning says so)
        find_links=[f for f in options.find_links if not _missing_find_links([f])],
        pages=pages,
        worker=worker,
    )


def _missing_find_links(locations: list[str]) -> list[str]:
    """pip ignores a --find-links path that is neither a file nor a folder, with a warning."""
    return [
        f"--find-links {location}: neither a file nor a folder here; ignored, as pip does"
        for location in locations
        if (path := local_path(location)) is not None and not path.exists()
    ]


def command_line_options(settings: Settings) -> IndexOptions:
    """The index and format options as pip holds them before reading any requirements file."""
    options = IndexOptions(
        index_url=settings.index_url,
        pre=settings.pre,
        prefer_binary=settings.prefer_binary,
        find_links=list(settings.find_links),
    )
    options.add_extra_indexes(settings.extra_index_urls)
    if settings.no_index:
        options.drop_indexes()
    steps = [("only-binary", v) for v in settings.only_binary]
    steps += [("no-binary", v) for v in settings.no_binary]
    for kind, value in steps + list(settings.format_steps):
        options.format_control.apply(kind, value)
    return options


def _describe_options(options: IndexOptions, settings: Settings) -> dict[str, object]:
    return {
        "index_url": None if options.no_index else redact_url(options.index_url or DEFAULT_INDEX),
        "extra_index_urls": [redact_url(u) for u in options.extra_index_urls],
        "find_links": [redact_url(u) for u in options.find_links],
        "pre": options.pre,
        "prefer_binary": options.prefer_binary,
        "only_binary": sorted(options.format_control.only_binary),
        "no_binary": sorted(options.format_control.no_binary),
        "exclude_newer": settings.exclude_newer.isoformat() if settings.exclude_newer else None,
        "offline": settings.offline,
        "require_hashes": options.require_hashes,
        "costs": settings.costs,
        "build_time_factor": settings.build_speed_factor,
    }


def _reuse_key(
    target: Target, inputs: ParsedInputs, options: IndexOptions, settings: Settings
) -> str:
    """What a target's stored result depends on besides the pages (report.stored)."""
    return stored.report_key(
        target,
        [
            (
                r.file,
                r.line,
                r.text,
                str(r.requirement),
                r.constraint,
                r.hashes,
                r.direct_url,
                r.editable,
            )
            for r in inputs.requirements
        ]
        + [(s.file, s.line, s.what, s.requires_python, s.markers) for s in inputs.scopes],
        (
            options.index_url,
            options.extra_index_urls,
            options.no_index,
            options.find_links,
            options.pre,
            options.prefer_binary,
            options.require_hashes,
            sorted(options.format_control.only_binary),
            sorted(options.format_control.no_binary),
        ),
        (
            settings.exclude_newer,
            settings.build_requirements,
            settings.costs,
            settings.build_speed_factor,
        ),
    )
