//! Finding, starting and cleaning up the system Chromium.
//!
//! Preflight starts Chromium itself (never a downloaded browser) and then talks to it over
//! the DevTools websocket, exactly as it talks to a remote browser: one seam for both.
//! Every local browser gets a fresh profile folder under [`profile_root`] named after the
//! owning process; `setpriv --pdeathsig KILL` makes the kernel kill Chromium when its
//! owner dies (even by SIGKILL), and [`clean_leftovers`] removes whatever a dead owner
//! left behind anyway.

use std::{
    fs,
    io::Read,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::BrowserError;

/// Where Chromium is looked for when no path is given, in order.
pub const SEARCH_PATHS: &[&str] = &[
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/lib/chromium/chromium",
    "/usr/bin/google-chrome-stable",
    "/usr/bin/google-chrome",
    "/snap/bin/chromium",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];

/// The Chromium to use: `explicit`, else `PREFLIGHT_CHROMIUM`, else the usual places.
pub fn find(explicit: Option<&Path>) -> Result<PathBuf, BrowserError> {
    if let Some(p) = explicit {
        return if p.is_file() { Ok(p.to_path_buf()) } else { Err(BrowserError::NoBrowser(format!("there is no Chromium at {}", p.display()))) };
    }
    if let Some(p) = std::env::var_os("PREFLIGHT_CHROMIUM").filter(|p| !p.is_empty()) {
        return find(Some(Path::new(&p)));
    }
    SEARCH_PATHS.iter().map(PathBuf::from).find(|p| p.is_file()).ok_or_else(|| {
        BrowserError::NoBrowser(
            "no Chromium found. Install it (Debian/Ubuntu: sudo apt-get install chromium) or give its path with --chromium / PREFLIGHT_CHROMIUM".into(),
        )
    })
}

/// The folder holding the profiles of the browsers this machine's Preflight processes run.
pub fn profile_root() -> PathBuf {
    std::env::temp_dir().join("preflight-chromium")
}

/// A Chromium this process started. Killed, reaped and its profile removed on drop.
pub struct LocalChromium {
    child: Child,
    profile: PathBuf,
    /// The DevTools websocket, `ws://127.0.0.1:PORT/devtools/browser/ID`.
    pub ws_url: String,
}

/// Options for a local browser.
#[derive(Debug, Clone, Default)]
pub struct LaunchSettings {
    pub path: PathBuf,
    /// `host:port` → address overrides, passed as `--host-resolver-rules`.
    pub host_rules: Vec<String>,
    /// Extra command-line switches.
    pub extra_args: Vec<String>,
}

impl LocalChromium {
    pub fn launch(settings: &LaunchSettings) -> Result<LocalChromium, BrowserError> {
        let root = profile_root();
        fs::create_dir_all(&root).map_err(|e| BrowserError::Launch(format!("cannot create {}: {e}", root.display())))?;
        let profile = root.join(format!("{}-{:016x}", std::process::id(), rand::random::<u64>()));
        fs::create_dir_all(&profile).map_err(|e| BrowserError::Launch(format!("cannot create {}: {e}", profile.display())))?;

        let mut args: Vec<String> = vec![
            "--headless=new".into(),
            "--remote-debugging-port=0".into(),
            "--remote-debugging-address=127.0.0.1".into(),
            format!("--user-data-dir={}", profile.display()),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--disable-gpu".into(),
            "--disable-extensions".into(),
            "--disable-component-update".into(),
            "--disable-background-networking".into(),
            // Pages run in several tabs at once; only one is in front. Without these a tab in
            // the background is throttled and may never paint, so its screenshot waits until
            // the step deadline (seen as a flaky "page never lets the browser draw it").
            "--disable-renderer-backgrounding".into(),
            "--disable-background-timer-throttling".into(),
            "--disable-backgrounding-occluded-windows".into(),
            "--disable-domain-reliability".into(),
            "--disable-quic".into(),
            "--disable-sync".into(),
            "--disable-breakpad".into(),
            "--disable-crash-reporter".into(),
            "--disable-default-apps".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,InterestFeedContentSuggestions,CalculateNativeWinOcclusion"
                .into(),
            "--safebrowsing-disable-auto-update".into(),
            "--metrics-recording-only".into(),
            "--password-store=basic".into(),
            "--use-mock-keychain".into(),
            "--mute-audio".into(),
            "--no-pings".into(),
            // A hostile page cannot eat the machine: its renderer dies at 512 MB of JS heap
            // (reported as a crash) instead.
            "--js-flags=--max-old-space-size=512".into(),
        ];
        if running_as_root() {
            args.push("--no-sandbox".into());
        }
        if !settings.host_rules.is_empty() {
            args.push(format!("--host-resolver-rules={}", settings.host_rules.join(", ")));
        }
        args.extend(settings.extra_args.iter().cloned());
        args.push("about:blank".into());

        // `setpriv --pdeathsig KILL` (util-linux) ties Chromium's life to this thread.
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].into_iter().map(Path::new).find(|p| p.is_file());
        let mut cmd = match setpriv {
            Some(sp) => {
                let mut c = Command::new(sp);
                c.arg("--pdeathsig").arg("KILL").arg("--").arg(&settings.path);
                c
            }
            None => Command::new(&settings.path),
        };
        cmd.args(&args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let child = cmd.spawn().map_err(|e| {
            let _ = fs::remove_dir_all(&profile);
            BrowserError::Launch(format!("cannot start {}: {e}", settings.path.display()))
        })?;
        let mut me = LocalChromium { child, profile, ws_url: String::new() };
        me.ws_url = me.wait_for_devtools(Duration::from_secs(20))?;
        Ok(me)
    }

    /// Chromium writes its DevTools port and path to `DevToolsActivePort` once it listens.
    fn wait_for_devtools(&mut self, limit: Duration) -> Result<String, BrowserError> {
        let file = self.profile.join("DevToolsActivePort");
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                let last: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).rev().take(3).collect();
                return Err(BrowserError::Launch(format!("Chromium exited at start ({status}): {}", last.into_iter().rev().collect::<Vec<_>>().join(" / "))));
            }
            if let Ok(text) = fs::read_to_string(&file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    if port.trim().parse::<u16>().is_ok() && path.starts_with("/devtools/browser/") {
                        // Chromium's stderr is not read further; drain it so it never blocks.
                        if let Some(mut e) = self.child.stderr.take() {
                            std::thread::Builder::new()
                                .name("chromium-stderr".into())
                                .spawn(move || {
                                    let _ = std::io::copy(&mut e, &mut std::io::sink());
                                })
                                .ok();
                        }
                        return Ok(format!("ws://127.0.0.1:{}{}", port.trim(), path.trim()));
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err(BrowserError::Launch(format!("Chromium did not open its DevTools port within {} s", limit.as_secs())))
    }

    /// The OS process id (setpriv execs Chromium, so it is Chromium's own).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the browser now (used when it stops answering).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        kill_profile_processes(&self.profile);
    }
}

