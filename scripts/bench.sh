#!/usr/bin/env bash
# Builds a release and runs the foundation load benchmark (see server/benches/load.rs), on
# SQLite and on PostgreSQL.
# BENCH_CLIENTS (100) and BENCH_SECONDS (30) adjust it. Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --release
scripts/build.sh --release
# The tick benchmark runs on SQLite and, in the same run, on a throwaway PostgreSQL.
source scripts/throwaway-postgres.sh
start_throwaway_postgres
cargo bench -p server --bench load
