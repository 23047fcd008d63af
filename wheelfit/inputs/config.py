"""[tool.wheelfit] in pyproject.toml: a team's defaults, which command-line flags override.

    [tool.wheelfit]
    images = ["slim", "alpine"]
    image-profiles = ["ci/base-image.json"]   # `wheelfit probe` output, relative to this file
    python = "3.12"
    arch = ["amd64"]
    fail-on = ["native-build", "size>800MB"]
    ignore = ["uwsgi"]            # never a finding for --fail-on, still in the report
    build-time-factor = 0.5

The file is the pyproject.toml of the current folder or the nearest parent, stopping at the
repository root (a folder with .git), or the one given with --config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from .tomltext import tomllib

_LIST_KEYS = {"images", "image-profiles", "arch", "fail-on", "ignore"}
_TEXT_KEYS = {"python"}
_NUMBER_KEYS = {"build-time-factor"}


@dataclass
class Config:
    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def find_pyproject(start: Path) -> Path | None:
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
        if (candidate / ".git").exists():
            return None
    return None


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    """The [tool.wheelfit] table; an empty Config when there is none."""
    path = explicit or find_pyproject(start or Path.cwd())
    if path is None:
        return Config()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read the configuration: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc}); fix the file or pass --config") from None
    table = document.get("tool", {}).get("wheelfit")
    if table is None:
        return Config(path)
    if not isinstance(table, dict):
        raise UserError(f"{path}: [tool.wheelfit] must be a table")
    for key, value in table.items():
        _check(path, key, value)
    return Config(path, dict(table))


def _check(path: Path, key: str, value: object) -> None:
    where = f"{path}: [tool.wheelfit] {key}"
    if key in _LIST_KEYS:
        if isinstance(value, str):
            return
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UserError(f"{where}: expected a list of strings, got {value!r}")
    elif key in _TEXT_KEYS:
        if not isinstance(value, str):
            raise UserError(f'{where}: expected a string such as "3.12", got {value!r}')
    elif key in _NUMBER_KEYS:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise UserError(f"{where}: expected a positive number, got {value!r}")
    else:
        known = ", ".join(sorted(_LIST_KEYS | _TEXT_KEYS | _NUMBER_KEYS))
        raise UserError(f"{where}: unknown setting; known: {known}")


def as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
