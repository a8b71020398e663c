//! The built web assets (`pkg/`: the WASM app and its per-page chunks, their JavaScript glue
//! and loader, the stylesheet) under
//! content-versioned URLs: `/pkg/<version>/preflight.js`, where the version is a hash of the
//! files. Pages name the versioned URLs, so browsers and proxies may keep the files for a
//! year without asking again (`immutable`); a rebuild changes the version and so the URLs.
//! Unversioned `/pkg/…` URLs still work and are revalidated on every use.

use std::path::Path;

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, StatusCode, Uri},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// The files the app cannot start without.
const REQUIRED: &[&str] = &["preflight_bg.wasm", "preflight.js", "preflight.css"];

/// The version of the assets in `site_root/pkg` (16 hex digits), or `None` when they are not
/// built: a hash of every file's contents (the app, its per-page chunks, their loader and
/// manifest, the stylesheet; not the compressed copies), in file-name order.
pub fn version(site_root: &Path) -> Option<String> {
    let pkg = site_root.join("pkg");
    if !REQUIRED.iter().all(|f| pkg.join(f).is_file()) {
        return None;
    }
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(&pkg)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".br") && !n.to_string_lossy().ends_with(".gz"))
        .collect();
    names.sort();
    let mut h = Sha256::new();
    for name in names {
        h.update(std::fs::read(pkg.join(name)).ok()?);
    }
    Some(h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect())
}

/// The folder (below the site root) pages load the assets from: `pkg/<version>`, or `pkg`
/// when they are not built. (Only a URL: [`serve`] maps it to `pkg`.)
pub fn pkg_dir(site_root: &Path) -> String {
    version(site_root).map(|v| format!("pkg/{v}")).unwrap_or_else(|| "pkg".into())
}

/// Cache-Control for an asset that can never change under its URL.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn looks_like_version(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// For the `/pkg` router (which sees paths without `/pkg`): `/<current version>/file` is
/// served as `/file` and may be cached for good; another version is gone (404, so a stale
/// page reloads rather than mixing builds); unversioned files must be revalidated.
pub async fn serve(current: Option<String>, mut req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let (first, rest) = path.trim_start_matches('/').split_once('/').unwrap_or((path.trim_start_matches('/'), ""));
    let versioned = looks_like_version(first);
    if versioned {
        if current.as_deref() != Some(first) {
            return (StatusCode::NOT_FOUND, "This file belongs to another build of Preflight; reload the page.").into_response();
        }
        let mut parts = req.uri().clone().into_parts();
        let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
        parts.path_and_query = format!("/{rest}{query}").parse().ok();
        *req.uri_mut() = Uri::from_parts(parts).unwrap_or_default();
    }
    let mut res = next.run(req).await;
    if res.status().is_success() {
        let policy = if versioned { IMMUTABLE } else { "no-cache" };
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_follows_the_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(version(dir.path()), None);
        assert_eq!(pkg_dir(dir.path()), "pkg");
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        for f in REQUIRED {
            std::fs::write(pkg.join(f), f.as_bytes()).unwrap();
        }
        let v = version(dir.path()).unwrap();
        // The files' contents in name order.
        let mut h = Sha256::new();
        for f in ["preflight.css", "preflight.js", "preflight_bg.wasm"] {
            h.update(f.as_bytes());
        }
        assert_eq!(v, h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect::<String>());
        std::fs::write(pkg.join("preflight.js.br"), "compressed").unwrap();
        assert_eq!(version(dir.path()).unwrap(), v, "compressed copies do not count");
        assert!(looks_like_version(&v), "{v}");
        assert_eq!(pkg_dir(dir.path()), format!("pkg/{v}"));
        std::fs::write(pkg.join("preflight.css"), "body{}").unwrap();
        let v2 = version(dir.path()).unwrap();
        assert_ne!(v2, v, "a changed file is a new version");
        std::fs::write(pkg.join("split_run_page_1.wasm"), "chunk").unwrap();
        assert_ne!(version(dir.path()).unwrap(), v2, "so is a changed chunk");
    }
}
