//! `preflight-wasm-split INPUT.wasm PKG_DIR MAIN_OUT.wasm`: cuts the frontend's WASM (linked
//! with `--emit-relocs`) at its split points — the app's lazy routes — into a main module
//! (`MAIN_OUT.wasm`, for wasm-bindgen) and chunks in `PKG_DIR`, with the JavaScript that loads
//! a chunk when its route is first visited (`__wasm_split.______________________.js`, the name
//! Leptos' hydration scripts expect) and the manifest Leptos reads to preload a page's chunks
//! (`__wasm_split_manifest.json`).
//!
//! This is what cargo-leptos does with `--split`; cargo-leptos itself cannot be used here (it
//! downloads tools while building).

use std::path::PathBuf;
use std::process::ExitCode;

use wasm_split_cli_support::{transform, Options};

/// The loader's module name: Leptos' `HydrationScripts` names this file.
const LINK_NAME: &str = "./__wasm_split.______________________.js";
/// The wasm-bindgen glue of the main module (`--out-name preflight`), whose `initSync` the
/// loader calls to share the main module's memory and table with each chunk.
const MAIN_MODULE: &str = "./preflight.js";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, pkg, main_out] = args.as_slice() else {
        eprintln!("usage: preflight-wasm-split INPUT.wasm PKG_DIR MAIN_OUT.wasm");
        return ExitCode::from(2);
    };
    match run(input.into(), pkg.into(), main_out.into()) {
        Ok(n) => {
            eprintln!("split the WASM into a main module and {n} chunks");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("preflight-wasm-split: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(input: PathBuf, pkg: PathBuf, main_out: PathBuf) -> Result<usize, String> {
    let bytes = std::fs::read(&input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let mut opts = Options::new(&bytes);
    opts.output_dir = &pkg;
    opts.main_out_path = &main_out;
    opts.link_name = LINK_NAME;
    opts.main_module = MAIN_MODULE;
    let split = transform(opts).map_err(|e| format!("{e:#}"))?;
    let manifest = serde_json::to_string(&split.prefetch_map).map_err(|e| e.to_string())?;
    let path = pkg.join("__wasm_split_manifest.json");
    std::fs::write(&path, manifest).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(split.split_modules.len())
}
