//! The station as a co-op installs it: the Debian package the Tauri bundler builds
//! (`scripts/package-deb`, which `scripts/test` runs and names in `TERROIR_STATION_DEB`),
//! installed with `dpkg -i`; its desktop entry, icons and both programs in place; the installed
//! window launched under Xvfb, set up, enrolled and synced; the package removed again.

use std::path::Path;
use std::process::Command;

use terroir_shared::party::Role;
use terroir_tests::ledger::TestLedger;

use crate::harness::{Display, Driver, SERIAL, screenshots};
use crate::station::{CHINESE, party_key, set_up, sync_until_landed};

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of `key=` in a desktop entry.
fn entry<'a>(desktop: &'a str, key: &str) -> Option<&'a str> {
    desktop.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

#[test]
fn the_debian_package_installs_and_the_installed_station_sets_up_and_syncs() {
    let Some(deb) = std::env::var_os("TERROIR_STATION_DEB") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "scripts/test builds the package and names it"
        );
        eprintln!(
            "skipped: the_debian_package_installs_and_the_installed_station_sets_up_and_syncs \
             (TERROIR_STATION_DEB names no package; scripts/package-deb builds one)"
        );
        return;
    };
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let deb = deb.to_string_lossy().into_owned();
    let package = run("dpkg-deb", &["-f", &deb, "Package"]).trim().to_owned();
    let depends = run("dpkg-deb", &["-f", &deb, "Depends"]);
    assert!(depends.contains("libwebkit2gtk-4.1-0"), "the window's libraries are named: {depends}");
    run("dpkg", &["-i", &deb]);

    // Both programs, the desktop entry and its icon.
    let files = run("dpkg", &["-L", &package]);
    for program in ["/usr/bin/terroir-desktop", "/usr/bin/terroir-station"] {
        assert!(files.lines().any(|f| f == program), "{program} is installed: {files}");
    }
    let desktop = files
        .lines()
        .find(|f| f.starts_with("/usr/share/applications/") && f.ends_with(".desktop"))
        .expect("a desktop entry");
    let desktop = std::fs::read_to_string(desktop).expect("the desktop entry");
    assert_eq!(entry(&desktop, "Name"), Some("Terroir Station"), "{desktop}");
    assert_eq!(entry(&desktop, "Exec"), Some("terroir-desktop"), "{desktop}");
    let icon = entry(&desktop, "Icon").expect("an icon");
    let icons: Vec<&str> = files
        .lines()
        .filter(|f| f.starts_with("/usr/share/icons/hicolor/") && f.ends_with(&format!("/apps/{icon}.png")))
        .collect();
    assert!(icons.len() >= 2 && icons.iter().all(|f| Path::new(f).is_file()), "{icon}: {files}");
    assert!(run("/usr/bin/terroir-station", &["--help"]).contains("setup"));

    // The installed window, set up in Chinese, enrolled and synced.
    let shots = screenshots("installed-package");
    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start ledger");
    let display = Display::start();
    let station_dir = tempfile::tempdir().expect("dir");
    let driver = Driver::start(&display, station_dir.path());
    let app = driver.open("/usr/bin/terroir-desktop");
    set_up(&app, CHINESE, &ledger.url, None, &shots);
    let key = party_key(&app);
    ledger.enrol(&key, "Bulang Tea Co-op", &[Role::Cooperative, Role::Farm]).expect("enrol co-op");
    sync_until_landed(&app, 1);
    app.screenshot(&shots.join("2-installed-station-synced.png"));
    app.close();

    run("dpkg", &["-r", &package]);
    assert!(!Path::new("/usr/bin/terroir-desktop").exists(), "removed with its package");
}
