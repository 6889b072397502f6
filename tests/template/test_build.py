"""`sam build` succeeds and its artifacts are complete on their own.

A Python 3.13 process with nothing on its path but the built function folder and the built
layer's ``python/`` folder (as Lambda arranges them) imports the handlers, with the
environment the template gives each function on a default deploy.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.template.cfn import Resolver
from tests.template.conftest import REGION, ROOT, run, sam_env
from tests.template.samples import with_samples

# Runs inside the isolated interpreter: -I (no PYTHONPATH, no user site) and -S (no
# site-packages at all), so only the standard library and the two built folders are found.
PROBE = """
import json, sys
function_dir, layer_dir, module, call = sys.argv[1:5]
sys.path[:0] = [function_dir, layer_dir]
import importlib
mod = importlib.import_module(module)
result = {"file": mod.__file__, "version": list(sys.version_info[:2])}
third_party = ("pydantic", "pydantic_settings", "standardwebhooks", "urllib3",
               "aws_lambda_powertools", "fastapi", "mangum")
result["modules"] = {name: getattr(sys.modules[name], "__file__", None)
                     for name in third_party if name in sys.modules}
if call == "api":
    class Context:
        function_name = "api"
        aws_request_id = "build-test"
        invoked_function_arn = "arn:aws:lambda:ap-northeast-2:123456789012:function:api"
        memory_limit_in_mb = 512
    with open(sys.argv[5], encoding="utf-8") as fh:
        event = json.load(fh)
    result["response"] = mod.handler(event, Context())
elif call == "api_call":
    from shared.delivery.config import DeliveryConfig
    config = DeliveryConfig.from_env()
    result["config"] = {"signing_secrets_arn": config.signing_secrets_arn,
                        "dead_letter_queue_url": config.dead_letter_queue_url,
                        "api_base_url": config.api_base_url}
    result["callable"] = callable(mod.lambda_handler)
elif call == "recorder":
    import os
    prefix = "arn:aws:sqs:" + os.environ["AWS_REGION"] + ":"
    delivery = os.environ["DEAD_LETTER_QUEUE_URL"].rsplit("/", 2)
    result["kinds"] = [mod.queue_kind(os.environ["DEAD_LETTER_QUEUE_ARN"]),
                       mod.queue_kind(prefix + delivery[1] + ":" + delivery[2])]
    result["callable"] = callable(mod.lambda_handler)
