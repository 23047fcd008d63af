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

from ..errors import UserError, redact_url
from .paths import InputFileError, describe_os_error, read_input_bytes
from .tomltext import parse_toml

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
    try:
        folder = start.resolve()
    except (OSError, RuntimeError):
        return None  # a folder that cannot be resolved has no configuration to find
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        try:
            if path.is_file():
                return path
            if (candidate / ".git").exists():
                return None
        except OSError as exc:  # a folder that cannot be searched: say so, never guess
            raise UserError(
                f"cannot search {candidate} for pyproject.toml ({describe_os_error(exc)}); "
                "pass --config FILE or --no-config"
            ) from None
    return None


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    """The [tool.wheelfit] table; an empty Config when there is none."""
    path = explicit or find_pyproject(start or Path.cwd())
    if path is None:
        return Config()
    try:
        document = parse_toml(read_input_bytes(path).decode("utf-8"))
    except OSError as exc:
        reason = describe_os_error(exc)
        raise UserError(f"{path}: cannot read the configuration: {reason}") from None
    except InputFileError as exc:
        raise UserError(f"{path}: cannot read the configuration: {exc}") from None
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not UTF-8 text (TOML must be UTF-8): {exc.reason} at byte {exc.start}; "
            "save it as UTF-8, or pass --config or --no-config"
        ) from None
    except ValueError as exc:  # TOMLDecodeError, or nested too deep
        raise UserError(f"{path}: not valid TOML ({exc}); fix the file or pass --config") from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise UserError(f"{path}: tool must be a table ([tool]), not {type(tool).__name__}")
    table = tool.get("wheelfit")
    if table is None:
        return Config(path)
    if not isinstance(table, dict):
        raise UserError(f"{path}: [tool.wheelfit] must be a table, not {type(table).__name__}")
    for key, value in table.items():
        _check(path, key, value)
    return Config(path, dict(table))


def _check(path: Path, key: str, value: object) -> None:
    try:
        _check_value(path, key, value)
    except UserError as exc:  # the value shown may be a URL with credentials
        raise UserError(redact_url(str(exc))) from None


def _check_value(path: Path, key: str, value: object) -> None:
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
