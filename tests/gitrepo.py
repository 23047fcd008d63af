"""A throwaway git repository for the tests of `wheelfit diff --base` and the GitHub Action."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def init_repo(path: Path) -> Path:
    """An empty repository at ``path`` (created), with an author for commits."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for key, value in (("user.email", "t@example.com"), ("user.name", "t")):
        subprocess.run(["git", "-C", str(path), "config", key, value], check=True)
    return path


def commit(path: Path, text: str, message: str) -> str:
    """Write ``text`` to ``path``, commit everything, return the new commit's sha."""
    path.write_text(text)
    subprocess.run(["git", "-C", str(path.parent), "add", "."], check=True)
    subprocess.run(["git", "-C", str(path.parent), "commit", "-qm", message], check=True)
    return git("-C", str(path.parent), "rev-parse", "HEAD")
