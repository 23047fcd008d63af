"""wheelfit's image probe: describe the machine it runs on as an image profile (JSON).

Standard library only, and no import of wheelfit, so it runs in any image with Python 3.8+:

    docker run --rm -i IMAGE python3 - < probe.py > profile.json

(``wheelfit probe --script`` prints this file; ``wheelfit probe --sh`` a POSIX sh version for
images without Python.) It reads /etc/os-release, the C library, the Python running it, the
package database (dpkg, apk or rpm) and which compilers and tools are on PATH. It changes
nothing and sends nothing anywhere.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
from typing import Any

PROFILE_VERSION = 1
TOOLS = ("gcc", "cc", "g++", "clang", "gfortran", "rustc", "cargo", "make", "pkg-config", "pkgconf")


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout + done.stderr


def os_release() -> dict[str, Any]:
    fields: dict[str, str] = {}
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    key, sep, value = line.strip().partition("=")
                    if sep and key:
                        fields[key] = value.strip().strip("\"'")
            break
    return {
        "id": fields.get("ID", ""),
        "id_like": fields.get("ID_LIKE", "").split(),
        "version_id": fields.get("VERSION_ID", ""),
        "codename": fields.get("VERSION_CODENAME", ""),
        "pretty_name": fields.get("PRETTY_NAME", ""),
    }


def libc() -> dict[str, str]:
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):
        text = ""
    if text.startswith("glibc "):
        return {"name": "glibc", "version": ".".join(text.split()[1].split(".")[:2])}
    for loader in sorted(glob.glob("/lib/ld-musl-*.so.1")):
        match = re.search(r"Version (\d+\.\d+)", _run([loader]))
        if match:
            return {"name": "musl", "version": match[1]}
    name, version = platform.libc_ver()
    return {"name": name or "unknown", "version": ".".join(version.split(".")[:2])}


def python() -> dict[str, Any]:
    include = sysconfig.get_paths().get("include", "")
    stdlib = sysconfig.get_paths().get("stdlib", "")
    abi = sysconfig.get_config_var("SOABI") or ""
    match = re.match(r"cpython-(\d+)(t?)", abi)
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "abi": f"cp{match[1]}{match[2]}" if match else abi,
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "prefix": sys.base_prefix,
        "executable": sys.executable,
        "headers": os.path.exists(os.path.join(include, "Python.h")),
        "pep668": os.path.exists(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
        "pip": _run([sys.executable, "-m", "pip", "--version"]).startswith("pip "),
    }


def packages() -> tuple[str | None, list[str]]:
    """The package manager and the installed package names, from its database."""
    status = "/var/lib/dpkg/status"
    if os.path.exists(status) or os.path.isdir("/var/lib/dpkg/status.d"):
        names = set()
        files = [status] if os.path.exists(status) else []
        files += sorted(glob.glob("/var/lib/dpkg/status.d/*"))  # distroless keeps one per package
        for path in files:
            with open(path, encoding="utf-8", errors="replace") as handle:
                for stanza in handle.read().split("\n\n"):
                    name = re.search(r"^Package: (\S+)", stanza, re.M)
                    state = re.search(r"^Status: (.*)$", stanza, re.M)
                    if name and (state is None or state[1].endswith(" installed")):
                        names.add(name[1])
        manager = "apt" if shutil.which("apt-get") else None
        return manager, sorted(names)
    if os.path.exists("/lib/apk/db/installed"):
        with open("/lib/apk/db/installed", encoding="utf-8", errors="replace") as handle:
            names = {line[2:].strip() for line in handle if line.startswith("P:")}
        return ("apk" if shutil.which("apk") else None), sorted(names)
    if shutil.which("rpm"):
        listed = _run(["rpm", "-qa", "--qf", "%{NAME}\\n"]).split()
        manager = next((m for m in ("dnf", "microdnf", "yum", "zypper") if shutil.which(m)), "rpm")
        return manager, sorted(set(listed))
    return None, []


def tools() -> dict[str, str]:
    found = {}
    for name in TOOLS:
        path = shutil.which(name)
        if path:
            first = _run([path, "--version"]).splitlines()
            found[name] = first[0].strip() if first else path
    return found


def collect() -> dict[str, Any]:
    manager, installed = packages()
    found = tools()
    return {
        "profile_version": PROFILE_VERSION,
        "name": "",
        "os": os_release(),
        "libc": libc(),
        "arch": platform.machine(),
        "python": python(),
        "package_manager": manager,
        "packages": installed,
        "compilers": {k: v for k, v in found.items() if k not in ("make", "pkg-config", "pkgconf")},
        "pkg_config": "pkg-config" in found or "pkgconf" in found,
        "shell": os.path.exists("/bin/sh"),
        "size_bytes": None,
    }


def main() -> None:
    sys.stdout.write(json.dumps(collect(), indent=1) + "\n")


if __name__ == "__main__":
    main()
