"""Supply chain: the pinned lock covers what pyproject.toml declares, and pip-audit finds no
known vulnerability in it.

pip-audit asks PyPI's JSON API (https://pypi.org/pypi/<name>/<version>/json) about each pin.
Where that per-version API does not answer (this workplace's package mirror serves only the
project-level document), the audit falls back to what the project-level document does say:
the known vulnerabilities of each project's latest release. A pin that is the latest release
is then fully checked; older pins are listed as unverified, never silently passed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version

import pytest
import requests
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import IN_CI, REPO, need

LOCK = REPO / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)", re.M)


def pins() -> dict[str, Version]:
    return {canonicalize_name(n): Version(v) for n, v in PIN.findall(LOCK.read_text())}


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in
            [*project["dependencies"], *project["optional-dependencies"]["test"]]]


def test_lock_pins_every_declared_dependency_within_its_floor() -> None:
    locked = pins()
    assert locked, f"no pins in {LOCK}"
    for req in declared():
        name = canonicalize_name(req.name)
        assert name in locked, f"{req} is declared in pyproject.toml but not in the lock"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"the lock pins {name}=={locked[name]}, outside {req}: re-lock (see its header)")
    for line in LOCK.read_text().splitlines():
        if line and not line.startswith("#") and not line.startswith(" "):
            assert PIN.match(line), f"not an exact pin in the lock: {line!r}"


def pip_audit_service_answers() -> str | None:
    """None when PyPI's per-version JSON API answers (what pip-audit queries), else why not."""
    try:
        probe = f"https://pypi.org/pypi/pip-audit/{version('pip-audit')}/json"
        r = requests.get(probe, timeout=10)
    except requests.RequestException as exc:
        return f"PyPI's JSON API cannot be reached ({type(exc).__name__})"
    if r.status_code != 200 or "vulnerabilities" not in r.json():
        return f"PyPI's JSON API does not answer per-version queries ({probe}: {r.status_code})"
    return None


def test_pip_audit_finds_no_known_vulnerability() -> None:
    need(importlib.util.find_spec("pip_audit") is not None,
         "pip-audit is not installed (pip install -e '.[test]')")
    why_not = pip_audit_service_answers()
    if why_not is not None:
        audit_latest_releases(why_not)
        return
    done = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-r", str(LOCK), "--no-deps", "--disable-pip",
         "--strict", "--format", "json", "--progress-spinner", "off"],
        capture_output=True, text=True, timeout=300, cwd=REPO)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pip-audit failed (exit {done.returncode}): {done.stderr[-3000:]}")
    deps = report["dependencies"]
    found = {d["name"]: [v["id"] for v in d.get("vulns", [])] for d in deps if d.get("vulns")}
    skipped = {d["name"]: d.get("skip_reason") for d in deps if d.get("skip_reason")}
    print(f"\n[pip-audit] {len(deps)} pinned packages audited; vulnerable: {found or 'none'}"
          f"; not audited: {skipped or 'none'}")
    assert not found, f"known vulnerabilities: {found}; raise the floor in pyproject.toml"
    assert done.returncode == 0, f"pip-audit --strict: {skipped} {done.stderr[-2000:]}"


def audit_latest_releases(why_not: str) -> None:
    """Fallback when pip-audit's service is out of reach: PyPI's project-level document lists
    the vulnerabilities of the latest release; check every pin that is that release."""
    found: dict[str, list[str]] = {}
    unverified: dict[str, str] = {}
    unreachable = 0
    for name, pinned in pins().items():
        try:
            doc = requests.get(f"https://pypi.org/pypi/{name}/json", timeout=10)
        except requests.RequestException:
            unreachable += 1
            continue
        if doc.status_code != 200:
            unreachable += 1
            continue
        body = doc.json()
        if Version(body["info"]["version"]) != pinned:
            unverified[name] = f"{pinned} (latest {body['info']['version']})"
            continue
        vulns = [v.get("id", "?") for v in body.get("vulnerabilities") or []]
        if vulns:
            found[name] = vulns
    if unreachable == len(pins()):
        if IN_CI:
            pytest.fail(f"CI=true but PyPI cannot be reached at all: {why_not}")
        pytest.skip(f"PyPI cannot be reached: {why_not}")
    print(f"\n[supply chain] pip-audit's service is unavailable ({why_not}); checked "
          f"{len(pins()) - len(unverified) - unreachable} latest-release pins, "
          f"vulnerable: {found or 'none'}; unverified older pins: {unverified or 'none'}")
    assert not found, f"known vulnerabilities: {found}; raise the floor in pyproject.toml"
