"""The masthead, the subtitle, the lawful footer and the email's words in its language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from mailer.checks import check_rendered
from mailer.core.errors import ConfigError
from mailer.core.words import FOOTERS, footer_words, long_date
from mailer.issue.load import load_issue
from mailer.render.pipeline import render_issue
from mailer.site.archive import build_archive

ISSUE = "---\ntitle: Ten years\nsubtitle: A look back\ndate: 2026-11-06\n{extra}---\nBody text.\n"


def render(write_issue, settings, extra=""):
    source = write_issue(ISSUE.format(extra=extra))
    return check_rendered(render_issue(load_issue(source, settings), settings), settings)


def test_the_masthead_shows_the_logo_at_its_width_and_the_name(write_issue, make_settings):
    settings = make_settings(
        name="Lab Notes", url="https://n.example/news", logo="/img/logo.png", logo_width=96
    )
    html = render(write_issue, settings).html
    logo = re.search(r'<img[^>]*src="https://n\.example/img/logo\.png"[^>]*>', html)
    assert logo and 'alt="Lab Notes"' in logo[0] and 'width="96"' in logo[0]
    assert re.search(r'<a href="https://n\.example/news"[^>]*>\s*<img', html)
    masthead = html.index("Lab Notes</div>")
    assert html.index("logo.png") < masthead < html.index("Ten years</h1>")


def test_the_subtitle_is_under_the_title_unless_switched_off(write_issue, make_settings):
    shown = render(write_issue, make_settings())
    assert re.search(r"Ten years</h1>.*?A look back</p>.*?November 6, 2026", shown.html, re.S)
    assert "=========\nA look back\nNovember 6, 2026\n" in shown.text
    hidden = render(write_issue, make_settings(show_subtitle=False))
    assert "A look back</p>" not in hidden.html and "\nA look back\n" not in hidden.text


def test_the_footer_is_readable_and_ends_with_the_postal_address(write_issue, make_settings):
    settings = make_settings(address="Lab Notes\n100 Example St, Toronto ON")
    rendered = render(write_issue, settings)
    footer = re.search(
        r'class="mailer-footer".*?<div style="([^"]*)">(.*?)</div>', rendered.html, re.S
    )
    assert footer and "font-size:14px" in footer[1]
    assert re.search(r"Lab Notes<br>100 Example St, Toronto ON\s*$", footer[2])
    assert rendered.text.endswith("Lab Notes\n100 Example St, Toronto ON\n")


def test_a_commercial_list_without_an_address_is_warned(write_issue, make_settings):
    rules = {f.rule for f in render(write_issue, make_settings(commercial=True)).findings}
    assert "footer-address" in rules
    settings = make_settings(commercial=True, address="1 Example St")
    assert "footer-address" not in {f.rule for f in render(write_issue, settings).findings}


@pytest.mark.parametrize(
    ("lang", "day", "unsubscribe", "direction"),
    [
        ("de", "6. November 2026", "Abbestellen", "ltr"),
        ("en-GB", "6 November 2026", "Unsubscribe", "ltr"),
        ("ja", "2026年11月6日", "配信停止", "ltr"),
        ("ar", "6 نوفمبر 2026", "إلغاء الاشتراك", "rtl"),
        ("pt-BR", "6 de novembro de 2026", "Cancelar inscrição", "ltr"),
    ],
)
def test_dates_and_footer_follow_the_issue_language(
    write_issue, make_settings, lang, day, unsubscribe, direction
):
    rendered = render(write_issue, make_settings(), extra=f"lang: {lang}\n")
    assert f'<html lang="{lang}" dir="{direction}"' in rendered.html
    assert day in rendered.html and day in rendered.text
    assert f">{unsubscribe}</a>" in rendered.html and f"{unsubscribe}: " in rendered.text
    archive = footer_words(lang).archive  # with a `url`, the archive is linked too
    assert archive not in rendered.html  # make_settings() has no url: nothing to link to
    assert "footer-language" not in {f.rule for f in rendered.findings}


def test_the_footer_links_the_issue_the_archive_and_unsubscribe(write_issue, make_settings):
    rendered = render(write_issue, make_settings(url="https://n.example/news"), extra="lang: de\n")
    footer = rendered.html.split('class="mailer-footer"')[1]
    links = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', footer)
    assert [text for _, text in links] == [
        "Diese Ausgabe im Browser ansehen",
        "Alle Ausgaben",
        "Abbestellen",
    ]
    assert links[1][0] == "https://n.example/news/"
    assert "Alle Ausgaben: https://n.example/news/\n" in rendered.text


def test_a_right_to_left_issue_starts_its_lines_on_the_right(write_issue, make_settings):
    settings = make_settings()
    source = write_issue(
        "---\ntitle: عنوان\ndate: 2026-11-06\nlang: ar\n---\nنص.\n\n- بند\n\n> اقتباس\n"
    )
    html = render_issue(load_issue(source, settings), settings).html
    assert '<html lang="ar" dir="rtl"' in html
    texts = re.findall(r'<div style="[^"]*text-align:(\w+)[^"]*">', html)
    assert texts and set(texts) == {"right", "center"}  # the footer is centred
    assert re.search(r'<ul style="[^"]*padding-right:26px', html)
    assert re.search(r'<blockquote style="[^"]*border-right:4px solid', html)


def test_a_language_without_footer_words_keeps_english_and_says_so(write_issue, make_settings):
    rendered = render(write_issue, make_settings(), extra="lang: sw\n")
    assert "6 Novemba 2026" in rendered.html  # CLDR knows Swahili's months
    assert ">Unsubscribe</a>" in rendered.html
    found = [f for f in rendered.findings if f.rule == "footer-language"]
    assert len(found) == 1 and found[0].line == 5  # the `lang:` line


def test_every_footer_table_entry_is_complete():
    for language, words in FOOTERS.items():
        assert all(words.__dict__.values()), language
        assert "{name}" in words.subscribed, language
    assert footer_words("zh-Hant") is FOOTERS["zh"]
    assert long_date(date(2026, 1, 2), "xx-unknown") == "January 2, 2026"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"logo": "logo.png"}, "theme.logo"),
        ({"logo": "https://x.example/l.png", "logo_width": 2000}, "theme.logo_width"),
        ({"subscribe_url": "javascript:alert(1)"}, "newsletter.subscribe_url"),
        ({"address": "a\x00b"}, "address"),
    ],
)
def test_brand_settings_are_validated(make_settings, overrides, message):
    with pytest.raises(ConfigError, match=message):
        make_settings(**overrides)


def test_the_archive_offers_a_subscribe_link_and_dates_in_the_issue_language(
    tmp_path, write_issue, make_settings
):
    settings = make_settings(url="https://n.example", subscribe_url="https://n.example/join")
    source = write_issue(ISSUE.format(extra="lang: he\n"), name="issues/a.md")
    result = build_archive([source.parent], settings, tmp_path / "site", now=datetime.now(UTC))
    page = (tmp_path / "site" / result.pages[0].path / "index.html").read_text()
    index = (tmp_path / "site" / "index.html").read_text()
    for html in (page, index):
        assert 'class="subscribe" href="https://n.example/join"' in html
    assert '<html lang="he" dir="rtl">' in page
    assert "6 בנובמבר 2026" in page and "6 בנובמבר 2026" in index
