"""wheelfit: how a requirements file installs on python, python:slim and python:alpine images."""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analyze import Settings, analyze
    from .models import PackageResult, Report, Status, Target, TargetReport, __version__
    from .targets.images import target_from_image, target_from_platform

__all__ = [
    "PackageResult",
    "Report",
    "Settings",
    "Status",
    "Target",
    "TargetReport",
    "__version__",
    "analyze",
    "target_from_image",
    "target_from_platform",
]

# Loaded on first use, so that `python -m wheelfit` and `import wheelfit.models` do not
# pay for the whole pipeline (and Ctrl-C during start-up is handled by the command).
_WHERE = {
    "Settings": ".analyze",
    "analyze": ".analyze",
    "PackageResult": ".models",
    "Report": ".models",
    "Status": ".models",
    "Target": ".models",
    "TargetReport": ".models",
    "__version__": ".models",
    "target_from_image": ".targets.images",
    "target_from_platform": ".targets.images",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'wheelfit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """Importing the submodule ``wheelfit.analyze`` sets the package's ``analyze`` to that
    module; the public name stays the function, as when it was imported eagerly."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _WHERE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
