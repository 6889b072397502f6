"""``python -m worker [run|healthcheck]``: see ``worker.main`` and ``worker.health``."""

import sys

if sys.argv[1:2] == ["healthcheck"]:
    from worker.health import healthcheck_main as entry
else:
    from worker.main import main as entry

sys.exit(entry())
