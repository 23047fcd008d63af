"""pyproject.toml and lock files (pylock.toml, uv.lock, poetry.lock) as inputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from indexserver import IndexServer
from test_analyze import SLIM, pkg, wheel

from wheelfit import Settings, Status, analyze, target_from_image
from wheelfit.inputs.lockfiles import is_lockfile
from wheelfit.inputs.parsed import InputRequirement, ParsedInputs
from wheelfit.inputs.requirements import read_requirements
from wheelfit.render.dockerfile import render_dockerfile


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def by_name(parsed: ParsedInputs) -> dict[str, list[InputRequirement]]:
    found: dict[str, list[InputRequirement]] = {}
    for item in parsed.requirements:
        found.setdefault(str(item.name), []).append(item)
    return found


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing needle (what the reports must show)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def entry_line(text: str, name: str) -> int:
    """The line of a lock entry's own ``name = "..."`` (not of an edge naming it)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line == f'name = "{name}"')


# -- pyproject.toml -------------------------------------------------------------------------

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "My_Proj"
version = "1.0"
requires-python = ">=3.10"
dependencies = [
    "requests>=2.31",
    'tomli>=2; python_version < "3.11"',
]

[project.optional-dependencies]
fast = ["orjson>=3"]
all = ["my-proj[fast,cli] ; sys_platform != 'win32'"]
cli = ["click>=8"]

[dependency-groups]
test = ["pytest>=8", "my-proj[cli]"]
lint = ["ruff"]
dev = [{include-group = "test"}, {include-group = "lint"}, "ipython"]
"""


def test_pyproject_dependencies_carry_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", PYPROJECT)
    parsed = read_requirements([str(path)])
    assert not parsed.errors and not parsed.warnings
    found = by_name(parsed)
    assert set(found) == {"requests", "tomli"}  # no extras or groups unless asked for
    assert found["requests"][0].origin == f"{path}:{line_of(PYPROJECT, 'requests>=2.31')}"
    tomli = found["tomli"][0]
    assert tomli.line == line_of(PYPROJECT, "tomli>=2")
    assert tomli.requirement is not None and str(tomli.requirement.marker) == (
        'python_version < "3.11"'
    )


def test_pyproject_extras_expand_self_references_with_their_marker(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", PYPROJECT)
    parsed = read_requirements([str(path)], extras=["ALL"])
    assert not parsed.errors
    found = by_name(parsed)
    assert set(found) == {"requests", "tomli", "orjson", "click"}
    # my-proj[fast,cli] is the project's own extras: they come with the marker it was written with
    orjson = found["orjson"][0]
    assert orjson.line == line_of(PYPROJECT, 'fast = ["orjson')
    assert orjson.requirement is not None
    assert str(orjson.requirement.marker) == 'sys_platform != "win32"'
    assert "my-proj" not in found and "my_proj" not in found
    every = read_requirements([str(path)], all_extras=True)
    assert set(by_name(every)) == {"requests", "tomli", "orjson", "click"}


def test_pyproject_groups_follow_includes(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", PYPROJECT)
    parsed = read_requirements([str(path)], groups=["dev"])
    assert not parsed.errors
    found = by_name(parsed)
    assert set(found) == {"requests", "tomli", "pytest", "click", "ruff", "ipython"}
    assert found["pytest"][0].line == line_of(PYPROJECT, "test = [")
    assert found["ipython"][0].line == line_of(PYPROJECT, "dev = [")
    # click comes once although the project's cli extra is reached through a group
    assert len(found["click"]) == 1


def test_pyproject_unknown_names_cycles_and_dynamic_are_located_errors(tmp_path: Path) -> None:
    text = """\
[project]
name = "demo"
version = "1"
dynamic = ["dependencies"]

[project.optional-dependencies]
web = ["flask"]

