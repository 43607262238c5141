"""Regenerate mailer/data/css-support.json from the caniemail data (MIT licence).

Usage: python tools/update_css_support.py [caniemail.json]

Without an argument it fetches the npm package `caniemail` with `npm pack` (the npm registry
is the only place it is needed) and reads its data/caniemail.json. The derived table keeps, for
each plain CSS property, whether the latest tested Gmail (web), Outlook (Windows) and Apple
Mail (macOS) support it: "y", "n" or "a" (partial), with caniemail's note where it has one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "mailer" / "data" / "css-support.json"
CLIENTS = {"gmail": "desktop-webmail", "outlook": "windows", "apple-mail": "macos"}


def fetch() -> tuple[dict, str]:
    with tempfile.TemporaryDirectory() as tmp:
        name = (
            subprocess.run(
                ["npm", "pack", "caniemail@latest", "--silent"],
                cwd=tmp,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        with tarfile.open(Path(tmp) / name) as tar:
            data = tar.extractfile("package/data/caniemail.json")
            package = tar.extractfile("package/package.json")
            assert data and package
            version = json.load(package)["version"]
            return json.load(data), f"npm caniemail {version}"


def derive(data: dict, source: str) -> dict:
    properties: dict[str, dict[str, str]] = {}
    for feature in data["data"]:
        title = feature["title"].strip()
        if feature["category"] != "css" or not re.fullmatch(r"[a-z]+(-[a-z]+)*", title):
            continue
        notes = feature.get("notes_by_num") or {}
        support: dict[str, str] = {}
        for client, platform in CLIENTS.items():
            versions = feature["stats"].get(client, {}).get(platform, {})
            if not versions:
                continue
            value = list(versions.values())[-1]  # the latest tested version
            support[client] = value[0]
            note = re.search(r"#(\d+)", value)
            if value[0] != "y" and note and notes.get(note[1]):
                support[f"{client}-note"] = notes[note[1]]
        properties[title] = support
    return {
        "source": f"{source}, data of {data.get('last_update_date', '?')} (caniemail.com)",
        "license": "MIT; Copyright (c) Avi Goldman, Andrew Powell (caniemail)",
        "clients": {
            "gmail": "Gmail (web)",
            "outlook": "Outlook for Windows",
            "apple-mail": "Apple Mail (macOS)",
        },
        "properties": dict(sorted(properties.items())),
    }


def main() -> None:
    if len(sys.argv) > 1:
        data, source = json.loads(Path(sys.argv[1]).read_text()), sys.argv[1]
    else:
        data, source = fetch()
    table = derive(data, source)
    OUT.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(table['properties'])} properties from {table['source']}")


if __name__ == "__main__":
    main()
