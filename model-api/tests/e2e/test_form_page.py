"""The page at GET / in headless Chromium: fill the form, submit, see a prediction."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ARTIFACTS, Lake, serve
from model_api.main import create_app
from model_api.settings import ModelApiSettings

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.mark.skipif(
    not CHROMIUM.exists() or shutil.which("chromium") is None,
    reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
)
def test_fill_the_form_and_see_a_prediction(
    wine_lake: Lake, settings_for: Callable[..., ModelApiSettings]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    app = create_app(settings_for(wine_lake.url))
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(f"{base}/")
            expect(page.locator("#f-alcohol")).to_have_value("9.4")
            page.fill("#f-alcohol", "13.5")
            page.select_option("#f-wine_type", "white")
            page.click("#predict")
            prediction = page.locator("#prediction")
            expect(prediction).to_contain_text("Prediction:")
            text = prediction.inner_text()
            value = float(text.split(":")[1].split()[0])
            assert 3 <= value <= 9
            assert any(label in text for label in ("Poor", "Average", "Good"))
            page.screenshot(path=str(ARTIFACTS / "model-api-form.png"), full_page=True)

            # A required feature left empty is stopped by the browser before any request.
            page.fill("#f-ph", "")
            page.click("#predict")
            expect(page.locator("#f-ph:invalid")).to_have_count(1)
            expect(prediction).to_contain_text(text)
        finally:
            browser.close()
