"""Sizes and durations as the reports write them (table, Markdown, recommendation)."""

from __future__ import annotations


def megabytes(value: float | None) -> str:
    """ "203 MB", "2.2 MB"; "?" when unknown."""
    if value is None:
        return "?"
    amount = value / 1e6
    return f"{amount:.0f} MB" if amount >= 10 else f"{amount:.1f} MB"


def duration(low: float, high: float) -> str:
    """A range in the unit of its upper end: "4-17 s", "2-6 min"."""
    if high < 90:
        return f"{low:.0f}-{high:.0f} s"
    return f"{low / 60:.0f}-{high / 60:.0f} min"
