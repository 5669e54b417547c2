"""Every user-facing message exists in English and Chinese, and --lang picks one."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from click.testing import CliRunner

from engine.cli import build_cli
from engine.i18n import set_language
from tests.conftest import ROOT, Lv, new_contract, prepare


def load_tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_every_msgid_has_chinese_translation() -> None:
    tool = load_tool()

    found = tool.problems(tool.extract(), tool.known_translations())

    assert found == []


def test_compiled_catalogs_are_current() -> None:
    tool = load_tool()

    assert tool.main(["i18n.py", "check"]) == 0


def test_lang_option_gives_chinese_refusal(lv: Lv, sqlite_db: str) -> None:
    prepare(lv)
    number = new_contract(lv)
    set_language("zh-CN")
    try:
        result = CliRunner().invoke(build_cli(), ["--db", sqlite_db, "--lang", "zh-CN",
                                                  "--as", "chen_jie", "contract", "fire",
                                                  number, "archive"])
    finally:
        set_language("en")

    assert result.exit_code == 1, result.output
    assert "draft" in result.stderr
    assert "archive" in result.stderr
    assert "不允许" in result.stderr


def test_help_in_chinese() -> None:
    set_language("zh-CN")
    try:
        help_text = CliRunner().invoke(build_cli(), ["--help"]).stdout
    finally:
        set_language("en")
    assert "合同" in help_text


def test_locale_folders_exist() -> None:
    for locale in ("zh_CN", "en"):
        folder = Path(ROOT / "engine" / "locale" / locale / "LC_MESSAGES")
        assert (folder / "lvyue.mo").is_file()
        assert (folder / "lvyue.po").is_file()
