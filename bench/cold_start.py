"""Cold start of the two Lambda handlers, as ratios to baselines measured in the same run.

Every figure is the median over ``--runs`` fresh Python processes (default 11, at least 5),
baseline and candidate interleaved so drift on a shared machine hits both alike. Timed in
the child, from just before the first import to just after the last statement (the
interpreter's own start-up, the same for both, is excluded):

* ``api_init``: ``import api_app.main`` (FastAPI app + ``handler = Mangum(app)``) against
  ``import fastapi, mangum, boto3``;
* ``api_call_init``: ``import api_call.handler`` against ``import urllib3``;
* ``api_call_libraries`` (informative, not a goal): ``urllib3`` + ``standardwebhooks`` +
  Powertools ``Logger`` -- the floor the handler cannot go below -- against ``import urllib3``;
* ``api_call_first_delivery``: that import plus one signed delivery through
  ``lambda_handler`` to a receiver on 127.0.0.1, against ``import urllib3`` plus one bare
  ``urllib3`` POST to the same receiver.

Three figures per comparison: ``<name>_seconds`` (wall time measured in the child: the
headline, and what ``ratio`` lines report), ``<name>_cpu_seconds`` (CPU time in the child:
steadier when other work shares the machine) and ``<name>_process_seconds`` (the whole
child process seen from here, interpreter start-up included as in Lambda's Init Duration).
Prints ``name value`` lines; each comparison ends with a ``ratio`` line.
Run: ``.venv/bin/python bench/cold_start.py [--runs N]``. Goal: every ratio <= 1.25.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHONPATH = os.pathsep.join(
    str(ROOT / part) for part in ("src", "functions/api_call", "functions/api")
)
TIMED = (
    "import time as _t\n_s, _c = _t.perf_counter(), _t.process_time()\n{body}\n"
    "print('SECONDS', _t.perf_counter() - _s, _t.process_time() - _c)\n"
)
CONTEXT = (
    "class Ctx:\n"
    "    function_name = 'ApiCallFunction'; function_version = '$LATEST'\n"
    "    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:ApiCallFunction'\n"
    "    memory_limit_in_mb = 128; aws_request_id = 'bench'\n"
    "    log_group_name = 'g'; log_stream_name = 's'\n"
    "    def get_remaining_time_in_millis(self): return 30000\n"
)


LIBRARIES = "import urllib3, standardwebhooks\nfrom aws_lambda_powertools import Logger"


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


def child_env(port: int) -> dict[str, str]:
    """The environment of every child: what the deployed functions would have."""
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": PYTHONPATH,
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "STAGE": "dev",
        "SCHEDULER_BACKEND": "eventbridge",
        "API_BASE_URL": f"http://127.0.0.1:{port}",
        "API_TOKENS": base64.b64encode(os.urandom(24)).decode(),
        "SIGNING_SECRETS": secret,
        "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
        "API_CALL_FUNCTION_ARN": "arn:aws:lambda:us-east-1:123456789012:function:ApiCall",
        "DEAD_LETTER_QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:dlq",
        "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
        "POWERTOOLS_SERVICE_NAME": "api-call",
    }


def timed_run(body: str, env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``body`` in a fresh interpreter; return (its wall seconds, its CPU seconds,
    the whole process's wall seconds seen from here)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", TIMED.format(body=body)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    wall = time.perf_counter() - started
    line = [row for row in done.stdout.splitlines() if row.startswith("SECONDS ")][-1]
    _, seconds, cpu = line.split()
    return float(seconds), float(cpu), wall


def compare(name: str, candidate: str, baseline: str, env: dict[str, str], runs: int) -> float:
    """Print median candidate and baseline seconds and their ratio; return the ratio."""
    timed_run(candidate, env)  # warm the file cache; not counted
    timed_run(baseline, env)
    ours: list[tuple[float, float, float]] = []
    base: list[tuple[float, float, float]] = []
    for _ in range(runs):
        base.append(timed_run(baseline, env))
        ours.append(timed_run(candidate, env))
    ratio = 1.0
    for index, kind in enumerate(("", "_cpu", "_process")):
        ours_median = statistics.median(run[index] for run in ours)
        base_median = statistics.median(run[index] for run in base)
        print(f"{name}{kind}_baseline_seconds {base_median:.4f}")
        print(f"{name}{kind}_seconds {ours_median:.4f}")
        print(f"{name}{kind}_ratio {ours_median / base_median:.2f}")
        if not kind:
            ratio = ours_median / base_median
    print(f"ratio {ratio:.2f}")
    return ratio


def main() -> int:
    """Run the three comparisons; exit 1 when a ratio is over the 1.25 goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = max(5, parser.parse_args().runs)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = int(server.server_address[1])
    env = child_env(port)
    url = f"http://127.0.0.1:{port}/api/v1/tasks/callback"
    ratios: list[float] = []
    print(f"runs {runs}")
    try:
        if (ROOT / "functions/api/api_app/main.py").exists():
            try:
                ratios.append(
                    compare(
                        "api_init",
                        "import api_app.main",
                        "import fastapi, mangum, boto3",
                        env,
                        runs,
                    )
                )
            except RuntimeError as exc:
                print(f"# api_init not measured: importing api_app.main failed: {exc}")
        else:
            print("# api_init not measured: functions/api/api_app/main.py does not exist yet")
        ratios.append(
            compare("api_call_init", "import api_call.handler", "import urllib3", env, runs)
        )
        # informative, not a goal: the libraries the handler needs, without any of our code
        compare("api_call_libraries", LIBRARIES, "import urllib3", env, runs)
        delivery = (
            CONTEXT + "import api_call.handler as h\n"
            f"r = h.lambda_handler({{'target_url': {url!r}, 'body': {{'n': 1}}}}, Ctx())\n"
            "assert r['statusCode'] == 200, r"
        )
        bare = (
            "import urllib3\n"
            f"r = urllib3.PoolManager().request('POST', {url!r}, body=b'{{}}')\n"
            "assert r.status == 200"
        )
        ratios.append(compare("api_call_first_delivery", delivery, bare, env, runs))
    finally:
        server.shutdown()
        server.server_close()
    worst = max(ratios) if ratios else float("nan")
    print(f"worst_ratio {worst:.2f}")
    return 0 if ratios and worst <= 1.25 else 1


if __name__ == "__main__":
    sys.exit(main())
