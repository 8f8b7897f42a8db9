"""The HTML dashboard in a real headless browser: Chromium driven by Selenium.

Skipped, with the reason, when selenium, chromium or chromedriver is missing (CI installs them:
``apt-get install chromium chromium-driver`` and ``pip install selenium``). Screenshots go to a
temporary folder; with ``OKRKIT_SCREENSHOTS=1`` they also refresh ``docs/images/report-*.png``.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

import report_sample as sample
from okrkit.report import render

# CI sets OKRKIT_REQUIRE_BROWSER=1: there a missing browser is a failure, not a skip
if os.environ.get("OKRKIT_REQUIRE_BROWSER"):
    from selenium import webdriver
else:
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed: pip install selenium"
    )
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = Path(__file__).parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
for _binary in (CHROMIUM, CHROMEDRIVER):
    if not Path(_binary).exists():
        if os.environ.get("OKRKIT_REQUIRE_BROWSER"):
            pytest.fail(f"{_binary} is missing and CI requires the browser test", pytrace=False)
        pytest.skip(
            f"{_binary} is missing: apt-get install chromium chromium-driver",
            allow_module_level=True,
        )

DESKTOP = (1280, 900)
PHONE = (390, 844)
NARROW = 375


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-color-profile=srgb",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def _open(driver, tmp_path: Path, report, size: tuple[int, int], name: str = "report"):
    """Render `report`, set the viewport to `size` (a phone when narrow), load it by file://."""
    page = tmp_path / f"{name}.html"
    page.write_text(render(report, "html"), encoding="utf-8")
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    driver.get_log("browser")  # drop entries from earlier pages
    driver.get(page.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    return page


def _severe(driver) -> list[dict[str, object]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _text(element) -> str:
    return " ".join((element.get_attribute("textContent") or "").split())


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_dashboard_loads_without_errors_or_network(browser, tmp_path):
    _open(browser, tmp_path, sample.launch(), DESKTOP)
    assert _severe(browser) == []
    assert browser.title == "Acme widget launch - 2026-Q3 · OKR report, 15 Aug 2026"
    # nothing was fetched: no script, style sheet, font or image from anywhere
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_hostile_titles_stay_text_in_the_browser(browser, tmp_path):
    _open(browser, tmp_path, sample.hostile(), DESKTOP)
    assert _severe(browser) == []
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.TAG_NAME, "img") == []
    heading = browser.find_element(By.TAG_NAME, "h1")
    assert _text(heading) == f"{sample.HOSTILE} Q3 </title><script>x()</script>"


@pytest.mark.parametrize("name", ["launch", "reliability"])
def test_every_objective_and_key_result_is_on_the_page(browser, tmp_path, name):
    report = sample.ALL[name]()
    _open(browser, tmp_path, report, DESKTOP)
    for objective in report["objectives"]:
        section = browser.find_element(By.CSS_SELECTOR, f'[data-objective="{objective["id"]}"]')
        assert section.find_element(By.TAG_NAME, "h2").text == objective["title"]
        score = section.find_element(By.CSS_SELECTOR, '[data-field="score"]')
        assert score.text == f"{objective['score']:.2f}"
        assert score.is_displayed()
        grade = section.find_element(By.CSS_SELECTOR, '[data-field="grade"]')
        assert grade.text.lower() == objective["grade"]
        for key_result in objective["key_results"]:
            card = section.find_element(By.CSS_SELECTOR, f'[data-key-result="{key_result["id"]}"]')
            assert card.is_displayed()
            assert card.find_element(By.TAG_NAME, "h3").text == key_result["title"]
            fields = {
                field: card.find_element(By.CSS_SELECTOR, f'[data-field="{field}"]').text
                for field in ("value", "target", "progress", "status", "tasks")
            }
            assert fields["progress"] == f"{key_result['progress']:.2f}"
            assert fields["status"] == key_result["status"].replace("_", " ")
            total = key_result["tasks_total"]
            assert fields["tasks"] == (
                f"{key_result['tasks_done']}/{total} tasks done" if total else "no tasks"
            )
            assert fields["value"].replace(",", "").startswith(f"{key_result['value']:g}")


def test_the_numbers_of_the_launch(browser, tmp_path):
    _open(browser, tmp_path, sample.launch(), DESKTOP)
    values = {
        card.get_attribute("data-key-result"): (
            card.find_element(By.CSS_SELECTOR, '[data-field="value"]').text,
            card.find_element(By.CSS_SELECTOR, '[data-field="target"]').text,
        )
        for card in browser.find_elements(By.CSS_SELECTOR, "[data-key-result]")
    }
    assert values == {
        "mentions": ("196", "240.8"),
        "youtube-views": ("38,000", "100,000"),
        "signups": ("1,778", "5,000"),
    }
    project = browser.find_element(By.CSS_SELECTOR, '[data-project="campaign"]')
    assert project.find_element(By.CSS_SELECTOR, '[data-field="tasks"]').text == "1/14 tasks done"


def test_charts_are_drawn_inside_their_cards(browser, tmp_path):
    _open(browser, tmp_path, sample.reliability(), DESKTOP)
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart-svg")
    assert len(charts) == 4  # youtube-views has no history
    for chart in charts:
        card = chart.find_element(By.XPATH, "ancestor::article")
        box, frame = chart.rect, card.rect
        assert box["width"] > 200
        assert 0.4 < box["height"] / box["width"] < 0.6  # scaled with its viewBox
        assert frame["x"] <= box["x"]
        assert box["x"] + box["width"] <= frame["x"] + frame["width"]
        label = chart.find_element(By.CSS_SELECTOR, "title").get_attribute("textContent")
        assert label.startswith("History of ")


def test_desktop_puts_key_results_side_by_side_and_a_phone_stacks_them(browser, tmp_path):
    _open(browser, tmp_path, sample.launch(), DESKTOP)
    cards = browser.find_elements(By.CSS_SELECTOR, "[data-key-result]")
    assert len({card.rect["y"] for card in cards}) == 1  # one row of three
    assert len({card.rect["x"] for card in cards}) == 3
    _open(browser, tmp_path, sample.launch(), PHONE)
    cards = browser.find_elements(By.CSS_SELECTOR, "[data-key-result]")
    assert len({card.rect["x"] for card in cards}) == 1  # one column
    tops = [card.rect["y"] for card in cards]
    assert tops == sorted(tops)
    assert len(set(tops)) == 3


@pytest.mark.parametrize("name", sorted(sample.ALL))
def test_no_horizontal_scroll_at_375_pixels(browser, tmp_path, name):
    _open(browser, tmp_path, sample.ALL[name](), (NARROW, 800), name)
    assert browser.execute_script("return window.innerWidth") == NARROW
    scroll_width = browser.execute_script("return document.documentElement.scrollWidth")
    assert scroll_width <= NARROW
    # and nothing sticks out of the page either, clipped or not
    widest = browser.execute_script(
        "return Math.max(...Array.from(document.querySelectorAll('body *'),"
        " e => e.getBoundingClientRect().right))"
    )
    assert widest <= NARROW
    assert _severe(browser) == []


def test_dark_mode_changes_the_colours(browser, tmp_path):
    _open(browser, tmp_path, sample.launch(), DESKTOP)
    light = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    try:
        dark = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert light == "rgb(245, 246, 248)"
    assert dark == "rgb(15, 19, 24)"


def test_screenshots(browser, tmp_path):
    """The pictures in docs/reference/reports.md: a laptop and a phone."""
    targets = [("report-desktop.png", DESKTOP), ("report-phone.png", PHONE)]
    update = os.environ.get("OKRKIT_SCREENSHOTS") == "1"
    for name, size in targets:
        _open(browser, tmp_path, sample.launch(), size)
        shot = tmp_path / name
        assert browser.save_screenshot(str(shot))
        assert _png_size(shot) == size
        if update:
            shutil.copyfile(shot, ROOT / "docs" / "images" / name)
    for name, size in targets:
        kept = ROOT / "docs" / "images" / name
        assert kept.exists(), f"run OKRKIT_SCREENSHOTS=1 pytest {Path(__file__).name}"
        assert _png_size(kept) == size


def _two_teams() -> list[dict[str, object]]:
    """The launch twice, as two teams' plans with the same key result ids but their own values."""
    first, second = sample.launch(), sample.launch()
    first["plan"].update(key="team-a", title="Team A launch")
    second["plan"].update(key="team-b", title="Team B launch")
    for key_result in second["objectives"][0]["key_results"]:
        if key_result["id"] == "signups":
            key_result["value"] = 4321
    return [first, second]


def test_two_plans_with_the_same_key_result_ids_on_one_page(browser, tmp_path):
    _open(browser, tmp_path, _two_teams(), DESKTOP, "two-plans")
    assert _severe(browser) == []
    assert browser.title == "OKR report · 2 plans, 15 Aug 2026"
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    ids = browser.execute_script("return Array.from(document.querySelectorAll('[id]'), e => e.id)")
    assert len(ids) == len(set(ids))
    links = browser.find_elements(By.CSS_SELECTOR, "nav.contents a")
    assert [_text(link) for link in links] == ["Team A launch", "Team B launch"]
    sections = browser.find_elements(By.CSS_SELECTOR, "section[data-plan]")
    assert [section.get_attribute("data-plan") for section in sections] == ["team-a", "team-b"]
    assert [link.get_attribute("hash") for link in links] == [
        f"#{section.get_attribute('id')}" for section in sections
    ]
    expected = [("Team A launch 2026-Q3", "1,778"), ("Team B launch 2026-Q3", "4,321")]
    for section, (heading, signups) in zip(sections, expected, strict=True):
        assert section.find_element(By.TAG_NAME, "h2").text == heading
        card = section.find_element(By.CSS_SELECTOR, '[data-key-result="signups"]')
        assert card.is_displayed()
        assert card.find_element(By.CSS_SELECTOR, '[data-field="value"]').text == signups
        assert card.find_element(By.CSS_SELECTOR, '[data-field="target"]').text == "5,000"
        chart = card.find_element(By.CSS_SELECTOR, "svg.chart-svg")
        title_id = chart.get_attribute("aria-labelledby").split()[0]
        # the chart's label is found inside its own card, not in the other plan's
        label = browser.find_element(By.ID, title_id)
        assert label.find_element(By.XPATH, "ancestor::section[@data-plan]") == section
    # following a contents link scrolls to that plan's section
    links[1].click()
    top = browser.execute_script(
        "return document.querySelector('section[data-plan=\"team-b\"]').getBoundingClientRect().top"
    )
    assert 0 <= top < 50


def test_two_plans_have_no_horizontal_scroll_at_375_pixels(browser, tmp_path):
    _open(browser, tmp_path, _two_teams(), (NARROW, 800), "two-plans-narrow")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= NARROW
    widest = browser.execute_script(
        "return Math.max(...Array.from(document.querySelectorAll('body *'),"
        " e => e.getBoundingClientRect().right))"
    )
    assert widest <= NARROW
    assert len(browser.find_elements(By.CSS_SELECTOR, "section[data-plan]")) == 2
    assert _severe(browser) == []