[dependency-groups]
a = [{include-group = "b"}]
b = ["six", {include-group = "a"}]
c = [{include-group = "missing"}]
"""
    path = write(tmp_path / "pyproject.toml", text)
    parsed = read_requirements([str(path)], extras=["gui"], groups=["a", "c", "nope"])
    messages = {(e.line, e.message.split(":")[0]) for e in parsed.errors}
    assert (4, "the dependencies are dynamic (the build backend computes them)") in messages
    assert any(e.line == 6 and "no extra named 'gui'" in e.message for e in parsed.errors)
    assert any("it has: web" in e.message for e in parsed.errors)
    assert any(
        e.line == 9 and "no dependency group named 'nope'" in e.message for e in parsed.errors
    )
    cycle = [e for e in parsed.errors if "cycle" in e.message]
    assert cycle and cycle[0].line == 11 and "a -> b -> a" in cycle[0].message
    assert any(e.line == 12 and "'missing'" in e.message for e in parsed.errors)
    assert {r.name for r in parsed.requirements} == {"six"}  # what could be read, was


def test_invalid_toml_and_bad_entries_are_located(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\ndependencies = [\n    "six",,\n]\n'
    broken = write(tmp_path / "a" / "pyproject.toml", text)
    parsed = read_requirements([str(broken)])
    assert len(parsed.errors) == 1 and parsed.errors[0].message.startswith("invalid TOML")
    assert parsed.errors[0].line == 4 and "column" in parsed.errors[0].message
    assert parsed.errors[0].text == '"six",,'
    unfinished = write(tmp_path / "e" / "uv.lock", "version = 1\n[[package]\n")
    parsed = read_requirements([str(unfinished)])
    assert parsed.errors[0].line == 2 and "invalid TOML" in parsed.errors[0].message
    text = '[project]\nname = "x"\ndependencies = ["six", "not a requirement!", 3]\n'
    bad = write(tmp_path / "b" / "pyproject.toml", text)
    parsed = read_requirements([str(bad)])
    assert [r.name for r in parsed.requirements] == ["six"]
    assert {e.line for e in parsed.errors} == {3} and len(parsed.errors) == 2
    poetry = write(tmp_path / "c" / "pyproject.toml", '[tool.poetry.dependencies]\nsix = "*"\n')
    parsed = read_requirements([str(poetry)])
    assert "no [project] table" in parsed.errors[0].message
    assert any("[tool.poetry.dependencies]" in w for w in parsed.warnings)


def test_extras_with_only_requirements_files_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "requirements.txt", "six\n")
    parsed = read_requirements([str(path)], extras=["x"])
    assert not parsed.errors and "not used" in parsed.warnings[0]


# -- uv.lock --------------------------------------------------------------------------------

H = {name: hashlib.sha256(name.encode()).hexdigest() for name in ("a", "b", "c", "d", "e")}

UV_LOCK = f"""\
version = 1
revision = 2
requires-python = ">=3.10"
resolution-markers = [
    "python_full_version >= '3.11'",
    "python_full_version < '3.11'",
]

[[package]]
name = "click"
version = "8.1.7"
source = {{ registry = "https://pypi.org/simple" }}
dependencies = [
    {{ name = "colorama", marker = "sys_platform == 'win32'" }},
]
sdist = {{ url = "https://files.pythonhosted.org/packages/click-8.1.7.tar.gz", hash = "sha256:{H["a"]}", size = 336121, upload-time = "2023-08-17T17:29:11.868Z" }}
wheels = [
    {{ url = "https://files.pythonhosted.org/packages/click-8.1.7-py3-none-any.whl", hash = "sha256:{H["b"]}", size = 97941, upload-time = "2023-08-17T17:29:10.08Z" }},
]

[[package]]
name = "colorama"
version = "0.4.6"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files.pythonhosted.org/packages/colorama-0.4.6.tar.gz", hash = "sha256:{H["c"]}", size = 27697 }}

[[package]]
name = "demo"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [
    {{ name = "click" }},
    {{ name = "numpy", version = "2.0.2", source = {{ registry = "https://pypi.org/simple" }}, marker = "python_full_version < '3.11'" }},
    {{ name = "numpy", version = "2.2.0", source = {{ registry = "https://pypi.org/simple" }}, marker = "python_full_version >= '3.11'" }},
    {{ name = "mylib" }},
]

[package.optional-dependencies]
fast = [
    {{ name = "orjson" }},
]

[package.dev-dependencies]
dev = [
    {{ name = "pytest" }},
]

[package.metadata]
requires-dist = [
    {{ name = "click", specifier = ">=8" }},
    {{ name = "numpy" }},
    {{ name = "orjson", marker = "extra == 'fast'", specifier = ">=3" }},
    {{ name = "mylib", git = "https://github.com/example/mylib?rev=v0.3.0" }},
]
provides-extras = ["fast"]

[package.metadata.requires-dev]
dev = [{{ name = "pytest", specifier = ">=8" }}]

[[package]]
name = "mylib"
version = "0.3.0"
source = {{ git = "https://github.com/example/mylib?rev=v0.3.0#4f1c2e5b9a0d8c7e6f5a4b3c2d1e0f9a8b7c6d5e" }}

