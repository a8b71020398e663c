#!/usr/bin/env bash
# The app's own weight and Lighthouse scores: builds the release site, starts Preflight on a
# loopback port with a throwaway data folder, makes a project, a finished check run and a
# client review link, then runs Lighthouse (npm, pinned in tools/lighthouse; the system
# Chromium) on the checklist, run and share pages. Prints per page the compressed transfer of
# WASM, JavaScript and CSS on a first load, and the performance and accessibility scores.
# Only 127.0.0.1 is contacted (besides npm for the first install).
# Usage: scripts/bench-web.sh [--debug] [--keep DIR]
#   --debug      the debug build, quicker, not for budgets
#   --keep DIR   keep Lighthouse's JSON reports (<page>.json) in DIR
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=release
KEEP=
while [[ $# -gt 0 ]]; do
  case $1 in
    --debug) PROFILE=debug ;;
    --keep) KEEP=${2:?--keep needs a folder}; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ ! -x tools/lighthouse/node_modules/.bin/lighthouse ]]; then
  echo "[bench-web] installing lighthouse (pinned in tools/lighthouse/package-lock.json)" >&2
  (cd tools/lighthouse && npm ci --no-audit --no-fund --silent)
fi
CHROME=${CHROMIUM:-$(command -v chromium || true)}
[[ -x $CHROME ]] || { echo "Chromium is missing: sudo apt-get install chromium" >&2; exit 1; }
if [[ $PROFILE == release ]]; then
  [[ -x tools/node_modules/.bin/wasm-opt ]] || scripts/setup.sh --release >&2
  scripts/build.sh --release >&2
else
  scripts/build.sh >&2
fi
BIN=target/$PROFILE/preflight
DATA=$(mktemp -d /tmp/preflight-bench-web.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
"$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" --site-root target/site --no-browser >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
PW="bench password 1"
printf '%s\n' "$PW" | "$BIN" --data-dir "$DATA" user add bench@example.test --name "Bench Owner" --role owner >/dev/null
TOKEN=$("$BIN" --data-dir "$DATA" token create bench@example.test --name bench | tail -1)
api() { curl -fsS -X "$1" "$BASE/api/v1$2" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
PID=$(api POST /projects "{\"name\":\"Bench\",\"client\":\"Bench Ltd\",\"launch_date\":\"2027-03-01\",\"environments\":[{\"name\":\"dev\",\"kind\":\"dev\",\"base_url\":\"$BASE/login\"}]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
RUN=$(api POST "/projects/$PID/runs" '{"environment":"dev"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 600); do
  STATUS=$(api GET "/runs/$RUN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  [[ $STATUS == passed || $STATUS == failed || $STATUS == interrupted ]] && break
  sleep 0.2
done
SHARE=$(api POST "/projects/$PID/share-links" '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"].split("/share/")[1])')
COOKIE=$(curl -fsS -o /dev/null -D - -X POST "$BASE/auth/login" -H "Origin: $BASE" --data-urlencode "email=bench@example.test" --data-urlencode "password=$PW" \
  | awk 'tolower($1) == "set-cookie:" { sub(/;.*/, "", $2); print $2; exit }' | tr -d '\r')
[[ -n $COOKIE ]] || { echo "could not sign in" >&2; exit 1; }
printf '%-10s %9s %9s %9s %9s %6s %6s %6s %6s %7s\n' page wasm_kB js_kB css_kB total_kB perf a11y fcp_s lcp_s tbt_ms
for page in "checklist /projects/$PID" "run /runs/$RUN" "share /share/$SHARE"; do
  set -- $page
  OUT="$DATA/$1.json"
  CHROME_PATH=$CHROME tools/lighthouse/node_modules/.bin/lighthouse "$BASE$2" --quiet --output=json --output-path="$OUT" \
    --only-categories=performance,accessibility --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
    --extra-headers="{\"Cookie\": \"$COOKIE\"}" >/dev/null 2>"$DATA/$1.log" || { echo "lighthouse failed on $2:" >&2; tail -5 "$DATA/$1.log" >&2; continue; }
  python3 - "$OUT" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
items = r["audits"]["network-requests"]["details"]["items"]
def kb(pred):
    return sum(i.get("transferSize", 0) for i in items if pred(i)) / 1024
wasm = kb(lambda i: i["url"].split("?")[0].endswith(".wasm"))
js = kb(lambda i: i.get("resourceType") == "Script")
css = kb(lambda i: i.get("resourceType") == "Stylesheet")
cats = r["categories"]
audit = lambda k: r["audits"][k].get("numericValue", 0)
print(f'{sys.argv[2]:<10} {wasm:9.1f} {js:9.1f} {css:9.1f} {wasm + js + css:9.1f} {cats["performance"]["score"] * 100:6.0f} {cats["accessibility"]["score"] * 100:6.0f}'
      f' {audit("first-contentful-paint") / 1000:6.1f} {audit("largest-contentful-paint") / 1000:6.1f} {audit("total-blocking-time"):7.0f}')
PY
  [[ -n $KEEP ]] && mkdir -p "$KEEP" && cp "$OUT" "$KEEP/"
done
if [[ $PROFILE == release ]]; then
  # The floor: same profile, wasm-bindgen, wasm-opt and brotli as scripts/build.sh (not split,
  # so linked without the relocations the splitter needs).
  cargo build --locked --quiet \
    --manifest-path tools/leptos-floor/Cargo.toml --target-dir target --lib --target wasm32-unknown-unknown --profile wasm-release
  FLOOR="$DATA/floor"
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir "$FLOOR" --out-name floor \
    target/wasm32-unknown-unknown/wasm-release/leptos_floor.wasm
  scripts/wasm-opt.sh "$FLOOR/floor_bg.wasm" "$FLOOR/floor.wasm"
  brotli -q 11 -k -f "$FLOOR/floor.wasm" "$FLOOR/floor.js"
  python3 - "$FLOOR" <<'PY'
import os, sys
kb = lambda f: os.path.getsize(os.path.join(sys.argv[1], f)) / 1024
wasm, js = kb("floor.wasm.br"), kb("floor.js.br")
print(f'{"floor":<10} {wasm:9.1f} {js:9.1f} {"-":>9} {wasm + js:9.1f}   (tools/leptos-floor: Leptos alone, brotli 11, not served)')
PY
fi
echo "(Lighthouse 13.5.0, default mobile profile with simulated throttling; transfer as the browser received it, compressed)" >&2
