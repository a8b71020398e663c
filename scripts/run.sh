#!/usr/bin/env bash
# Sets up what is missing, builds a release and starts Preflight.
# Data (the SQLite file) goes to ./data unless PREFLIGHT_DATA_DIR or --data-dir says otherwise.
# Extra arguments go to `preflight serve`, e.g. scripts/run.sh --listen 0.0.0.0:3000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --release
scripts/build.sh --release
exec target/release/preflight serve --site-root target/site "$@"