impl Drop for LocalChromium {
    fn drop(&mut self) {
        self.kill();
        // Renderers exit on their own once the browser is gone; give them a moment before
        // removing the profile they may still write to.
        for _ in 0..20 {
            if fs::remove_dir_all(&self.profile).is_ok() || !self.profile.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Is this process root (Chromium then has to run without its sandbox)?
pub fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Processes whose command line names `profile` as their user data folder.
pub fn profile_processes(profile: &Path) -> Vec<u32> {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(dir) = fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| fs::read(format!("/proc/{pid}/cmdline")).map(|c| c.split(|b| *b == 0).any(|arg| arg.starts_with(needle.as_bytes()))).unwrap_or(false))
        .collect()
}

fn kill_profile_processes(profile: &Path) {
    let pids = profile_processes(profile);
    if !pids.is_empty() {
        let _ = Command::new("kill").arg("-KILL").args(pids.iter().map(|p| p.to_string())).stderr(Stdio::null()).status();
    }
}

/// Chromium processes started by the Preflight process `owner`, and whether a profile folder
/// of it is left.
pub fn owned_by(owner: u32) -> (Vec<u32>, bool) {
    let root = profile_root();
    let prefix = format!("{owner}-");
    let folder = fs::read_dir(&root).map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with(&prefix))).unwrap_or(false);
    (profile_processes(&root.join(prefix)), folder)
}

/// Every Chromium process started by Preflight (any profile under [`profile_root`]).
pub fn preflight_chromium_processes() -> Vec<u32> {
    profile_processes(&profile_root())
}

/// Kills browsers and removes profiles left by Preflight processes that no longer run
/// (a server killed mid-run). Returns how many profiles were cleaned.
pub fn clean_leftovers() -> usize {
    let Ok(dir) = fs::read_dir(profile_root()) else { return 0 };
    let mut cleaned = 0;
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let owner = name.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if owner.is_some_and(|pid| pid != std::process::id() && pid_alive(pid)) {
            continue;
        }
        if owner == Some(std::process::id()) {
            continue;
        }
        kill_profile_processes(&entry.path());
        if fs::remove_dir_all(entry.path()).is_ok() {
            cleaned += 1;
        }
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_missing_path_says_so() {
        let e = find(Some(Path::new("/nonexistent/chromium"))).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/chromium"), "{e}");
    }

    #[test]
    fn leftovers_of_dead_owners_are_removed_and_live_ones_kept() {
        let root = profile_root();
        fs::create_dir_all(&root).unwrap();
        // pid 0 never names a running process.
        let dead = root.join(format!("0-{:016x}", rand::random::<u64>()));
        fs::create_dir_all(dead.join("Default")).unwrap();
        let mine = root.join(format!("{}-{:016x}", std::process::id(), rand::random::<u64>()));
        fs::create_dir_all(&mine).unwrap();
        assert!(clean_leftovers() >= 1);
        assert!(!dead.exists());
        assert!(mine.exists());
        fs::remove_dir_all(mine).unwrap();
    }
}
