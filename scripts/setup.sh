#!/usr/bin/env bash
# Install what a fresh Debian machine lacks for Pilar, into a virtual environment at .venv.
#   scripts/setup.sh          the application (for the demo)
#   scripts/setup.sh --test   also the test tools and system packages for browser/PostgreSQL tests
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ "$want_test" = 1 ]; then
  command -v chromium >/dev/null || need_apt+=(chromium chromium-driver)
  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need_apt+=(postgresql)
  command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
  # The bank transfer XLSX is checked by opening it in LibreOffice, as a bank's clerk would.
  command -v soffice >/dev/null || need_apt+=(libreoffice-calc-nogui)
  command -v msgfmt >/dev/null || need_apt+=(gettext)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
  # A certificate's printed QR code is read back by a real decoder before Chromium opens it.
  command -v zbarimg >/dev/null || need_apt+=(zbar-tools)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "Missing Debian packages: ${need_apt[*]}"
    echo "Install them with: sudo apt-get install -y ${need_apt[*]}"
    exit 1
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
# Exactly the versions in the lock file, each checked against its hash (requirements/README.md
# says how to update them); then Pilar itself, whose dependencies are already there.
lock=requirements/app.txt
[ "$want_test" = 1 ] && lock=requirements/test.txt
pip_install() {
  .venv/bin/python -m pip install -q --disable-pip-version-check "$@" 2>&1 \
    | { grep -v "^WARNING: Location" || true; }
  return "${PIPESTATUS[0]}"
}
pip_install --require-hashes -r "$lock"
pip_install --no-deps --no-build-isolation -e .
.venv/bin/python -c "import pilar, django; print('Pilar ready on Django', django.get_version())"
