#!/usr/bin/env bash
# Sets up what is missing and runs every test: unit, integration (router + database),
# CLI tests of the real binary, and end-to-end tests in real Chromium against the real server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/build.sh --no-server
# Formatting and lints are part of the tests (rustfmt.toml; clippy with warnings as errors,
# for the server side and for the WASM app).
cargo fmt --all --check
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
# The store, router and API tests run on SQLite and on PostgreSQL: a throwaway PostgreSQL
# server for them, removed when this script ends.
source scripts/throwaway-postgres.sh
start_throwaway_postgres
# End-to-end tests each start a server and a browser; two at a time fit the 2-core machines.
cargo test --workspace --exclude frontend --no-fail-fast -- --test-threads=2
