"""Shared fixtures: isolation from the developer's machine, settings, golden files."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mailer.core.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
# the tool's tests use a copy of the sample newsletter: an editor may replace issues/ and
# newsletter.toml at the top with their own and the tests still pass
SAMPLE = ROOT / "tests" / "fixtures" / "sample"


# pictures the browser tests keep in test-artifacts/: listed at the end of the test output
ARTIFACTS_WRITTEN: list[Path] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if ARTIFACTS_WRITTEN:
        terminalreporter.write_sep("-", "pictures kept")
        for path in ARTIFACTS_WRITTEN:
            terminalreporter.write_line(str(path.relative_to(ROOT)))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite the expected golden files from the current output.",
    )


@pytest.fixture(autouse=True)
def isolated(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No MAILER_* variable and no newsletter.toml of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.startswith(("MAILER_", "BUTTONDOWN_", "GITHUB_")):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(home)
    from mailer.core import secrets

    secrets.forget_all()  # secrets a test read are not masked in the next one's output
    from mailer.checks import runner

    monkeypatch.setattr(runner, "RAISE_RULE_ERRORS", True)  # a rule that crashes is a bug
    yield home


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """Settings with overrides, validated like real ones (no config file)."""

    def factory(**overrides: Any) -> Settings:
        return load_settings(None, env={}, cwd=Path("/"), **overrides)

    return factory


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A copy of the sample newsletter, for tests whose commands keep records beside
    newsletter.toml (.mailer/): the fixture itself is never written to."""
    import shutil

    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns(".mailer"))
    return copy


@pytest.fixture
def repo_settings() -> Settings:
    """The sample newsletter's settings (tests/fixtures/sample/newsletter.toml)."""
    return load_settings(SAMPLE / "newsletter.toml", env={})


@pytest.fixture
def write_issue(tmp_path: Path) -> Callable[..., Path]:
    """Write an issue file from dedented text (or bytes) and return its path."""

    def write(text: str | bytes, name: str = "issue.md") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def buttondown() -> Iterator[Any]:
    """A stateful fake Buttondown on 127.0.0.1; `.url` is its base URL."""
    from fakes.buttondown import FakeButtondown
    from fakes.server import FakeServer

    fake = FakeButtondown()
    with FakeServer(fake) as server:
        fake.url = server.url
        fake.server = server  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def buttondown_env(buttondown: Any) -> dict[str, str]:
    from fakes.buttondown import API_KEY

    return {"MAILER_BUTTONDOWN_API_KEY": API_KEY, "MAILER_BUTTONDOWN_BASE_URL": buttondown.url}


@pytest.fixture
def waits() -> list[float]:
    """The sleeps a provider client asked for (tests do not really wait)."""
    return []


@pytest.fixture
def provider(
    buttondown: Any, buttondown_env: dict[str, str], make_settings: Any, waits: list[float]
) -> Any:
    from mailer.providers import get_provider

    return get_provider(make_settings(), buttondown_env, sleep=waits.append)


class ProviderUnderTest:
    """One provider and its fake, wired together the way a user configures it."""

    def __init__(self, fake: Any, server: Any) -> None:
        from mailer.providers import PROVIDERS

        cls = PROVIDERS[fake.provider]
        self.name, self.fake, self.server = fake.provider, fake, server
        self.cls = cls
        self.key = fake.api_key
        self.env = {cls.api_key_env[0]: fake.api_key, cls.base_url_env: server.url + fake.base_path}
        self.options = dict(fake.options)

    def settings(self, make_settings: Any, **overrides: Any) -> Any:
        return make_settings(
            provider=self.name, provider_options={self.name: self.options}, **overrides
        )

    def provider(self, make_settings: Any, sleep: Any = None, **overrides: Any) -> Any:
        from mailer.providers import get_provider

        return get_provider(
            self.settings(make_settings, **overrides), self.env, sleep=sleep or (lambda _: None)
        )


def serve(fake: Any) -> Iterator[ProviderUnderTest]:
    from fakes.server import FakeServer

    with FakeServer(fake) as server:
        fake.url, fake.server = server.url, server
        yield ProviderUnderTest(fake, server)


def _fake_names() -> list[str]:
    from fakes import FAKES

    return list(FAKES)


@pytest.fixture(params=_fake_names())
def any_provider(request: pytest.FixtureRequest) -> Iterator[ProviderUnderTest]:
    """Each provider in turn, against its own stateful fake on 127.0.0.1."""
    from fakes import FAKES

    yield from serve(FAKES[request.param]())


def git(cwd: Path, *args: str) -> None:
    """Run git in a test's own repository, as an editor with a name would."""
    import subprocess

    subprocess.run(
        ["git", "-c", "user.name=Editor", "-c", "user.email=editor@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Headless Chromium (Debian's, through Playwright), one per test module."""
    from browser import CHROMIUM, launch
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: ./run tests installs it (apt: chromium)"
    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()
