"""Each of these is defined once in the tree; a second copy fails here, naming where it is.

The environment variables (``shared.environment``), the logging helper (``shared.log``), the
task-id pattern (``shared.scheduling.names``), Lambda's 900 s limit
(``shared.environment.LAMBDA_MAX_TIMEOUT_SECONDS``), ``free_port`` and ``split_list``; and
the defaults the README's settings tables document are the declared ones.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

from shared.environment import LAMBDA_MAX_TIMEOUT_SECONDS, TABLE, VARIABLES

ROOT = Path(__file__).resolve().parents[1]
CODE = ("src", "functions", "worker", "local", "bench", "tests")
PRODUCT = ("src", "functions", "worker", "local")


def python_files(folders: tuple[str, ...] = CODE) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def tokens(path: Path) -> Iterator[tokenize.TokenInfo]:
    source = path.read_text(encoding="utf-8")
    yield from tokenize.generate_tokens(io.StringIO(source).readline)


def nodes(path: Path) -> Iterator[ast.AST]:
    """Every node of ``path``'s syntax tree."""
    yield from ast.walk(ast.parse(path.read_text(encoding="utf-8")))


def files(found: list[str]) -> set[str]:
    return {place.split(":")[0] for place in found}


def definitions(name: str) -> list[str]:
    return [
        where(path, node.lineno)
        for path in python_files()
        for node in nodes(path)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
    ]


def test_free_port_is_defined_once() -> None:
    assert files(definitions("free_port")) == {"local/devserver/devenv.py"}
    assert len(definitions("free_port")) == 1


def test_list_splitting_is_defined_once() -> None:
    assert files(definitions("split_list")) == {"src/shared/environment.py"}
    assert len(definitions("split_list")) == 1
    assert definitions("split_values") == []
    assert definitions("_split") == []


def test_the_900_second_limit_is_written_once() -> None:
    # LAMBDA_MAX_TIMEOUT_SECONDS; shared.environment's table says "lambda" for it.
    found = [
        where(path, node.lineno)
        for path in python_files(PRODUCT)
        for node in nodes(path)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == 900
    ]
    assert len(found) == 1, found
    assert files(found) == {"src/shared/environment.py"}
    assert not re.findall(r"(?<![0-9.])900(?![0-9])", TABLE)
    assert VARIABLES["delivery_timeout_seconds"].le == LAMBDA_MAX_TIMEOUT_SECONDS


def test_the_task_id_pattern_is_written_once() -> None:
    found = [
        where(path, tok.start[0])
        for path in python_files(PRODUCT)
        for tok in tokens(path)
        if tok.type == tokenize.STRING and "0-9A-Za-z_." in tok.string
    ]
    # names.py also spells it in its messages; no other file may
    assert files(found) == {"src/shared/scheduling/names.py"}, found


def test_only_shared_log_builds_loggers_and_formatters() -> None:
    builders = ("Logger", "LambdaPowertoolsFormatter", "basicConfig", "dictConfig")
    found = [
        where(path, node.lineno)
        for path in python_files(PRODUCT)
        for node in nodes(path)
        if isinstance(node, ast.Call)
        and ast.unparse(node.func).split(".")[-1] in builders
        and path != ROOT / "src/shared/log.py"
    ]
    assert found == []


def test_no_product_variable_is_read_outside_shared_environment() -> None:
    names = {variable.name for variable in VARIABLES.values()}
    found = []
    for path in python_files(PRODUCT):
        for node in nodes(path):
            key: ast.expr | None = None
            if isinstance(node, ast.Call) and node.args:
                func = ast.unparse(node.func)
                if func in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                    key = node.args[0]
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                key = node.slice
            if isinstance(key, ast.Constant) and key.value in names:
                found.append(f"{where(path, key.lineno)} {key.value}")
    assert found == []


def documented_defaults() -> Iterator[tuple[int, str, str]]:
    """(line, variable, default) for each settings-table row of the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(readme, start=1):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0])
        values = re.split(r"\s*(?:,|/)\s*", cells[1]) if len(names) > 1 else [cells[1]]
        if names and all(name.lower() in VARIABLES for name in names):
            assert len(values) == len(names), f"README.md:{number}"
            yield from ((number, name, value) for name, value in zip(names, values, strict=True))


def test_documented_defaults_are_the_declared_ones() -> None:
    checked = 0
    for number, name, value in documented_defaults():
        declared = VARIABLES[name.lower()].default
        literal = value.strip("`")
        if re.fullmatch(r"[0-9.]+", literal) and not isinstance(declared, str):
            assert float(literal) == declared, f"README.md:{number} {name}"
        elif value.startswith("`"):
            if isinstance(declared, tuple):
                expected = ",".join(declared)
            elif isinstance(declared, bool):
                expected = str(declared).lower()
            else:
                expected = str(declared)
            assert literal == expected, f"README.md:{number} {name}"
        else:  # "none", "—", "temp dir": documented as unset
            assert declared in (None, ()), f"README.md:{number} {name}"
        checked += 1
    assert checked >= 20
