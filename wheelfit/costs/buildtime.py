"""How long a source build and a system-package installation take, as ranges.

Measured build times (real builds, scripts/fit_costs.py) come first; otherwise a linear model
of the native source in the sdist, fitted on those builds. Figures are for the machine the
builds ran on (2 cores); ``speed_factor`` rescales them for another machine.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from packaging.utils import canonicalize_name

from .. import kb
from ..inspect.sdist import SdistInfo
from ..models import Seconds

MODEL_FILE = "costs/build_model.json"
# Lines of code in thousands per kind, crates as a count, "make" as 0/1 (a setup.py that runs
# configure/make on a bundled library spends most of its time there), and the C++ files that
# include pybind11 or nanobind (template-heavy headers from the build environment).
FEATURES = (
    "C",
    "C++",
    "generated C",
    "Cython",
    "Cython modules",
    "C++ headers",
    "crates",
    "make",
    "binding units",
)
_BINDING_LIBRARIES = {"pybind11", "nanobind"}
PURE_SDIST_SECONDS = (2.0, 6.0)  # a build environment and a wheel with no compiler work


ZERO = Seconds(0.0, 0.0, 0.0, "nothing to do")


@cache
def model() -> dict[str, Any]:
    document = kb.load_json(MODEL_FILE)
    if not isinstance(document, dict) or "build" not in document:
        raise ValueError(f"{MODEL_FILE}: not a build model")
    return document


def native_features(info: SdistInfo) -> dict[str, float]:
    """The model's inputs for one sdist, counting only what its build compiles."""
    found = dict.fromkeys(FEATURES, 0.0)
    needs_compiler, languages, _ = info.native()
    if not needs_compiler:
        return found
    c_lines = info.source_lines.get("C", 0) if "C" in languages else 0
    # Fortran and Go are too rare in the measured builds for a weight of their own
    cxx_lines = sum(info.source_lines.get(x, 0) for x in ("C++", "Fortran", "Go") if x in languages)
    generated = min(info.generated_lines, c_lines + cxx_lines)
    generated_c = min(generated, c_lines)
    found["C"] = (c_lines - generated_c) / 1000
    found["C++"] = (cxx_lines - (generated - generated_c)) / 1000
    found["generated C"] = generated / 1000
    if "Cython" in languages:
        found["Cython"] = info.untranslated_cython_lines / 1000
        found["Cython modules"] = float(info.cython_modules)
    if "C++" in languages:
        found["C++ headers"] = info.header_lines / 1000
    if "Rust" in languages:
        found["crates"] = float(info.cargo_lock_packages or 1)
    if "make" in info.build_programs():
        found["make"] = 1.0
    requires = {r.name.lower() for r in info.build_requires()[0]}
    if "C++" in languages and requires & _BINDING_LIBRARIES:
        found["binding units"] = float(info.source_files.get("C++", 0))
    return found


def measured_build(name: str) -> dict[str, Any] | None:
    entry = model().get("measured", {}).get(canonicalize_name(name))
    return entry if isinstance(entry, dict) else None


def native_build_seconds(name: str, version: str | None, info: SdistInfo | None) -> Seconds:
    """One native build: measured when the project was built here, else the model."""
    document = model()
    repeat = float(document["repeat_ratio_max_over_min"]["p90"])
    measured = measured_build(name)
    if measured is not None:
        seconds = float(measured["seconds"])
        same = version is not None and str(measured["version"]) == version
        what = "" if same else f" (version {measured['version']})"
        return Seconds(
            seconds / repeat, seconds, seconds * repeat, f"measured{what} on the reference machine"
        )
    build = document["build"]
    spread = build["fit_ratio_predicted_over_measured"]
    if info is None:
        # an sdist that could not be inspected: the model's base, with its widest spread
        base = float(build["base_seconds"])
        return Seconds(base / spread["max"], base, base / spread["min"], "no sdist to measure")
    weights = build["seconds_per_kline"]
    features = native_features(info)
    likely = float(build["base_seconds"]) + sum(
        float(weights[k]) * v for k, v in features.items() if k in weights
    )
    return Seconds(
        likely / float(spread["p90"]),
        likely,
        likely / float(spread["p10"]),
        "model: " + describe_features(features),
    )


def describe_features(features: dict[str, float]) -> str:
    parts = []
    for key, value in features.items():
        if not value:
            continue
        if key == "crates":
            parts.append(f"{value:.0f} crates")
        elif key == "make":
            parts.append("runs make")
        elif key == "Cython modules":
            parts.append(f"{value:.0f} Cython modules")
        elif key == "binding units":
            parts.append(f"{value:.0f} pybind11/nanobind files")
        else:
            parts.append(f"{value:.1f}k lines {key}")
    return ", ".join(parts) or "no native source counted"


def pure_build_seconds() -> Seconds:
    low, high = PURE_SDIST_SECONDS
    return Seconds(low, (low + high) / 2, high, "a build without compiling")


def install_seconds(manager: str, megabytes: float, packages: int) -> Seconds:
    """Installing system packages: apt measured here; apk from a small published figure."""
    if packages == 0:
        return ZERO
    apt = model()["apt"]
    if manager == "apt":
        # + apt-get update, which the Dockerfile runs first (not in the fitted rows)
        likely = 3.0 + float(apt["base_seconds"]) + float(apt["seconds_per_mb"]) * megabytes
        return Seconds(
            likely * float(apt["ratio_p10"]),
            likely,
            likely * float(apt["ratio_p90"]),
            "apt, fitted on real installs",
        )
    # apk: 1-2 s for one small tool (measured 2020); unpacking assumed as fast as apt's
    likely = 1.5 + float(apt["seconds_per_mb"]) * megabytes
    return Seconds(likely * 0.6, likely, likely * 2.0, "apk, published figure + apt's rate")
