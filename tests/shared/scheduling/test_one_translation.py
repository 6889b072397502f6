"""One translation: no product code outside ``shared.scheduling.cron*`` builds a cron trigger."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRODUCT = ["src", "functions", "worker", "local"]
CRON_PARSING = re.compile(r"CronTrigger\(|from_crontab|\.split\(\)\s*#\s*cron")


def test_only_the_translation_module_builds_cron_triggers() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in PRODUCT
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not (
            path.parent == ROOT / "src" / "shared" / "scheduling" and path.stem.startswith("cron")
        )
        and CRON_PARSING.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert not (ROOT / "local" / "backend" / "triggers.py").exists()
