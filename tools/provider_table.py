"""Write the provider table of docs/providers.md from the providers' declarations
(mailer/providers/<name>.toml). A test fails when the page and the declarations disagree.

    python tools/provider_table.py          # rewrite the table in place
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailer.core.provider_facts import known  # noqa: E402

PAGE = ROOT / "docs" / "providers.md"
BEGIN, END = "<!-- provider-table:begin -->", "<!-- provider-table:end -->"


def table() -> str:
    rows = [
        "| `name =` | provider | key in the environment (repository secret) | settings it needs "
        "| unsubscribe tag | what the key must be allowed to do |",
        "|---|---|---|---|---|---|",
    ]
    for facts in known().values():
        needs = ", ".join(f"`{o.key}`" for o in facts.options_schema if o.required) or "—"
        tag = facts.language.unsubscribe_tag.replace("|", "\\|")
        rows.append(
            f"| `{facts.name}` | [{facts.display_name}]({facts.docs}) "
            f"| `{facts.api_key_env[0]}` (`{facts.secret}`) | {needs} | `{tag}` "
            f"| {facts.permissions} |"
        )
    return "\n".join(rows)


def rewritten(text: str) -> str:
    return re.sub(
        re.escape(BEGIN) + ".*?" + re.escape(END),
        lambda _: f"{BEGIN}\n{table()}\n{END}",
        text,
        flags=re.S,
    )


if __name__ == "__main__":
    PAGE.write_text(rewritten(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
