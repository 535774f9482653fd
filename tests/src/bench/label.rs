//! The buyer's label page on the sample ledger: what a phone downloads on first load (the
//! page with its inline style, and its script), how fast the page, its evidence and a check
//! count are answered, each beside `/healthz` in the same run.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::ORIGIN;
use super::client::{self, Load, Server};

/// What was measured.
pub struct LabelFigures {
    pub page_bytes: usize,
    pub script_bytes: usize,
    pub health: Load,
    pub page: Load,
    pub evidence: Load,
    pub checks: Load,
}

/// Loads the sample ledger into a new log in `dir`, serves it and measures its tea cake's page.
pub fn measure(bin: &Path, dir: &Path, clients: usize, phase: Duration) -> anyhow::Result<LabelFigures> {
    client::init(bin, dir)?;
    let out = Command::new(bin)
        .args(["demo", "--origin", ORIGIN])
        .arg("--data-dir")
        .arg(dir)
        .env("TERROIR_LOG", "warn")
        .output()?;
    anyhow::ensure!(out.status.success(), "demo failed: {}", String::from_utf8_lossy(&out.stderr));
    let cake = cake_path(&dir.join("ledger.sqlite"))?;
    let (server, _) = Server::start(bin, dir)?;
    let base = server.base.clone();
    let agent = client::agent();
    let html = agent.get(&format!("{base}{cake}")).set("accept", "text/html").call()?.into_string()?;
    let script = html
        .split("<script type=\"module\" src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("the page names no script"))?;
    let script_bytes = agent.get(&format!("{base}{script}")).call()?.into_string()?.len();
    let label: serde_json::Value =
        agent.get(&format!("{base}{cake}")).set("accept", "application/json").call()?.into_json()?;
    let id = label["id"].as_str().ok_or_else(|| anyhow::anyhow!("the label's JSON has no id"))?.to_owned();

    let health_url = format!("{base}/healthz");
    let health =
        client::closed_loop(clients, phase, 10_000_000, |a, _, _| client::get_ttfb(a, &health_url, "*/*"));
    let page_url = format!("{base}{cake}");
    let n = AtomicU64::new(0);
    let page = client::closed_loop(clients, phase, 10_000_000, |a, _, _| {
        // Half the buyers read Chinese: both languages' pages are served.
        let lang = if n.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
            "zh-CN,zh;q=0.9"
        } else {
            "en-GB,en;q=0.9"
        };
        let started = std::time::Instant::now();
        let resp = a.get(&page_url).set("accept", "text/html").set("accept-language", lang).call();
        let ttfb = started.elapsed();
        resp.map_err(|e| e.to_string())?.into_string().map_err(|e| e.to_string())?;
        Ok(ttfb)
    });
    let evidence_url = format!("{base}/api/assets/{id}/evidence");
    let evidence =
        client::closed_loop(clients, phase, 10_000_000, |a, _, _| client::get_ttfb(a, &evidence_url, "*/*"));
    let checks_url = format!("{base}/api/assets/{id}/scans");
    let checks = client::closed_loop(clients, phase, 10_000_000, |a, _, _| {
        let started = std::time::Instant::now();
        a.post(&checks_url)
            .set("content-type", "application/json")
            .send_string("{}")
            .map_err(|e| e.to_string())?;
        Ok(started.elapsed())
    });
    server.stop()?;
    Ok(LabelFigures { page_bytes: html.len(), script_bytes, health, page, evidence, checks })
}

/// The label path of the first cake of the sample lot.
fn cake_path(db: &Path) -> anyhow::Result<String> {
    #[derive(QueryableByName)]
    struct Key {
        #[diesel(sql_type = Text)]
        key: String,
    }
    let mut conn = SqliteConnection::establish(&db.to_string_lossy())?;
    let key: Key = diesel::sql_query("SELECT key FROM identities WHERE key LIKE 'gs1:%/21/0001'")
        .get_result(&mut conn)?;
    Ok(key.key.trim_start_matches("gs1:").to_owned())
}
