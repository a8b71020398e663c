#!/usr/bin/env bash
# Builds Preflight without cargo-leptos (see BUILD-NOTES: it downloads tools at build time):
#   1. the WASM frontend, cut into a main module and per-page chunks (tools/wasm-split),
#   2. JS glue with the wasm-bindgen CLI (exactly Cargo.lock's version), 3. (release) wasm-opt
#   from npm's binaryen, 4. the stylesheet, 5. pre-compressed copies, 6. the server binary.
# Usage: scripts/build.sh [--release] [--no-server]
#   --no-server  only the web assets (the test command lets `cargo test` build the server,
#                with the workspace's feature set, instead of compiling it twice)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=debug
SERVER=1
for arg in "$@"; do
  case $arg in
    --release) PROFILE=release ;;
    --no-server) SERVER= ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
SITE=target/site
PKG=$SITE/pkg
mkdir -p "$PKG"

# The frontend is linked with relocations kept, so that it can be cut at its split points
# (the app's lazy routes): each page's code becomes a chunk loaded when the page is first
# visited. (Target-specific flags add to .cargo/config.toml's; RUSTFLAGS would replace them.)
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Clink-arg=--emit-relocs"
if [[ $PROFILE == release ]]; then
  cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
  WASM=target/wasm32-unknown-unknown/wasm-release/frontend.wasm
else
  cargo build -p frontend --lib --target wasm32-unknown-unknown
  WASM=target/wasm32-unknown-unknown/debug/frontend.wasm
fi
# The splitter (tools/wasm-split: the wasm_split_cli_support library cargo-leptos uses, pinned
# in its own lock file) writes the chunks, their loader and the preload manifest into pkg/,
# and the main module for wasm-bindgen.
cargo build --release --locked --quiet --manifest-path tools/wasm-split/Cargo.toml --target-dir target/tools
rm -rf "$PKG"/split_*.wasm* "$PKG"/chunk_*.wasm* "$PKG"/__wasm_split* "$PKG"/preflight_bg.wasm* "$PKG"/preflight.js* "$PKG"/snippets
find "$PKG" -maxdepth 1 -type l -delete  # links to pkg/<version> made by earlier builds
MAIN=target/wasm-split/$PROFILE/main.wasm
mkdir -p "$(dirname "$MAIN")"
target/tools/release/preflight-wasm-split "$WASM" "$PKG" "$MAIN"
BINDGEN_FLAGS=(--keep-lld-exports --no-demangle)
[[ $PROFILE == release ]] && BINDGEN_FLAGS+=(--remove-name-section --remove-producers-section)
wasm-bindgen --target web --no-typescript "${BINDGEN_FLAGS[@]}" --out-dir "$PKG" --out-name preflight "$MAIN"
if [[ $PROFILE == release ]]; then
  for f in "$PKG"/preflight_bg.wasm "$PKG"/split_*.wasm "$PKG"/chunk_*.wasm; do
    [[ -e $f ]] || continue
    scripts/wasm-opt.sh "$f" "$f.opt"
    mv "$f.opt" "$f"
  done
fi
cp style/main.css "$PKG/preflight.css"
# Pre-compressed copies, served as-is to browsers that accept brotli or gzip. Brotli's best
# level takes ~35 s on a debug WASM (14 MB) and ~4 s on a release one: debug builds use 6.
BROTLI_LEVEL=6
[[ $PROFILE == release ]] && BROTLI_LEVEL=11
for f in "$PKG"/*.wasm "$PKG"/*.js "$PKG"/preflight.css; do
  gzip -9 -k -f "$f"
  if command -v brotli >/dev/null; then
    brotli -q "$BROTLI_LEVEL" -k -f "$f"
  else
    rm -f "$f.br"
    echo "brotli is not installed: only gzip copies (scripts/setup.sh installs it)" >&2
  fi
done
if [[ -n $SERVER ]]; then
  if [[ $PROFILE == release ]]; then
    cargo build -p server --release
  else
    cargo build -p server
  fi
fi
echo "built: $(ls -l "$PKG"/preflight_bg.wasm | awk '{print $5}') bytes of main WASM and $(cat "$PKG"/split_*.wasm "$PKG"/chunk_*.wasm 2>/dev/null | wc -c) in $(ls "$PKG"/split_*.wasm "$PKG"/chunk_*.wasm 2>/dev/null | wc -l) chunks ($PROFILE)" >&2