[[package]]
name = "numpy"
version = "2.0.2"
source = {{ registry = "https://pypi.org/simple" }}
resolution-markers = [
    "python_full_version < '3.11'",
]
sdist = {{ url = "https://files.pythonhosted.org/packages/numpy-2.0.2.tar.gz", hash = "sha256:{H["d"]}", size = 18902015 }}

[[package]]
name = "numpy"
version = "2.2.0"
source = {{ registry = "https://pypi.org/simple" }}
resolution-markers = [
    "python_full_version >= '3.11'",
]
sdist = {{ url = "https://files.pythonhosted.org/packages/numpy-2.2.0.tar.gz", hash = "sha256:{H["e"]}", size = 20225497 }}

[[package]]
name = "orjson"
version = "3.10.12"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "pytest"
version = "8.3.4"
source = {{ registry = "https://pypi.org/simple" }}
dependencies = [
    {{ name = "colorama", marker = "sys_platform == 'win32'" }},
    {{ name = "iniconfig" }},
]

[[package]]
name = "iniconfig"
version = "2.0.0"
source = {{ registry = "https://pypi.org/simple" }}
"""  # noqa: E501


def test_uv_lock_pins_each_reachable_package_with_marker_hashes_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "uv.lock", UV_LOCK)
    parsed = read_requirements([str(path)])
    assert not parsed.errors
    found = by_name(parsed)
    assert set(found) == {"click", "colorama", "numpy", "mylib"}
    click = found["click"][0]
    assert click.text == "click==8.1.7" and click.line == entry_line(UV_LOCK, "click")
    assert click.origin == f"{path}:10"
    assert click.hashes == (f"sha256:{H['a']}", f"sha256:{H['b']}")
    # the edge's marker becomes the package's: colorama stays off Linux targets
    colorama = found["colorama"][0]
    assert colorama.requirement is not None
    assert str(colorama.requirement.marker) == 'sys_platform == "win32"'
    # one package, two versions, split by the resolution's forks
    numpy = {
        str(r.requirement.specifier): str(r.requirement.marker)
        for r in found["numpy"]
        if r.requirement
    }
    assert numpy == {
        "==2.0.2": 'python_full_version < "3.11"',
        "==2.2.0": 'python_full_version >= "3.11"',
    }
    mylib = found["mylib"][0]
    assert mylib.direct_url == (
        "git+https://github.com/example/mylib@4f1c2e5b9a0d8c7e6f5a4b3c2d1e0f9a8b7c6d5e"
    )
    # the project is said, not silently skipped; so are the packages left out
    assert any(
        "demo is a project of this workspace" in w and f":{entry_line(UV_LOCK, 'demo')}:" in w
        for w in parsed.warnings
    )
    left_out = [w for w in parsed.warnings if "not analysed (" in w]
    assert left_out and "iniconfig, orjson, pytest" in left_out[0]


def test_uv_lock_extras_and_groups(tmp_path: Path) -> None:
    path = write(tmp_path / "uv.lock", UV_LOCK)
    parsed = read_requirements([str(path)], extras=["fast"], groups=["dev"])
    assert not parsed.errors
    found = by_name(parsed)
    assert {"orjson", "pytest", "iniconfig"} <= set(found)
    # colorama: reached from click and from pytest, on Windows either way
    assert len(found["colorama"]) == 1
    unknown = read_requirements([str(path)], extras=["nope"], groups=["docs"])
    assert sorted(e.message.split(" (")[0] for e in unknown.errors) == [
        "no dependency group named 'docs' in this lock file",
        "no extra named 'nope' in this lock file",
    ]
    assert all(e.line == entry_line(UV_LOCK, "demo") for e in unknown.errors)


def test_uv_lock_sources_and_version(tmp_path: Path) -> None:
    text = """\
version = 1
revision = 1
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "torch" },
    { name = "vendored" },
    { name = "sibling" },
    { name = "remote" },
]

[[package]]
name = "torch"
version = "2.5.1+cpu"
source = { registry = "https://download.pytorch.org/whl/cpu" }

[[package]]
name = "vendored"
version = "1.0"
source = { path = "dist/vendored-1.0-py3-none-any.whl" }

[[package]]
name = "sibling"
version = "0.2"
source = { directory = "../sibling" }

