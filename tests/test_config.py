from __future__ import annotations

from datetime import time

import pytest

from mailer.config import load_settings
from mailer.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "newsletter.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_config(tmp_path):
    settings = load_settings(None, env={}, cwd=tmp_path)
    assert settings.name == "Newsletter" and settings.timezone == "UTC"
    assert settings.config_path is None and settings.template_dirs == ()


def test_full_config_and_discovery_from_a_subfolder(tmp_path):
    write(
        tmp_path,
        """
[newsletter]
name = "Lab Notes"
url = "https://news.example"
timezone = "America/Toronto"
send_time = "07:30"
from = "Lab <lab@news.example>"
[theme]
accent = "#123456"
width = 600
[provider]
name = "mailchimp"
[other-tool]
anything = 1
""",
    )
    sub = tmp_path / "issues"
    sub.mkdir()
    settings = load_settings(None, env={}, cwd=sub)
    assert settings.name == "Lab Notes" and settings.send_time == time(7, 30)
    from mailer.providers import lookup

    assert settings.width == 600 and lookup(settings).unsubscribe_tag == "*|UNSUB|*"
    assert settings.archive_url("x") == "https://news.example/issues/x/"
    assert settings.root == tmp_path and settings.extra["other-tool"] == {"anything": 1}


def test_environment_beats_the_file(tmp_path):
    path = write(tmp_path, '[provider]\nname = "buttondown"\n')
    assert load_settings(path, env={"MAILER_PROVIDER": "listmonk"}).provider == "listmonk"
    assert (
        load_settings(None, env={"MAILER_CONFIG": str(path)}, cwd=tmp_path.parent).root == tmp_path
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[newsletter\n", "invalid TOML"),
        ('[newsletter]\nnmae = "x"\n', "unknown key newsletter.nmae"),
        ('[newsletter]\ntimezone = "Nowhere/Land"\n', "unknown timezone"),
        ('[newsletter]\nsend_time = "25:00"\n', 'send_time must be "HH:MM"'),
        ('[newsletter]\nurl = "example.org"\n', "url must start with http"),
        ('[theme]\naccent = "blue"\n', "accent must be a hex colour"),
        ("[theme]\nwidth = 2000\n", "width must be between 480 and 800"),
        ("[newsletter]\nname = 3\n", "newsletter.name must be a string"),
    ],
)
def test_invalid_config_names_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(f"{path}: ")


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_an_unknown_provider_names_the_file(tmp_path):
    from mailer.providers import lookup

    path = write(tmp_path, '[provider]\nname = "carrier-pigeon"\n')
    with pytest.raises(ConfigError, match="unknown provider 'carrier-pigeon'") as caught:
        lookup(load_settings(path, env={}))
    assert str(path) in str(caught.value)
    stray = write(tmp_path, '[provider.buttondwn]\ntemplate = "naked"\n')
    with pytest.raises(ConfigError, match=r"unknown table \[provider.buttondwn\]"):
        lookup(load_settings(stray, env={}))
