"""Print the environment `sam local` gives each function, resolved by the SAM CLI's own code.

Runs in the SAM CLI's virtualenv (``.venv-sam/bin/python``): the template is read by the same
providers `sam local invoke` uses (``Ref`` of a resource becomes its logical id, ``GetAtt``
an empty string), and the ``--env-vars`` file is applied by the same class, with an empty
shell environment. Nothing starts a container and nothing reaches AWS.

Usage: ``.venv-sam/bin/python tests/template/sam_local_env.py template.yaml events/env.json``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from samcli.lib.providers.sam_function_provider import (  # type: ignore[import-not-found]
    SamFunctionProvider,
)
from samcli.lib.providers.sam_stack_provider import (  # type: ignore[import-not-found]
    SamLocalStackProvider,
)
from samcli.local.lambdafn.env_vars import (  # type: ignore[import-not-found]
    EnvironmentVariables,
)

FUNCTIONS = ("ApiFunction", "ApiCallFunction", "DeadLetterRecorderFunction")
CREDS = {"region": "ap-northeast-2", "key": "local", "secret": "local"}


def sam_local_environment(template: Path, env_vars: Path) -> dict[str, dict[str, Any]]:
    """Function logical id -> the environment its `sam local` container gets."""
    overrides = json.loads(env_vars.read_text(encoding="utf-8"))
    stacks, _ = SamLocalStackProvider.get_stacks(str(template))
    provider = SamFunctionProvider(stacks)
    result: dict[str, dict[str, Any]] = {}
    for name in FUNCTIONS:
        function = provider.get(name)
        variables = (function.environment or {}).get("Variables", {})
        env = EnvironmentVariables(
            function.name,
            function.memory,
            function.timeout,
            function.handler,
            function.logging_config,
            variables=variables,
            shell_env_values={},
            override_values={**overrides.get("Parameters", {}), **overrides.get(name, {})},
            aws_creds=CREDS,
        )
        result[name] = {"declared": sorted(variables), "environment": env.resolve()}
    return result


if __name__ == "__main__":
    json.dump(sam_local_environment(Path(sys.argv[1]), Path(sys.argv[2])), sys.stdout, indent=1)
