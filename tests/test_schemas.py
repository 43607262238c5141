"""The JSON Schemas mailer ships for editors (mailer/data/): in step with the code that reads the
keys (tools/schemas.py writes them from it), valid for every newsletter.toml and issue header
mailer accepts here, failing on unknown keys, and named by the scaffold's `#:schema` line."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import ROOT, SAMPLE
from mailer.init.repository import start_newsletter

DATA = ROOT / "mailer" / "data"


def schema(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def errors(name: str, document: object) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema(name))
    return [e.message for e in validator.iter_errors(document)]


def test_the_shipped_schemas_are_what_the_code_declares():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "schemas.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    for name in ("newsletter.schema.json", "front-matter.schema.json"):
        jsonschema.Draft202012Validator.check_schema(schema(name))


@pytest.mark.parametrize("provider", ["buttondown", "mailchimp", "listmonk", "kit"])
def test_every_scaffolded_and_sample_newsletter_toml_is_valid(tmp_path, provider):
    start_newsletter(tmp_path, name="Field Notes", provider=provider, today=date(2026, 12, 1))
    text = (tmp_path / "newsletter.toml").read_text()
    assert text.startswith("#:schema https://raw.githubusercontent.com/")
    assert text.splitlines()[0].endswith("/mailer/data/newsletter.schema.json")
    for document in (tomllib.loads(text), tomllib.loads((SAMPLE / "newsletter.toml").read_text())):
        assert errors("newsletter.schema.json", document) == []


def test_a_full_newsletter_toml_is_valid_and_mistakes_are_not():
    full = tomllib.loads(
        '[newsletter]\nname = "N"\nurl = "https://n.example.org"\nsend_time = "07:30"\n'
        'utm = {source = "n", medium = "email", campaign = "{slug}"}\n'
        '[theme]\naccent = "#1a5fb4"\nwidth = 600\n'
        '[provider]\nname = "mailchimp"\n[provider.mailchimp]\nlist_id = "a1b2c3"\n'
        '[check]\nselect = ["link", "image-alt"]\nseverity = { link-text = "error" }\n'
    )
    assert errors("newsletter.schema.json", full) == []
    for wrong in (
        {"newsletter": {"nmae": "typo"}},  # an unknown key
        {"theme": {"accent": "blue"}},
        {"provider": {"name": "substack"}},
        {"check": {"severity": {"link-text": "loud"}}},
        {"provider": {"mailchimp": {"list_id": 3}}},
    ):
        assert errors("newsletter.schema.json", wrong), wrong


def test_every_issue_header_here_is_valid_and_an_unknown_key_is_not():
    headers = [
        yaml.safe_load(path.read_text().split("---\n")[1])
        for path in sorted((SAMPLE / "issues").glob("*.md"))
    ]
    assert headers
    for header in headers:
        header = {k: str(v) if k == "date" else v for k, v in header.items()}
        assert errors("front-matter.schema.json", header) == [], header
    assert errors("front-matter.schema.json", {"title": "T", "subtitel": "typo"})
    assert errors("front-matter.schema.json", {"title": "T", "slug": "has space"})


def test_the_scaffold_names_the_schema_of_the_installed_version():
    from mailer import __version__
    from mailer.init.repository import schema_url

    assert schema_url("newsletter.schema.json") == (
        "https://raw.githubusercontent.com/mailer-newsletter/newsletter-as-code/"
        f"v{__version__}/mailer/data/newsletter.schema.json"
    )
    assert Path(DATA / "newsletter.schema.json").is_file()
