//! The command line: `serve`, `init`, `audit`, `demo`, each with `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::server::system_clock;
use crate::service::personal::Whose;

/// Terroir's ledger server: a public, append-only Merkle-tree log of signed farm-produce records.
#[derive(Debug, Parser)]
#[command(name = "terroir-backend", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the ledger server (creates the data directory, database and keys on first start).
    /// One process at a time keeps a data directory's ledger.
    Serve(ServeArgs),
    /// Create the data directory, the database and the keys, print the log's verifier key.
    Init(Common),
    /// Re-verify the whole ledger from scratch: signatures, rules, hash links, tree, checkpoints.
    Audit(Common),
    /// Register an organisation, signed with the operator key. Its contact person's name and
    /// phone, taken only with their recorded consent, enter the ledger only as a salted
    /// commitment; the clear data stays off-ledger, in personal.sqlite.
    /// Beside a running server, the registration goes through that server.
    Enrol(EnrolArgs),
    /// Erase the contact data behind a party's commitment: from personal.sqlite (no byte left in
    /// any file of the data directory) and from every backup `backup` wrote that can be reached.
    /// The ledger is unchanged and every proof still verifies. Runs beside a server.
    EraseContact(EraseArgs),
    /// Print, as JSON, all that is kept about a contact person: the data, the consent, when it
    /// was collected, whether and when it was erased, and what proves it against the commitment
    /// in the party's registration.
    Contact(ContactArgs),
    /// Write a snapshot of the data directory (ledger, personal data, keys) into DEST/<time>/,
    /// beside DEST's register of erasures; later erasures reach it. Runs beside a server.
    Backup(BackupArgs),
    /// Put a snapshot written by `backup` into the data directory, erasing again any contact
    /// data that was erased after the snapshot was taken. No server may run on the directory.
    Restore(RestoreArgs),
    /// Load the sample ledger into an empty log: a tea co-op and a cattle co-op, a trader, a
    /// processor, a warehouse, a financier and a veterinary station, with a month of history.
    Demo(Common),
    /// Run a witness for other people's ledgers (C2SP tlog-witness): it cosigns each new
    /// checkpoint a log posts to it only if it is consistent with the last one it cosigned,
    /// and keeps that one on disk. Prints its verifier key.
    Witness(WitnessArgs),
    /// Follow a ledger from outside through its checkpoints and entry bundles: verify every
    /// checkpoint, replay every entry under the ledger's rules, rebuild the state map, and stop
    /// with exit status 2 at the first inconsistency (a rollback, a fork, a refused entry, a
    /// state root the entries do not give).
    Monitor(MonitorArgs),
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The ledger's base URL, e.g. https://ledger.example.org.
    pub url: String,
    /// The log's verifier key (as the operator publishes it at /.well-known/terroir-log-key;
    /// compare it out of band).
    #[arg(long, required_unless_present = "policy")]
    pub log_key: Option<String>,
    /// A C2SP tlog-policy file: its log key is the ledger's, and each checkpoint's witnesses
    /// are reported.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Seconds between polls.
    #[arg(long, default_value_t = 10)]
    pub interval: u64,
    /// Where the last verified checkpoint is kept, so that a rollback across a restart of the
    /// monitor is still seen.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    pub metrics_bind: Option<SocketAddr>,
    /// Poll once and stop: exit status 0 when consistent, 1 when unreachable, 2 when not.
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct WitnessArgs {
    /// The witness's name in its cosignatures and its key, e.g. witness.example/w1.
    #[arg(long)]
    pub name: String,
    /// The verifier key of a log to witness (repeat for more logs).
    #[arg(long = "log", required = true)]
    pub logs: Vec<String>,
    /// Where the witness keeps its key (witness.key, 0600) and what it cosigned.
    #[arg(long, default_value = "./terroir-witness")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub bind: SocketAddr,
}

