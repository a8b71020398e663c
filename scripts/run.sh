#!/usr/bin/env bash
# Sets up what is missing, builds a release and starts Preflight.
# Data (the SQLite file) goes to ./data unless PREFLIGHT_DATA_DIR or --data-dir says otherwise.
# Extra arguments go to `preflight serve`, e.g. scripts/run.sh --listen 0.0.0.0:3000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --release
scripts/build.sh --release
# glibc keeps freed memory in one arena per thread and raises its mmap threshold as it goes;
# a crawl of huge pages then stays at ~1.8 GB resident instead of ~0.5 GB (measured by
# server/engine/tests/memory.rs). Two arenas and a fixed threshold give big bodies back.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
exec target/release/preflight serve --site-root target/site "$@"
