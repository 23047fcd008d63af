#!/usr/bin/env python3
"""Real source builds in a Debian (bookworm, trixie) or Ubuntu noble chroot: which apt packages
a build needs and keeps.

Ground truth for wheelfit's build/runtime package predictions. No container engine runs here, so
the image is approximated by a `debootstrap --variant=minbase` chroot with Debian's python3 and
no compiler. Each case runs in a fresh overlayfs copy of it:

  A. bare `pip install SPEC`           -> does it fail, and how
  B. apt-get install the build set     -> build again, timed
  C. ELF files in the venv             -> NEEDED + ldd -> dpkg owners = runtime packages
  D. purge the build set, keep runtime -> import and ldd still work?

    python tools/buildcheck.py setup
    python tools/buildcheck.py run tools/buildcheck_cases.tsv [--only a,b] [--drop-one] [--predict]

WHEELFIT_BUILDCHECK_RELEASE=noble builds in Ubuntu 24.04 instead (see tools/README.md).

Run as root on a Debian host. Standard library only. State (chroot, apt cache, logs) lives in
$WHEELFIT_BUILDCHECK_DIR (default /work/buildcheck), outside the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("WHEELFIT_BUILDCHECK_DIR", "/work/buildcheck"))
BASE = STATE / "chroot"
APT_CACHE = STATE / "aptcache"
# The release the chroot is made of: bookworm (python:X-slim-bookworm) or noble (ubuntu:24.04).
RELEASE = os.environ.get("WHEELFIT_BUILDCHECK_RELEASE", "bookworm")  # or --release
RELEASES = {
    "bookworm": {
        "mirror": "http://deb.debian.org/debian",
        "sources": (
            "deb http://deb.debian.org/debian bookworm main\n"
            "deb http://deb.debian.org/debian bookworm-updates main\n"
            "deb http://deb.debian.org/debian-security bookworm-security main\n"
        ),
        "image": "python:3.11-slim-bookworm",
    },
    "trixie": {
        "mirror": "http://deb.debian.org/debian",
        "sources": (
            "deb http://deb.debian.org/debian trixie main\n"
            "deb http://deb.debian.org/debian trixie-updates main\n"
            "deb http://deb.debian.org/debian-security trixie-security main\n"
        ),
        "image": "python:3.13-slim-trixie",
    },
    # Ubuntu's image has no Python: its Dockerfiles install python3 and python3-venv, so the
    # chroot is the image plus those, and the prediction names python3-dev itself.
    "noble": {
        "mirror": "http://archive.ubuntu.com/ubuntu",
        "sources": (
            "deb http://archive.ubuntu.com/ubuntu noble main universe\n"
            "deb http://archive.ubuntu.com/ubuntu noble-updates main universe\n"
            "deb http://archive.ubuntu.com/ubuntu noble-security main universe\n"
        ),
        "image": "ubuntu:24.04",
    },
}
if RELEASE not in RELEASES:
    sys.exit(f"WHEELFIT_BUILDCHECK_RELEASE={RELEASE}: one of {', '.join(RELEASES)}")
MIRROR = RELEASES[RELEASE]["mirror"]
SOURCES = RELEASES[RELEASE]["sources"]
# debootstrap needs the archive's keyring for Ubuntu on a Debian host (ubuntu-keyring package).
KEYRING = os.environ.get("WHEELFIT_BUILDCHECK_KEYRING", "")


def choose_release(release: str) -> None:
    """Point the tool at one release's chroot; bookworm keeps its historical folder."""
    global RELEASE, BASE, MIRROR, SOURCES
    RELEASE = release
    BASE = STATE / ("chroot" if release == "bookworm" else f"chroot-{release}")
    MIRROR = RELEASES[release]["mirror"]
    SOURCES = RELEASES[release]["sources"]


