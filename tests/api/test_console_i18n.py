"""The console's one catalog: every text in both languages, every key the console uses present.

The catalog is ``api/static/i18n/<lang>.json`` (flat key → text, ``{name}`` placeholders); the
console (``console.js``) reads it through ``t(key)`` and ``index.html`` names keys in ``data-i18n``
attributes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api.errors import TYPE_BASE, _slug
from fieldcrew import auth

STATIC = Path(__file__).resolve().parents[2] / "api" / "static"
LANGS = ("zh-CN", "en")


def _catalog(lang: str) -> dict[str, str]:
    data = json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _namespaces() -> set[str]:
    return {key.split(".")[0] for key in _catalog("zh-CN")}


def _js_keys() -> set[str]:
    """Every string literal of console.js that looks like a key of one of the catalog's namespaces."""
    source = (STATIC / "console.js").read_text(encoding="utf-8")
    found = set(re.findall(r"\"([a-z_]+(?:\.[a-z0-9_]+)+)\"", source))
    return {key for key in found if key.split(".")[0] in _namespaces()}


def _html_keys() -> set[str]:
    source = (STATIC / "index.html").read_text(encoding="utf-8")
    return set(re.findall(r'data-i18n(?:-[a-z-]+)?="([^"]+)"', source))


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    """zh-CN and en name the same keys, no text is empty, and each key has the same {placeholders}."""
    zh, en = _catalog("zh-CN"), _catalog("en")
    only_zh, only_en = sorted(set(zh) - set(en)), sorted(set(en) - set(zh))
    assert not only_zh and not only_en, f"zh-CN only: {only_zh}; en only: {only_en}"
    for key in zh:
        assert zh[key].strip() and en[key].strip(), key
        assert set(re.findall(r"\{(\w+)\}", zh[key])) == set(re.findall(r"\{(\w+)\}", en[key])), key


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_the_console_uses_is_in_the_catalog(lang: str) -> None:
    """Each key console.js and index.html use exists in the catalog of ``lang``."""
    used = _js_keys() | _html_keys()
    assert len(used) > 150  # the scan finds the console's keys at all
    missing = sorted(used - set(_catalog(lang)))
    assert not missing, f"keys missing in {lang}.json: {missing}"


def test_chinese_payslip_items_and_weekdays() -> None:
    """The payslip's items and the weekdays read as Chinese payroll and calendars name them."""
    zh = _catalog("zh-CN")
    items = {zh[k] for k in zh if k.startswith("payslip.")}
    for word in ("岗位工资", "计件工资", "加班工资", "奖惩", "应发", "扣款", "实发"):
        assert word in items, word
    days = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
    assert [zh[f"weekday.{d}"] for d in days] == ["周日", "周一", "周二", "周三", "周四", "周五", "周六"]


def test_sign_in_problem_codes_are_translated() -> None:
    """The problem types of the sign-in errors map to catalog keys in the console."""
    source = (STATIC / "console.js").read_text(encoding="utf-8")
    for error in (auth.SignInFailed, auth.AccountLocked, auth.WrongPassword, auth.InvalidPassword):
        code = _slug(error.title)
        assert (TYPE_BASE + code).endswith(code)
        assert re.search(rf'"{re.escape(code)}": "problem\.[a-z_]+"', source), code


def test_index_html_has_no_text_outside_the_catalog() -> None:
    """Every element of index.html with visible words carries a data-i18n key (brand name excepted)."""
    source = (STATIC / "index.html").read_text(encoding="utf-8")
    body = source.split("<body>", 1)[1]
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    texts = re.findall(r"<([a-z0-9]+)([^>]*)>([^<]*[A-Za-z\u4e00-\u9fff][^<]*)<", body)
    untagged = [
        (tag, text.strip())
        for tag, attrs, text in texts
        if "data-i18n=" not in attrs and text.strip() not in ("fieldcrew", "English")
    ]
    assert not untagged, untagged
