"""The Bento: `bentoml build` packs only what the service runs on, and its image installs no dev tools.

Run as a script (``.venv/bin/python tests/serving/test_bento.py``) it writes ``requirements-serve.txt``
afresh, after pyproject.toml or constraints.txt changed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements-serve.txt"
DEV_TOOLS = {"pytest", "pytest-xdist", "filelock", "hypothesis", "ruff", "mypy"}
# What the service reads besides its Python modules (a Bento without them starts, then fails).
RUN_TIME_DATA = ("models/feature_spec.yaml", "models/policy.yaml")
PACKAGES = ("models", "register", "serving")
# Left out of the copy of the project that is built: the local stores, data and caches of a checkout.
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".venv-pin", "data", "reports", "mlartifacts", "mlruns",
                                     "bentoml-store", "mlflow.db", "avstand-log.db*", "__pycache__", "*.egg-info",
                                     ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            pins[canonicalize_name(line.split("==")[0])] = line.strip()
    return pins


def serve_requirements() -> str:
    """``requirements-serve.txt`` as it should read: pyproject.toml's runtime dependencies and all they need.

    The closure is taken from the installed distributions' metadata (markers evaluated for this Python and
    platform, the image's: docker.python_version in bentofile.yaml) and pinned to constraints.txt.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted: dict[str, set[str]] = {}  # distribution -> extras asked for
    todo = [Requirement(line) for line in project["dependencies"]]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in wanted and set(requirement.extras) <= wanted[name]:
            continue
        wanted[name] = wanted.get(name, set()) | set(requirement.extras)
        for line in metadata.requires(name) or []:
            dependency = Requirement(line)
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": extra})
                                                for extra in wanted[name] | {""}):
                todo.append(dependency)
    pins = _pins()
    unpinned = sorted(set(wanted) - set(pins))
    assert not unpinned, f"runtime distributions not pinned in constraints.txt: {unpinned} (make constraints)"
    lines = sorted((pins[name] for name in wanted), key=lambda line: line.split("==")[0].lower())  # as pip freeze
    return ("# The service's runtime dependencies (pyproject.toml) and what they need, at constraints.txt's versions:\n"
            "# what a Bento installs (bentofile.yaml). Written by `.venv/bin/python tests/serving/test_bento.py`.\n"
            + "".join(f"{line}\n" for line in lines))


def _names(requirements_text: str) -> set[str]:
    return {canonicalize_name(re.split(r"[=<>!~\[; @]", line.strip(), maxsplit=1)[0])
            for line in requirements_text.splitlines() if line.strip() and not line.lstrip().startswith(("#", "-"))}


def test_the_serving_requirements_are_the_runtime_closure_pinned_to_constraints():
    expected = serve_requirements()
    assert REQUIREMENTS.read_text(encoding="utf-8") == expected, (
        "requirements-serve.txt is out of step with pyproject.toml/constraints.txt: run "
        "`.venv/bin/python tests/serving/test_bento.py`")
    names = _names(expected)
    assert not names & DEV_TOOLS
    assert {"bentoml", "mlflow", "lightgbm", "alembic", "psycopg-binary"} <= names


def test_a_built_bento_holds_what_the_service_runs_on_and_no_stray_file(production_store, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=_NOT_COPIED)
    strays = ("serving/avstand-log.db", "serving/avstand-log.db-wal", "models/.env", "register/extract.parquet")
    for stray in strays:
        (project / stray).write_text("AVSTAND_DATABASE_URL=postgresql://svc:secret@db/avstand\n", encoding="utf-8")
    home = tmp_path / "bentoml-home"
    shutil.copytree(production_store["store"], home / "models")
    # Offline: any HTTP(S) attempt goes to a closed port, pip and uv may not use an index.
    env = production_store["env"] | {"BENTOML_HOME": str(home), "BENTOML_DO_NOT_TRACK": "true",
                                     "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
                                     "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                                     "NO_PROXY": "", "no_proxy": "", "PIP_NO_INDEX": "1", "UV_OFFLINE": "1"}
    built = subprocess.run([sys.executable, "-m", "bentoml", "build", "-f", "bentofile.yaml", "-o", "tag"],
                           cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    (bento,) = [p for p in (home / "bentos" / "avstand").iterdir() if p.is_dir()]
    src = bento / "src"
    packed = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()}

    assert not packed & set(strays)
    assert not [p for p in packed if re.search(r"(^|/)\.env|\.db(-\w+)?$|\.parquet$", p)]
    needed = {p.relative_to(project).as_posix() for package in PACKAGES for p in (project / package).rglob("*.py")
              if "__pycache__" not in p.parts}
    needed |= set(RUN_TIME_DATA) | {p.relative_to(project).as_posix() for p in project.glob("serving/pages/*")}
    assert needed <= packed, sorted(needed - packed)
    assert packed - needed == {"bentofile.yaml"}  # nothing else: no tests, training, audits, CLI, README

    requirements = (bento / "env" / "python" / "requirements.txt").read_text(encoding="utf-8")
    names = _names(requirements)
    assert not names & (DEV_TOOLS | {"iniconfig", "pluggy"}), sorted(names & DEV_TOOLS)
    assert f"bentoml=={metadata.version('bentoml')}" in requirements.splitlines()
    assert names == _names(serve_requirements())

    # The service imports from the Bento's sources alone (its spec file read at import included).
    code = ("import sys, serving.service; src = sys.argv[1]; "
            "print([m.__name__ for m in list(sys.modules.values()) if m.__name__.split('.')[0] in "
            f"{PACKAGES!r} and not (getattr(m, '__file__', None) or src).startswith(src)])")
    imported = subprocess.run([sys.executable, "-c", code, str(src)], cwd=src, env=env | {"PYTHONPATH": str(src)},
                              capture_output=True, text=True, timeout=120, check=False)
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert imported.stdout.strip() == "[]"


if __name__ == "__main__":
    REQUIREMENTS.write_text(serve_requirements(), encoding="utf-8")
    print(f"wrote {REQUIREMENTS}", file=sys.stderr)