PIP_CONF = """\
[global]
cert = /etc/ssl/certs/ca-certificates.crt
disable-pip-version-check = true
default-timeout = 180
"""
# `time` for /usr/bin/time -v; no compiler and no binutils: NEEDED is read here, in Python.
BASE_PACKAGES = ["python3", "python3-venv", "python3-pip", "ca-certificates", "time"]
VENV = "/venv"
VENV_TEMPLATE = "/opt/venv-template"  # made once in setup with the latest pip; copied per build
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Never dropped by --drop-one: every C build needs them, so dropping them only proves that.
TOOLCHAIN = {"gcc", "g++", "gfortran", "libc6-dev", "python3-dev", "make"}
# Debian's python3 keeps its headers in python3-dev; the official images' /usr/local Python has
# them built in, so in --predict mode this one package stands in for the image, not the prediction.
PREDICT_STAND_IN = ["python3-dev"] if RELEASE == "bookworm" else []
# In the chroot's base only because Debian's python3 pulls them (Kerberos via libtirpc3, and
# libexpat1); python:3.11-slim-bookworm lacks them (shared/data/image_package_sets.tsv.gz,
# bookworm_python-slim), so a build that links them must count them as runtime packages.
CHROOT_ONLY = set() if RELEASE != "bookworm" else {
    "libexpat1", "libgssapi-krb5-2", "libk5crypto3", "libkeyutils1", "libkrb5-3",
    "libkrb5support0", "libnsl2", "libtirpc3", "libtirpc-common",
}  # fmt: skip
PURGE_OPTS = [
    "-o", "APT::AutoRemove::RecommendsImportant=false",
    "-o", "APT::AutoRemove::SuggestsImportant=false",
]  # fmt: skip
BUILD_TIMEOUT = 900
HEADER = [
    "name",
    "spec",
    "version_built",
    "mode",
    "bare_ok",
    "bare_error",
    "apt_build",
    "apt_pkgs_added",
    "apt_kib_added",
    "apt_install_seconds",
    "build_ok",
    "build_error",
    "build_seconds",
    "peak_rss_kib",
    "venv_kib_added",
    "venv_bytes_added",
    "installed",
    "apt_kib_after_purge",
    "so_files",
    "runtime_found",
    "runtime_ok",
    "unneeded",
    "drop_one_detail",
    "date",
    "machine",
]

# Error signatures, most specific first; within a tier the first matching log line wins.
ERROR_TIERS = [
    # What the compiler or linker said beats earlier notes like "headers not found in /usr".
    re.compile(r"fatal error: |:\d+:\d+: error: |cannot find -l\S+|undefined reference"),
    re.compile(
        r"fatal error: .*No such file|No such file or directory: '[^']+'"
        r"|pg_config executable not found|command '[^']+' failed|Could not find "
        r"|cannot find -l\S+|not found|could not be found"
    ),
    re.compile(r"^\s*(\w*(Exception|Error): |error: |ERROR: )"),
]
# pip's own summary lines name no cause.
PIP_NOISE = re.compile(
    r"Failed (building wheel|to build)|subprocess-exited-with-error|metadata-generation-failed"
    r"|failed-wheel-build|^ERROR: \[|This error originates|^WARNING"
)


# ---------------------------------------------------------------- processes and mounts


def run(cmd: list[str], log: Path | None = None, timeout: float | None = None) -> int:
    """Run cmd (output appended to log, or inherited); kill its whole group on timeout/Ctrl-C."""
    out = log.open("ab") if log else None
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=timeout)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            # pip's compilers are grandchildren: only killing the session stops them.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if out:
                out.write(b"\n[buildcheck] killed (timeout or interrupt)\n")
            if isinstance(sys.exc_info()[1], KeyboardInterrupt):
                raise
            return -9
    finally:
        if out:
            out.close()


