"""A wheel's file list as the client keeps it (index/members.py)."""

from __future__ import annotations

import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from wheelfit.index.members import MemberList

MEMBERS = st.lists(st.tuples(st.text(max_size=40), st.integers(0, 2**64 - 1)), max_size=60)


@given(MEMBERS)
def test_a_member_list_gives_back_what_it_was_made_of(members: list[tuple[str, int]]) -> None:
    kept = MemberList(members)
    assert list(kept) == members
    assert len(kept) == len(members)
    assert kept == MemberList(iter(members))


def test_a_member_list_takes_less_than_half_the_tuples_memory() -> None:
    def listing() -> list[tuple[str, int]]:  # as zipfile gives them: a new str per name
        return [(f"package/sub_{i // 50}/module_{i}.py", 1_000 + i) for i in range(5_000)]

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        as_tuples = listing()
        tuples = tracemalloc.get_traced_memory()[0] - before
        before = tracemalloc.get_traced_memory()[0]
        compact = MemberList(listing())
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert list(compact) == as_tuples
    assert kept * 2 < tuples, (kept, tuples)