print(json.dumps(result))
"""


def run_built(
    python313: Path,
    build_dir: Path,
    function: str,
    module: str,
    env: dict[str, str],
    *extra: str,
) -> dict[str, Any]:
    """Import ``module`` from the built ``function`` in an isolated 3.13 process."""
    call = {
        "ApiFunction": "api",
        "ApiCallFunction": "api_call",
        "DeadLetterRecorderFunction": "recorder",
    }[function]
    done = subprocess.run(
        [
            str(python313),
            "-I",
            "-S",
            "-c",
            PROBE,
            str(build_dir / function),
            str(build_dir / "SharedLayer" / "python"),
            module,
            call,
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        # A clean environment: the function's variables plus what Lambda itself sets.
        env={"PATH": os.defpath, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, **env},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def function_env(cfn: dict[str, Any], logical_id: str) -> dict[str, str]:
    return with_samples(cfn, Resolver(cfn).environment(logical_id))


def test_build_lays_out_functions_and_layer(build_dir: Path) -> None:
    assert (build_dir / "ApiFunction" / "api_app" / "main.py").is_file()
    assert (build_dir / "ApiCallFunction" / "api_call" / "handler.py").is_file()
    recorder = build_dir / "DeadLetterRecorderFunction" / "dead_letter_recorder" / "handler.py"
    assert recorder.is_file()
    # The recorder too ships only its own package: Powertools and the ledger are the layer's.
    assert distributions(build_dir / "DeadLetterRecorderFunction") == {}
    assert (build_dir / "SharedLayer" / "python" / "shared" / "delivery" / "core.py").is_file()
    # API_CALL_LAMBDA ships only its own package: its dependencies come from the layer.
    assert distributions(build_dir / "ApiCallFunction") == {}
    assert (build_dir / "SharedLayer" / "python" / "standardwebhooks").is_dir()


def test_layer_holds_only_what_lambda_runs(build_dir: Path) -> None:
    layer = build_dir / "SharedLayer" / "python"
    # pydantic belongs to the API (and the worker); the layer API_CALL_LAMBDA loads stays lean.
    assert set(distributions(layer)) == {
        "aws_lambda_powertools",
        "jmespath",
        "standardwebhooks",
        "typing_extensions",
        "tzdata",
        "urllib3",
    }
    # The laptop product (local backend, launcher, demo, dead-letter command) is not shipped.
    assert not (layer / "local").exists()
    assert not (layer / "shared" / "scheduling" / "local").exists()
    assert not any(layer.rglob("devserver"))


def distributions(folder: Path) -> dict[str, str]:
    """Installed distributions in a built folder: normalised name -> version."""
    found: dict[str, str] = {}
    for info in folder.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        found[name.lower().replace("-", "_").replace(".", "_")] = version
    return found


def dev_versions() -> dict[str, str]:
    """What the tests ran against: the distributions of this (the dev) virtualenv."""
    return {
        (dist.metadata["Name"] or "").lower().replace("-", "_").replace(".", "_"): dist.version
        for dist in importlib.metadata.distributions()
    }


@pytest.mark.parametrize(
    "folder",
    ["SharedLayer/python", "ApiFunction", "ApiCallFunction", "DeadLetterRecorderFunction"],
)
def test_built_packages_are_the_versions_the_tests_ran(build_dir: Path, folder: str) -> None:
    # Lambda puts the function folder before the layer on sys.path; whatever sam build
    # installed anywhere must be exactly what the dev environment (from the same locks) has.
    built = distributions(build_dir / folder)
    dev = dev_versions()
    differ = {name: (version, dev.get(name)) for name, version in built.items()}
    differ = {name: pair for name, pair in differ.items() if pair[0] != pair[1]}
    assert differ == {}, f"{folder}: built vs dev versions differ"


def test_api_function_and_layer_agree_on_shared_packages(build_dir: Path) -> None:
    layer = distributions(build_dir / "SharedLayer" / "python")
    own = distributions(build_dir / "ApiFunction")
    assert "pydantic" in own
    clashes = {n: (v, layer[n]) for n, v in own.items() if n in layer and v != layer[n]}
    assert clashes == {}


def test_built_api_imports_and_serves_health(
    python313: Path, build_dir: Path, cfn: dict[str, Any]
) -> None:
    event = ROOT / "events" / "api" / "health.json"
    result = run_built(
        python313,
        build_dir,
        "ApiFunction",
        "api_app.main",
        function_env(cfn, "ApiFunction"),
        str(event),
    )
    assert result["version"] == [3, 13]
    assert result["file"].startswith(str(build_dir / "ApiFunction"))
    layer = str(build_dir / "SharedLayer" / "python")
    assert result["modules"]["pydantic_settings"].startswith(str(build_dir / "ApiFunction"))
    assert result["modules"]["standardwebhooks"].startswith(layer)
    assert result["modules"]["mangum"].startswith(str(build_dir / "ApiFunction"))
    response = result["response"]
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"])["stage"] == "dev"


def test_built_api_call_imports_and_reads_its_config(
    python313: Path, build_dir: Path, cfn: dict[str, Any]
) -> None:
    env = function_env(cfn, "ApiCallFunction")
    result = run_built(python313, build_dir, "ApiCallFunction", "api_call.handler", env)
    assert result["version"] == [3, 13]
    assert result["file"].startswith(str(build_dir / "ApiCallFunction"))
    layer = str(build_dir / "SharedLayer" / "python")
    for name in ("standardwebhooks", "urllib3", "aws_lambda_powertools"):
        assert result["modules"][name].startswith(layer), name
    # The cold-start rule: importing API_CALL_LAMBDA's handler does not load pydantic.
    assert "pydantic" not in result["modules"]
    assert result["callable"] is True
    assert result["config"] == {
        "signing_secrets_arn": env["SIGNING_SECRETS_ARN"],
        "dead_letter_queue_url": env["DEAD_LETTER_QUEUE_URL"],
        "api_base_url": env["API_BASE_URL"],
    }


def test_built_recorder_imports_and_tells_the_queues_apart(
    python313: Path, build_dir: Path, cfn: dict[str, Any]
) -> None:
    env = function_env(cfn, "DeadLetterRecorderFunction")
    result = run_built(
        python313, build_dir, "DeadLetterRecorderFunction", "dead_letter_recorder.handler", env
    )
    assert result["version"] == [3, 13]
    assert result["file"].startswith(str(build_dir / "DeadLetterRecorderFunction"))
    layer = str(build_dir / "SharedLayer" / "python")
    assert result["modules"]["aws_lambda_powertools"].startswith(layer)
    assert "pydantic" not in result["modules"]  # the layer has none: the import must not need it
    assert result["kinds"] == ["scheduler", "delivery"]
    assert result["callable"] is True


# Runs in the SAM CLI's virtualenv: the routes `sam local start-api` would mount.
LOCAL_ROUTES = """
import json, sys
from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
stacks, _ = SamLocalStackProvider.get_stacks(sys.argv[1])
routes = [[r.path, r.function_name, r.payload_format_version, sorted(r.methods)]
          for r in ApiProvider(stacks).api.routes]
print(json.dumps(sorted(routes)))
"""


def test_sam_local_start_api_mounts_both_routes_on_the_api_function(
    sam_bin: Path, build_dir: Path
) -> None:
    out = run(
        [str(sam_bin / "python"), "-c", LOCAL_ROUTES, str(build_dir / "template.yaml")],
        timeout=120,
        env=sam_env(),
    )
    routes = json.loads(out.strip().splitlines()[-1])
    methods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    assert routes == [
        ["/", "ApiFunction", "2.0", methods],
        ["/{proxy+}", "ApiFunction", "2.0", methods],
    ]