def output(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout


def in_root(
    root: Path, script: str, env: dict[str, str] | None = None, args: list[str] | None = None
) -> list[str]:
    """Command that runs a shell script in the chroot with a clean, image-like environment."""
    base = {
        "HOME": "/root",
        "PATH": PATH,
        "LANG": "C.UTF-8",
        "DEBIAN_FRONTEND": "noninteractive",
        "TERM": "dumb",
    }
    pairs = [f"{k}={v}" for k, v in {**base, **(env or {})}.items()]
    shell = ["/bin/sh", "-c", script, "sh", *(args or [])]
    return ["chroot", str(root), "/usr/bin/env", "-i", *pairs, *shell]


def mounts_under(path: Path) -> list[str]:
    points = []
    for line in Path("/proc/mounts").read_text().splitlines():
        point = line.split()[1].replace("\\040", " ")
        if point == str(path) or point.startswith(f"{path}/"):
            points.append(point)
    return points


def unmount_all(path: Path) -> None:
    """Unmount everything at or below path, deepest first; lazy as a last resort."""
    for point in sorted(mounts_under(path), key=len, reverse=True):
        if subprocess.run(["umount", point], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def mount_pseudo(root: Path) -> None:
    APT_CACHE.joinpath("partial").mkdir(parents=True, exist_ok=True)
    for args, target in [
        (["-t", "proc", "proc"], "proc"),
        (["-t", "sysfs", "sys"], "sys"),
        (["--bind", "/dev"], "dev"),
        (["--bind", "/dev/pts"], "dev/pts"),
        (["--bind", str(APT_CACHE)], "var/cache/apt/archives"),  # one download for all cases
    ]:
        subprocess.run(["mount", *args, str(root / target)], check=True)


@contextlib.contextmanager
def mounted_base() -> Iterator[Path]:
    try:
        mount_pseudo(BASE)
        yield BASE
    finally:
        unmount_all(BASE)


@contextlib.contextmanager
def overlay(workdir: Path) -> Iterator[Path]:
    """A throwaway copy of the base chroot: writes go to workdir/upper, the base stays clean."""
    unmount_all(workdir)  # left over from an interrupted run
    shutil.rmtree(workdir, ignore_errors=True)
    root = workdir / "root"
    for sub in ("upper", "work", "root"):
        (workdir / sub).mkdir(parents=True)
    opts = f"lowerdir={BASE},upperdir={workdir / 'upper'},workdir={workdir / 'work'}"
    try:
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, str(root)], check=True)
        mount_pseudo(root)
        yield root
    finally:
        unmount_all(workdir)
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- setup


def setup() -> None:
    t0 = time.monotonic()
    if not (BASE / "usr/bin/apt-get").exists():
        if not shutil.which("debootstrap"):
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"], check=True)
        cmd = ["debootstrap", "--variant=minbase", RELEASE, str(BASE), MIRROR]
        if KEYRING:
            cmd.insert(1, f"--keyring={KEYRING}")
        if RELEASE == "noble" and not Path("/usr/share/debootstrap/scripts/noble").exists():
            cmd.append("/usr/share/debootstrap/scripts/gutsy")  # every Ubuntu release uses it
        subprocess.run(cmd, check=True)
    (BASE / "etc/apt/sources.list").write_text(SOURCES)
    shutil.copy("/etc/resolv.conf", BASE / "etc/resolv.conf")
    # Outbound TLS may be re-signed by a proxy: trust what the host trusts.
    cadir = BASE / "usr/local/share/ca-certificates"
    cadir.mkdir(parents=True, exist_ok=True)
    for crt in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        shutil.copy(crt, cadir)
    (BASE / "etc/pip.conf").write_text(PIP_CONF)
    script = (
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends "
        + " ".join(BASE_PACKAGES)
        + f" && update-ca-certificates && rm -rf {VENV} {VENV_TEMPLATE} && python3 -m venv {VENV}"
        + f" && {VENV}/bin/pip install -q --no-cache-dir -U pip && {VENV}/bin/pip --version"
        # A venv is not relocatable (scripts name their python): build it at /venv, park it.
        + f" && mv {VENV} {VENV_TEMPLATE}"
    )
    with mounted_base() as root:
        if run(in_root(root, script)):
            sys.exit("setup failed")
    print(f"setup done in {time.monotonic() - t0:.0f} s: {BASE}")


# ---------------------------------------------------------------- small parsers