/// Options every subcommand shares.
#[derive(Debug, Args)]
pub struct Common {
    /// A TOML file with any of: data-dir, origin, bind, base-url, max-body-bytes.
    #[arg(long, env = "TERROIR_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the database and the key files live [default: ./terroir-data].
    #[arg(long, env = "TERROIR_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The log's origin (host/path, no scheme), named in every checkpoint and record for good
    /// [default: the one the data directory's log was made with; for a new log, the host and
    /// path of --base-url; localhost/terroir only with serve --demo].
    #[arg(long, env = "TERROIR_ORIGIN")]
    pub origin: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: Common,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "TERROIR_BIND")]
    pub bind: Option<SocketAddr>,
    /// Public base URL that labels point to [default: http://<bind>].
    #[arg(long, env = "TERROIR_BASE_URL")]
    pub base_url: Option<String>,
    /// Largest request body accepted, in bytes [default: 16777216].
    #[arg(long, env = "TERROIR_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// The reverse proxies in front of the server (comma-separated addresses): a request from
    /// one of them is counted for the client its `X-Forwarded-For` names. Without it, the header
    /// is ignored and every client behind a proxy counts as the proxy.
    #[arg(long, env = "TERROIR_TRUSTED_PROXIES", value_delimiter = ',', value_name = "ADDRESS")]
    pub trusted_proxy: Option<Vec<std::net::IpAddr>>,
    /// A C2SP tlog-policy file: this log's key (`log`), its witnesses (`witness NAME VKEY URL`,
    /// asked to cosign every checkpoint at URL/add-checkpoint), their groups and the `quorum`
    /// label pages require. Without it checkpoints are not witnessed, and pages say that they
    /// cannot prove everyone sees the same log.
    #[arg(long, env = "TERROIR_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Load the sample ledger first if the log is empty.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Args)]
pub struct EnrolArgs {
    #[command(flatten)]
    pub common: Common,
    /// The organisation's Ed25519 public key (64 hex digits).
    #[arg(long)]
    pub key: String,
    /// The organisation's name as it will appear to buyers.
    #[arg(long)]
    pub name: String,
    /// Roles, comma-separated: cooperative, farm, processor, warehouse, trader, financier,
    /// veterinarian, inspector, regulator.
    #[arg(long, value_delimiter = ',', required = true)]
    pub roles: Vec<String>,
    /// The contact person's name (kept off-ledger; needs their consent, below).
    #[arg(long, requires_all = ["consent_purpose", "consent_collected_by"])]
    pub contact_name: Option<String>,
    /// The contact person's phone (kept off-ledger).
    #[arg(long, requires = "contact_name")]
    pub contact_phone: Option<String>,
    /// What the contact person agreed their data may be used for.
    #[arg(long, requires = "contact_name")]
    pub consent_purpose: Option<String>,
    /// Who took the consent (an office or a role, not a person's name).
    #[arg(long, requires = "contact_name")]
    pub consent_collected_by: Option<String>,
    /// The day consent was given, YYYY-MM-DD [default: today, UTC].
    #[arg(long, requires = "contact_name")]
    pub consent_given_on: Option<String>,
    /// Where the signed form or note of the consent is kept.
    #[arg(long, requires = "contact_name")]
    pub consent_record: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("whose").required(true).args(["commitment", "party"])))]
pub struct ContactArgs {
    #[command(flatten)]
    pub common: Common,
    /// The contact commitment (64 hex digits), as the party's registration shows it.
    #[arg(long)]
    pub commitment: Option<String>,
    /// The party's key: everything kept about its contact persons.
    #[arg(long)]
    pub party: Option<String>,
    /// Leave the data and its salt out: what remains proves the consent alone.
    #[arg(long)]
    pub consent_only: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub common: Common,
    /// The destination directory (created 0700 if absent); each run adds a snapshot.
    pub dest: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub common: Common,
    /// A snapshot directory, DEST/<time>, as `backup` wrote it.
    pub snapshot: PathBuf,
    /// Set the data directory's ledger aside (in replaced-<time>/) and put the snapshot's in
    /// its place.
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Args)]
pub struct EraseArgs {
    #[command(flatten)]
    pub common: Common,
    /// The party's contact commitment (64 hex digits), as shown in its registration.
    #[arg(long)]
    pub commitment: String,
}

