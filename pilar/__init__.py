"""Pilar: the social-pillar information system of a city social-affairs office."""

# The release, as shown in the page footer, the API and a backup's manifest. Kept equal to
# `version` in pyproject.toml (pilar/core/tests/test_version.py checks it).
__version__ = "0.22.0"
