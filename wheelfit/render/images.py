"""The image profiles (``wheelfit images``) as a table or a JSON document."""

from __future__ import annotations

from typing import Any

from rich.table import Table

_JSON_KEYS = (
    "image", "short_name", "repository", "suffix", "kind", "release", "distro", "libc",
    "libc_version", "has_compiler", "arches", "python_versions", "prerelease_pythons", "python",
    "python_prefix", "pep668", "pip", "shell", "package_manager", "final_stage_only",
    "build_image", "note", "source",
)  # fmt: skip


def images_document(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "images": [{key: row[key] for key in _JSON_KEYS if key in row} for row in rows],
    }


def images_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="image profiles")
    columns = ("image", "short name", "distro", "libc", "compiler", "python", "arches", "pythons")
    for column in columns:
        table.add_column(column, no_wrap=column in ("image", "libc"))
    for row in rows:
        python = "apt python3" if row.get("python") == "distribution" else "official"
        if row.get("final_stage_only"):
            python = "Debian's, no pip: final stage only"
        table.add_row(
            row["image"],
            row["short_name"],
            row.get("distro", ""),
            f"{row['libc']} {row['libc_version']}",
            "yes" if row["has_compiler"] else "no",
            python,
            ", ".join(row["arches"]),
            _python_span(row),
        )
    return table


def _python_span(row: dict[str, Any]) -> str:
    versions = list(row["python_versions"])
    if len(versions) == 1:
        return str(row["python_versions"][versions[0]])
    pre = [f"{v} rc" for v in row.get("prerelease_pythons", [])]
    return f"{versions[0]}-{versions[-1]}" + (f" ({', '.join(pre)})" if pre else "")
