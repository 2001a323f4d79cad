"""Pages: Jinja2 templates, Simplified Chinese first with an English catalogue, dates people read.

Message ids are the Chinese texts themselves; `locale/en/*.po` (read with Babel) give English.
A visitor picks the language with `?lang=en|zh` (kept in a cookie) or their browser's
Accept-Language; Chinese is the default.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from grassroots.kit.clock import as_utc, zone

HERE = Path(__file__).parent
LANGUAGES = ("zh", "en")
LANG_COOKIE = "gr_lang"
BABEL_LOCALE = {"zh": "zh_CN", "en": "en_GB"}


@cache
def _locale(lang: str) -> Locale:
    """Babel's locale of a language, parsed once (parsing it costs more than formatting)."""
    return Locale.parse(BABEL_LOCALE[lang])


class _Catalogue(gettext.NullTranslations):
    """Translations read from a .po file (no compile step): id -> text."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        return self._messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The translations of a language: every `locale/<lang>/*.po` (Chinese needs none)."""
    files = sorted((HERE / "locale" / lang).glob("*.po"))
    if lang == "zh" or not files:
        return gettext.NullTranslations()
    messages: dict[str, str] = {}
    for po in files:
        with po.open("rb") as handle:
            parsed = read_po(handle)
        messages.update({m.id: m.string for m in parsed if m.id and m.string})  # type: ignore[misc]
    return _Catalogue(messages)


def translate(lang: str, message: str) -> str:
    """`message` (a Chinese text) in `lang`."""
    return catalogue(lang).gettext(message)


def language_of(request: Request) -> str:
    """The visitor's language: ?lang=, then the cookie, then Accept-Language; Chinese first."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        return asked
    accept = request.headers.get("accept-language", "").lower()
    if accept.startswith("en"):
        return "en"
    return "zh"


def local_datetime(moment: datetime | str | None, lang: str = "zh") -> str:
    """2026年12月1日 14:05 (or 1 Dec 2026, 14:05), in the platform's time zone."""
    if moment is None or moment == "":
        return ""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    local = as_utc(value).astimezone(zone())
    pattern = "y年M月d日 HH:mm" if lang == "zh" else "d MMM y, HH:mm"
    return format_datetime(local, pattern, locale=_locale(lang))


def local_day(moment: date | datetime | str | None, lang: str = "zh") -> str:
    """2026年12月1日 (or 1 December 2026)."""
    if moment is None or moment == "":
        return ""
    value: date | datetime
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if isinstance(value, datetime):
        value = as_utc(value).astimezone(zone()).date()
    return format_date(value, "long", locale=_locale(lang))


def _environment(lang: str) -> Environment:
    """One environment per language, built once (templates bind to their environment)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code: no file checks on every page.
        auto_reload=False,
    )
    env.install_gettext_translations(catalogue(lang), newstyle=True)  # type: ignore[attr-defined]
    # A word chosen by the code (a status, a channel) in the page's language; cheaper than
    # `_()` in a loop, which formats its result as markup.
    env.filters["tr"] = catalogue(lang).gettext
    env.filters["when"] = lambda m: local_datetime(m, lang)
    env.filters["day"] = lambda m: local_day(m, lang)
    env.globals["lang"] = lang
    # The one stylesheet, inlined: on a 3G link a separate file costs a round trip before the
    # first paint (bench/website.py measures it), and it is a few kilobytes compressed.
    stylesheet = (HERE / "static" / "site.css").read_text(encoding="utf-8")
    env.globals["site_css"] = Markup(stylesheet)  # noqa: S704 (our own file, no visitor's text)
    return env


ENVIRONMENTS = {lang: _environment(lang) for lang in LANGUAGES}


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the visitor's language, with what every page needs (user, CSRF, nav)."""
    lang = language_of(request)
    env = ENVIRONMENTS[lang]
    signed_in = getattr(request.state, "signed_in", None)
    page = env.get_template(template).render(
        request=request,
        user=signed_in,
        csrf_token=signed_in.csrf_token if signed_in else "",
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(page, status_code=status_code, headers=headers)
    asked = request.query_params.get("lang")
    if asked in LANGUAGES and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="lax")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Content-Language", "zh-CN" if lang == "zh" else "en")
    return response
