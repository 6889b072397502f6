"""`sam build` ships bytecode Lambda actually uses: every module precompiled by Python 3.13.

Lambda's ``/var/task`` and ``/opt`` are read-only, and ``sam deploy`` zips every file with the
date 1980-01-01, so only hash-based ``.pyc`` (PEP 552) survive the trip: without them (or with
timestamp-based ones, stale after that zip) every cold start compiles every module again. The
root Makefile's ``build-*`` targets compile ours and the libraries' into unchecked hash-based
``.pyc`` with the python3.13 `sam build` found.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.template.conftest import ROOT
from tests.template.test_build import function_env, run_built

UNITS = {
    "SharedLayer/python": "shared",
    "ApiFunction": "api_app",
    "ApiCallFunction": "api_call",
    "DeadLetterRecorderFunction": "dead_letter_recorder",
}
# The date `sam deploy` gives every file of the zip (zipfile.ZipInfo's default), local time.
ZIP_DATE = time.mktime((1980, 1, 1, 0, 0, 0, 0, 0, -1))

# Runs in python3.13: every .py under the folder has its __pycache__/NAME.cpython-313.pyc with
# this interpreter's magic number, the flags of an unchecked hash-based .pyc (0b01) and the
# hash of exactly the shipped source.
CHECK_PYC = """
import importlib.util, json, pathlib, sys
root = pathlib.Path(sys.argv[1])
problems, checked = [], []
for source in sorted(root.rglob("*.py")):
    pyc = pathlib.Path(importlib.util.cache_from_source(str(source)))
    name = str(source.relative_to(root))
    checked.append(name)
    if not pyc.is_file():
        problems.append([name, "no .pyc"])
        continue
    header = pyc.read_bytes()[:16]
    if header[:4] != importlib.util.MAGIC_NUMBER:
        problems.append([name, "magic " + header[:4].hex()])
    elif int.from_bytes(header[4:8], "little") != 0b01:
        problems.append([name, "flags " + header[4:8].hex()])
    elif header[8:16] != importlib.util.source_hash(source.read_bytes()):
        problems.append([name, "hash of another source"])
print(json.dumps({"tag": sys.implementation.cache_tag, "checked": checked, "problems": problems}))
"""


@pytest.mark.parametrize("folder", list(UNITS))
def test_every_built_module_has_unchecked_hash_bytecode_for_python313(
    python313: Path, build_dir: Path, folder: str
) -> None:
    done = subprocess.run(
        [str(python313), "-I", "-c", CHECK_PYC, str(build_dir / folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["tag"] == "cpython-313"
    ours = [name for name in result["checked"] if name.startswith(UNITS[folder] + "/")]
    assert len(ours) >= 2  # our own package is there and was checked
    assert result["problems"] == []


def test_built_handlers_run_on_their_bytecode_alone(
    python313: Path, build_dir: Path, cfn: dict[str, Any], tmp_path: Path
) -> None:
    # A copy of the build as Lambda unpacks it (every file dated 1980-01-01), with every
    # source replaced by a module that fails: the handlers import and serve only if Python
    # loads the shipped .pyc and never compiles (or even checks) a source.
    copy = tmp_path / "build"
    for folder in ("SharedLayer", "ApiFunction", "ApiCallFunction", "DeadLetterRecorderFunction"):
        shutil.copytree(build_dir / folder, copy / folder, symlinks=True)
    stubbed = 0
    for source in copy.rglob("*.py"):
        source.write_text("raise ImportError('the source was read, not the shipped .pyc')\n")
        stubbed += 1
    for path in copy.rglob("*"):
        if not path.is_symlink():
            os.utime(path, (ZIP_DATE, ZIP_DATE))
    assert stubbed > 500  # ours and the libraries'
    event = ROOT / "events" / "api" / "health.json"
    api = run_built(
        python313, copy, "ApiFunction", "api_app.main", function_env(cfn, "ApiFunction"), str(event)
    )
    assert api["response"]["statusCode"] == 200, api["response"]
    assert api["file"].startswith(str(copy / "ApiFunction"))
    env = function_env(cfn, "ApiCallFunction")
    api_call = run_built(python313, copy, "ApiCallFunction", "api_call.handler", env)
    assert api_call["callable"] is True
    assert "pydantic" not in api_call["modules"]
    env = function_env(cfn, "DeadLetterRecorderFunction")
    recorder = run_built(
        python313, copy, "DeadLetterRecorderFunction", "dead_letter_recorder.handler", env
    )
    assert recorder["kinds"] == ["scheduler", "delivery"]


def test_makefile_builds_for_the_templates_architecture(cfn: dict[str, Any]) -> None:
    # The Makefile targets pin the wheels' platform: it must be the functions' architecture.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    platforms = set(re.findall(r"--platform (\S+)", makefile))
    assert platforms
    assert all(p.endswith("_x86_64") for p in platforms)
    functions = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 3
    assert all(f["Properties"].get("Architectures", ["x86_64"]) == ["x86_64"] for f in functions)
    assert all(f["Properties"]["Runtime"] == "python3.13" for f in functions)
    targets = ("SharedLayer", "ApiFunction", "ApiCallFunction", "DeadLetterRecorderFunction")
    for target in (f"build-{name}:" for name in targets):
        assert re.search(rf"^{target}", makefile, re.MULTILINE), target
    assert "--invalidation-mode unchecked-hash" in makefile
    assert "--require-hashes --no-deps" in makefile
