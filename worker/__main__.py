"""``python -m worker [run|healthcheck|preview]``: ``worker.main``, ``.health``, ``.preview``."""

import sys

if sys.argv[1:2] == ["healthcheck"]:
    from worker.health import healthcheck_main as entry
elif sys.argv[1:2] == ["preview"]:
    from worker.preview import preview_main as entry
else:
    from worker.main import main as entry

sys.exit(entry())
