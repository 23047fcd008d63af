"""The HTML report: self-contained, escaped, redacted, and checked in a real browser.

The browser test drives Debian's chromium through chromedriver (selenium, the test extra).
Where the two are not installed it is skipped with the reason (`-rs` lists it); .ci/run
installs them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import run, wheel
from test_ci_outputs import ALPINE, SLIM, add_projects
from test_recommend_cases import FIXTURES, WEB, analyze_text

from wheelfit.cli import main
from wheelfit.models import Report
from wheelfit.render.html import render_diff_html, render_html
from wheelfit.report.diff import diff_reports

# the flags a closed network needs (background connections are refused otherwise)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
EXTERNAL = re.compile(r"""(src|href)\s*=|@import|url\(|<script|<link|<iframe""", re.I)


@pytest.fixture(scope="module")
def web_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    with IndexServer(FIXTURES, exact_sizes=True) as server:
        return analyze_text(server, tmp_path_factory.mktemp("web"), WEB)


def test_page_is_self_contained_and_has_every_section(web_report: Report) -> None:
    page = render_html(web_report)
    assert page.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(page)  # nothing fetched: no src, href, url(), script, link
    assert page.index('id="recommendation"') < page.index('id="packages"')  # verdict on top
    for section in ("verdicts", "sizes", "packages", "system", "dockerfiles"):
        assert f'id="{section}"' in page
    for target in web_report.targets:
        assert page.count(f'data-target="{target.target.id}"') == 4  # row, chart, column, file
    assert "FROM python:3.12-alpine3.24 AS build" in page  # the multi-stage Dockerfile
    # a reason shows on hover (title) and in the cell's details
    uwsgi = next(p for p in web_report.targets[2].packages if p.name == "uwsgi")
    escaped = uwsgi.reason.replace("'", "&#x27;")
    assert f'title="{escaped}' in page and f"<li>{escaped}</li>" in page


def test_text_is_escaped_and_credentials_redacted(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project("evil", [wheel("evil", "1.0", plat="cp312-cp312-win_amd64")])
    report = run(fresh_server, tmp_path, "evil\n", [SLIM, ALPINE])
    report.inputs = ["https://user:s3cret@example.org/<b>req</b>.txt"]
    report.warnings = ["<script>alert(1)</script> from https://token@host.example/simple/"]
    page = render_html(report)
    assert "s3cret" not in page and "token@" not in page
    assert "https://***@example.org/&lt;b&gt;req&lt;/b&gt;.txt" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "✗ unavailable" in page  # status in words and symbol, not only colour


def test_cli_writes_html_and_diff_html(fresh_server: IndexServer, tmp_path: Path) -> None:
    add_projects(fresh_server)
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("plain\n")
    new.write_text("plain\nmuslgap\n")
    index = ["-i", f"{fresh_server.url}/simple/", "--cache-dir", str(tmp_path / "c")]
    images = ["--image", SLIM, "--image", ALPINE]
    out = tmp_path / "report.html"
    assert main([str(new), *images, *index, "--format", "html", "-o", str(out)]) == 0
    assert 'data-package="muslgap"' in out.read_text()
    diff_out = tmp_path / "diff.html"
    argv = ["diff", str(old), str(new), *images, *index, "--format", "html", "-o", str(diff_out)]
    assert main(argv) == 0
    page = diff_out.read_text()
    assert not EXTERNAL.search(page)
    assert page.count('class="diff-target"') == 2
    alpine = page.split(f'data-target="{ALPINE}')[1].split("</section>")[0]
    assert "starts compiling" not in alpine and "added" in alpine and "muslgap" in alpine
    assert "build packages added" in alpine
    # before, wheels everywhere: the smaller alpine; after, muslgap compiles only there
    assert (
        "The recommended image was <code>python:3.12-alpine3.24</code>, is now "
        "<code>python:3.12-slim-bookworm</code>." in page
    )


def test_diff_html_says_when_nothing_changed(fresh_server: IndexServer, tmp_path: Path) -> None:
    add_projects(fresh_server)
    report = run(fresh_server, tmp_path, "plain\n", [SLIM])
    page = render_diff_html(diff_reports(report, report))
    assert "No change on any image." in page


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip(
            "the HTML report was NOT checked in a browser: Debian's chromium and "
            "chromium-driver are not installed (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()


def test_report_in_a_real_browser(web_report: Report, browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    page = tmp_path / "report.html"
    page.write_text(render_html(web_report), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.title.startswith("wheelfit:")
    # nothing was loaded besides the file itself
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    recommendation = browser.find_element(By.ID, "recommendation")
    assert recommendation.is_displayed()
    assert "Recommended: python:3.12-alpine3.24" in recommendation.text
    assert "MB for python:3.12-trixie" in recommendation.text  # the sizes, in words
    matrix = browser.find_element(By.CSS_SELECTOR, "table.matrix")
    for target in web_report.targets:
        target_id = target.target.id
        column = matrix.find_element(By.CSS_SELECTOR, f'th[data-target="{target_id}"]')
        assert column.text == target.target.short_id
        chart = browser.find_element(
            By.CSS_SELECTOR, f'figure.size-chart[data-target="{target_id}"]'
        )
        bars = chart.find_elements(By.CSS_SELECTOR, "svg rect")
        assert bars and all(float(b.get_attribute("width") or 0) > 0 for b in bars)
        assert chart.find_element(By.TAG_NAME, "svg").size["width"] > 100  # laid out
        for package in target.packages:
            row = matrix.find_element(By.CSS_SELECTOR, f'tr[data-package="{package.name}"]')
            assert row.is_displayed()
    compiled_bar = browser.find_element(
        By.CSS_SELECTOR, 'figure.size-chart[data-target="python:3.12-alpine3.24@amd64"]'
    ).find_elements(By.CSS_SELECTOR, "rect.part-build")
    assert len(compiled_bar) == 1  # single-stage keeps the compilers: its bar shows them
    # keyboard: Tab reaches a package's reason, Enter opens it
    reason = matrix.find_element(By.CSS_SELECTOR, 'tr[data-package="psycopg2"] td details')
    assert reason.get_attribute("open") is None
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(60):
        focused = browser.switch_to.active_element
        if focused == reason.find_element(By.TAG_NAME, "summary"):
            break
        focused.send_keys(Keys.TAB)
    else:
        pytest.fail("Tab never reached psycopg2's reason")
    focused.send_keys(Keys.ENTER)
    assert reason.get_attribute("open") is not None
    psycopg2 = next(p for p in web_report.targets[0].packages if p.name == "psycopg2")
    assert psycopg2.reason in reason.text  # the reason, now shown
    browser.set_window_size(1280, 900)  # the page's height at the screenshot's width
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 40, 4000))
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    keep = os.environ.get("WHEELFIT_SCREENSHOT")  # docs/html-report.png is made this way
    if keep:
        shutil.copyfile(shot, keep)
