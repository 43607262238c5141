"""The email's own words in the newsletter's language: the date, and the footer's few strings.

Dates come from Babel's CLDR data, which writes a long date right in every language CLDR knows
("6. November 2026", "6 de noviembre de 2026", "2026年11月6日") — a hand-made table of month
names would get the grammar wrong in most of them. The footer's four strings are not in CLDR:
they are a small table here for common languages; any other language gets the English ones and
``check`` says so (rule ``language``), and a template override can say anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache


@dataclass(frozen=True)
class Words:
    view_online: str  # the link to the web copy
    archive: str  # the link to the archive of every issue
    unsubscribe: str
    subscribed: str  # why the reader gets this email; {name} is the newsletter's name


ENGLISH = Words(
    "View this issue in your browser",
    "All issues",
    "Unsubscribe",
    "You are receiving this because you subscribed to {name}.",
)
FOOTERS: dict[str, Words] = {
    "en": ENGLISH,
    "de": Words(
        "Diese Ausgabe im Browser ansehen",
        "Alle Ausgaben",
        "Abbestellen",
        "Sie erhalten diese E-Mail, weil Sie {name} abonniert haben.",
    ),
    "fr": Words(
        "Voir ce numéro dans votre navigateur",
        "Tous les numéros",
        "Se désabonner",
        "Vous recevez cet e-mail parce que vous êtes abonné à {name}.",
    ),
    "es": Words(
        "Ver este número en el navegador",
        "Todos los números",
        "Cancelar la suscripción",
        "Recibes este correo porque te suscribiste a {name}.",
    ),
    "it": Words(
        "Leggi questo numero nel browser",
        "Tutti i numeri",
        "Annulla l'iscrizione",
        "Ricevi questa email perché sei iscritto a {name}.",
    ),
    "pt": Words(
        "Ver esta edição no navegador",
        "Todas as edições",
        "Cancelar inscrição",
        "Você recebe este e-mail porque se inscreveu em {name}.",
    ),
    "nl": Words(
        "Bekijk deze editie in je browser",
        "Alle edities",
        "Afmelden",
        "Je ontvangt deze e-mail omdat je je hebt aangemeld voor {name}.",
    ),
    "sv": Words(
        "Visa det här numret i webbläsaren",
        "Alla nummer",
        "Avsluta prenumerationen",
        "Du får det här mejlet eftersom du prenumererar på {name}.",
    ),
    "pl": Words(
        "Zobacz to wydanie w przeglądarce",
        "Wszystkie wydania",
        "Wypisz się",
        "Otrzymujesz tę wiadomość, ponieważ subskrybujesz {name}.",
    ),
    "ru": Words(
        "Открыть этот выпуск в браузере",
        "Все выпуски",
        "Отписаться",
        "Вы получили это письмо, потому что подписались на {name}.",
    ),
    "ja": Words(
        "この号をブラウザで表示",
        "バックナンバー",
        "配信停止",
        "{name} にご登録いただいているため、このメールをお送りしています。",
    ),
    "zh": Words(
        "在浏览器中查看本期",
        "往期内容",
        "退订",
        "您收到这封邮件，是因为您订阅了 {name}。",
    ),
    "ar": Words(
        "اعرض هذا العدد في المتصفح",
        "جميع الأعداد",
        "إلغاء الاشتراك",
        "تصلك هذه الرسالة لأنك مشترك في {name}.",
    ),
    "he": Words(
        "לצפייה בגיליון הזה בדפדפן",
        "כל הגיליונות",
        "הסרה מרשימת התפוצה",
        "קיבלת הודעה זו כי נרשמת ל{name}.",
    ),
}


def primary(language: str) -> str:
    """The language of a tag: "pt" for "pt-BR"."""
    return language.replace("_", "-").split("-")[0].lower()


def footer_words(language: str) -> Words:
    """The footer's strings in `language`, else in English."""
    return FOOTERS.get(primary(language), ENGLISH)


def has_footer_words(language: str) -> bool:
    return primary(language) in FOOTERS


@lru_cache(maxsize=64)
def long_date(day: date, language: str) -> str:
    """The date as a reader of `language` writes it in full (CLDR's long format)."""
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date

    tag = language.replace("-", "_")
    for candidate in (tag, primary(language), "en"):
        try:
            return format_date(day, format="long", locale=Locale.parse(candidate))
        except (UnknownLocaleError, ValueError):
            continue
    return day.isoformat()
