"""Write the JSON Schemas mailer ships, for editors' completion and checking as they type:
`mailer/data/newsletter.schema.json` (newsletter.toml: Taplo and Even Better TOML read it from
a `#:schema` line) and `mailer/data/front-matter.schema.json` (an issue's header).

Usage: python tools/schemas.py [--check]

The keys come from the code that reads them — config._KNOWN, each provider's declaration,
the gate's rule ids, issue.load.KNOWN_KEYS — so a key added there shows here, or
tests/test_schemas.py fails; the types and descriptions are written here. Unknown keys fail the
schema (mailer itself keeps them and warns on a near miss).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "mailer" / "data"
BASE = "https://github.com/mailer-newsletter/newsletter-as-code/blob/main/docs"

TEXT: dict[str, Any] = {"type": "string"}
URL: dict[str, Any] = {"type": "string", "pattern": "^https?://"}
FLAG: dict[str, Any] = {"type": "boolean"}
POSITIVE: dict[str, Any] = {"type": "integer", "minimum": 1}

NEWSLETTER = {
    "name": (TEXT, "The newsletter's name: the masthead, and the From name."),
    "url": (URL, "Your archive's address: relative links and local pictures resolve to it."),
    "language": (TEXT, "The language of the issues, like en, de or pt-BR."),
    "timezone": (TEXT, "The IANA zone dates and send_time are read in, like Europe/Berlin."),
    "send_time": (
        {"type": "string", "pattern": "^([01]?[0-9]|2[0-3]):[0-5][0-9]$"},
        "When an issue goes out on its date, HH:MM.",
    ),
    "from": (TEXT, 'The sender, like "Field Notes <editor@example.org>".'),
    "archive_path": (TEXT, "Where an issue's archive page lives under url, with {slug}."),
    "feed_items": (
        {"type": "integer", "minimum": 0, "maximum": 1000},
        "How many issues the Atom feed holds.",
    ),
    "address": (TEXT, "Your postal address, shown in every footer."),
    "commercial": (FLAG, "A commercial list: check wants the postal address."),
    "subscribe_url": (URL, "The archive's Subscribe link."),
    "utm": (
        {
            "type": "object",
            "properties": {k: TEXT for k in ("source", "medium", "campaign")},
            "additionalProperties": False,
        },
        "Campaign tags on outbound links; {slug} is the issue's.",
    ),
}
THEME = {
    "accent": ({"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"}, "The accent colour, #rrggbb."),
    "width": ({"type": "integer", "minimum": 480, "maximum": 800}, "The email's width in px."),
    "logo": (TEXT, "A picture above the name in the masthead."),
    "logo_alt": (TEXT, "The logo's alt text."),
    "logo_width": ({"type": "integer", "minimum": 16}, "The logo's width in px."),
    "subtitle": (FLAG, "Show the issue's subtitle under its title."),
}
PROVIDER = {
    "auto_schedule": (FLAG, "Future issues are scheduled (false: drafts only)."),
    "grace_minutes": (
        {"type": "integer", "minimum": 0, "maximum": 7 * 24 * 60},
        "How late an issue may still go out, in minutes.",
    ),
    "timeout": ({"type": "number", "exclusiveMinimum": 0}, "Seconds to wait for the provider."),
}
SMTP = {
    "host": (TEXT, "Your mail server, for mailer test-send."),
    "port": ({"type": "integer", "minimum": 1, "maximum": 65535}, "Its port."),
    "security": ({"enum": ["starttls", "ssl", "none"]}, "How the connection is protected."),
    "username": (TEXT, "The login (the password comes from MAILER_SMTP_PASSWORD)."),
    "to": (TEXT, "Where test sends go, comma-separated."),
}
FRONT_MATTER = {
    "title": (TEXT, "The email's subject (and the archive page's title)."),
    "subtitle": (TEXT, "The preheader, and the archive's description."),
    "date": (
        {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}"},
        "The issue's date, the day it is sent.",
    ),
    "layout": (TEXT, "Accepted and ignored (Jekyll's)."),
    "hero_img": (TEXT, "The card image for the archive and social previews."),
    "subject": (TEXT, "The subject, when it should differ from title."),
    "preheader": (TEXT, "The preheader, when it should differ from subtitle."),
    "send_at": (TEXT, "The exact send time: 2026-11-20T07:30:00-05:00."),
    "draft": (FLAG, "Never scheduled."),
    "slug": (
        {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,100}$"},
        "The issue's stable id at the provider and in archive addresses.",
    ),
    "lang": (TEXT, "The issue's language, when it differs from the newsletter's."),
}
KINDS = {
    "text": TEXT,
    "whole number": POSITIVE,
    "whole numbers": {"type": "array", "items": POSITIVE},
    "table": {"type": "object"},
}


def table(keys: dict[str, tuple[dict[str, Any], str]], known: set[str]) -> dict[str, Any]:
    missing = known - set(keys)
    if missing:  # a key the code reads and the schema does not describe
        raise SystemExit(f"tools/schemas.py: describe {sorted(missing)}")
    return {
        "type": "object",
        "properties": {k: {**schema, "description": what} for k, (schema, what) in keys.items()},
        "additionalProperties": False,
    }


def newsletter_schema() -> dict[str, Any]:
    from mailer.core.config import _KNOWN
    from mailer.core.gatepolicy import LEVELS, RULE_IDS
    from mailer.core.provider_facts import known

    provider = table(PROVIDER, _KNOWN["provider"] - {"name"})
    provider["properties"]["name"] = {"enum": sorted(known()), "description": "Your provider."}
    for name, facts in sorted(known().items()):
        provider["properties"][name] = {
            "type": "object",
            "description": f"{facts.display_name}'s settings.",
            "properties": {
                option.key: {
                    **({"enum": list(option.choices)} if option.choices else KINDS[option.kind]),
                    "description": option.what,
                }
                for option in facts.options_schema
            },
            "required": [o.key for o in facts.options_schema if o.required],
            "additionalProperties": False,
        }
    rules = sorted(RULE_IDS)
    families = sorted({rule.split("-")[0] for rule in rules})
    selector = {"enum": rules + [f for f in families if f not in rules]}
    check = {
        "type": "object",
        "description": "Which findings mailer check reports, as in ruff.",
        "properties": {
            "select": {"type": "array", "items": selector, "description": "Only these rules."},
            "ignore": {"type": "array", "items": selector, "description": "Never these rules."},
            "severity": {
                "type": "object",
                "propertyNames": {"enum": rules},
                "additionalProperties": {"enum": list(LEVELS)},
                "description": "A rule's level: error, warning or off.",
            },
        },
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mailer-newsletter.github.io/schemas/newsletter.schema.json",
        "title": "newsletter.toml",
        "description": f"mailer's settings: {BASE}/configuration.md",
        "type": "object",
        "properties": {
            "newsletter": table(NEWSLETTER, _KNOWN["newsletter"]),
            "theme": table(THEME, _KNOWN["theme"]),
            "provider": provider,
            "smtp": table(SMTP, _KNOWN["smtp"]),
            "check": check,
        },
        "additionalProperties": False,
    }


def front_matter_schema() -> dict[str, Any]:
    from mailer.issue.load import KNOWN_KEYS

    schema = table(FRONT_MATTER, set(KNOWN_KEYS))
    # mailer reads keys in any case, and - or _ alike: the spellings people use
    schema["properties"]["hero-img"] = schema["properties"]["hero_img"]
    schema["properties"]["send-at"] = schema["properties"]["send_at"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mailer-newsletter.github.io/schemas/front-matter.schema.json",
        "title": "An issue's front matter",
        "description": f"The header of an issue file: {BASE}/writing.md",
        **schema,
    }


SCHEMAS = {
    "newsletter.schema.json": newsletter_schema,
    "front-matter.schema.json": front_matter_schema,
}


def written(make: Any) -> str:
    return json.dumps(make(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for name, make in SCHEMAS.items():
        path = DATA / name
        text = written(make)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python tools/schemas.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
