"""The ledger's two settings, read with the standard library (the delivery path's view).

Both are declared once in ``shared.environment`` (as every variable) and parsed with its
``parse``, as ``Settings`` parses them. No table name: no ledger.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.environment import VARIABLES, parse

_TABLE = VARIABLES["ledger_table_name"]
_RETENTION = VARIABLES["ledger_retention_days"]
DEFAULT_RETENTION_DAYS: int = _RETENTION.default
LEDGER_ENV_NAMES: Mapping[str, str] = {
    "table_name": _TABLE.name,
    "retention_days": _RETENTION.name,
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
        try:
            days = int(parse(_RETENTION, env))
        except ValueError:  # the API refuses it at start; a delivery must never fail on it
            days = DEFAULT_RETENTION_DAYS
        return cls(table_name=parse(_TABLE, env), retention_days=days)
