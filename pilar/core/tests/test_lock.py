"""The lock files (requirements/README.md): every dependency pinned with its hashes, within the
bounds pyproject.toml gives, and the environment the tests run in installed from them."""

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+) \\$")


def pins(name: str) -> dict[str, tuple[str, int]]:
    """{package: (version, number of hashes)} of requirements/NAME."""
    found: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            found[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            pinned, hashes = found[current]
            found[current] = (pinned, hashes + 1)
        elif not line.startswith(" "):
            current = None
    return found


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [
        ("app.txt", PROJECT["dependencies"]),
        ("test.txt", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]),
    ],
)
def test_every_dependency_is_pinned_within_its_bounds_with_hashes(lock, wanted):
    locked = pins(lock)
    assert locked, f"requirements/{lock} pins nothing"
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is missing from requirements/{lock}"
        pinned, _ = locked[name]
        assert requirement.specifier.contains(pinned, prereleases=True), (
            f"requirements/{lock} pins {requirement.name}=={pinned}, "
            f"outside {requirement.specifier}"
        )
    unhashed = [name for name, (_, hashes) in locked.items() if hashes == 0]
    assert not unhashed, f"pinned without a hash: {unhashed}"


def test_the_environment_running_the_tests_was_installed_from_the_lock():
    wrong = {}
    for name, (pinned, _) in pins("test.txt").items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if name in {"setuptools", "pip"}:
            continue
        if installed != pinned:
            wrong[name] = (pinned, installed)
    assert not wrong, f"locked vs installed: {wrong}"
