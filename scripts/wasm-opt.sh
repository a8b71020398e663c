#!/usr/bin/env bash
# The release WASM optimisation, in one place for scripts/build.sh (the app) and
# scripts/bench-web.sh (the Leptos floor it is compared with): wasm-opt from npm's binaryen
# (pinned in tools/package.json; scripts/setup.sh --release installs it), size-first, with the
# WASM features the Rust target emits.
# Usage: scripts/wasm-opt.sh IN.wasm OUT.wasm
set -euo pipefail
WASM_OPT="$(dirname "$0")/../tools/node_modules/.bin/wasm-opt"
[[ -x $WASM_OPT ]] || { echo "wasm-opt is missing: run scripts/setup.sh --release (it installs npm's binaryen, pinned)" >&2; exit 1; }
exec "$WASM_OPT" -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types -o "$2" "$1"
