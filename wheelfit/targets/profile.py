"""A target from an image profile file (``wheelfit probe`` output, or written by hand).

Every field is checked; a bad or missing one is a UserError naming the file and the field,
what was wrong and what to do.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from .. import kb
from ..errors import UserError
from ..models import Libc, Target
from . import probe_script
from .images import MACHINE_TO_ARCH

_FIX = "run `wheelfit probe -o FILE` in the image again, or correct the field"
# os-release ID -> how wheelfit names the family's releases
_DEBIAN_LIKE = ("debian", "ubuntu")


class _Fields:
    def __init__(self, path: Path, document: dict[str, Any]):
        self.path = path
        self.document = document

    def error(self, field: str, problem: str) -> UserError:
        return UserError(f"{self.path}: field {field!r}: {problem}; {_FIX}")

    def get(self, field: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
        value: Any = self.document
        for part in field.split("."):
            if not isinstance(value, dict) or part not in value:
                if required:
                    raise self.error(field, "missing")
                return None
            value = value[part]
        if value is None and not required:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.error(field, f"expected {names}, got {json.dumps(value)}")
        return value


def _version(fields: _Fields, field: str, parts: int) -> tuple[int, ...]:
    text = fields.get(field, str)
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?(?:[a-z]+\d*)?\+?", text)
    if match is None or (parts == 3 and match[3] is None):
        example = "2.36" if parts == 2 else "3.12.3"
        raise fields.error(field, f"expected a version such as {example}, got {text!r}")
    return tuple(int(g) for g in match.groups()[:parts])


def _release(fields: _Fields) -> tuple[str, str]:
    """(distro text, release name that chooses the package names)."""
    os_id = fields.get("os.id", str).lower()
    version = fields.get("os.version_id", str, required=False) or ""
    codename = fields.get("os.codename", str, required=False) or ""
    like = fields.get("os.id_like", list, required=False) or []
    if not os_id:
        raise fields.error("os.id", "empty: wheelfit cannot tell the distribution")
    if os_id == "alpine":
        minor = ".".join(version.split(".")[:2])
        return f"alpine {minor}", f"alpine{minor}"
    if (os_id in _DEBIAN_LIKE or set(like) & set(_DEBIAN_LIKE)) and codename:
        return f"{os_id} {codename}", codename
    return f"{os_id} {version}".strip(), f"{os_id}-{version}" if version else os_id


def read_profile(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the image profile: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        where = f":{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise UserError(f"{path}{where}: not JSON ({exc}); {_FIX}") from None
    if not isinstance(document, dict):
        raise UserError(f"{path}: expected a JSON object (an image profile); {_FIX}")
    return document


def target_from_profile(path: Path) -> Target:
    """The target an image profile describes."""
    fields = _Fields(path, read_profile(path))
    version = fields.get("profile_version", int)
    if version != 1:
        raise fields.error(
            "profile_version", f"version {version} is not known (this wheelfit reads 1)"
        )
    libc_name = fields.get("libc.name", str)
    if libc_name not in ("glibc", "musl"):
        raise fields.error("libc.name", f"expected glibc or musl, got {libc_name!r}")
    libc_major, libc_minor = _version(fields, "libc.version", 2)
    machine = fields.get("arch", str)
    if machine not in MACHINE_TO_ARCH:
        known = ", ".join(MACHINE_TO_ARCH)
        raise fields.error("arch", f"{machine!r} is not a machine wheelfit knows ({known})")
    if fields.get("python.implementation", str, required=False) not in (None, "CPython"):
        raise fields.error("python.implementation", "only CPython targets are supported")
    if fields.document.get("python", {}) is None:
        raise fields.error(
            "python",
            "null: the image has no python3; write the Python you will install there as "
            '{"version": "3.12.3"}',
        )
    major, minor, micro = _version(fields, "python.version", 3)
    free_threaded = bool(fields.get("python.free_threaded", bool, required=False))
    prefix = fields.get("python.prefix", str, required=False) or ""
    headers = fields.get("python.headers", bool, required=False)
    distro, release = _release(fields)
    installed = fields.get("packages", list, required=False) or []
    if not all(isinstance(name, str) for name in installed):
        raise fields.error("packages", "expected a list of package names")
    compilers = fields.get("compilers", dict, required=False) or {}
    size = fields.get("size_bytes", int, required=False)
    if size is not None and size <= 0:
        raise fields.error("size_bytes", f"expected a positive number of bytes, got {size}")
    name = fields.get("name", str, required=False) or f"profile:{path.stem}"
    libc = Libc(libc_name)
    if libc is Libc.MUSL and not release.startswith("alpine"):
        release = f"musl-{release}"
    arch = MACHINE_TO_ARCH[machine]
    # Python built into /usr/local with its headers (the official images), or the
    # distribution's, whose headers come in a -dev package
    official = headers is True or (headers is None and prefix.startswith("/usr/local"))
    kb.image_profiles()  # the knowledge base is read first: a broken one is not this file's fault
    return Target(
        id=f"{name}@{arch}",
        image=name,
        libc=libc,
        libc_version=(libc_major, libc_minor),
        arch=arch,
        machine=machine,
        python_version=(major, minor),
        python_full_version=f"{major}.{minor}.{micro}",
        free_threaded=free_threaded,
        has_compiler=any(c in compilers for c in ("gcc", "cc", "clang")),
        distro=distro,
        kind="probe",
        release=release,
        python_source="official" if official else "distribution",
        pep668=bool(fields.get("python.pep668", bool, required=False)),
        pip=bool(fields.get("python.pip", bool, required=False)),
        shell=bool(fields.get("shell", bool, required=False)),
        package_manager=fields.get("package_manager", str, required=False),
        installed=tuple(sorted(set(installed))),
        size_bytes=size,
    )


def probe_text(kind: str) -> str:
    """``wheelfit probe``'s output: this machine's profile, or one of the probes' source."""
    if kind == "profile":
        return json.dumps(probe_script.collect(), indent=1) + "\n"
    name = "probe.sh" if kind == "sh" else "probe_script.py"
    return resources.files("wheelfit.targets").joinpath(name).read_text(encoding="utf-8")
