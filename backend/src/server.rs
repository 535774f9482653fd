//! Start-up and shutdown: the data directory, keys, the ledger writer, the read pool and the
//! HTTP server, and their orderly stop (the group in flight is committed before exit).

use std::sync::Arc;
use std::time::SystemTime;

use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use terroir_shared::api;
use terroir_shared::calendar::Timestamp;
use terroir_shared::log::LogSigner;
use terroir_shared::party::PartyId;

use crate::config::Settings;
use crate::http::{self, AppState, Setup};
use crate::keys;
use crate::metrics::Metrics;
use crate::owner::Owner;
use crate::service::ledger::{Clock, Ledger, LogIdentity, Outcome, WriterThread};
use crate::service::reader::Reader;
use crate::service::scans::ScanCounter;
use crate::service::{demo, enrol};

/// The wall clock, read only here and handed to the rules.
pub fn system_clock() -> Clock {
    Arc::new(|| Timestamp::from_system_time(SystemTime::now()))
}

/// An open ledger: its keys loaded, its writer running, the data directory held.
pub struct Node {
    pub ledger: Ledger,
    pub operator: terroir_shared::crypto::Keypair,
    pub metrics: Arc<Metrics>,
    writer: WriterThread,
    owner: Owner,
}

impl Node {
    /// Creates the data directory and keys on first use, takes the ledger (an error naming
    /// the process that has it, if one does), opens (and migrates) the database and loads the
    /// log's tip.
    pub fn open(settings: &Settings) -> anyhow::Result<Self> {
        create_private_dir(&settings.data_dir)?;
        Self::open_held(settings, Owner::require(&settings.data_dir)?)
    }

    fn open_held(settings: &Settings, owner: Owner) -> anyhow::Result<Self> {
        check_origin(settings)?;
        let log_key = keys::load_or_create(&settings.data_dir, keys::LOG_KEY_FILE)?;
        let operator = keys::load_or_create(&settings.data_dir, keys::OPERATOR_KEY_FILE)?;
        let signer = LogSigner::new(&settings.origin, log_key.signing_key().clone())
            .map_err(|e| anyhow::anyhow!("origin `{}`: {e}", settings.origin))?;
        let identity =
            LogIdentity { origin: settings.origin.clone(), operator: PartyId(operator.public()), signer };
        private_file(&settings.database())?;
        let metrics = Arc::new(Metrics::default());
        let (ledger, writer) =
            Ledger::open(&settings.database(), identity, &operator, system_clock(), metrics.clone())
                .with_context(|| format!("opening {}", settings.database().display()))?;
        // Contact data erased before and brought back by a restored copy goes again.
        for commitment in crate::service::personal::reapply(&settings.data_dir)? {
            tracing::warn!(
                %commitment,
                "contact data erased earlier was back (a restored copy?): erased again"
            );
        }
        Ok(Self { ledger, operator, metrics, writer, owner })
    }

    /// Loads the sample ledger into an empty log; returns a summary of what was loaded.
    pub async fn load_demo(&self) -> anyhow::Result<String> {
        // A new log holds its opening (entry 0) and nothing else.
        let size = self.ledger.size();
        if size > 1 {
            anyhow::bail!("the log already holds {size} entries; the sample ledger goes into an empty log");
        }
        // A month of history ending now, from a fixed seed: the same story every time.
        let now = (system_clock())();
        let start = Timestamp(now.millis().saturating_sub(demo::DEMO_SPAN_DAYS * 86_400_000 + 3_600_000));
        let records = demo::demo_records(
            &self.ledger.identity().origin,
            &self.operator,
            *b"terroir sample ledger, seed 0001",
            start,
        )?;
        let summary = demo::describe(&records);
        let outcomes = self.ledger.submit(records).await?;
        for (i, outcome) in outcomes.iter().enumerate() {
            match outcome {
                Outcome::Accepted(_) => {}
                other => anyhow::bail!("sample record {i} was not accepted: {other:?}"),
            }
        }
        Ok(summary)
    }

    /// Registers an organisation with the operator key; keeps its contact data off-ledger.
    pub async fn enrol(&self, settings: &Settings, enrolment: enrol::Enrolment) -> anyhow::Result<String> {
        let prepared = enrol::prepare(&settings.origin, &self.operator, (system_clock())(), enrolment)?;
        let party = enrolment_party(&prepared);
        let outcome = self.ledger.submit(vec![prepared.record]).await?.pop();
        let receipt = match outcome {
            Some(Outcome::Accepted(r)) => r,
            Some(Outcome::Refused(v)) => anyhow::bail!("refused: {v}"),
            other => anyhow::bail!("not enrolled: {other:?}"),
        };
        keep_contact(settings, prepared.contact.as_ref())?;
        Ok(format!("enrolled party {party} at entry {}", receipt.index))
    }

