"""`mailer import` against the fake Buttondown: a newsletter that lives at the provider moves
in — sent, scheduled and draft emails become issue files, HTML bodies become Markdown — and the
next `mailer sync` finds every one up to date and makes no write request."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from mailer.core.config import load_settings
from mailer.issue.load import load_issue

SOON = (datetime.now(UTC) + timedelta(days=9)).replace(hour=14, minute=0, second=0, microsecond=0)
HTML_BODY = (
    "<!-- buttondown-editor-mode: fancy -->\n"
    "<h2>What we read</h2>\n<p>A <strong>short</strong> list, with "
    '<a href="https://example.org/paper">a paper</a>.</p>\n'
    "<ul><li>One</li><li>Two</li></ul>\n"
    '<iframe src="https://video.example/embed/1"></iframe>\n'
    "<p>Thanks, {{ subscriber.metadata.first_name }}.</p>"
)


def newsletter(tmp_path: Path) -> Path:
    (tmp_path / "newsletter.toml").write_text(
        '[newsletter]\nname = "Field Notes"\nurl = "https://notes.example.org"\n'
        'timezone = "UTC"\nfrom = "Field Notes <ed@notes.example.org>"\n\n'
        '[provider]\nname = "buttondown"\n'
    )
    (tmp_path / "issues").mkdir()
    return tmp_path


def fill(fake: Any) -> dict[str, dict[str, Any]]:
    """What a newsletter made in Buttondown's web app holds: a sent email (Markdown), a
    scheduled one (HTML, from the fancy editor) and a draft."""
    sent = fake.add(
        subject="Field Notes #1: hello",
        slug="field-notes-1",
        description="Why this newsletter, and what comes next.",
        body="Welcome! Here is **why** we write.\n\n- [A link](https://example.org/a) - why it "
        "matters.\n",
        status="sent",
        publish_date="2026-10-05T13:00:00Z",
    )
    scheduled = fake.add(
        subject="Field Notes #2",
        slug="field-notes-2",
        description="A short list and a paper worth your evening.",
        body=HTML_BODY,
        status="scheduled",
        publish_date=SOON.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    draft = fake.add(
        subject="Ideas for #3",
        slug="ideas-3",
        description="",
        body="Some notes for the next one, with a sentence to read.\n",
        status="draft",
    )
    return {"sent": sent, "scheduled": scheduled, "draft": draft}


def mailer(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def header_of(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text().split("---\n")[1])


def test_import_writes_each_email_as_an_issue_and_sync_then_writes_nothing(
    tmp_path, buttondown, buttondown_env
):
    root = newsletter(tmp_path)
    emails = fill(buttondown)
    result = mailer(root, buttondown_env, "import")
    assert result.returncode == 0, result.stdout + result.stderr
    files = {p.name: p for p in (root / "issues").glob("*.md")}
    soon = SOON.date().isoformat()
    assert set(files) == {
        "2026-10-05-field-notes-1.md",
        f"{soon}-field-notes-2.md",
        f"{datetime.now(UTC).date().isoformat()}-ideas-3.md",
    }
    sent = header_of(files["2026-10-05-field-notes-1.md"])
    assert str(sent.pop("date")) == "2026-10-05"
    assert sent == {
        "title": "Field Notes #1: hello",  # quoted where YAML needs it: not cut at " #"
        "preheader": "Why this newsletter, and what comes next.",
        "slug": "field-notes-1",
    }
    scheduled = header_of(files[f"{soon}-field-notes-2.md"])
    assert str(scheduled["send_at"]) == SOON.isoformat() and "draft" not in scheduled
    assert header_of(files[f"{datetime.now(UTC).date().isoformat()}-ideas-3.md"])["draft"] is True
    # the HTML body as Markdown; what Markdown cannot hold is said, and so is the provider's tag
    body = files[f"{soon}-field-notes-2.md"].read_text().split("---\n", 2)[2]
    assert "## What we read" in body and "**short**" in body
    assert "[a paper](https://example.org/paper)" in body and "- One\n- Two" in body
    assert "iframe" not in body and "{{ subscriber.metadata.first_name }}" in body
    assert "left out, as mail clients do not show them: <iframe> ×1" in result.stdout
    assert "kept as written, for the provider to fill in" in result.stdout
    # each file loads as an issue, with the provider's subject as its title
    settings = load_settings(root / "newsletter.toml", env={})
    assert load_issue(files["2026-10-05-field-notes-1.md"], settings).subject == (
        "Field Notes #1: hello"
    )
    # adopted: the marker in each email's metadata, nothing else changed
    for email in emails.values():
        assert email["metadata"]["mailer_key"] == email["slug"]
    assert buttondown.refused_edits_of_sent == [] and buttondown.sent_to_list == []
    assert buttondown.metadata_edits_of_sent == [emails["sent"]["id"]]
    assert emails["scheduled"]["status"] == "scheduled" and emails["draft"]["status"] == "draft"
    # the next sync: every email found, up to date; not one write request
    writes_before = len(buttondown.server.writes())
    synced = mailer(root, buttondown_env, "sync", "--format", "json")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert len(buttondown.server.writes()) == writes_before
    actions = {step["key"]: step["action"] for step in json.loads(synced.stdout)}
    assert actions == {"field-notes-1": "sent", "field-notes-2": "none", "ideas-3": "none"}


def test_import_never_overwrites_and_a_dry_run_writes_nothing(tmp_path, buttondown, buttondown_env):
    root = newsletter(tmp_path)
    fill(buttondown)
    dry = mailer(root, buttondown_env, "import", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would write" in dry.stdout and list((root / "issues").iterdir()) == []
    assert buttondown.server.writes() == []
    mine = root / "issues" / "2026-10-05-field-notes-1.md"
    mine.write_text("---\ntitle: Mine\n---\nMy own words.\n")
    again = mailer(root, buttondown_env, "import")
    assert again.returncode == 1
    assert "exists already: mailer import never overwrites" in again.stderr
    assert mine.read_text() == "---\ntitle: Mine\n---\nMy own words.\n"
    # the others were written and adopted; a second import skips what is now mailer's
    third = mailer(root, buttondown_env, "import", "--format", "json")
    skipped = {s["why"] for s in json.loads(third.stdout)["skipped"]}
    assert any(why.startswith("already mailer's") for why in skipped)
