"""Translate template.yaml to plain CloudFormation offline and print it as JSON.

Runs in the SAM CLI's own virtualenv (``.venv-sam/bin/python``), where ``samtranslator``
and ``samcli`` live; the tests run it as a subprocess and assert on the JSON in the test
process. Local ``CodeUri``/``ContentUri`` paths are replaced by S3 placeholders first, as
``sam validate`` does, because the translator accepts only S3 locations. No AWS call is made.

Usage: ``.venv-sam/bin/python tests/template/translate_template.py template.yaml``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-not-found,unused-ignore]
from samcli.yamlhelper import yaml_parse  # type: ignore[import-not-found]
from samtranslator.parser.parser import Parser  # type: ignore[import-not-found]
from samtranslator.translator.translator import Translator  # type: ignore[import-not-found]

REGION = "ap-northeast-2"
LOCAL_URI_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


def with_s3_placeholders(template: dict[str, Any]) -> dict[str, Any]:
    """Point every local code location at a placeholder S3 object (as `sam validate` does)."""
    for logical_id, resource in template.get("Resources", {}).items():
        prop = LOCAL_URI_PROPERTIES.get(resource.get("Type", ""))
        if prop and isinstance(resource.get("Properties", {}).get(prop), str):
            resource["Properties"][prop] = f"s3://placeholder-bucket/{logical_id}.zip"
    return template


def translate(path: Path) -> dict[str, Any]:
    """Return the CloudFormation template SAM would deploy for ``path``."""
    template = with_s3_placeholders(yaml_parse(path.read_text(encoding="utf-8")))
    # The region only fills the AWS::Region/AWS::Partition values the translator needs;
    # no request is sent (no credentials are used).
    session = boto3.session.Session(region_name=REGION)
    translator = Translator(managed_policy_map=None, sam_parser=Parser(), boto_session=session)
    result: dict[str, Any] = translator.translate(
        template, parameter_values={}, get_managed_policy_map=dict
    )
    return result


if __name__ == "__main__":
    json.dump(translate(Path(sys.argv[1])), sys.stdout, indent=1, sort_keys=True)