[[package]]
name = "remote"
version = "1.2"
source = { url = "https://example.com/remote-1.2.tar.gz" }
sdist = { hash = "sha256:00ff" }
"""
    path = write(tmp_path / "proj" / "uv.lock", text)
    parsed = read_requirements([str(path)])
    assert not parsed.errors
    found = {r.name: r for r in parsed.requirements}
    assert found["torch"].text == "torch==2.5.1+cpu"
    assert parsed.options.extra_index_urls == ["https://download.pytorch.org/whl/cpu"]
    assert any("read as an extra index" in w for w in parsed.warnings)
    assert found["vendored"].direct_url == str(tmp_path / "proj/dist/vendored-1.0-py3-none-any.whl")
    assert found["sibling"].direct_url == str(tmp_path / "sibling")
    assert found["remote"].direct_url == "https://example.com/remote-1.2.tar.gz"
    assert found["remote"].hashes == ("sha256:00ff",)
    assert found["remote"].requirement is not None and found["remote"].requirement.url

    old = write(tmp_path / "old" / "uv.lock", 'version = 2\n\n[[package]]\nname = "x"\n')
    parsed = read_requirements([str(old)])
    assert (
        parsed.errors[0].line == 1 and "unsupported uv.lock version 2" in parsed.errors[0].message
    )
    assert not parsed.requirements


def test_uv_lock_conflicting_extras_are_decided_by_the_choice(tmp_path: Path) -> None:
    text = """\
version = 1
requires-python = ">=3.12"

[[package]]
name = "ml"
version = "0.1.0"
source = { editable = "." }

[package.optional-dependencies]
cpu = [{ name = "torch", version = "2.5.1", source = { registry = "https://pypi.org/simple" }, marker = "extra == 'extra-2-ml-cpu'" }]
gpu = [{ name = "torch", version = "2.5.1+cu124", source = { registry = "https://pypi.org/simple" }, marker = "extra == 'extra-2-ml-gpu'" }]

[[package]]
name = "torch"
version = "2.5.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "torch"
version = "2.5.1+cu124"
source = { registry = "https://pypi.org/simple" }
"""  # noqa: E501
    path = write(tmp_path / "uv.lock", text)
    parsed = read_requirements([str(path)], extras=["gpu"])
    assert not parsed.errors
    assert [r.text for r in parsed.requirements] == ["torch==2.5.1+cu124"]


# -- pylock.toml ----------------------------------------------------------------------------

PYLOCK = f"""\
lock-version = "1.0"
requires-python = ">=3.12"
extras = ["gpu"]
dependency-groups = ["dev"]
default-groups = []
created-by = "uv"

[[packages]]
name = "attrs"
version = "25.1.0"
requires-python = ">=3.8"
index = "https://pypi.org/simple"
sdist = {{ name = "attrs-25.1.0.tar.gz", url = "https://files.pythonhosted.org/packages/attrs-25.1.0.tar.gz", upload-time = 2025-01-25T11:30:12Z, size = 810562, hashes = {{ sha256 = "{H["a"]}" }} }}
wheels = [
    {{ name = "attrs-25.1.0-py3-none-any.whl", url = "https://files.pythonhosted.org/packages/attrs-25.1.0-py3-none-any.whl", upload-time = 2025-01-25T11:30:10Z, size = 63152, hashes = {{ sha256 = "{H["b"]}", blake2b = "00" }} }},
]

[[packages]]
name = "cupy"
version = "13.3.0"
marker = "'gpu' in extras and sys_platform == 'linux'"

[[packages]]
name = "pytest"
version = "8.3.4"
marker = "'dev' in dependency_groups"

[[packages]]
name = "pywin32"
version = "308"
marker = "sys_platform == 'win32'"

[[packages]]
name = "mylib"
version = "0.3.0"
vcs = {{ type = "git", url = "https://github.com/example/mylib.git", requested-revision = "v0.3.0", commit-id = "4f1c2e5b", subdirectory = "py" }}

[[packages]]
name = "localpkg"
directory = {{ path = "packages/localpkg", editable = true }}

