"""Smoke test against the real index. Opt-in:

pytest -m online --allow-hosts=127.0.0.1,pypi.org,files.pythonhosted.org
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wheelfit import Settings, Status, analyze, target_from_image


@pytest.mark.online
def test_real_index_small_file(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("requests==2.32.3\npsycopg2==2.9.10\n")
    report = analyze(
        [str(req)],
        [target_from_image("python:3.12-slim-bookworm"), target_from_image("python:3.12-alpine")],
        Settings(cache_dir=tmp_path / "cache"),
    )
    for target in report.targets:
        by_name = {p.name: p for p in target.packages if not p.build_only}
        assert by_name["requests"].status is Status.WHEEL
        assert by_name["psycopg2"].status is Status.SDIST_NATIVE
        assert by_name["urllib3"].status is Status.WHEEL
