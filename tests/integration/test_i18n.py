"""Simplified Chinese by default, English on request, and a complete catalog."""
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_pages_are_in_simplified_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "工作人员登录" in html


def test_english_can_be_chosen_and_is_remembered(client):
    response = client.post_form("/language/en", {"next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Staff login" in html
    client.post_form("/language/zh", {"next": "/login"})
    assert "工作人员登录" in client.get("/login").get_data(as_text=True)


def test_an_unknown_language_is_ignored(client):
    client.post_form("/language/xx", {"next": "/login"})
    assert '<html lang="zh-CN">' in client.get("/login").get_data(as_text=True)


def test_the_chinese_catalog_translates_every_message():
    with open(ROOT / "app/translations/zh/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    untranslated = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_the_catalog_is_up_to_date_with_the_source():
    """Every message the code and templates use is in the catalog (run `make translations` after changes)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    with open(ROOT / "app/translations/zh/LC_MESSAGES/messages.po", "rb") as handle:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    used = set()
    # From the project's root: babel.cfg's patterns (app/**.py, …) are relative to it, as for `make extract-messages`.
    top_level = {"app", "forms", "questionnaire", "rules"}
    for _, _, message, _, _ in extract_from_dir(
            ROOT, method_map, options_map,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None},
            directory_filter=lambda path: Path(path).relative_to(ROOT).parts[0] in top_level):
        used.add(message if isinstance(message, str) else message[0])
    assert len(used) > 500  # the extraction found the application's messages (it once matched nothing)
    assert sorted(used - known) == []
