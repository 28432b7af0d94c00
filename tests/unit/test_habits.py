"""The code habits CI enforces, run first (tests/conftest.py puts them at the front): ruff,
mypy (strict, configured in pyproject.toml) on server/, and TypeScript's checker over the
browser's plain ES modules and their JSDoc types (web/js; pinned in .ci/js)."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import REPO, need

JS_TOOLS = REPO / ".ci" / "js"


def _run(*command: str, timeout: float = 600) -> None:
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}"


def test_ruff_is_clean() -> None:
    _run(sys.executable, "-m", "ruff", "check", "server", "tests", "bench")


def test_mypy_is_clean() -> None:
    _run(sys.executable, "-m", "mypy")  # files and strictness: [tool.mypy] in pyproject.toml


def test_web_js_type_checks() -> None:
    npm = shutil.which("npm")
    need(npm is not None and shutil.which("node") is not None,
         "node and npm are needed to type-check web/js")
    assert npm is not None
    if not (JS_TOOLS / "node_modules" / ".bin" / "tsc").exists():
        # Exactly the versions (and hashes) in package-lock.json.
        _run(npm, "ci", "--prefix", str(JS_TOOLS), "--no-audit", "--no-fund")
    _run(str(JS_TOOLS / "node_modules" / ".bin" / "tsc"), "-p", str(JS_TOOLS / "tsconfig.json"))