    /// Says, in the data directory's lock file, where this process serves the ledger.
    fn announce(&mut self, url: &str) -> anyhow::Result<()> {
        self.owner.announce(Some(url)).context("writing the data directory's lock file")
    }

    /// Stops the writer after the group in flight.
    pub fn close(self) {
        drop(self.ledger);
        self.writer.join();
    }
}

/// `enrol`: by this process when no server keeps the ledger, else through the server that
/// does (the operator-signed record goes to its API; the contact data, which is off-ledger,
/// straight into the database beside it).
pub fn enrol(settings: &Settings, enrolment: enrol::Enrolment) -> anyhow::Result<String> {
    create_private_dir(&settings.data_dir)?;
    let holder = match Owner::take(&settings.data_dir)? {
        Ok(owner) => {
            let node = Node::open_held(settings, owner)?;
            let done = actix_web::rt::System::new().block_on(node.enrol(settings, enrolment));
            node.close();
            return done;
        }
        Err(holder) => holder,
    };
    let Some(url) = holder.url.clone() else {
        anyhow::bail!(
            "the ledger in {} is kept by {holder}, which is not serving yet; try again",
            settings.data_dir.display()
        )
    };
    let operator = keys::load(&settings.data_dir, keys::OPERATOR_KEY_FILE)?;
    let log_key = keys::load(&settings.data_dir, keys::LOG_KEY_FILE)?;
    let vkey = LogSigner::new(&settings.origin, log_key.signing_key().clone())
        .map_err(|e| anyhow::anyhow!("origin `{}`: {e}", settings.origin))?
        .vkey();
    let prepared = enrol::prepare(&settings.origin, &operator, (system_clock())(), enrolment)?;
    let party = enrolment_party(&prepared);
    let body = serde_json::to_string(&prepared.record.envelope())?;
    let receipt: terroir_shared::log::Receipt = match ureq::post(&format!("{url}/api/records"))
        .set("content-type", "application/json")
        .send_string(&body)
    {
        Ok(answer) => {
            let bytes = answer_bytes(answer).with_context(|| format!("reading the receipt from {url}"))?;
            api::read(&bytes)
                .map_err(|e| anyhow::anyhow!("{holder} answered with something that is not a receipt: {e}"))?
        }
        Err(ureq::Error::Status(status, answer)) => {
            let bytes = answer_bytes(answer).unwrap_or_default();
            match api::read::<api::Problem>(&bytes) {
                Ok(problem) => anyhow::bail!("{holder} refused the registration: {problem}"),
                Err(_) => anyhow::bail!(
                    "{holder} refused the registration ({status}): {}",
                    String::from_utf8_lossy(&bytes)
                ),
            }
        }
        Err(e) => return Err(e).with_context(|| format!("sending the registration to {holder}")),
    };
    // The receipt must be signed by this log's own key.
    let receipt = receipt.verify(&vkey).map_err(|e| anyhow::anyhow!("{holder} sent a bad receipt: {e}"))?;
    keep_contact(settings, prepared.contact.as_ref())?;
    Ok(format!("enrolled party {party} at entry {} (through {holder})", receipt.index))
}

/// An answer's body, whole.
fn answer_bytes(answer: ureq::Response) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    answer.into_reader().read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn enrolment_party(prepared: &enrol::Prepared) -> String {
    match &prepared.record.body().act {
        terroir_shared::record::Act::RegisterParty(r) => r.id.to_string(),
        _ => String::new(),
    }
}

/// Keeps the clear contact data of a registration now in the log.
fn keep_contact(settings: &Settings, taken: Option<&crate::service::personal::Taken>) -> anyhow::Result<()> {
    if let Some(taken) = taken {
        crate::service::personal::keep(&settings.data_dir, taken)?;
    }
    Ok(())
}

/// Reads the witness policy, if one is set: it must name this log's key. Starts asking its
/// witnesses to cosign; returns its text for the label pages.
fn witness_policy(settings: &Settings, ledger: &Ledger) -> anyhow::Result<Option<String>> {
    let Some(path) = &settings.policy else { return Ok(None) };
    let text = std::fs::read_to_string(path).with_context(|| format!("the policy {}", path.display()))?;
    let policy = terroir_shared::log::Policy::parse(&text)
        .map_err(|e| anyhow::anyhow!("the policy {}: {e}", path.display()))?;
    if !policy.logs().iter().any(|k| k == ledger.vkey()) {
        anyhow::bail!("the policy {} does not name this log's key {}", path.display(), ledger.vkey());
    }
    let side = ledger.witness_side();
    let database = settings.database();
    let count = policy.submission().count();
    std::thread::Builder::new()
        .name("ledger-witnesses".into())
        .spawn(move || crate::service::witnessing::run(side, &policy, &database))
        .context("cannot start the witness client")?;
    println!("  witnesses         {count} asked to cosign every checkpoint ({})", path.display());
    Ok(Some(text))
}

