//! What the end-to-end tests run the station in: a virtual display (Xvfb), `tauri-driver` in
//! front of WebKitWebDriver, and the real `terroir-desktop` binary on its own data directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::webdriver::Session;

/// One display and one app at a time.
pub static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Children are stopped when their owner is dropped, even when a test fails: asked first
/// (SIGTERM, so Xvfb removes its lock file and socket), killed if they linger.
struct Owned(Child);

impl Drop for Owned {
    fn drop(&mut self) {
        let asked = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        if asked.is_ok_and(|s| s.success()) {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `N` distinct free ports below the kernel's ephemeral range, each held while the next is drawn.
fn free_ports<const N: usize>() -> [u16; N] {
    let mut held = Vec::with_capacity(N);
    while held.len() < N {
        let port = terroir_tests::bench::client::free_port().expect("a free port");
        if let Ok(hold) = terroir_tests::bench::client::hold_port(port) {
            held.push(hold);
        }
    }
    std::array::from_fn(|i| held[i].1)
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An X display of its own.
pub struct Display {
    _xvfb: Owned,
    pub name: String,
}

impl Display {
    /// Starts Xvfb on a display it finds free itself (`-displayfd`: it also clears lock files
    /// that a display killed earlier left behind) and waits until it takes connections.
    pub fn start() -> Self {
        use std::io::BufRead as _;
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1400x960x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is missing: run scripts/install-test-deps");
        let stdout = xvfb.stdout.take().expect("Xvfb's output");
        let xvfb = Owned(xvfb);
        // Xvfb writes its display number once it is ready.
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).expect("Xvfb's display number");
        let n: u32 = line.trim().parse().unwrap_or_else(|_| panic!("Xvfb gave no display number: {line:?}"));
        Self { _xvfb: xvfb, name: format!(":{n}") }
    }
}

/// A directory holding an `xdg-open` that, instead of starting a PDF viewer, notes the file it
/// was asked to open in `opened-sheets.txt` beside the station's data (see [`opened_sheets`]).
fn stub_viewer(station_dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = station_dir.join("viewer");
    std::fs::create_dir_all(&dir).expect("viewer directory");
    let script = dir.join("xdg-open");
    let log = station_dir.join("opened-sheets.txt");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()))
        .expect("viewer");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("executable");
    dir
}

/// The files the station asked the system to open, in order.
pub fn opened_sheets(station_dir: &Path) -> Vec<String> {
    let log = std::fs::read_to_string(station_dir.join("opened-sheets.txt")).unwrap_or_default();
    log.lines().map(str::to_owned).collect()
}

/// `tauri-driver` from PATH or cargo's bin directory.
fn tauri_driver() -> PathBuf {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin/tauri-driver"));
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join("tauri-driver"))
        .chain(cargo_bin)
        .find(|p| p.is_file())
        .expect("tauri-driver is missing: run scripts/install-test-deps")
}

/// `tauri-driver` for one station data directory; the app it opens keeps its data there.
pub struct Driver {
    _child: Owned,
    pub url: String,
}

impl Driver {
    pub fn start(display: &Display, station_dir: &Path) -> Self {
        let [port, native_port] = free_ports();
        let viewer = stub_viewer(station_dir);
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(std::iter::once(viewer).chain(std::env::split_paths(&path)))
            .expect("a PATH");
        let child = Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("DISPLAY", &display.name)
            .env("PATH", path)
            .env("TERROIR_STATION_DIR", station_dir)
            .env("TERROIR_LOG", "warn")
            // Software rendering: Xvfb has no GPU.
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tauri-driver");
        let url = format!("http://127.0.0.1:{port}");
        wait_until("tauri-driver", || ureq::get(&format!("{url}/status")).call().is_ok());
        Self { _child: Owned(child), url }
    }

    /// Launches the station this build made and waits for its window to be ready.
    pub fn open_app(&self) -> Session {
        self.open(env!("CARGO_BIN_EXE_terroir-desktop"))
    }

    /// Launches the station program at `application` and waits for its window to be ready.
    pub fn open(&self, application: &str) -> Session {
        let session = Session::start(&self.url, application).expect("open the station");
        session.wait("the window to be ready", || {
            (session.run(
                "return document.body && document.body.dataset.ready === 'true';",
                serde_json::json!([]),
            ) == serde_json::json!(true))
            .then_some(())
        });
        session
    }
}

/// Where a run's screenshots go: `target/tmp/screenshots/<scenario>/`.
pub fn screenshots(scenario: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join(scenario);
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}
