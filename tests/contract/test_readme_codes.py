"""The README's error table lists every code the API can answer with, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import shared.exceptions as errors
from api_app.errors import HTTP_CODES, STATUS_BY_ERROR

README = Path(__file__).resolve().parents[2] / "README.md"


def api_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("<!-- section:api -->", 1)[1].split("<!-- /section:api -->", 1)[0]


def test_every_code_the_api_can_answer_is_in_the_error_table() -> None:
    table = {
        (int(status), code)
        for status, codes in re.findall(r"^\| (\d{3}) \| (.+?) \|", api_section(), re.MULTILINE)
        for code in re.findall(r"`([a-z_]+)`", codes)
    }
    # ForbiddenError is mapped (403) but nothing raises it yet
    emitted = {(status, cls.code) for cls, status in STATUS_BY_ERROR if status != 403}
    emitted |= {(status, code) for status, code in HTTP_CODES.items()}
    emitted |= {(400, "malformed_json"), (422, "validation_error")}
    emitted |= {(422, errors.InvalidFieldError.code)}
    assert emitted == table
