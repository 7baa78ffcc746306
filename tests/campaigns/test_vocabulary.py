"""One vocabulary: the README's "What is here" table names, for each work
arrangement of the campaign and for 政绩考核, the preset code, the navigation
key and the folder; the presets, the menu and the tree must say the same."""

from __future__ import annotations

import re
from pathlib import Path

from shiji.campaigns.presets import PRESET_DIR, read_preset
from shiji.web.context import AREAS

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(
    r"^\| (?P<work>[^|]+?) \| (?P<code>[^|]+) \| `(?P<key>[\w-]+)` \| `(?P<folder>shiji/\w+/)`"
)


def work_rows() -> dict[str, dict[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What is here", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = ROW.match(line)
        if m:
            name = m["work"].split(" — ")[0]
            rows[name] = {
                "code": m["code"].strip("` "),
                "key": m["key"],
                "folder": m["folder"],
                "planned": "not built yet" in line,
            }
    return rows


def test_the_table_maps_the_five_arrangements_and_assessment_to_folders():
    rows = work_rows()
    preset = read_preset(PRESET_DIR / "zhengjiguan-2026.yaml")
    names = [a.name for a in preset.arrangements]
    assert names == ["学习研讨", "查摆问题", "整改整治", "建章立制", "“开门”教育"]
    assert set(names) | {"政绩考核"} <= set(rows)
    for arrangement in preset.arrangements:
        assert rows[arrangement.name]["code"] == arrangement.code, arrangement.name
    for name, row in rows.items():
        assert row["planned"] or (ROOT / row["folder"]).is_dir(), name


def test_codes_keys_and_folders_are_one_word():
    rows = work_rows()
    # The navigation key is the URL namespace of the page it opens: the app's name.
    for key, _label, url_name in AREAS:
        assert key == url_name.split(":")[0], url_name
    keys = {key for key, _label, _url in AREAS}
    for name, row in rows.items():
        assert row["key"] in keys, name
        assert row["folder"] == f"shiji/{row['key']}/", name
        # Where the arrangement has its own app, its preset code is that word;
        # 查摆问题 and 整改整治 share the ledger.
        if row["code"] not in ("—", "examine", "rectify"):
            assert row["code"] == row["key"], name