[[packages]]
name = "archived"
version = "1.0"
archive = {{ url = "https://example.com/archived-1.0.tar.gz", hashes = {{ sha256 = "{H["c"]}" }} }}
"""  # noqa: E501


def test_pylock_packages_markers_and_sources(tmp_path: Path) -> None:
    path = write(tmp_path / "pylock.toml", PYLOCK)
    parsed = read_requirements([str(path)])
    assert not parsed.errors
    found = {str(r.name): r for r in parsed.requirements}
    assert set(found) == {"attrs", "pywin32", "mylib", "localpkg", "archived"}
    attrs = found["attrs"]
    assert attrs.line == entry_line(PYLOCK, "attrs")
    assert attrs.hashes == (f"sha256:{H['a']}", f"sha256:{H['b']}")  # sha256 only
    assert str(found["pywin32"].requirement and found["pywin32"].requirement.marker) == (
        'sys_platform == "win32"'
    )
    assert found["mylib"].direct_url == (
        "git+https://github.com/example/mylib.git@4f1c2e5b#subdirectory=py"
    )
    assert found["localpkg"].editable and found["localpkg"].direct_url == str(
        tmp_path / "packages/localpkg"
    )
    assert found["archived"].hashes == (f"sha256:{H['c']}",)
    assert any("cupy, pytest" in w for w in parsed.warnings)

    chosen = read_requirements([str(path)], extras=["gpu"], groups=["dev"])
    cupy = {str(r.name): r for r in chosen.requirements}["cupy"]
    # the selection clause is decided; the platform clause stays for the targets
    assert cupy.requirement is not None and str(cupy.requirement.marker) == (
        'sys_platform == "linux"'
    )
    assert "pytest" in {str(r.name) for r in chosen.requirements}


def test_pylock_names_and_versions(tmp_path: Path) -> None:
    assert is_lockfile(Path("pylock.toml")) and is_lockfile(Path("pylock.dev.toml"))
    assert not is_lockfile(Path("pylock.a.b.toml")) and not is_lockfile(Path("Pipfile.lock"))
    newer = write(tmp_path / "a" / "pylock.dev.toml", PYLOCK.replace('"1.0"', '"1.3"', 1))
    parsed = read_requirements([str(newer)])
    assert not parsed.errors and any("newer than 1.0" in w for w in parsed.warnings)
    major = write(tmp_path / "b" / "pylock.toml", PYLOCK.replace('"1.0"', '"2.0"', 1))
    parsed = read_requirements([str(major)])
    assert parsed.errors[0].line == 1 and "unsupported pylock lock-version 2.0" in (
        parsed.errors[0].message
    )


# -- poetry.lock ----------------------------------------------------------------------------

POETRY_LOCK = f"""\
# This file is automatically @generated by Poetry 2.1.1 and should not be changed by hand.

[[package]]
name = "certifi"
version = "2024.8.30"
description = "Python package for providing Mozilla's CA Bundle."
optional = false
python-versions = ">=3.6"
groups = ["main"]
files = [
    {{file = "certifi-2024.8.30-py3-none-any.whl", hash = "sha256:{H["a"]}"}},
    {{file = "certifi-2024.8.30.tar.gz", hash = "sha256:{H["b"]}"}},
]

[[package]]
name = "colorama"
version = "0.4.6"
description = "Cross-platform colored terminal text."
optional = false
python-versions = "!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*,!=3.5.*,!=3.6.*,>=2.7"
groups = ["main", "dev"]
markers = {{main = "platform_system == \\"Windows\\"", dev = "sys_platform == \\"win32\\""}}
files = [
    {{file = "colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:{H["c"]}"}},
]

[[package]]
name = "psycopg2-binary"
version = "2.9.10"
description = "psycopg2 - Python-PostgreSQL Database Adapter"
optional = true
python-versions = ">=3.8"
groups = ["main"]
markers = "extra == \\"pg\\""
files = []

[[package]]
name = "pytest"
version = "8.3.4"
description = "pytest: simple powerful testing with Python"
optional = false
python-versions = ">=3.8"
groups = ["dev"]
files = []

[package.dependencies]
colorama = {{version = "*", markers = "sys_platform == \\"win32\\""}}

[[package]]
name = "mylib"
version = "0.3.0"
description = ""
optional = false
python-versions = "*"
groups = ["main"]
files = []
develop = false

[package.source]
type = "git"
url = "https://github.com/example/mylib.git"
reference = "v0.3.0"
resolved_reference = "4f1c2e5b9a0d8c7e6f5a4b3c2d1e0f9a8b7c6d5e"

[[package]]
name = "internal"
version = "1.4"
description = ""
optional = false
python-versions = "*"
groups = ["main"]
files = []

[package.source]
type = "legacy"
url = "https://pkgs.example.com/simple"
reference = "internal"

[extras]
pg = ["psycopg2-binary"]

