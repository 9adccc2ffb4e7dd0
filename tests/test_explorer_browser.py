"""The dashboards in a real browser: Debian's Chromium driven by Playwright, on the smoke day."""

from pathlib import Path

import pytest
import yaml

from ingest.explorer.metadata import METADATA_PATH

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DASHBOARDS = yaml.safe_load(METADATA_PATH.read_text())["plugins"]["datasette-dashboards"]
# Vega(-Lite) draws each mark of a chart into an SVG group of role "mark".
MARKS = "svg .role-mark > *"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (`make test` installs Debian's chromium when it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open_dashboard(browser, url: str, slug: str, screenshot: str) -> list[str]:
    """Load a dashboard, wait for every chart, check it drew something; the console errors seen."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        response = page.goto(url, wait_until="networkidle")
        assert response is not None and response.status == 200
        for chart_slug, chart in DASHBOARDS[slug]["charts"].items():
            selector = f"#chart-{chart_slug}"
            if chart["library"] in ("vega", "vega-lite"):
                page.wait_for_selector(f"{selector} {MARKS}", state="attached", timeout=15_000)
                assert page.locator(f"{selector} {MARKS}").count() > 0, chart_slug
            else:
                page.wait_for_function(
                    "s => document.querySelector(s).innerText.trim() !== ''", arg=selector, timeout=15_000
                )
                text = page.locator(selector).inner_text().strip()
                assert text and not any(bad in text for bad in ("undefined", "null", "NaN")), (
                    chart_slug,
                    text,
                )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    finally:
        page.close()
    return errors


def test_the_overview_dashboard_draws_every_chart(explorer_run, browser) -> None:
    url = f"{explorer_run.url}/-/dashboards/network-overview"
    assert _open_dashboard(browser, url, "network-overview", "network-overview.png") == []


def test_the_system_health_dashboard_draws_every_chart(explorer_run, browser) -> None:
    url = f"{explorer_run.url}/-/dashboards/system-health"
    assert _open_dashboard(browser, url, "system-health", "system-health.png") == []


def test_the_drilldown_draws_every_chart_for_all_and_for_one_orchestrator(explorer_run, browser) -> None:
    url = f"{explorer_run.url}/-/dashboards/orchestrator-drilldown"
    assert _open_dashboard(browser, url, "orchestrator-drilldown", "orchestrator-drilldown.png") == []
    page = browser.new_page()
    page.goto(url)
    options = page.locator("#orchestrator option").all_inner_texts()
    page.close()
    address = next(o for o in options if o.strip())
    filtered = f"{url}?orchestrator={address}&pipeline=live-video-to-video"
    errors = _open_dashboard(browser, filtered, "orchestrator-drilldown", "orchestrator-drilldown-one.png")
    assert errors == []


@pytest.mark.parametrize("slug", ["economics", "live-operations", "discover-score"])
def test_the_economics_live_and_discover_dashboards_draw_every_chart(explorer_run, browser, slug) -> None:
    url = f"{explorer_run.url}/-/dashboards/{slug}"
    assert _open_dashboard(browser, url, slug, f"{slug}.png") == []
