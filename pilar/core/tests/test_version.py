import tomllib
from pathlib import Path

import pilar


def test_the_release_number_is_the_same_in_the_code_and_the_package():
    project = tomllib.loads((Path(pilar.__file__).parent.parent / "pyproject.toml").read_text())
    assert project["project"]["version"] == pilar.__version__
