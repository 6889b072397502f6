"""Cold start of the two Lambda handlers, as ratios to baselines measured in the same run.

Measures what Lambda loads: the artifacts of `sam build` (``make sam-build`` puts them in
``.aws-sam/build``), run by Python 3.13 with the function folder and the layer's ``python/``
folder on the path in Lambda's order and no site-packages. The build ships every module, ours
and the libraries', as unchecked hash-based ``.pyc`` (the root Makefile's ``build-*``
targets), which is what survives `sam deploy`'s zip; nothing is written at run time
(``PYTHONDONTWRITEBYTECODE``, as on Lambda's read-only file system).

Every figure is the median over ``--runs`` fresh Python processes (default 15, at least 5),
baseline and candidate interleaved so drift on a shared machine hits both alike. Timed in
the child, from just before the first import to just after the last statement (the
interpreter's own start-up, the same for both, is excluded).

A baseline imports **the same third-party modules** the handler ends up loading (found by
importing the handler once in a child and listing every loaded module that lives in the
build but is not ours), so a ratio is what our own modules and wiring add on top of the
libraries:

* ``api_init``: ``import api_app.main`` (settings, FastAPI app, ``handler = Mangum(app)``,
  with ``LEDGER_TABLE_NAME`` set as deployed) against a bare import of its third-party
  modules. Goal <= 1.15.
* ``api_call_init``: ``import api_call.handler`` against a bare import of its third-party
  modules (urllib3, standardwebhooks, Powertools' Logger). Goal <= 1.15.
* ``api_call_first_delivery``: that import plus one signed delivery through
  ``lambda_handler`` to a receiver on 127.0.0.1, against the bare import plus one bare signed
  POST (``standardwebhooks.Webhook.sign`` and one ``urllib3`` request). Goal <= 1.25.

Three figures per comparison: ``<name>_seconds`` (wall time measured in the child: what
``ratio`` lines report), ``<name>_cpu_seconds`` (CPU time in the child: steadier when other
work shares the machine) and ``<name>_process_seconds`` (the whole child process seen from
here, interpreter start-up included as in Lambda's Init Duration). Prints ``name value``
lines; each comparison ends with a ``ratio`` line.
``--instructions`` adds, per comparison, ``<name>_instructions_ratio``: the instructions
(valgrind's callgrind, one run each) the candidate executes beyond an empty interpreter over
the baseline's. It does not vary with what else runs on the machine, as times do; the goals
stay on wall time.
Run: ``make sam-build && .venv/bin/python bench/cold_start.py [--runs N] [--build-dir DIR]
[--python PYTHON3.13] [--no-bytecode] [--instructions]``; exit 1 when a goal is missed.
``--no-bytecode`` is the build as it was before it shipped ``.pyc`` (a copy without any
``__pycache__``: every module compiled on every cold start).
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Our own top-level packages in the build (everything else there is a library).
OURS = ("shared", "api_app", "api_call")
# Lambda's path order: the function folder (/var/task), then the layer (/opt/python).
FUNCTIONS = {"api_app": "ApiFunction", "api_call": "ApiCallFunction"}
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


# Lists, in import order, the modules from the build (not ours) that importing the handler loads.
THIRD_PARTY = (
    "import sys\n"
    "import {module}\n"
    "roots = [p for p in sys.path if p.startswith({build!r})]\n"
    "for name, module in list(sys.modules.items()):\n"
    "    path = getattr(module, '__file__', None) or ''\n"
    "    if any(path.startswith(root) for root in roots) and name.split('.')[0] not in {ours!r}:\n"
    "        print('MODULE', name)\n"
)
SIGNED_POST = (
    "import json, time, uuid, datetime\n"
    "from standardwebhooks import Webhook\n"
    "body = json.dumps({{'n': 1}})\n"
    "msg_id = uuid.uuid4().hex\n"
    "now = datetime.datetime.now(datetime.timezone.utc)\n"
    "signature = Webhook({secret!r}).sign(msg_id, now, body)\n"
    "headers = {{'content-type': 'application/json', 'webhook-id': msg_id,\n"
    "    'webhook-timestamp': str(int(now.timestamp())), 'webhook-signature': signature}}\n"
    "r = urllib3.PoolManager().request('POST', {url!r}, body=body, headers=headers)\n"
    "assert r.status == 200\n"
)
CALLGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
TASK = "'task_id': 'bench-cold-start'"
GOALS = {"api_init": 1.15, "api_call_init": 1.15, "api_call_first_delivery": 1.25}


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


def build_paths(build: Path, module: str) -> str:
    """The PYTHONPATH Lambda gives ``module``'s function: its folder, then the layer's."""
    function = FUNCTIONS[module.split(".")[0]]
    return os.pathsep.join([str(build / function), str(build / "SharedLayer" / "python")])


def stale_sources(build: Path) -> list[str]:
    """Our sources whose built copy differs from the working tree (or is missing)."""
    stale = []
    for source_root, built_root in (
        (ROOT / "src", build / "SharedLayer" / "python"),
        (ROOT / "functions" / "api", build / "ApiFunction"),
        (ROOT / "functions" / "api_call", build / "ApiCallFunction"),
    ):
        for source in source_root.rglob("*.py"):
            built = built_root / source.relative_to(source_root)
            if not built.is_file() or built.read_bytes() != source.read_bytes():
                stale.append(str(source.relative_to(ROOT)))
    return stale


def without_bytecode(build: Path, into: Path) -> Path:
    """Copy the three built folders without any ``.pyc`` (the build before this change)."""
    for folder in ("SharedLayer", *FUNCTIONS.values()):
        shutil.copytree(build / folder, into / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def child_env(port: int) -> dict[str, str]:
    """The environment of every child: what the deployed functions would have."""
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
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


def run_child(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh Python 3.13 (``env["BENCH_PYTHON"]``) without site-packages,
    in an empty working directory; raise naming the last stderr line if it fails."""
    done = subprocess.run(
        [env["BENCH_PYTHON"], "-S", "-c", code],
        env={name: value for name, value in env.items() if not name.startswith("BENCH_")},
        cwd=env["BENCH_CWD"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return done


def third_party_imports(module: str, env: dict[str, str]) -> str:
    """Return a script importing every library module of the build that ``import module``
    loads."""
    script = THIRD_PARTY.format(module=module, build=env["BENCH_BUILD"], ours=OURS)
    done = run_child(script, env)
    names = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("MODULE ")]
    print(f"{module.replace('.', '_')}_third_party_modules {len(names)}")
    return "\n".join(f"import {name}" for name in names)


def timed_run(body: str, env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``body`` in a fresh interpreter; return (its wall seconds, its CPU seconds,
    the whole process's wall seconds seen from here)."""
    started = time.perf_counter()
    done = run_child(TIMED.format(body=body), env)
    wall = time.perf_counter() - started
    line = [row for row in done.stdout.splitlines() if row.startswith("SECONDS ")][-1]
    _, seconds, cpu = line.split()
    return float(seconds), float(cpu), wall


def instructions(code: str, env: dict[str, str]) -> int:
    """Instructions a fresh interpreter executes running ``code`` (valgrind's callgrind)."""
    done = subprocess.run(
        [*CALLGRIND, env["BENCH_PYTHON"], "-S", "-c", code],
        env={name: value for name, value in env.items() if not name.startswith("BENCH_")}
        | {"PYTHONHASHSEED": "0"},
        cwd=env["BENCH_CWD"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    counted = [line for line in done.stderr.splitlines() if "Collected :" in line]
    if done.returncode != 0 or not counted:
        raise RuntimeError(f"valgrind failed: {done.stderr.strip()[-300:]}")
    return int(counted[-1].split()[-1])


def instructions_ratio(name: str, candidate: str, baseline: str, env: dict[str, str]) -> None:
    """Print the candidate's and the baseline's instructions beyond an empty interpreter's."""
    empty = instructions("pass", env)
    ours = instructions(candidate, env) - empty
    base = instructions(baseline, env) - empty
    print(f"{name}_instructions_baseline {base}")
    print(f"{name}_instructions {ours}")
    print(f"{name}_instructions_ratio {ours / base:.3f}")


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


def python313(given: str | None) -> str:
    """The Python 3.13 to run the children with: ``--python``, else the one `make sam-build`
    builds with (``tests/template/python313.py``: PATH, then pyenv)."""
    if given is None:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from tests.template.python313 import NOT_FOUND, find_python313

        found = find_python313()
        if found is None:
            raise SystemExit(NOT_FOUND)
        return str(found)
    probe = "import sys; print(sys.version_info[:2] == (3, 13))"
    done = subprocess.run([given, "-c", probe], capture_output=True, text=True, timeout=30)
    if done.stdout.strip() != "True":
        raise SystemExit(f"{given} is not a working Python 3.13")
    return given


def main() -> int:
    """Run the three comparisons; exit 1 when a ratio is over its goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument("--python", help="Python 3.13 (default: python3.13 on PATH)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions with valgrind (a figure load on the machine cannot move)",
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="the build without any .pyc, as `sam build` shipped it before (compiles everything)",
    )
    args = parser.parse_args()
    runs = max(5, args.runs)
    built = args.build_dir.resolve()
    if not (built / "SharedLayer" / "python" / "shared").is_dir():
        raise SystemExit(f"no `sam build` output in {built}: run `make sam-build` first")
    stale = stale_sources(built)
    if stale:
        raise SystemExit(f"{built} is older than {stale[0]} (and {len(stale) - 1} more): rebuild")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = int(server.server_address[1])
    scratch = tempfile.TemporaryDirectory(prefix="cold-start-")
    build = without_bytecode(built, Path(scratch.name) / "build") if args.no_bytecode else built
    (Path(scratch.name) / "cwd").mkdir()
    env = child_env(port) | {
        "BENCH_PYTHON": python313(args.python),
        "BENCH_BUILD": str(build),
        "BENCH_CWD": str(Path(scratch.name) / "cwd"),
    }
    # As template.yaml deploys it, the API wraps its backend in the task ledger at init (its
    # DynamoDB client is built on first use). API_CALL's ledger writes need a DynamoDB:
    # bench/ledger.py measures those.
    api_env = env | {
        "PYTHONPATH": build_paths(build, "api_app"),
        "LEDGER_TABLE_NAME": "callback-scheduler-ledger",
    }
    call_env = env | {"PYTHONPATH": build_paths(build, "api_call")}
    url = f"http://127.0.0.1:{port}/api/v1/tasks/callback"
    ratios: dict[str, float] = {}
    print(f"runs {runs}")
    print(f"bytecode {int(not args.no_bytecode)}")
    try:
        api = third_party_imports("api_app.main", api_env)
        ratios["api_init"] = compare("api_init", "import api_app.main", api, api_env, runs)
        if args.instructions:
            instructions_ratio("api_init", "import api_app.main", api, api_env)
        libraries = third_party_imports("api_call.handler", call_env)
        ratios["api_call_init"] = compare(
            "api_call_init", "import api_call.handler", libraries, call_env, runs
        )
        if args.instructions:
            instructions_ratio("api_call_init", "import api_call.handler", libraries, call_env)
        # A scheduled event names its task, which loads the ledger glue (the ledger is off here:
        # bench/ledger.py measures the writes).
        delivery = (
            CONTEXT + "import api_call.handler as h\n"
            f"r = h.lambda_handler({{'target_url': {url!r}, 'body': {{'n': 1}}, {TASK}}}, Ctx())\n"
            "assert r['statusCode'] == 200, r"
        )
        bare = libraries + "\n" + SIGNED_POST.format(secret=env["SIGNING_SECRETS"], url=url)
        ratios["api_call_first_delivery"] = compare(
            "api_call_first_delivery", delivery, bare, call_env, runs
        )
        if args.instructions:
            instructions_ratio("api_call_first_delivery", delivery, bare, call_env)
    finally:
        server.shutdown()
        server.server_close()
        scratch.cleanup()
    missed = [name for name, ratio in ratios.items() if ratio > GOALS[name]]
    print(f"worst_ratio {max(ratios.values()):.2f}")
    print(f"goals_missed {len(missed)}{' ' + ' '.join(missed) if missed else ''}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
