"""Where several answers are valid, wheelfit must land on pip's (pip 26.3).

Each expected answer below was checked against pip 26.3 itself: the same projects served on
127.0.0.1 and ``pip install --dry-run --ignore-installed --report -`` run against them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import run, wheel

# a 2.0 needs b==1.0 and b 2.0 needs a==1.0: two valid answers, (a 2.0, b 1.0) and
# (a 1.0, b 2.0); whichever project pip pins first keeps its newest version
CROSSED = {
    "a": [wheel("a", "1.0"), wheel("a", "2.0", ["b==1.0"])],
    "b": [wheel("b", "1.0"), wheel("b", "2.0", ["a==1.0"])],
}


def versions(server: IndexServer, tmp_path: Path, text: str) -> dict[str, str | None]:
    target = run(server, tmp_path, text, build_requirements=False, costs=False).targets[0]
    assert target.complete, target.problems
    return {p.name: p.version for p in target.packages}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the user's order: b's line comes first
        ("b\na\n", {"a": "1.0", "b": "2.0"}),
        ("a\nb\n", {"a": "2.0", "b": "1.0"}),
        # an upper bound goes before the user's order
        ("a\nb<=2.0.0\n", {"a": "1.0", "b": "2.0"}),
        # a pin goes before the user's order
        ("a\nb==2.0\n", {"a": "1.0", "b": "2.0"}),
    ],
)
def test_pip_picks_by_its_preference_order(
    fresh_server: IndexServer, tmp_path: Path, text: str, expected: dict[str, str]
) -> None:
    for name, files in CROSSED.items():
        fresh_server.add_project(name, files)
    assert versions(fresh_server, tmp_path, text) == expected


def test_a_requirement_with_an_operator_goes_before_a_bare_name(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    # neither a nor b is the user's; b>=1.0.0 has an operator, a has none: b is pinned first
    for name, files in CROSSED.items():
        fresh_server.add_project(name, files)
    fresh_server.add_project("x", [wheel("x", "1.0", ["b>=1.0.0", "a"])])
    assert versions(fresh_server, tmp_path, "x\n") == {"x": "1.0", "a": "1.0", "b": "2.0"}