[metadata]
lock-version = "2.1"
python-versions = ">=3.10"
content-hash = "0f3e2b1a"
"""


def test_poetry_lock_groups_markers_extras_and_sources(tmp_path: Path) -> None:
    path = write(tmp_path / "poetry.lock", POETRY_LOCK)
    parsed = read_requirements([str(path)])
    assert not parsed.errors
    found = {str(r.name): r for r in parsed.requirements}
    assert set(found) == {"certifi", "colorama", "mylib", "internal"}
    assert found["certifi"].line == entry_line(POETRY_LOCK, "certifi")
    assert found["certifi"].hashes == (f"sha256:{H['a']}", f"sha256:{H['b']}")
    # per-group markers: only main's applies while dev is not chosen
    colorama = found["colorama"].requirement
    assert colorama is not None and str(colorama.marker) == 'platform_system == "Windows"'
    assert found["mylib"].direct_url == (
        "git+https://github.com/example/mylib.git@4f1c2e5b9a0d8c7e6f5a4b3c2d1e0f9a8b7c6d5e"
    )
    assert parsed.options.extra_index_urls == ["https://pkgs.example.com/simple"]
    assert any("psycopg2-binary, pytest" in w for w in parsed.warnings)

    chosen = read_requirements([str(path)], extras=["pg"], groups=["dev"])
    assert not chosen.errors
    found = {str(r.name): r for r in chosen.requirements}
    assert {"psycopg2-binary", "pytest"} <= set(found)
    psycopg = found["psycopg2-binary"].requirement
    assert psycopg is not None and psycopg.marker is None  # extra == "pg" decided: chosen
    colorama = found["colorama"].requirement
    assert colorama is not None
    assert str(colorama.marker) == 'platform_system == "Windows" or sys_platform == "win32"'

    unknown = read_requirements([str(path)], extras=["mysql"], groups=["docs"])
    assert len(unknown.errors) == 2
    assert all(e.line == line_of(POETRY_LOCK, "lock-version") for e in unknown.errors)


def test_old_poetry_lock_says_what_it_cannot_honour(tmp_path: Path) -> None:
    text = f"""\
[[package]]
name = "six"
version = "1.16.0"
description = "Python 2 and 3 compatibility utilities"
category = "main"
optional = false
python-versions = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*"

[[package]]
name = "pytest"
version = "7.4.0"
description = "pytest: simple powerful testing with Python"
category = "dev"
optional = false
python-versions = ">=3.7"

[metadata]
lock-version = "1.1"
python-versions = "^3.8"
content-hash = "abc"

[metadata.files]
six = [
    {{file = "six-1.16.0-py2.py3-none-any.whl", hash = "sha256:{H["d"]}"}},
]
pytest = []
"""
    path = write(tmp_path / "poetry.lock", text)
    parsed = read_requirements([str(path)])
    assert not parsed.errors
    assert [(r.text, r.hashes) for r in parsed.requirements] == [
        ("six==1.16.0", (f"sha256:{H['d']}",))
    ]
    assert any("records no markers" in w for w in parsed.warnings)
    with_dev = read_requirements([str(path)], groups=["dev"])
    assert {str(r.name) for r in with_dev.requirements} == {"six", "pytest"}
    future = write(tmp_path / "new" / "poetry.lock", text.replace('"1.1"', '"3.0"'))
    parsed = read_requirements([str(future)])
    assert "unsupported poetry.lock version 3.0" in parsed.errors[0].message
    assert parsed.errors[0].line == line_of(text, "lock-version")


# -- end to end -----------------------------------------------------------------------------


def _sha(server: IndexServer, filename: str) -> str:
    return "sha256:" + hashlib.sha256(server.file_bytes(filename)).hexdigest()


def test_uv_lock_resolves_the_locked_versions(fresh_server: IndexServer, tmp_path: Path) -> None:
    fresh_server.add_project("lockalpha", [wheel("lockalpha", "1.0"), wheel("lockalpha", "2.0")])
    fresh_server.add_project(
        "lockbeta", [wheel("lockbeta", "1.5", ["lockwin ; sys_platform == 'win32'"])]
    )
    # only Windows wheels: analysed on Linux, it would be a blocker
    fresh_server.add_project("lockwin", [wheel("lockwin", "1.0", plat="py3-none-win_amd64")])
    fresh_server.add_project("lockgamma", [wheel("lockgamma", "1.0"), wheel("lockgamma", "2.0")])
    alpha = _sha(fresh_server, "lockalpha-1.0-py3-none-any.whl")
    lock = f"""\
version = 1
revision = 2
requires-python = ">=3.10"

