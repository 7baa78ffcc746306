"""``bench/run.py --quick --db sqlite`` end to end: a tiny generated data set,
gunicorn with the production settings, every page, the export, a 10k-row
import dry run and a short load, written to JSON and printed as a table.

About a minute on this machine (gunicorn starts twice, collectstatic, the
import), so it is marked ``slow`` and runs only with SHIJI_SLOW_TESTS=1;
tests/bench/test_stats.py covers the figures in the normal suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("SHIJI_SLOW_TESTS"), reason="SHIJI_SLOW_TESTS=1 runs it"),
]

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_bench_measures_every_figure_against_its_floor(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SHIJI_ENV")}
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/run.py", "--quick", "--db", "sqlite", "--results", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = tmp_path.glob("sqlite-*-quick.json")
    data = json.loads(result.read_text())
    figures = {f["name"]: f for f in data["figures"]}
    for name in (
        "empty Django view",
        "signed-in empty page",
        "zone list (HTML)",
        "zone list (JSON)",
        "all zones, open, by deadline (HTML)",
        "all zones, every status, by deadline (JSON)",
        "problem page",
        "home: national viewer",
        "home: system admin",
        "我的待办 (zone admin)",
        "home: zone leader",
        "home: zone supervisor",
        "我的待办 (zone secretary)",
        "我的待办 (zone liaison)",
        "import dry run, 10,000 rows",
    ):
        assert figures[name]["median"] > 0, name
    # Lists stand beside their raw SQL, other pages beside an empty page for
    # a signed-in user, which stands beside the empty view.
    assert figures["zone list (HTML)"]["floor_name"] == "raw SQL"
    assert figures["problem page"]["floor_name"] == "signed-in empty page"
    assert figures["signed-in empty page"]["floor_name"] == "empty view"
    assert figures["signed-in empty API call"]["median"] > 0
    export = next(f for n, f in figures.items() if n.startswith("export, "))
    assert export["floor_name"] == "bare XlsxWriter" and export["extra"]["peak_rss_mb"] > 0
    assert figures["import dry run, 10,000 rows"]["extra"]["created"] == 10_000
    load = data["load"]
    assert load["errors"] == 0, load["error_samples"]
    # Every kind of write: as many rows as 2xx answers, and an audit event each.
    assert load["writes_2xx"] == load["rows_written"]
    assert set(load["writes_2xx"]) == {"progress note", "public intake"}
    assert all(n > 0 for n in load["writes_2xx"].values()), load["writes_2xx"]
    assert load["audit_events_written"] == sum(load["writes_2xx"].values())
    assert load["server_rss_max_mb"] > 0
    assert "| zone list (HTML) |" in done.stdout