impl Common {
    fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            origin: self.origin.clone(),
            ..Overrides::default()
        }
    }
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TERROIR_LOG")
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        // Colour codes only for a terminal, not in a log file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    match cli.command {
        Command::Serve(args) => {
            let over = Overrides {
                bind: args.bind,
                base_url: args.base_url.clone(),
                max_body_bytes: args.max_body_bytes,
                trusted_proxies: args.trusted_proxy.clone(),
                policy: args.policy.clone(),
                demo: args.demo,
                ..args.common.overrides()
            };
            let settings = Settings::resolve(&over)?;
            actix_web::rt::System::new().block_on(crate::server::serve(settings, args.demo))
        }
        Command::Witness(args) => {
            let witness = crate::witness::Witness::open(&args.data_dir, &args.name, &args.logs)?;
            actix_web::rt::System::new().block_on(crate::witness::serve(witness, args.bind))
        }
        Command::Monitor(args) => {
            let policy = match &args.policy {
                Some(path) => {
                    let text = std::fs::read_to_string(path)?;
                    Some(
                        terroir_shared::log::Policy::parse(&text)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                    )
                }
                None => None,
            };
            let log_key = match (&args.log_key, &policy) {
                (Some(k), _) => k.clone(),
                (None, Some(p)) => {
                    p.logs().first().cloned().ok_or_else(|| anyhow::anyhow!("the policy names no log"))?
                }
                (None, None) => anyhow::bail!("give --log-key or --policy"),
            };
            let monitor = crate::monitor::Monitor::new(&args.url, &log_key, policy, args.data_dir.clone())?;
            let gauges = std::sync::Arc::new(crate::monitor::Gauges::default());
            if let Some(bind) = args.metrics_bind {
                crate::monitor::serve_metrics(gauges.clone(), bind)?;
            }
            println!("monitoring {} (log key {log_key}) every {} s", args.url, args.interval);
            let code = crate::monitor::run(
                monitor,
                std::time::Duration::from_secs(args.interval),
                args.once,
                gauges,
            )?;
            std::process::exit(code)
        }
        Command::Init(common) => {
            let settings = Settings::resolve(&common.overrides())?;
            let node = crate::server::Node::open(&settings)?;
            println!("data directory: {}", settings.data_dir.display());
            println!("log origin:     {}", settings.origin);
            println!("verifier key:   {}", node.ledger.vkey());
            println!("operator key:   {}", node.ledger.identity().operator);
            node.close();
            Ok(())
        }
        Command::Enrol(args) => {
            let settings = Settings::resolve(&args.common.overrides())?;
            let enrolment = enrolment(&args)?;
            println!("{}", crate::server::enrol(&settings, enrolment)?);
            Ok(())
        }
        Command::EraseContact(args) => {
            let settings = Settings::resolve(&args.common.overrides())?;
            let commitment = commitment(&args.commitment)?;
            erase_contact(&settings, &commitment)
        }
        Command::Contact(args) => {
            let settings = Settings::resolve(&args.common.overrides())?;
            let whose = match (&args.commitment, &args.party) {
                (Some(c), _) => Whose::Commitment(commitment(c)?),
                (None, Some(p)) => Whose::Party(terroir_shared::party::PartyId(
                    p.parse().map_err(|e| anyhow::anyhow!("--party: {e}"))?,
                )),
                (None, None) => anyhow::bail!("give --commitment or --party"),
            };
            let held = crate::service::personal::access(&settings.data_dir, whose, args.consent_only)?;
            if held.is_empty() {
                anyhow::bail!("nothing is kept about that contact in {}", settings.data_dir.display());
            }
            println!("{}", serde_json::to_string_pretty(&held)?);
            Ok(())
        }
        Command::Backup(args) => {
            let settings = Settings::resolve(&args.common.overrides())?;
            let snapshot =
                crate::service::backup::backup(&settings.data_dir, &args.dest, (system_clock())())?;
            println!(
                "wrote {} (ledger {} bytes, personal data {} bytes)",
                snapshot.dir.display(),
                snapshot.ledger_bytes,
                snapshot.personal_bytes
            );
            if snapshot.purged > 0 {
                println!(
                    "erased {} item(s) of erased contact data from older snapshots there",
                    snapshot.purged
                );
            }
            Ok(())
        }
        Command::Restore(args) => {
            let settings = Settings::resolve(&args.common.overrides())?;
            crate::server::create_private_dir(&settings.data_dir)?;
            let owner = crate::owner::Owner::require(&settings.data_dir)?;
            let restored = crate::service::backup::restore(
                &settings.data_dir,
                &args.snapshot,
                args.replace,
                (system_clock())(),
            )?;
            drop(owner);
            if let Some(aside) = &restored.replaced {
                println!("the ledger that was here is in {}", aside.display());
            }
            println!(
                "restored {} into {} ({} contact record(s) added from it)",
                args.snapshot.display(),
                settings.data_dir.display(),
                restored.merged
            );
            for c in &restored.erased_again {
                println!("erased again: {c} (erased after the snapshot was taken)");
            }
            println!("{} erasure(s) on the register", restored.erasures);
            Ok(())
        }
        Command::Demo(common) => {
            let settings = Settings::resolve(&common.overrides())?;
            let node = crate::server::Node::open(&settings)?;
            let loaded = actix_web::rt::System::new().block_on(node.load_demo());
            node.close();
            println!("loaded the sample ledger: {}", loaded?);
            Ok(())
        }
        Command::Audit(common) => {
            let settings = Settings::resolve(&common.overrides())?;
            crate::server::audit(&settings)
        }
    }
}