pub async fn serve(mut settings: Settings, demo: bool) -> anyhow::Result<()> {
    settings.demo |= demo;
    let mut node = Node::open(&settings)?;
    if demo {
        // A new log holds only its opening (entry 0).
        match node.ledger.latest_checkpoint() {
            Some(cp) if cp.size > 1 => {
                println!("the log already holds {} entries; not loading the sample ledger", cp.size)
            }
            _ => println!("loaded the sample ledger: {}", node.load_demo().await?),
        }
    }
    let policy = witness_policy(&settings, &node.ledger)?;
    let reader = Reader::open(settings.database(), settings.read_connections)?;
    let (scans, _scan_thread) =
        ScanCounter::start(&settings.database(), system_clock(), node.metrics.clone())?;
    crate::http::problem::set_base_url(&settings.base_url);
    let setup = Setup {
        base_url: settings.base_url.clone(),
        max_body_bytes: settings.max_body_bytes,
        trusted_proxies: settings.trusted_proxies.clone(),
        policy,
    };
    let state =
        web::Data::new(AppState::new(node.ledger.clone(), reader, scans, node.metrics.clone(), setup));
    let open_files = raise_open_files();
    // Connections each worker holds at most: together they leave files for the database, the
    // logs and the keys. Past them a worker stops accepting until some close (connections wait
    // in the kernel's backlog), rather than failing accept after accept for want of files.
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let connections =
        open_files.map_or(25_000, |n| (n.saturating_sub(FILES_KEPT) as usize / workers).max(64));
    let bound = HttpServer::new(move || {
        // Called on each worker as it starts.
        http::admission::watch_lag();
        App::new().app_data(state.clone()).configure(http::routes)
    })
    // A client has 10 s to send a request's head (one that trickles it to hold the
    // connection gets a 408 and is closed; bodies have their own pace, `http::body`); an
    // idle kept-alive connection is closed after 30 s; a burst of phones queues in a
    // backlog as deep as the kernel allows by default; a connection closed after a refused
    // body is read from (and what comes thrown away) for one more second only, so that
    // the client can read the answer.
    .client_request_timeout(std::time::Duration::from_secs(10))
    .client_disconnect_timeout(std::time::Duration::from_secs(1))
    .keep_alive(std::time::Duration::from_secs(30))
    .backlog(4096)
    .bind(settings.bind)
    .with_context(|| format!("cannot listen on {}", settings.bind))?;
    // The address bound, which names the port the system chose for port 0.
    let listening = bound.addrs().first().copied().unwrap_or(settings.bind);
    let size = node.ledger.size();
    println!("Terroir ledger listening on http://{listening}");
    println!("  labels resolve at {}/01/...", settings.base_url);
    println!("  log origin        {}", settings.origin);
    println!("  verifier key      {}", node.ledger.vkey());
    println!("  (also served at   {}/.well-known/terroir-log-key)", settings.base_url);
    println!("  entries           {size} (rules version {})", node.ledger.rules());
    println!("  data directory    {}", settings.data_dir.display());
    println!("  connections       {} at most ({workers} workers)", connections * workers);
    let samples = {
        let mut conn = crate::db::open_reader(&settings.database())?;
        crate::service::reads::sample_labels(&mut conn, 1)?
    };
    if let Some(label) = samples.first() {
        println!("  a label to open   {}{label}", settings.base_url.trim_end_matches('/'));
    }
    println!("  start here        {}/", settings.base_url.trim_end_matches('/'));
    let server = bound.shutdown_timeout(10).disable_signals().run();
    node.announce(&format!("http://{}", local_address(listening)))?;
    // SIGTERM or Ctrl-C: stop accepting, let requests in flight finish (their records are
    // committed and answered), then stop the writer after its last group.
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        match stop_signal().await {
            Ok(name) => tracing::info!("{name}: stopping gracefully"),
            Err(e) => tracing::error!(error = %e, "cannot listen for stop signals; stopping"),
        }
        handle.stop(true).await;
    });
    server.await?;
    tracing::info!("HTTP server stopped; finishing the group in flight");
    node.close();
    tracing::info!("ledger closed");
    Ok(())
}

/// Where a process on this machine reaches a server bound to `bind`.
fn local_address(bind: std::net::SocketAddr) -> std::net::SocketAddr {
    match bind.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            (std::net::Ipv4Addr::LOCALHOST, bind.port()).into()
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            (std::net::Ipv6Addr::LOCALHOST, bind.port()).into()
        }
        _ => bind,
    }
}

