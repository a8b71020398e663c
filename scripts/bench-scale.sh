#!/usr/bin/env bash
# Builds a release and runs the check-worker scale benchmark (see server/benches/scale.rs):
# 40 fixture sites × 4 viewports done by 1, 2 and 4 `preflight worker` processes on a
# throwaway PostgreSQL, runs per minute each. SCALE_SITES (40) and SCALE_WORKERS ("1,2,4")
# adjust it. Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --release
scripts/build.sh --release
source scripts/throwaway-postgres.sh
start_throwaway_postgres
cargo bench -p server --bench scale