fn enrolment(args: &EnrolArgs) -> anyhow::Result<crate::service::enrol::Enrolment> {
    let key =
        args.key.parse::<terroir_shared::crypto::PublicKey>().map_err(|e| anyhow::anyhow!("--key: {e}"))?;
    let roles = args
        .roles
        .iter()
        .map(|r| {
            serde_json::from_value(serde_json::Value::String(r.trim().to_lowercase()))
                .map_err(|_| anyhow::anyhow!("unknown role `{r}`"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let contact = match &args.contact_name {
        Some(name) => {
            let given_on = match &args.consent_given_on {
                Some(day) => day.parse().map_err(|e| anyhow::anyhow!("--consent-given-on: {e}"))?,
                None => terroir_shared::calendar::Date::of((system_clock())()),
            };
            let consent = terroir_shared::commitment::Consent {
                purpose: nonempty("--consent-purpose", &args.consent_purpose)?,
                given_on,
                collected_by: nonempty("--consent-collected-by", &args.consent_collected_by)?,
                record: args.consent_record.clone().filter(|r| !r.trim().is_empty()),
            };
            let data = terroir_shared::commitment::PersonalData {
                name: nonempty("--contact-name", &Some(name.clone()))?,
                phone: args.contact_phone.clone().filter(|p| !p.trim().is_empty()),
            };
            Some(crate::service::personal::Given { data, consent })
        }
        None => None,
    };
    Ok(crate::service::enrol::Enrolment { key, name: args.name.clone(), roles, contact })
}

fn nonempty(flag: &str, value: &Option<String>) -> anyhow::Result<String> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => anyhow::bail!("{flag} must not be empty"),
    }
}

fn commitment(hex: &str) -> anyhow::Result<terroir_shared::commitment::Commitment> {
    let hash = hex.parse().map_err(|_| anyhow::anyhow!("--commitment: 64 lowercase hex digits"))?;
    Ok(terroir_shared::commitment::Commitment(hash))
}

/// Erases, and says what it reached and what it did not.
fn erase_contact(
    settings: &Settings,
    commitment: &terroir_shared::commitment::Commitment,
) -> anyhow::Result<()> {
    use crate::db::personal::Erased;
    let erasure =
        crate::service::backup::erase_everywhere(&settings.data_dir, commitment, (system_clock())())?;
    match erasure.outcome {
        Erased::Now => println!("erased the contact data behind {}", commitment.0),
        Erased::Before(_) => println!("the contact data behind {} was erased before", commitment.0),
        Erased::Unknown => {
            println!("no contact data is kept for {}", commitment.0);
            return Ok(());
        }
    }
    let mut unreached = 0;
    for reach in &erasure.backups {
        match &reach.result {
            Ok(n) => println!("backups in {}: erased from {n} snapshot(s)", reach.dest.display()),
            Err(e) => {
                unreached += 1;
                eprintln!("backups in {}: NOT reached ({e})", reach.dest.display());
            }
        }
    }
    if unreached > 0 {
        anyhow::bail!(
            "{unreached} backup destination(s) not reached: run erase-contact again when they are, \
             or restore them only with `restore`, which erases again what the register lists"
        );
    }
    Ok(())
}
