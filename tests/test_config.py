from __future__ import annotations

from datetime import time

import pytest

from mailer.core.config import load_settings
from mailer.core.errors import ConfigError


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
    assert settings.width == 600 and settings.template_language.unsubscribe_tag == "*|UNSUB|*"
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
        # odd but plausible values that once ended in a traceback, found by the settings fuzzer
        (
            '[newsletter]\narchive_path = "issues/{slug}/{year}/"\n',
            r"only hold \{slug\}, not \{year\}",
        ),
        ('[newsletter]\narchive_path = "{slug}/{0}"\n', r"only hold \{slug\}, not \{0\}"),
        ('[newsletter]\narchive_path = "{slug!r}"\n', r"not \{slug!r\}"),
        ('[newsletter]\narchive_path = "../../../pwn-{slug}"\n', "inside the archive"),
        ('[newsletter]\narchive_path = "a/./{slug}"\n', "inside the archive"),
        ('[newsletter]\narchive_path = "x\\"y/{slug}"\n', "only letters, digits"),
        ('[newsletter]\narchive_path = "{slug"\n', "not a path template"),
        ('[newsletter]\narchive_path = "issues/"\n', 'must contain "{slug}"'),
        ('[newsletter]\nurl = "https://x.example/\\"a"\n', "url must be an address without"),
        ('[newsletter]\nsubscribe_url = "https://x.example/a b"\n', "without spaces"),
        ("[provider]\ntimeout = inf\n", "timeout must be a number of seconds from 0.1 to 600"),
        ("[provider]\ntimeout = 1e400\n", "timeout must be a number of seconds from 0.1 to 600"),
        ("[provider]\ntimeout = nan\n", "timeout must be a number of seconds from 0.1 to 600"),
        ("[provider]\ntimeout = 0\n", "timeout must be a number of seconds from 0.1 to 600"),
        ("[provider]\ngrace_minutes = -1\n", "grace_minutes must be from 0 to 10080"),
        ("[newsletter]\nfeed_items = 9223372036854775807\n", "feed_items must be from 0"),
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


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-5", "1e400", "abc", "601"])
def test_a_timeout_from_the_environment_is_a_finite_number_of_seconds(tmp_path, value):
    with pytest.raises(ConfigError, match=f"MAILER_HTTP_TIMEOUT must be .* not '{value}'"):
        load_settings(None, env={"MAILER_HTTP_TIMEOUT": value}, cwd=tmp_path)
    assert load_settings(None, env={"MAILER_HTTP_TIMEOUT": "7.5"}, cwd=tmp_path).timeout == 7.5


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[provider.listmonk]\nlists = ["one"]\n', r"lists must be the ids of the lists .* not \['one'\]"),  # noqa: E501
        ('[provider.listmonk]\nlists = [1]\ntemplate_id = "classic"\n', "template_id must be the id"),  # noqa: E501
        ('[provider.listmonk]\nlists = [0]\n', "lists must be the ids"),
        ('[provider.mailchimp]\nlist_id = 123\n', "list_id must be your audience id"),
        ('[provider.buttondown]\ntemplate = "fancy"\n', "template must be one of 'naked'"),
        ('[provider.buttondown]\nlists = [1]\n', r"unknown key provider.buttondown.lists \(known: extra, template\)"),  # noqa: E501
        ('[provider.kit]\nextra = "x"\n', "provider.kit.extra must be a table"),
    ],
)  # fmt: skip
def test_provider_options_are_checked_by_the_providers_schema_at_load(tmp_path, table, message):
    """Every command checks them, before anything is read or asked: a sync no longer stops
    half-way on a value it meets late."""
    from mailer.providers import lookup

    path = write(tmp_path, table)
    with pytest.raises(ConfigError, match=message) as caught:
        lookup(load_settings(path, env={}))
    assert str(caught.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("provider", "table", "message"),
    [
        ("mailchimp", '[provider.mailchimp]\nlist_id = ""\n', "Mailchimp needs provider.mailchimp.list_id"),  # noqa: E501
        ("mailchimp", "", "Mailchimp needs provider.mailchimp.list_id"),
        ("listmonk", "[provider.listmonk]\nlists = []\n", "listmonk needs provider.listmonk.lists"),
    ],
)  # fmt: skip
def test_what_sending_needs_is_asked_for_before_any_request(tmp_path, provider, table, message):
    """A build needs no audience; a sync (even --dry-run) does, and says so before it asks."""
    from mailer.providers import get_provider, lookup

    path = write(tmp_path, f'[provider]\nname = "{provider}"\n{table}')
    settings = load_settings(path, env={})
    lookup(settings)  # what build and check do: fine
    env = {"MAILER_MAILCHIMP_API_KEY": "k" * 32 + "-us21", "MAILER_LISTMONK_API_KEY": "u:t" * 4}
    env["MAILER_LISTMONK_BASE_URL"] = env["MAILER_MAILCHIMP_BASE_URL"] = "http://127.0.0.1:9"
    with pytest.raises(ConfigError, match=message):
        get_provider(settings, env)


def test_a_non_ascii_api_key_is_a_clear_error_not_a_traceback(tmp_path):
    from mailer.providers import get_provider

    settings = load_settings(None, env={}, cwd=tmp_path)
    env = {
        "MAILER_BUTTONDOWN_API_KEY": "ключ-0123456789",
        "MAILER_BUTTONDOWN_BASE_URL": "http://127.0.0.1:9",
    }
    with pytest.raises(ConfigError, match="not ASCII") as caught:
        get_provider(settings, env)
    assert "ключ" not in str(caught.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[smtp]\nport = inf\n", "smtp.port must be a port number from 1 to 65535, not inf"),
        ("[smtp]\nport = 99999\n", "smtp.port must be a port number"),
        ('[smtp]\nsecurity = "tls"\n', "smtp.security must be one of starttls, ssl, none"),
        ("[smtp]\nto = [1]\n", "smtp.to must be an address or a list of addresses"),
        ("[smtp]\nhost = 5\n", "smtp.host must be a string"),
    ],
)
def test_smtp_settings_are_checked_at_load(tmp_path, table, message):
    """Found by the settings fuzzer: port = inf once ended test-send in a traceback."""
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, table), env={})


@pytest.mark.parametrize("port", ["99999", "-1", "abc", "1e400"])
def test_an_smtp_port_from_the_environment_is_a_port(port, make_settings):
    from mailer.smtp.settings import smtp_settings

    env = {"MAILER_SMTP_HOST": "127.0.0.1", "MAILER_SMTP_PORT": port}
    with pytest.raises(ConfigError, match="smtp port must be a number from 1 to 65535"):
        smtp_settings(make_settings(), env)


def test_the_from_name_is_the_newsletters_name_until_from_is_set(tmp_path):
    """README: `name` is the From name. Without `from`, the address is a placeholder (check's
    sender rules say so) but the name is the newsletter's, quoted when it needs to be."""
    from mailer.core.addresses import mailbox

    config = tmp_path / "newsletter.toml"
    config.write_text('[newsletter]\nname = "Field Notes, Weekly"\n')
    settings = load_settings(config, env={})
    assert mailbox(settings.sender, "from") == ("Field Notes, Weekly", "newsletter@example.com")
    config.write_text('[newsletter]\nname = "Field Notes"\nfrom = "Ed <ed@example.org>"\n')
    assert load_settings(config, env={}).sender == "Ed <ed@example.org>"
