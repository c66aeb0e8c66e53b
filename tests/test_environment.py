"""The pinned pip lock, environment.yml and pyproject.toml agree."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import PROJECT_ROOT

# conda-forge names that differ from PyPI names
CONDA_TO_PIP = {
    "pyyaml": "pyyaml",
    "jupyter_client": "jupyter-client",
    "websocket-client": "websocket-client",
    "python-duckdb": "duckdb",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assert "==" in line, f"requirements.lock: {line!r} is not pinned with =="
        name, ver = line.split("==", 1)
        pins[_norm(name)] = ver
    return pins


def _conda() -> dict[str, str]:
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            assert dep.get("pip") == ["-e ."], (
                "environment.yml must install the package itself with pip"
            )
            continue
        name, _, ver = dep.partition("=")
        pins[_norm(CONDA_TO_PIP.get(name, name))] = ver
    return pins


def test_environment_yml_matches_lock():
    lock, conda = _lock(), _conda()
    assert conda.pop("python") == "3.11"
    conda.pop("pip")
    mismatched = {n: (v, lock.get(n)) for n, v in conda.items() if lock.get(n) != v}
    assert not mismatched, f"environment.yml pins differ from requirements.lock: {mismatched}"


def test_every_runtime_dependency_is_pinned_in_both():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    lock, conda = _lock(), _conda()
    for dep in deps:
        name = _norm(re.split(r"[<>=!~\[ ]", dep, maxsplit=1)[0])
        assert name in lock, f"{name} (pyproject) is not in requirements.lock"
        assert name in conda, f"{name} (pyproject) is not in environment.yml"


def test_python_requirement():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"]["wmp-analysis"] == "wmp_analysis.cli:main"
