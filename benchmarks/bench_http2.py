"""Range reads of wheels over HTTP/1.1 (requests, the pool wheelfit uses) and HTTP/2 (httpx).

wheelfit reads a wheel's METADATA by HTTP range requests when the index offers no PEP 658
file: the end of the file (the zip directory), then the member. This script makes the same
two requests for every wheel of a report, three times per client, alternating, and prints
the medians:

    pip install 'httpx[http2]'                 # not a wheelfit dependency
    wheelfit ../shared/corpus/awx.txt --format json -o /tmp/awx.json --cache-dir /tmp/wf
    python benchmarks/bench_http2.py /tmp/awx.json --cache-dir /tmp/wf

The wheels' URLs come from the project pages in the cache folder the report was made with.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import requests
from requests.adapters import HTTPAdapter

from wheelfit.index.cache import Cache
from wheelfit.index.client import IndexClient

Wheel = tuple[str, int]


def wheels(report: Path, cache_dir: Path) -> list[Wheel]:
    client = IndexClient(cache=Cache(cache_dir), offline=True)
    found: dict[str, Wheel] = {}
    for target in json.loads(report.read_text())["targets"]:
        for package in target["packages"]:
            if package.get("status") != "wheel" or package.get("file") in found:
                continue
            for dist in client.get_project(package["name"]).files:
                if dist.filename == package["file"] and dist.size:
                    found[dist.filename] = (dist.url, dist.size)
    client.close()
    return list(found.values())


def ranges(size: int) -> list[str]:
    return [f"bytes={max(0, size - 65536)}-{size - 1}", "bytes=0-4095"]


def http1_threads(items: list[Wheel]) -> int:
    """What wheelfit does: one requests session, a keep-alive pool, 16 threads."""
    session = requests.Session()
    session.mount("https://", HTTPAdapter(pool_connections=8, pool_maxsize=36))

    def one(item: Wheel) -> int:
        url, size = item
        return sum(
            len(session.get(url, headers={"Range": r}, timeout=30).content) for r in ranges(size)
        )

    with ThreadPoolExecutor(16) as pool:
        total = sum(pool.map(one, items))
    session.close()
    return total


def http2_threads(items: list[Wheel]) -> int:
    """httpx's synchronous client over HTTP/2, shared by 16 threads."""
    client = httpx.Client(http2=True, timeout=30)

    def one(item: Wheel) -> int:
        url, size = item
        return sum(len(client.get(url, headers={"Range": r}).content) for r in ranges(size))

    with ThreadPoolExecutor(16) as pool:
        total = sum(pool.map(one, items))
    client.close()
    return total


def http2_async(items: list[Wheel]) -> int:
    """httpx's asynchronous client over HTTP/2: every request multiplexed, 64 at a time."""

    async def run() -> int:
        async with httpx.AsyncClient(http2=True, timeout=30) as client:
            limit = asyncio.Semaphore(64)

            async def one(url: str, byte_range: str) -> int:
                async with limit:
                    return len((await client.get(url, headers={"Range": byte_range})).content)

            sizes = await asyncio.gather(*(one(u, r) for u, s in items for r in ranges(s)))
            return sum(sizes)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a wheelfit JSON report")
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    items = wheels(args.report, args.cache_dir)
    print(f"{len(items)} wheels, {2 * len(items)} range requests per run")
    clients: list[Callable[[list[Wheel]], int]] = [http1_threads, http2_threads, http2_async]
    times: dict[str, list[float]] = {c.__name__: [] for c in clients}
    for _ in range(args.repeat):
        for client in clients:
            start = time.perf_counter()
            try:
                client(items)
            except Exception as exc:  # a client that fails is a result too
                print(f"{client.__name__}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            times[client.__name__].append(time.perf_counter() - start)
    for name, runs in times.items():
        shown = ", ".join(f"{t:.2f}" for t in runs) or "every run failed"
        median = f"{statistics.median(runs):.2f} s" if runs else "-"
        print(f"{name:14s} median {median:8s} ({shown})")


if __name__ == "__main__":
    main()