[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [
    {{ name = "lockalpha" }},
    {{ name = "lockbeta" }},
    {{ name = "lockgamma", version = "1.0", source = {{ registry = "https://pypi.org/simple" }}, marker = "python_full_version < '3.11'" }},
    {{ name = "lockgamma", version = "2.0", source = {{ registry = "https://pypi.org/simple" }}, marker = "python_full_version >= '3.11'" }},
]

[package.dev-dependencies]
dev = [{{ name = "notindexed" }}]

[[package]]
name = "lockalpha"
version = "1.0"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [{{ url = "https://files.pythonhosted.org/lockalpha-1.0-py3-none-any.whl", hash = "{alpha}" }}]

[[package]]
name = "lockbeta"
version = "1.5"
source = {{ registry = "https://pypi.org/simple" }}
dependencies = [{{ name = "lockwin", marker = "sys_platform == 'win32'" }}]

[[package]]
name = "lockwin"
version = "1.0"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "lockgamma"
version = "1.0"
source = {{ registry = "https://pypi.org/simple" }}
resolution-markers = ["python_full_version < '3.11'"]

[[package]]
name = "lockgamma"
version = "2.0"
source = {{ registry = "https://pypi.org/simple" }}
resolution-markers = ["python_full_version >= '3.11'"]

[[package]]
name = "notindexed"
version = "1.0"
source = {{ registry = "https://pypi.org/simple" }}
"""  # noqa: E501
    path = write(tmp_path / "uv.lock", lock)
    settings = Settings(index_url=f"{fresh_server.url}/simple/", cache_dir=tmp_path / "c")
    report = analyze([str(path)], [target_from_image(SLIM)], settings)
    assert not report.input_errors
    target = report.targets[0]
    assert target.complete, target.problems
    assert pkg(target, "lockalpha").version == "1.0"  # the lock's pin, not the newest
    assert pkg(target, "lockalpha").status is Status.WHEEL
    assert pkg(target, "lockgamma").version == "2.0"  # the fork for Python 3.12
    alpha_line = entry_line(lock, "lockalpha")
    assert pkg(target, "lockalpha").required_by == [f"{path}:{alpha_line}"]
    names = {p.name for p in target.packages}
    assert "lockwin" not in names and "notindexed" not in names
    skipped = {s["name"]: s["reason"] for s in target.skipped}
    assert "python_full_version" in skipped["lockgamma"] and "win32" in skipped["lockwin"]
    # pip cannot read uv.lock: the Dockerfile installs the versions resolved for the image
    dockerfile = render_dockerfile(target, [str(path)])
    assert "-r " not in dockerfile and "COPY" not in dockerfile
    assert "lockalpha==1.0" in dockerfile and "lockgamma==2.0" in dockerfile
    assert "lockgamma==1.0" not in dockerfile
    # a group chosen in the settings reaches the lock reader
    settings.groups = ["dev"]
    target = analyze([str(path)], [target_from_image(SLIM)], settings).targets[0]
    assert pkg(target, "notindexed").status is Status.UNAVAILABLE


def test_locked_hash_that_matches_no_file_is_pips_hash_mismatch(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project("lockdelta", [wheel("lockdelta", "1.0")])
    lock = f"""\
lock-version = "1.0"
created-by = "test"

[[packages]]
name = "lockdelta"
version = "1.0"
wheels = [{{ name = "lockdelta-1.0-py3-none-any.whl", hashes = {{ sha256 = "{"0" * 64}" }} }}]
"""
    path = write(tmp_path / "pylock.toml", lock)
    settings = Settings(index_url=f"{fresh_server.url}/simple/", cache_dir=tmp_path / "c")
    target = analyze([str(path)], [target_from_image(SLIM)], settings).targets[0]
    delta = pkg(target, "lockdelta")
    assert delta.status is Status.UNAVAILABLE and "hash" in delta.reason
    assert not target.complete


# -- robustness -----------------------------------------------------------------------------

ODD_VALUES: list[object] = [1, "x", [], {}, [1], ["x"], {"a": 1}, {"a": [1]}, True]


def test_lock_readers_never_crash_on_unexpected_values(tmp_path: Path) -> None:
    """Every key of every entry (and of the file) replaced by values of the wrong type."""
    from wheelfit.inputs.lockfiles import _reader_for
    from wheelfit.inputs.lockfiles._common import LockReader
    from wheelfit.inputs.parsed import Selection
    from wheelfit.inspect.sdist import tomllib

    selection = Selection.from_names(["fast", "pg", "gpu"], ["dev"], False)
    for name, text in (("uv.lock", UV_LOCK), ("pylock.toml", PYLOCK), ("poetry.lock", POETRY_LOCK)):
        path = tmp_path / name
        read = _reader_for(path)
        assert read is not None
        document = tomllib.loads(text)
        entries = document.get("package") or document.get("packages")
        targets = [document, *entries, *(e.get("source") for e in entries if "source" in e)]
        for target in targets:
            for key in list(target):
                original = target[key]
                for odd in ODD_VALUES:
                    target[key] = odd
                    result = ParsedInputs()
                    read(LockReader(path, text, selection, result), document)
                target[key] = original


def test_pyproject_reader_never_crashes_on_unexpected_values(tmp_path: Path) -> None:
    from wheelfit.inputs.parsed import Selection
    from wheelfit.inputs.pyproject import _Reader
    from wheelfit.inputs.tomltext import TomlLines
    from wheelfit.inspect.sdist import tomllib

    selection = Selection.from_names(["all", "fast"], ["dev", "test"], False)
    document = tomllib.loads(PYPROJECT)
    tables = [document, document["project"], document["project"]["optional-dependencies"]]
    for table in [*tables, document["dependency-groups"]]:
        for key in list(table):
            original = table[key]
            for odd in ODD_VALUES:
                table[key] = odd
                result = ParsedInputs()
                _Reader("pyproject.toml", TomlLines(PYPROJECT), document, selection, result).read()
            table[key] = original


def test_an_empty_file_is_read_as_nothing(tmp_path: Path) -> None:
    # wheelfit diff reads a file that did not exist at the base revision as an empty one
    for name in ("uv.lock", "pyproject.toml", "pylock.toml"):
        parsed = read_requirements([str(write(tmp_path / name, "\n"))])
        assert not parsed.errors and not parsed.requirements
        assert parsed.warnings == [f"{tmp_path / name}: empty file, nothing to read"]


def test_lock_scopes_are_read_and_bad_ones_located(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pylock.toml",
        PYLOCK.replace(
            'created-by = "uv"', 'created-by = "uv"\nenvironments = ["sys_platform == \'linux\'"]'
        ),
    )
    parsed = read_requirements([str(path)])
    assert not parsed.errors
    assert [(s.what, s.requires_python, s.markers) for s in parsed.scopes] == [
        ("requires-python", ">=3.12", ()),
        ("environments", None, ("sys_platform == 'linux'",)),
    ]
    assert parsed.scopes[0].line == 2
    broken = write(
        tmp_path / "uv.lock",
        'version = 1\nrequires-python = "3.12+"\nsupported-markers = ["linux or"]\n',
    )
    errors = read_requirements([str(broken)]).errors
    assert [(e.line, e.message) for e in errors[:2]] == [
        (2, "requires-python is not a version specifier"),
        (3, "supported-markers: not an environment marker"),
    ]


def test_a_lock_that_leaves_an_image_out_is_a_problem_there(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project("scoped", [wheel("scoped", "1.0")])
    lock = write(
        tmp_path / "pylock.toml",
        'lock-version = "1.0"\nrequires-python = ">=3.12"\n'
        "environments = [\"platform_machine == 'x86_64' and sys_platform == 'linux'\"]\n"
        'created-by = "hand"\n\n[[packages]]\nname = "scoped"\nversion = "1.0"\n',
    )
    targets = [
        target_from_image(SLIM),
        target_from_image("python:3.11-slim-bookworm"),
        target_from_image(SLIM, arch="arm64"),
    ]
    settings = Settings(index_url=f"{fresh_server.url}/simple/", cache_dir=tmp_path / "c")
    report = analyze([str(lock)], targets, settings)
    fits, old_python, arm = report.targets
    assert fits.complete and not fits.problems
    assert pkg(fits, "scoped").status is Status.WHEEL
    assert not old_python.complete
    assert old_python.problems == [
        f"{lock}:2: the lock needs Python >=3.12 and the image has "
        f"{old_python.target.python_full_version}: installing from it fails"
    ]
    assert not arm.complete
    assert arm.problems == [
        f"{lock}:3: none of the lock's environments (platform_machine == 'x86_64' and "
        "sys_platform == 'linux') holds in this image: installing from it fails"
    ]


def test_every_requirements_file_read_is_listed_once_in_reading_order(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    top = tmp_path / "top.txt"
    top.write_text("-r sub/a.txt\n-c sub/b.txt\n-r missing.txt\n-r sub/a.txt\n")
    (tmp_path / "sub" / "a.txt").write_text("-r ../c.txt\nsix\n")
    (tmp_path / "sub" / "b.txt").write_text("six==1.17.0\n")
    (tmp_path / "c.txt").write_text("# options and comments only\n--pre\n")
    parsed = read_requirements([str(top)])
    assert parsed.files == [
        str(top),
        str(tmp_path / "sub" / "a.txt"),
        str(tmp_path / "sub" / ".." / "c.txt"),  # as joined to the including file's folder
        str(tmp_path / "sub" / "b.txt"),
    ]
    assert any("missing.txt" in e.message for e in parsed.errors)  # not read: not listed
