"""What pip inside a target would accept: its platform tags, best first, and its marker values.

Built from the target alone. packaging's ``sys_tags`` and its manylinux/musllinux helpers read
the *running* host's libc, which says nothing about the image, so the platform strings are
generated here.
"""

from __future__ import annotations

from packaging import tags

from ..models import Libc, Target

# The legacy manylinux names and the glibc version each stands for (PEP 600).
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
_LEGACY_ARCHES = {
    "manylinux2014": {"x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x"},
    "manylinux2010": {"x86_64", "i686"},
    "manylinux1": {"x86_64", "i686"},
}


def platform_tags(target: Target) -> list[str]:
    """Platform tags the target accepts, best first, as pip inside it would order them."""
    if target.platforms:
        return list(target.platforms)
    machine = target.machine
    result: list[str] = []
    if target.libc is Libc.GLIBC:
        # manylinux starts at glibc 2.5 on x86, 2.17 elsewhere (PEP 599/600).
        oldest_minor = 5 if machine in {"x86_64", "i686"} else 17
        major, newest_minor = target.libc_version
        for minor in range(newest_minor, oldest_minor - 1, -1):
            result.append(f"manylinux_{major}_{minor}_{machine}")
            legacy = _LEGACY_MANYLINUX.get((major, minor))
            if legacy and machine in _LEGACY_ARCHES[legacy]:
                result.append(f"{legacy}_{machine}")
    else:
        major, newest_minor = target.libc_version
        for minor in range(newest_minor, -1, -1):
            result.append(f"musllinux_{major}_{minor}_{machine}")
    result.append(f"linux_{machine}")
    return result


def supported_tags(target: Target) -> list[tags.Tag]:
    """All tags pip in the target would accept, best first (index = rank)."""
    version = target.python_version
    interpreter = f"cp{version[0]}{version[1]}"
    abis = [interpreter + ("t" if target.free_threaded else "")]
    platforms = platform_tags(target)
    ordered = list(tags.cpython_tags(version, abis, platforms))
    ordered += list(tags.compatible_tags(version, interpreter, platforms))
    return ordered


def marker_environment(target: Target) -> dict[str, str]:
    """The PEP 508 marker values inside the target's CPython.

    platform_release and platform_version describe the *host kernel* a container runs on,
    which no image fixes; they are left empty, so markers on them never match.
    """
    return {
        "implementation_name": "cpython",
        "implementation_version": target.python_full_version,
        "os_name": "posix",
        "platform_machine": target.machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": target.python_full_version,
        "python_version": f"{target.python_version[0]}.{target.python_version[1]}",
        "sys_platform": "linux",
    }
