#!/usr/bin/env bash
# Installs what Preflight needs and is missing, on Debian 12 (as root it installs system
# packages itself; otherwise it says exactly what to install). Versions are pinned.
#   scripts/setup.sh            what the app and its tests need
#   scripts/setup.sh --release  also wasm-opt (npm binaryen, pinned in tools/package.json)
#   scripts/setup.sh --test     also what the tests use: the report-schema validators (xmllint,
#                               Python's jsonschema 4.26.0) and the real frameworks the detectors
#                               are proven on (Django 5.2.8 + debug toolbar 8.0.0, Flask 3.1.3,
#                               Starlette 1.10.0 + uvicorn 0.54.0, Express 5.3.0, Debian's PHP 8.2)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }
is_root() { [[ $(id -u) == 0 ]]; }
APT_UPDATED=
apt_install() {
  if is_root && command -v apt-get >/dev/null; then
    [[ -n $APT_UPDATED ]] || { say "apt-get update"; apt-get update -qq; APT_UPDATED=1; }
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    die "please install: sudo apt-get install $* — then run this command again"
  fi
}

# 1. Rust toolchain and the WASM target.
command -v cargo >/dev/null || die "Rust is missing: install it from rustup (https://rustup.rs), then run this again"
command -v cc >/dev/null || apt_install build-essential
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# The test command checks formatting and lints too.
if [[ ${1:-} == --test ]]; then
  for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
      say "adding the $component component"
      rustup component add "$component"
    fi
  done
fi

# 2. wasm-bindgen CLI: exactly the version in Cargo.lock (a mismatch breaks the build).
WB_VERSION=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
[[ -n $WB_VERSION ]] || die "could not read the wasm-bindgen version from Cargo.lock"
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WB_VERSION" ]]; then
  say "installing wasm-bindgen-cli $WB_VERSION (about 3 minutes, once)"
  # Not --locked: its lock file pins a crate the registry no longer has (see BUILD-NOTES).
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --quiet
fi

# 3. Chromium: the system browser, for browser checks and end-to-end tests.
if ! command -v chromium >/dev/null && [[ -z ${CHROMIUM:-} ]]; then
  apt_install chromium
fi

# Brotli for the pre-compressed web assets (smaller than gzip; browsers ask for it over HTTPS).
command -v brotli >/dev/null || apt_install brotli

# axe-core (npm, pinned in server/browser/axe): the accessibility checks build it into the binary.
AXE_VERSION=$(sed -n 's/.*"axe-core": "\([^"]*\)".*/\1/p' server/browser/axe/package.json)
if [[ "$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' server/browser/axe/node_modules/axe-core/package.json 2>/dev/null)" != "$AXE_VERSION" ]]; then
  command -v npm >/dev/null || apt_install nodejs npm
  say "installing axe-core $AXE_VERSION from npm (the accessibility checks' engine, built into Preflight)"
  (cd server/browser/axe && npm ci --no-audit --no-fund --silent)
fi

# 4. Release builds: wasm-opt from npm (pinned), which needs Node.js.
if [[ ${1:-} == --release ]]; then
  command -v npm >/dev/null || apt_install nodejs npm
  if [[ "$(tools/node_modules/.bin/wasm-opt --version 2>/dev/null || true)" != *"version 132"* ]]; then
    say "installing binaryen 132.0.0 (wasm-opt) from npm"
    (cd tools && npm ci --no-audit --no-fund --silent)
  fi
fi
# 5. Tests: the validators of the report formats (SARIF JSON Schema, JUnit XSD).
if [[ ${1:-} == --test ]]; then
  command -v xmllint >/dev/null || apt_install libxml2-utils
  # pdftotext reads the printed launch report back (PDF export tests).
  command -v pdftotext >/dev/null || apt_install poppler-utils
  # A throwaway PostgreSQL server for the tests that run on both databases.
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || apt_install postgresql-15
  command -v python3 >/dev/null || apt_install python3
  pip_user() {
    # Debian's own Python refuses user installs into it (PEP 668); the flag is for that case.
    python3 -m pip install --quiet --user "$@" 2>/dev/null || python3 -m pip install --quiet --user --break-system-packages "$@"
  }
  if ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip
  fi
  if ! python3 -c 'import jsonschema' 2>/dev/null; then
    say "installing Python's jsonschema 4.26.0 (validates SARIF in the tests)"
    pip_user jsonschema==4.26.0
  fi
  # The real frameworks the debug-page detectors are proven on (server/engine/tests/frameworks.rs).
  if ! python3 -c 'import django, sys; sys.exit(django.get_version() != "5.2.8")' 2>/dev/null; then
    say "installing Django 5.2.8 (the framework corpus tests run it)"
    pip_user django==5.2.8 asgiref==3.13.0 sqlparse==0.6.1
  fi
  if ! python3 -c 'import sys, importlib.metadata as m; sys.exit(m.version("werkzeug") != "3.1.9" or m.version("flask") != "3.1.3")' 2>/dev/null; then
    say "installing Flask 3.1.3 with Werkzeug 3.1.9 (the framework corpus tests run its debugger)"
    pip_user flask==3.1.3 werkzeug==3.1.9 blinker==1.9.0 click==8.5.1 itsdangerous==2.2.0 jinja2==3.1.6 markupsafe==3.0.4
  fi
  if ! python3 -c 'import sys, importlib.metadata as m; sys.exit(m.version("django-debug-toolbar") != "8.0.0")' 2>/dev/null; then
    say "installing django-debug-toolbar 8.0.0 (the framework corpus tests run it)"
    pip_user django-debug-toolbar==8.0.0
  fi
  if ! python3 -c 'import sys, importlib.metadata as m; sys.exit(m.version("starlette") != "1.10.0" or m.version("uvicorn") != "0.54.0")' 2>/dev/null; then
    say "installing Starlette 1.10.0 with uvicorn 0.54.0 (the framework corpus tests run its debug page)"
    pip_user starlette==1.10.0 anyio==4.16.0 idna==3.13 typing_extensions==4.16.0 uvicorn==0.54.0 h11==0.16.0 click==8.5.1
  fi
  # Debian 12's PHP (8.2): its built-in server with display_errors on and off.
  command -v php >/dev/null || apt_install php8.2-cli
  if [[ ! -f server/browser/tests/corpus/analytics/node_modules/@plausible-analytics/tracker/plausible.js ]]; then
    command -v npm >/dev/null || apt_install nodejs npm
    say "installing Plausible's tracker 0.4.6 from npm (the browser tests confirm analytics with it)"
    (cd server/browser/tests/corpus/analytics && npm ci --no-audit --no-fund --silent)
  fi
  if [[ ! -d server/engine/tests/corpus/express/node_modules/express ]]; then
    command -v npm >/dev/null || apt_install nodejs npm
    say "installing Express 5.3.0 from npm (pinned in server/engine/tests/corpus/express)"
    (cd server/engine/tests/corpus/express && npm ci --no-audit --no-fund --silent)
  fi
fi
say "ready"
