#!/usr/bin/env bash
# Regenerate the lock files from pyproject.toml with pip-tools (pip-compile), hashes included:
#   requirements/app.txt   what the application needs (scripts/setup.sh, production)
#   requirements/test.txt  that plus the test tools (scripts/setup.sh --test, CI)
# Run after changing a dependency in pyproject.toml; add --upgrade to move every pin to the
# newest release the bounds allow (then run `make test` before committing). pip-tools lives in a
# throwaway virtual environment, not in the project's.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d -t pilar-lock.XXXXXX)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install -q --disable-pip-version-check "pip-tools>=7.4,<8"
common=(--quiet --generate-hashes --allow-unsafe --all-build-deps --strip-extras
        --no-emit-index-url --no-emit-find-links "$@")
"$tools/bin/pip-compile" "${common[@]}" --output-file requirements/app.txt pyproject.toml
"$tools/bin/pip-compile" "${common[@]}" --extra test --output-file requirements/test.txt pyproject.toml
echo "requirements/app.txt: $(grep -c '==' requirements/app.txt) pins;" \
     "requirements/test.txt: $(grep -c '==' requirements/test.txt) pins"
