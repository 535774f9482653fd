//! End-to-end tests of the station window: the real app under Xvfb, driven through
//! `tauri-driver` and WebKitWebDriver, against a real ledger server started by the test.

mod harness;
mod package;
mod station;
mod webdriver;
