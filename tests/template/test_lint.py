"""`sam validate --lint` and `cfn-lint` accept template.yaml with no error and no warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.template.conftest import REGION, TEMPLATE, run

# The only cfn-lint suppressions allowed: W1030/W1031 judge a parameter's *default* ("")
# against the property pattern, but these resources exist only with a worker, and the
# template's Rules refuse a worker deploy whose VPC or Redis secret is empty.
ALLOWED_SUPPRESSIONS = {
    "WorkerSecurityGroup": ["W1030"],
    "WorkerExecutionRole": ["W1030", "W1031"],
    "WorkerService": ["W1030"],
}


def test_sam_validate_with_lint_passes(sam_bin: Path) -> None:
    out = run(
        [str(sam_bin / "sam"), "validate", "--lint", "--template-file", str(TEMPLATE)],
        timeout=180,
    )
    assert "is a valid SAM Template" in out


def test_cfn_lint_reports_nothing(cfn_lint: Path) -> None:
    # run() fails on any non-zero exit: 2 = error, 4 = warning, 8 = informational.
    out = run([str(cfn_lint), "--regions", REGION, "--", str(TEMPLATE)], timeout=180)
    assert out.strip() == ""


def test_lint_suppressions_are_only_the_documented_ones(cfn: dict[str, Any]) -> None:
    assert "cfn-lint" not in cfn.get("Metadata", {}), "no template-wide suppression"
    suppressed = {
        logical_id: resource["Metadata"]["cfn-lint"]["config"]["ignore_checks"]
        for logical_id, resource in cfn["Resources"].items()
        if "cfn-lint" in resource.get("Metadata", {})
    }
    assert suppressed == ALLOWED_SUPPRESSIONS
    for logical_id in suppressed:
        assert cfn["Resources"][logical_id]["Condition"] == "HasWorker"