async fn stop_signal() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tracing::debug!("listening for SIGTERM and SIGINT");
    tokio::select! {
        _ = term.recv() => Ok("SIGTERM"),
        r = tokio::signal::ctrl_c() => r.map(|()| "SIGINT"),
    }
}

pub(crate) fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    crate::private::dir(dir).with_context(|| format!("creating {}", dir.display()))
}

/// The database readable by its owner alone: created so before SQLite first opens it, and made
/// so if an older version left it readable by others.
fn private_file(path: &std::path::Path) -> anyhow::Result<()> {
    crate::private::file(path).with_context(|| format!("making {} private (0600)", path.display()))
}

/// A log keeps its origin for life: it is inside every checkpoint and every signed record. A
/// new log is not started on the default origin, which every deployment that kept it would
/// share, outside demo mode.
fn check_origin(settings: &Settings) -> anyhow::Result<()> {
    let path = settings.data_dir.join("origin");
    match std::fs::read_to_string(&path) {
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && settings.origin_from == crate::config::OriginFrom::Default
                && !settings.demo =>
        {
            anyhow::bail!(
                "a new ledger needs a name of its own, its origin, which goes into every checkpoint and record for \
                 good: pass --origin (for example --origin ledger.example.org/terroir), or --base-url with the public \
                 URL labels will point to (the origin is then its host and path); `{}` is for `serve --demo` only",
                settings.origin
            )
        }
        Ok(stored) if stored.trim() == settings.origin => Ok(()),
        Ok(stored) => anyhow::bail!(
            "this data directory holds the log `{}`; it cannot be served as `{}`",
            stored.trim(),
            settings.origin
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::write(&path, format!("{}\n", settings.origin))
                .with_context(|| format!("writing {}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// `audit`: re-verifies the database from scratch with a progress bar; fails naming the first
/// bad entry.
/// It changes nothing: a directory without a ledger, or a ledger whose schema this version
/// would first have to bring up to date, is refused.
pub fn audit(settings: &Settings) -> anyhow::Result<()> {
    let dir = settings.data_dir.display();
    anyhow::ensure!(settings.database().exists(), "there is no ledger in {dir}: nothing to audit");
    let log_key = keys::load(&settings.data_dir, keys::LOG_KEY_FILE)?;
    let operator = keys::load(&settings.data_dir, keys::OPERATOR_KEY_FILE)?;
    let signer = LogSigner::new(&settings.origin, log_key.signing_key().clone())
        .map_err(|e| anyhow::anyhow!("origin `{}`: {e}", settings.origin))?;
    let mut conn = crate::db::open_reader(&settings.database())?;
    let pending = crate::db::pending_migrations(&mut conn)?;
    anyhow::ensure!(
        pending == 0,
        "the ledger in {dir} was written by an older version (its schema lacks {pending} of this \
         version's migrations): start the server on it once, which brings it up to date, then audit"
    );
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} auditing [{bar:40}] {pos}/{len} entries ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let started = std::time::Instant::now();
    let result = crate::service::audit::audit(
        &mut conn,
        &settings.origin,
        PartyId(operator.public()),
        &signer.vkey(),
        &progress,
    );
    bar.finish_and_clear();
    let report = result?;
    println!(
        "audit passed: {} entries, {} checkpoints, {} tree nodes, {} parties, {} assets in {:.1} s",
        report.entries,
        report.checkpoints,
        report.nodes,
        report.parties,
        report.assets,
        started.elapsed().as_secs_f64()
    );
    println!("root {}", report.root);
    println!("every entry replayed under rules version {}, which its entry 0 names", report.rules);
    match report.stored_map {
        crate::service::audit::StoredMap::Checked => println!(
            "state map rebuilt: {} keys, root {}; every checkpoint's state line and the stored map match it",
            report.state_keys, report.state_root
        ),
        crate::service::audit::StoredMap::NotBuilt { .. } => println!(
            "state map rebuilt: {} keys, root {}; the ledger has no stored map yet (the server builds it when it next starts)",
            report.state_keys, report.state_root
        ),
    }
    Ok(())
}

/// Files kept for other than connections.
const FILES_KEPT: u64 = 1024;

/// Raises this process's limit on open files to the most the system allows it: each connection
/// holds one, and phones scanning labels at a market open many at once. The limit now.
fn raise_open_files() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.maximum != limit.current {
        let raised = rustix::process::Rlimit { current: limit.maximum, maximum: limit.maximum };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(error = %e, "cannot raise the limit on open files");
        }
    }
    getrlimit(Resource::Nofile).current
}