def dpkg_installed(root: Path) -> dict[str, int]:
    """Installed package -> Installed-Size KiB, read straight from the dpkg status file."""
    sizes: dict[str, int] = {}
    for stanza in (root / "var/lib/dpkg/status").read_text().split("\n\n"):
        fields = dict(re.findall(r"^([\w-]+): (.*)$", stanza, re.M))
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            sizes[fields["Package"]] = int(fields.get("Installed-Size", "0"))
    return sizes


def dpkg_provided(root: Path) -> set[str]:
    """Names installed packages provide (virtual names included), e.g. pkgconf -> pkg-config."""
    names = set()
    for stanza in (root / "var/lib/dpkg/status").read_text().split("\n\n"):
        fields = dict(re.findall(r"^([\w-]+): (.*)$", stanza, re.M))
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            names.add(fields["Package"])
            provides = fields.get("Provides", "")
            names.update(re.findall(r"([\w.+-]+)(?: \([^)]*\))?(?:,|$)", provides))
    return names


def elf_needed(path: Path) -> list[str] | None:
    """DT_NEEDED entries of an ELF file (None if not ELF), so the chroot needs no binutils."""
    with path.open("rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        return None
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        (shoff,) = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
        shfmt, dynfmt = order + "IIQQQQIIQQ", order + "qQ"
    else:
        (shoff,) = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
        shfmt, dynfmt = order + "IIIIIIIIII", order + "iI"
    sections = [struct.unpack_from(shfmt, data, shoff + i * shentsize) for i in range(shnum)]
    needed = []
    for sec in (s for s in sections if s[1] == 6):  # SHT_DYNAMIC; sh_link -> its string table
        strtab_off = sections[sec[6]][4]
        step = struct.calcsize(dynfmt)
        for off in range(sec[4], sec[4] + sec[5], step):
            tag, val = struct.unpack_from(dynfmt, data, off)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                end = data.index(b"\0", strtab_off + val)
                needed.append(data[strtab_off + val : end].decode())
    return needed


def error_signature(log: Path) -> str:
    if not log.exists():
        return ""
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines()]
    lines = [ln for ln in lines if ln and not PIP_NOISE.search(ln)]
    for tier in ERROR_TIERS:
        for line in lines:
            if tier.search(line):
                return line[:200].replace("\t", " ")
    return lines[-1][:200] if lines else ""


