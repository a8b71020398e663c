#!/usr/bin/env bash
# Screenshot benchmark: Preflight's browser checks vs a plain puppeteer-core script, both
# driving the system Chromium, on a 20-page loopback site at the four default viewports.
# Installs the pinned puppeteer-core (tools/bench) when missing. Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d tools/bench/node_modules/puppeteer-core ]]; then
  echo "[bench] installing puppeteer-core (pinned in tools/bench/package-lock.json)" >&2
  (cd tools/bench && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
cargo bench -p preflight-browser --bench screenshots
