"""The ledger's two settings, read with the standard library (the delivery path's view).

Both names are fields of ``shared.settings.Settings`` (``ledger_table_name``,
``ledger_retention_days``); a test keeps them in step. No table name: no ledger.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_RETENTION_DAYS = 30
LEDGER_ENV_NAMES: Mapping[str, str] = {
    "table_name": "LEDGER_TABLE_NAME",
    "retention_days": "LEDGER_RETENTION_DAYS",
}


@dataclass(frozen=True)
class LedgerConfig:
    """Where the ledger is and how long ended history is kept."""

    table_name: str | None = None
    retention_days: int = DEFAULT_RETENTION_DAYS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LedgerConfig:
        """Read ``LEDGER_TABLE_NAME`` and ``LEDGER_RETENTION_DAYS`` (bad or empty: default).

        Parameters
        ----------
        environ
            The environment to read (``os.environ`` when omitted).

        Returns
        -------
        LedgerConfig
            ``table_name`` is None when the ledger is off.
        """
        env = os.environ if environ is None else environ
        table = env.get(LEDGER_ENV_NAMES["table_name"], "").strip() or None
        raw_days = env.get(LEDGER_ENV_NAMES["retention_days"], "").strip()
        days = int(raw_days) if raw_days.isdigit() and 1 <= int(raw_days) <= 3650 else 0
        return cls(table_name=table, retention_days=days or DEFAULT_RETENTION_DAYS)
