//! Builds axe-core into the binary: the accessibility engine of the `a11y-*` checks comes from
//! npm, pinned in `axe/package.json` and installed by `scripts/setup.sh` (`npm ci` in
//! `server/browser/axe`). Nothing is downloaded when the checks run.

use std::{env, fs, path::PathBuf, process::exit};

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let axe = root.join("axe/node_modules/axe-core");
    let js = axe.join("axe.min.js");
    println!("cargo:rerun-if-changed=axe/package.json");
    println!("cargo:rerun-if-changed={}", js.display());
    let pinned = version_of(&root.join("axe/package.json"), "\"axe-core\"");
    let installed = fs::metadata(&js).is_ok().then(|| version_of(&axe.join("package.json"), "\"version\"")).flatten();
    match (pinned, installed) {
        (Some(p), Some(i)) if p == i => {
            println!("cargo:rustc-env=PREFLIGHT_AXE_JS={}", js.display());
            println!("cargo:rustc-env=PREFLIGHT_AXE_LICENSE={}", axe.join("LICENSE").display());
            println!("cargo:rustc-env=PREFLIGHT_AXE_VERSION={i}");
        }
        (p, i) => {
            eprintln!(
                "axe-core {} is needed to build Preflight's accessibility checks, found {}: run scripts/setup.sh \
                 (or: cd server/browser/axe && npm ci)",
                p.as_deref().unwrap_or("(see server/browser/axe/package.json)"),
                i.as_deref().unwrap_or("none"),
            );
            exit(1);
        }
    }
}

/// The first `"key": "x.y.z"` value in a package.json (no JSON parser in a build script).
fn version_of(path: &PathBuf, key: &str) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let rest = &text[text.find(key)? + key.len()..];
    let start = rest.find('"')? + 1;
    let len = rest[start..].find('"')?;
    Some(rest[start..start + len].to_string())
}
