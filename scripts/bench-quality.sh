#!/usr/bin/env bash
# Page quality side by side: Lighthouse 12 (npm, pinned in tools/lighthouse12; the system
# Chromium) and Preflight on the same fixture site (server/browser/tests/corpus/a11y-site,
# served on 127.0.0.1). Prints, per page, the accessibility rules (axe ids) each reports, and
# the wall time for the whole site: Preflight at its four viewports in one run, Lighthouse at
# one (its mobile default) page by page. Fails when Lighthouse's accessibility category fails
# a rule Preflight did not report on that page.
# Usage: scripts/bench-quality.sh [--debug] [--keep DIR]
#   --debug     use target/debug/preflight (default: a release build, built when missing)
#   --keep DIR  keep Lighthouse's and Preflight's JSON reports in DIR
# Only 127.0.0.1 is contacted (besides npm for the first install).
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
CHROME=$(command -v chromium || true)
[[ -n $CHROME ]] || { echo "chromium is missing: run scripts/setup.sh" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is missing: run scripts/setup.sh --test" >&2; exit 1; }
if [[ ! -x tools/lighthouse12/node_modules/.bin/lighthouse ]]; then
  echo "[bench-quality] installing Lighthouse 12.8.2 (pinned in tools/lighthouse12/package-lock.json)" >&2
  (cd tools/lighthouse12 && npm ci --no-audit --no-fund --silent)
fi
BIN=target/$PROFILE/preflight
if [[ $PROFILE == release ]]; then cargo build -p server --release --quiet; else cargo build -p server --quiet; fi

OUT=${KEEP:-$(mktemp -d)}
mkdir -p "$OUT"
[[ -n $KEEP ]] || trap 'rm -rf "$OUT"' EXIT
SITE=server/browser/tests/corpus/a11y-site
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$SITE" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; [[ -n "$KEEP" ]] || rm -rf "$OUT"' EXIT
BASE=http://127.0.0.1:$PORT
for _ in $(seq 50); do curl -fs "$BASE/" >/dev/null && break; sleep 0.1; done
PAGES=$(cd "$SITE" && ls *.html | sort)

now() { date +%s.%N; }
t0=$(now)
"$BIN" check "$BASE/" --no-dns --browser --fail-on never --quiet --format json --max-pages 50 > "$OUT/preflight.json" 2>"$OUT/preflight.log" \
  || { echo "preflight failed:" >&2; tail -5 "$OUT/preflight.log" >&2; exit 1; }
t1=$(now)
for page in $PAGES; do
  CHROME_PATH=$CHROME tools/lighthouse12/node_modules/.bin/lighthouse "$BASE/$page" --quiet --output=json \
    --output-path="$OUT/lighthouse-${page%.html}.json" --only-categories=accessibility,performance \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" >/dev/null 2>"$OUT/lighthouse-${page%.html}.log" \
    || { echo "lighthouse failed on $page:" >&2; tail -5 "$OUT/lighthouse-${page%.html}.log" >&2; exit 1; }
done
t2=$(now)

python3 - "$OUT" "$BASE" "$t0" "$t1" "$t2" $PAGES <<'PY'
import json, sys, os
out, base, t0, t1, t2, pages = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:6]), sys.argv[6:]
pf = json.load(open(os.path.join(out, 'preflight.json')))
by_page = {}
for f in pf['findings']:
    if f['check'].startswith('a11y-'):
        path = '/' + f['url'].split('/', 3)[3] if f['url'].count('/') >= 3 else '/'
        by_page.setdefault(path, set()).add(f['check'][5:])
missing = []
print("Accessibility rules reported, per page (Lighthouse 12: its accessibility category's failed audits; Preflight: a11y-* findings at any viewport)")
for page in pages:
    lh = json.load(open(os.path.join(out, f"lighthouse-{page[:-5]}.json")))
    refs = [r['id'] for r in lh['categories']['accessibility']['auditRefs']]
    failed = sorted(a for a in refs if lh['audits'][a]['score'] == 0 and lh['audits'][a]['scoreDisplayMode'] == 'binary')
    path = '/' + page if page != 'index.html' else '/'
    ours = sorted(by_page.get(path, set()) | (by_page.get('/index.html', set()) if page == 'index.html' else set()))
    gap = [a for a in failed if a not in ours]
    missing += [f"{page}: {a}" for a in gap]
    mark = '' if not gap else '   <- missing in Preflight: ' + ', '.join(gap)
    print(f"{page}\n  Lighthouse 12: {', '.join(failed) or '—'}\n  Preflight:     {', '.join(ours) or '—'}{mark}")
views = len(pf.get('screenshots', [])) or None
print()
print(f"wall time, whole site ({len(pages)} pages): Preflight {t1 - t0:.1f} s at four viewports "
      f"(every check, one run) · Lighthouse {t2 - t1:.1f} s at one viewport (accessibility + performance, page by page)")
if missing:
    print("Preflight missed what Lighthouse failed: " + "; ".join(missing))
    sys.exit(1)
print("Preflight reported every rule Lighthouse's accessibility category failed.")
PY
