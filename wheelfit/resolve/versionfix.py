"""What a person can do when the image's library version does not fit the sdist.

In this order: the newest other release whose sdist's own statements accept the image's
library (sdists read newest first, as the index client downloads and inspects any sdist; an
older one when the library is too old, a newer one when it is too new for an old pin),
another image whose library fits, or building the library from source.
"""

from __future__ import annotations

from packaging.utils import NormalizedName
from packaging.version import Version

from ..errors import ArchiveError, IndexFetchError
from ..inspect.distinfo import load_sdist
from ..inspect.sdist import SdistInfo
from ..models import DistFile, SystemVersionProblem
from ..sysdeps import versions
from .resolver import Provider

# Other releases' sdists read at most per package and image (one download each, ~100s of KB)
MAX_RELEASES_READ = 40
_FAMILY_WORDS = {"bookworm": "Debian bookworm", "trixie": "Debian trixie", "alpine": "Alpine"}


def add_fixes(
    provider: Provider, name: NormalizedName, version: Version, problems: list[SystemVersionProblem]
) -> None:
    """Fill in each problem's fix, in one line."""
    family = provider.ctx.target.family
    stated, silent, read = _other_release(provider, name, version, problems)
    for problem in problems:
        options = []
        if stated is not None:
            options.append(
                f"{name}=={stated} is the newest release whose sdist accepts "
                f"{problem.package} {problem.have}"
            )
        elif silent is not None:
            options.append(
                f"no release read ({read}) states that it accepts {problem.have}; "
                f"{name}=={silent} is the newest whose sdist states no version (unchecked)"
            )
        elif read:
            options.append(f"no other release read ({read}) accepts {problem.have}")
        others = [
            f"{_FAMILY_WORDS[elsewhere]} has {found[0]} {found[1]}"
            for elsewhere in versions.FAMILIES
            if elsewhere != family
            and (found := versions.image_library(problem.library, elsewhere)) is not None
            and versions.accepts_version(problem, found[1])
        ]
        if others:
            options.append("an image whose library fits: " + ", ".join(others))
        library = versions.display_name(problem.library)
        options.append(f"or build {library} {problem.need} from source")
        problem.fix = "; ".join(options)


def _other_release(
    provider: Provider, name: NormalizedName, version: Version, problems: list[SystemVersionProblem]
) -> tuple[Version | None, Version | None, int]:
    """The newest final release other than ``version`` whose sdist states that it accepts every
    problem's library at the image's version; else the newest whose sdist states nothing about
    them (a weaker answer: a real build found pillow-heif 1.4.0, silent, failing on an API of a
    newer libheif); and how many sdists were read."""
    sdists: dict[Version, DistFile] = {}
    for dist in provider.page(name).files:
        if (
            not dist.is_wheel
            and not dist.yanked
            and dist.version != version
            and not dist.version.is_prerelease
            and provider.ctx.python_allowed(dist.requires_python)
        ):
            sdists.setdefault(dist.version, dist)
    read = 0
    silent: Version | None = None
    # a documented need depends on the release alone: its sdist need not be downloaded
    documented = all(p.evidence.startswith("documented:") for p in problems)
    for candidate in sorted(sdists, reverse=True)[:MAX_RELEASES_READ]:
        if documented:
            sdist = SdistInfo(filename=sdists[candidate].filename)
        else:
            try:
                sdist = load_sdist(provider.client, sdists[candidate])
            except (IndexFetchError, ArchiveError):
                continue
        read += 1
        answers = [versions.accepted_by(sdist, p, p.have) for p in problems]
        if all(answer is True for answer in answers):
            return candidate, silent, read
        if silent is None and False not in answers:
            silent = candidate
    return None, silent, read
