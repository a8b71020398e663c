#!/usr/bin/env bash
# Crawl benchmark: Preflight's engine vs lychee on a generated 1,000-page loopback site.
# Installs the pinned lychee from crates.io when missing. Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
LYCHEE_VERSION=0.24.2
if [[ "$(lychee --version 2>/dev/null || true)" != "lychee $LYCHEE_VERSION" ]]; then
  echo "[bench] installing lychee $LYCHEE_VERSION (about 10 minutes, once)" >&2
  cargo install lychee --version "$LYCHEE_VERSION" --locked
fi
cargo bench -p preflight-engine --bench crawl
