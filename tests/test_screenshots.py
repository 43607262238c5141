"""What the email looks like, pixel by pixel: a layout regression is seen, not just measured.

One sample issue is drawn in Chromium at 375 and 640 px, light and dark, and compared with the
stored pictures in tests/screenshots/ (rewrite them with ``pytest --update-golden`` and look at
the change). Images in the email are served as one grey picture, and the fonts are the ones
``./run tests`` installs (Liberation, DejaVu), so the same tree draws the same pixels.
Every picture taken is written to test-artifacts/ and listed at the end of the test output.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM, launch, screenshot, serve_wide_images

from conftest import ARTIFACTS_WRITTEN, CORPUS, ROOT, SAMPLE
from mailer.core.config import Settings
from mailer.issue.load import load_issue
from mailer.render.emulation import emulate
from mailer.render.pipeline import render_issue

STORED = ROOT / "tests" / "screenshots"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
ISSUE = SAMPLE / "issues" / "2026-11-06-first-issue.md"
CASES = [(375, "light"), (375, "dark"), (640, "light"), (640, "dark")]
# a pixel differs when a channel moves by more than this; a picture when over this share does
CHANNEL_TOLERANCE = 48
SHARE_TOLERANCE = 0.005
HEIGHT_TOLERANCE = 3  # px


@pytest.fixture(scope="module")
def shooter() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: ./run tests installs it (apt: chromium)"
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(device_scale_factor=1)
        serve_wide_images(page)
        yield page
        browser.close()


def keep(name: str, picture: bytes) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(picture)
    ARTIFACTS_WRITTEN.append(path)
    return path


def difference(stored: bytes, actual: bytes) -> tuple[float, str]:
    """The share of pixels that changed visibly, and why when the sizes differ."""
    from PIL import Image, ImageChops

    before = Image.open(io.BytesIO(stored)).convert("RGB")
    after = Image.open(io.BytesIO(actual)).convert("RGB")
    if before.width != after.width or abs(before.height - after.height) > HEIGHT_TOLERANCE:
        return 1.0, f"size {before.size} became {after.size}"
    # another Chromium may round a line box differently: compare the part both pictures have
    height = min(before.height, after.height)
    before, after = (
        before.crop((0, 0, before.width, height)),
        after.crop((0, 0, after.width, height)),
    )
    changed = (
        ImageChops.difference(before, after)
        .convert("L")
        .point(lambda v: 255 if v > CHANNEL_TOLERANCE else 0)
    )
    share = changed.histogram()[255] / (after.width * after.height)
    return share, f"{share:.2%} of the pixels changed"


@pytest.mark.parametrize(("width", "scheme"), CASES, ids=lambda v: str(v))
def test_the_email_looks_as_it_did(shooter, repo_settings, update_golden, width, scheme):
    html = render_issue(load_issue(ISSUE, repo_settings), repo_settings).html
    actual = screenshot(shooter, html, width, dark=scheme == "dark")
    name = f"{ISSUE.stem}-{width}-{scheme}.png"
    taken = keep(name, actual)
    stored = STORED / name
    if update_golden:
        STORED.mkdir(exist_ok=True)
        stored.write_bytes(actual)
    assert stored.exists(), f"run pytest --update-golden to store {stored.name}"
    share, why = difference(stored.read_bytes(), actual)
    assert share <= SHARE_TOLERANCE, (
        f"{name} looks different from the stored picture: {why}; compare {taken} with {stored}, "
        "and if the change is intended, run pytest --update-golden"
    )


def test_a_layout_change_is_seen(shooter, repo_settings):
    """The comparison is not blind: a wider email, or a darker card, fails it."""
    html = render_issue(load_issue(ISSUE, repo_settings), repo_settings).html
    stored = (STORED / f"{ISSUE.stem}-640-light.png").read_bytes()
    assert difference(stored, screenshot(shooter, html, 640))[0] <= SHARE_TOLERANCE
    moved = html.replace("padding:0 28px", "padding:0 36px")
    assert difference(stored, screenshot(shooter, moved, 640))[0] > SHARE_TOLERANCE


def longest_real_issue() -> Path | None:
    folder = CORPUS / "research-computing-teams"
    issues = sorted(folder.glob("*.md"), key=lambda p: p.stat().st_size) if folder.is_dir() else []
    return issues[-1] if issues else None


@pytest.mark.skipif(longest_real_issue() is None, reason="the shared corpus is not beside us")
def test_pictures_of_a_long_real_issue_in_every_view(shooter):
    """Not compared (the corpus is not ours to store): drawn, checked to fit, and kept."""
    source = longest_real_issue()
    assert source is not None
    settings = Settings(url="https://example.org")
    html = render_issue(load_issue(source, settings), settings).html
    views = [(375, "light", None), (375, "dark", None), (640, "light", None)]
    views += [(640, "dark", None), (640, "light", "gmail"), (640, "light", "outlook")]
    for width, scheme, client in views:
        shown = emulate(html, client) if client else html
        picture = screenshot(shooter, shown, width, dark=scheme == "dark")
        keep(
            f"{source.parent.name}-{source.stem}-{width}-{scheme}-{client or 'built'}.png", picture
        )
        assert shooter.evaluate("document.documentElement.scrollWidth") <= max(width, 640 + 16)