def time_v(path: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS KiB from /usr/bin/time -v."""
    text = path.read_text() if path.exists() else ""
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    secs = 0.0
    if wall:
        h, m, s = wall.groups()
        secs = int(h or 0) * 3600 + int(m) * 60 + float(s)
    return round(secs, 1), int(rss.group(1)) if rss else 0


def disk_usage(path: Path) -> tuple[int, int]:
    """(KiB of allocated blocks, as du counts; bytes of file contents, what a layer stores)."""
    blocks = size = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                stat = os.lstat(os.path.join(dirpath, name))
                blocks += stat.st_blocks
                size += stat.st_size
    return blocks // 2, size


def apparent_bytes(path: Path) -> int:
    return disk_usage(path)[1]


# ---------------------------------------------------------------- one case


@dataclass
class Case:
    name: str
    spec: str
    import_name: str
    apt_build: list[str]  # "+pkg": a library loaded with dlopen/ctypes, which ldd cannot see
    note: str = ""

    @property
    def build_set(self) -> list[str]:
        return [p.lstrip("+") for p in self.apt_build]

    @property
    def declared_runtime(self) -> list[str]:
        return [p[1:] for p in self.apt_build if p.startswith("+")]

    @property
    def env(self) -> dict[str, str]:
        """Leading KEY=value words of the spec, e.g. SODIUM_INSTALL=system."""
        words = shlex.split(self.spec)
        return dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_][A-Z0-9_]*=", w))

    @property
    def pip_args(self) -> str:
        words = [w for w in shlex.split(self.spec) if not re.match(r"^[A-Z_][A-Z0-9_]*=", w)]
        return shlex.join(words)

    @property
    def requirement(self) -> str:
        return next(w for w in shlex.split(self.pip_args) if not w.startswith("-"))

    @property
    def project(self) -> str:
        return re.split(r"[<>=!~\[; ]", self.requirement, maxsplit=1)[0]

    @property
    def import_check(self) -> str:
        """Shell command run in the venv after the purge; "!cmd" in the TSV is taken as is."""
        if self.import_name.startswith("!"):
            return self.import_name[1:]
        return f"{VENV}/bin/python -c {shlex.quote('import ' + self.import_name)}"


@dataclass
class Build:
    ok: bool
    error: str = ""
    seconds: float = 0.0
    peak_rss_kib: int = 0
    venv_kib_added: int = 0
    venv_bytes_added: int = 0
    installed: str = ""  # pip's "Successfully installed" list
    version: str = ""
    so_files: list[str] = field(default_factory=list)
    needed: set[str] = field(default_factory=set)  # sonames the venv's ELF files link


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_build(root: Path, case: Case, logdir: Path, tag: str) -> Build:
    """Fresh venv (copy of the pip-upgraded template), then a timed pip install of the spec."""
    log = logdir / f"{tag}.log"
    run(in_root(root, f"rm -rf {VENV} && cp -a {VENV_TEMPLATE} {VENV}"), log)
    before_kib, before_bytes = disk_usage(root / VENV.lstrip("/"))
    script = f"/usr/bin/time -v -o /tmp/{tag}.time {VENV}/bin/pip install --no-cache-dir "
    rc = run(in_root(root, script + case.pip_args, case.env), log, timeout=BUILD_TIMEOUT)
    if (root / f"tmp/{tag}.time").exists():
        shutil.copy(root / f"tmp/{tag}.time", logdir / f"{tag}.time")
    seconds, rss = time_v(logdir / f"{tag}.time")
    build = Build(ok=rc == 0, seconds=seconds, peak_rss_kib=rss)
    after_kib, after_bytes = disk_usage(root / VENV.lstrip("/"))
    build.venv_kib_added = after_kib - before_kib
    build.venv_bytes_added = after_bytes - before_bytes
    text = log.read_text(errors="replace")
    done = re.findall(r"^Successfully installed (.*)$", text, re.M)
    wanted = normalize(case.project)
    build.installed = done[-1].strip() if done else ""
    for word in done[-1].split() if done else []:
        if normalize(word.rsplit("-", 1)[0]) == wanted:
            build.version = word
    if not build.ok:
        build.error = error_signature(log)
    files = elf_files(root)
    build.so_files = sorted(str(p.relative_to(root / VENV.lstrip("/"))) for p in files)
    build.needed = {soname for f in files for soname in elf_needed(f) or []}
    return build


def elf_files(root: Path) -> list[Path]:
    found = []
    for dirpath, _, files in os.walk(root / VENV.lstrip("/")):
        for name in files:
            path = Path(dirpath, name)
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as f:
                if f.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def apt_install(root: Path, packages: list[str], log: Path) -> tuple[int, float]:
    cmd = "apt-get install -y --no-install-recommends " + shlex.join(packages)
    for _ in range(60):
        t0 = time.monotonic()
        rc = run(in_root(root, cmd), log, timeout=BUILD_TIMEOUT)
        # The archive cache is shared: another run holding its lock means wait, not fail.
        if not rc or "Unable to lock directory /var/cache/apt" not in log.read_text():
            break
        log.unlink()
        time.sleep(10)
    return rc, round(time.monotonic() - t0, 1)


def ldd_libs(root: Path, files: list[Path]) -> tuple[dict[str, str], list[str]]:
    """soname -> resolved path for every library ldd finds; plus the sonames not found."""
    inside = [f"/{p.relative_to(root)}" for p in files]
    text = output(in_root(root, 'for f; do ldd "$f"; done', args=inside)) if inside else ""
    found, missing = {}, []
    for name, path in re.findall(r"^\s*(\S+) => (\S+)", text, re.M):
        if path == "not":
            missing.append(name)
        elif path.startswith("/"):
            found[name] = path
    return found, sorted(set(missing))


def owner_index(root: Path) -> dict[str, str]:
    """File path -> owning package, from dpkg's .list files (what `dpkg -S` reads)."""
    owners: dict[str, str] = {}
    for lst in (root / "var/lib/dpkg/info").glob("*.list"):
        pkg = lst.name[: -len(".list")].split(":")[0]
        for line in lst.read_text(errors="replace").splitlines():
            owners.setdefault(line, pkg)
    return owners


def owner_of(root: Path, path: str, owners: dict[str, str]) -> str:
    # Merged /usr: dpkg may list /lib/... or /usr/lib/..., and ldd may print either or a symlink.
    real = output(in_root(root, f"readlink -f {shlex.quote(path)}")).strip()
    for cand in (path, real, path.removeprefix("/usr"), real.removeprefix("/usr"), "/usr" + path):
        if cand in owners:
            return owners[cand]
    return "?"


def runtime_packages(root: Path, files: list[Path], base: set[str], logdir: Path) -> list[str]:
    """Owners of the libraries the venv's ELF files link DIRECTLY, minus the base chroot's."""
    direct = {soname for f in files for soname in elf_needed(f) or []}
    found, _ = ldd_libs(root, files)
    owners = owner_index(root)
    lines, runtime = [], set()
    for soname, path in sorted(found.items()):
        pkg = owner_of(root, path, owners)
        kind = "DIRECT" if soname in direct else "transitive"
        lines.append(f"{soname}\t{path}\t{pkg}\t{kind}")
        if kind == "DIRECT" and pkg != "?" and pkg not in base:
            runtime.add(pkg)
    (logdir / "lib2pkg.tsv").write_text("\n".join(lines) + "\n")
    return sorted(runtime)


def purge_and_import(
    root: Path, case: Case, keep: list[str], purge: list[str], logdir: Path
) -> bool:
    log = logdir / "purge.log"
    if keep:
        run(in_root(root, "apt-mark manual " + shlex.join(keep)), log)
    to_purge = [p for p in purge if p not in keep]
    cmd = ["apt-get", "purge", "-y", "--autoremove", *PURGE_OPTS, *to_purge]
    run(in_root(root, shlex.join(cmd)), log)
    import_ok = run(in_root(root, case.import_check), log) == 0
    _, missing = ldd_libs(root, elf_files(root))
    with log.open("a") as f:
        f.write(f"\n[buildcheck] import_ok={import_ok} ldd not found={missing}\n")
    return import_ok and not missing


def run_case(
    case: Case, build_set: list[str], mark: list[str] | None, drop_one: bool, mode: str, out: Path
) -> None:
    """mark: runtime packages to keep; None = keep what ldd found (ground-truth mode)."""
    logdir = STATE / "logs" / (case.name + ("" if mark is None else "--predict"))
    shutil.rmtree(logdir, ignore_errors=True)
    logdir.mkdir(parents=True)
    row: dict[str, str] = {
        "name": case.name,
        "spec": case.spec,
        "mode": mode,
        "apt_build": " ".join(build_set),
    }
    print(f"### {case.name}: {case.spec}  [{' '.join(build_set)}]", flush=True)
    with overlay(STATE / "cases" / case.name) as root:
        base = dpkg_installed(root)
        bare = pip_build(root, case, logdir, "bare")
        row |= {"bare_ok": yes(bare.ok), "bare_error": bare.error}
        rc, secs = apt_install(root, build_set, logdir / "apt.log")
        after = dpkg_installed(root)
        added = sorted(set(after) - set(base))
        (logdir / "apt_added.txt").write_text("\n".join(f"{p}\t{after[p]}" for p in added) + "\n")
        row |= {
            "apt_pkgs_added": str(len(added)),
            "apt_install_seconds": str(secs),
            "apt_kib_added": str(sum(after[p] for p in added)),
        }
        if rc:
            row |= {"build_ok": "no", "build_error": "apt: " + error_signature(logdir / "apt.log")}
            return write_row(out, row)
        build = pip_build(root, case, logdir, "build")
        row |= {
            "build_ok": yes(build.ok),
            "build_error": build.error,
            "build_seconds": str(build.seconds),
            "peak_rss_kib": str(build.peak_rss_kib),
            "venv_kib_added": str(build.venv_kib_added),
            "venv_bytes_added": str(build.venv_bytes_added),
            "installed": build.installed,
            "version_built": build.version,
            "so_files": ",".join(Path(s).name for s in build.so_files),
        }
        if build.ok:
            files = elf_files(root)
            found = runtime_packages(root, files, set(base) - CHROOT_ONLY, logdir)
            keep = found + case.declared_runtime if mark is None else mark
            declared = [f"{p}(dlopen)" for p in case.declared_runtime if mark is None]
            row["runtime_found"] = " ".join(found + declared)
            row["runtime_ok"] = yes(purge_and_import(root, case, keep, build_set, logdir))
            purged = dpkg_installed(root)
            kept = set(purged) - set(base)
            row["apt_kib_after_purge"] = str(sum(purged[p] for p in kept))
    if build.ok and drop_one:
        row |= drop_one_variants(case, build_set, build, logdir)
    print(
        f"    build_ok={row.get('build_ok')} runtime_ok={row.get('runtime_ok')} "
        f"runtime={row.get('runtime_found')} unneeded={row.get('unneeded', '')}",
        flush=True,
    )
    return write_row(out, row)


def drop_one_variants(
    case: Case, build_set: list[str], full: Build, logdir: Path
) -> dict[str, str]:
    """Rebuild without each non-toolchain package; passing means the package was not needed."""
    unneeded, detail = [], []
    for pkg in [p for p in build_set if p not in TOOLCHAIN]:
        rest = [p for p in build_set if p != pkg]
        sublog = logdir / f"drop-{pkg}"
        sublog.mkdir()
        with overlay(STATE / "cases" / f"{case.name}--drop-{pkg}") as root:
            rc, _ = apt_install(root, rest, sublog / "apt.log")
            # A dependency of the others may bring it back: then dropping it proves nothing.
            pulled = pkg in dpkg_provided(root)
            build = pip_build(root, case, sublog, "build") if not (rc or pulled) else Build(False)
            # A build that passes may still lose what the import needs (dlopen'ed libraries).
            imports = build.ok and run(in_root(root, case.import_check), sublog / "import.log") == 0
        if pulled:
            detail.append(f"{pkg}=pulled-in-by-others")
        elif rc:
            detail.append(f"{pkg}=apt-failed({error_signature(sublog / 'apt.log')[:90]})")
        elif build.ok:
            unneeded.append(pkg)
            # Optional extensions vanish, bundled copies replace system libraries, silently:
            # passing is not the same as equivalent.
            lost = [Path(s).name for s in sorted(set(full.so_files) - set(build.so_files))]
            lost += sorted(full.needed - build.needed)
            detail.append(f"{pkg}=ok" + (f"(lost {','.join(lost)})" if lost else ""))
            detail[-1] += "" if imports else "(import fails)"
        else:
            detail.append(f"{pkg}=fail({build.error[:90]})")
        print(f"    drop {pkg}: {detail[-1]}", flush=True)
    return {"unneeded": " ".join(unneeded), "drop_one_detail": "; ".join(detail)}


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def write_row(out: Path, row: dict[str, str]) -> None:
    row |= {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    new = not out.exists() or out.stat().st_size == 0
    with out.open("a") as f:
        if new:
            f.write("\t".join(HEADER) + "\n")
        cells = [row.get(col, "").replace("\t", " ").replace("\n", " ") for col in HEADER]
        f.write("\t".join(cells) + "\n")


# ---------------------------------------------------------------- prediction


def predict(case: Case, image: str) -> tuple[list[str], list[str]] | None:
    """wheelfit's build and runtime packages for the case's project, or None (with a message)."""
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp, "requirements.txt")
        req.write_text(case.requirement + "\n")
        flags = ["--no-binary", case.project] if "--no-binary" in case.spec else []
        cmd = [
            os.environ.get("WHEELFIT_PYTHON", sys.executable),
            "-m",
            "wheelfit",
            str(req),
            "--image",
            image,
            "--format",
            "json",
            *flags,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp)
    try:
        report = json.loads(proc.stdout)
        packages = report["targets"][0]["packages"]
    except (ValueError, KeyError, IndexError):
        print(f"    skip {case.name}: wheelfit gave no report ({proc.stderr.strip()[-200:]})")
        return None
    entry = next(
        (p for p in packages if normalize(p.get("name", "")) == normalize(case.project)), None
    )
    if entry is None or "build_packages" not in entry or "runtime_packages" not in entry:
        print(
            f"    skip {case.name}: no build_packages/runtime_packages for {case.project} in "
            "wheelfit's JSON (not implemented yet?)"
        )
        return None
    return list(entry["build_packages"]), list(entry["runtime_packages"])


# ---------------------------------------------------------------- cli


def read_cases(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text().splitlines():
        cols = line.split("\t")
        if not line.strip() or line.startswith("#") or cols[0] == "name":
            continue
        cols += [""] * (5 - len(cols))
        cases.append(Case(cols[0], cols[1], cols[2], cols[3].split(), cols[4]))
    return cases


def run_all(args: argparse.Namespace) -> None:
    if not (BASE / VENV_TEMPLATE.lstrip("/")).exists():
        sys.exit(f"no chroot at {BASE}: run `python {sys.argv[0]} setup` first")
    cases = read_cases(args.cases)
    if args.only:
        wanted = set(args.only.split(","))
        cases = [c for c in cases if c.name in wanted]
    out = args.out or REPO / "data/builds" / f"{RELEASE}-{dt.date.today().isoformat()}.tsv"
    for case in cases:
        build_set, mark, mode = case.build_set, None, "groundtruth"
        if args.predict:
            predicted = predict(case, args.image)
            if predicted is None:
                continue
            build, runtime = predicted
            # Runtime packages go in with the build set (as a Dockerfile would) and stay after it.
            extra = [p for p in PREDICT_STAND_IN + runtime if p not in build]
            stand_in = "+python3-dev" if PREDICT_STAND_IN else ""
            build_set, mark, mode = build + extra, runtime, "predict" + stand_in
        try:
            run_case(case, build_set, mark, args.drop_one, mode, out)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # one broken case must not stop the run
            print(f"    {case.name} crashed: {exc!r}", flush=True)
            write_row(
                out,
                {
                    "name": case.name,
                    "spec": case.spec,
                    "mode": mode,
                    "build_ok": "error",
                    "build_error": f"buildcheck: {exc!r}",
                },
            )
    print(f"results appended to {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", choices=RELEASES, default=RELEASE, help="the chroot's release")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="create the base chroot (once)")
    runp = sub.add_parser("run", help="build the cases of a TSV file")
    runp.add_argument("cases", type=Path, help="TSV: name spec import apt_build note")
    runp.add_argument("--only", help="comma-separated case names")
    runp.add_argument("--drop-one", action="store_true", help="also rebuild without each package")
    runp.add_argument("--predict", action="store_true", help="use wheelfit's packages instead")
    runp.add_argument("--image", default=RELEASES[RELEASE]["image"], help="for --predict")
    runp.add_argument("--out", type=Path, help="TSV to append to")
    args = parser.parse_args(argv)
    choose_release(args.release)
    if os.geteuid() != 0:
        sys.exit("buildcheck needs root (chroot, mount)")
    # SIGTERM takes the same path as Ctrl-C, so the finally blocks unmount.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        setup() if args.command == "setup" else run_all(args)
    except KeyboardInterrupt:
        sys.exit("interrupted (mounts released)")


if __name__ == "__main__":
    main()
