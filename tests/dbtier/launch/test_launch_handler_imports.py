"""The handler file deploys alone as a Lambda asset: standard library and boto3 only."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

from dbtier.launch import lambda_function

HANDLER = Path(lambda_function.__file__)
# botocore ships inside boto3 (and with it in the Lambda Python runtime).
ALLOWED_THIRD_PARTY = {"boto3", "botocore"}


def imported_top_level_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative imports do not survive packaging as one file"
            names.add(str(node.module).split(".")[0])
    return names


def test_handler_imports_only_the_standard_library_and_boto3() -> None:
    names = imported_top_level_names(ast.parse(HANDLER.read_text(encoding="utf-8")))

    outside = {
        n for n in names if n not in sys.stdlib_module_names and n not in ALLOWED_THIRD_PARTY
    }
    assert outside == set(), f"{HANDLER.name} imports {sorted(outside)}"
    assert "__future__" in names  # the parse saw the imports at all


def test_the_file_alone_imports_and_loads_no_project_module(tmp_path: Path) -> None:
    shutil.copy(HANDLER, tmp_path / "lambda_function.py")
    probe = (
        "import sys, json; import lambda_function; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dbtier', 'nippo', 'structlog', 'pydantic', 'sqlalchemy'))))"
    )

    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(out.stdout) == []
