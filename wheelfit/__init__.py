"""wheelfit: how a requirements file installs on python, python:slim and python:alpine images."""

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
