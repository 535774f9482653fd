//! `terroir-station`: the co-op station without its window, for co-ops that script their work.
//! The same core and the same data directory as the desktop app: what one does, the other sees.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use terroir_shared::party::Role;
use terroir_station::forms::TeaBatchForm;
use terroir_station::labels::{Offset, STOCKS};
use terroir_station::station::Printing;
use terroir_station::store::AssetFilter;
use terroir_station::sync::LedgerSync;
use terroir_station::words::said;
use terroir_station::{SetupForm, Station, StationError};

mod find;
mod out;

use find::find_asset;
use out::Out;

/// The co-op station, headless: set up, register, print labels, sync, verify, back up keys.
#[derive(Parser)]
#[command(name = "terroir-station", version)]
struct Cli {
    /// The station's data directory (its store, keys and printed sheets) [default: the desktop
    /// app's, e.g. ~/.local/share/org.terroir.station].
    #[arg(long, env = "TERROIR_STATION_DIR", global = true)]
    dir: Option<PathBuf>,
    /// Print results as JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set the station up for a co-op: creates its keys (or keeps restored ones) and queues the
    /// authorisation of this station's key.
    Setup {
        /// The co-op's name as buyers will see it.
        #[arg(long)]
        coop: String,
        /// What the co-op does, comma-separated: cooperative, farm, processor, warehouse, trader.
        #[arg(long, value_delimiter = ',', default_value = "cooperative")]
        roles: Vec<String>,
        /// The ledger server, e.g. https://ledger.example.
        #[arg(long)]
        server: String,
        /// What this station is called within the co-op.
        #[arg(long, default_value = "station")]
        station_label: String,
        /// The log's origin as the operator published it (asked from the server when absent).
        #[arg(long, default_value = "")]
        origin: String,
        /// The log's verifier key as the operator published it (asked from the server when absent).
        #[arg(long, default_value = "")]
        verifier_key: String,
        /// A file holding the ledger's witness policy (C2SP tlog-policy) as the operator
        /// published it, with a hand-entered key (asked from the server when absent).
        #[arg(long)]
        policy: Option<std::path::PathBuf>,
        /// The co-op's GS1 GTIN for tea (14 digits).
        #[arg(long, default_value = "")]
        tea_gtin: String,
        /// The co-op's GS1 GTIN for cattle (14 digits).
        #[arg(long, default_value = "")]
        cattle_gtin: String,
        /// The station window's language: `en` (English) or `zh` (Chinese).
        #[arg(long, default_value = "en")]
        language: String,
    },
    /// What the station is: its keys, settings and queue.
    Status,
    /// Register a pressing of tea cakes: one lot holding a token per cake.
    RegisterTea {
        #[arg(long)]
        garden: String,
        #[arg(long, default_value = "")]
        mountain: String,
        /// e.g. "2026 spring".
        #[arg(long)]
        season: String,
        /// The pressing date, YYYY-MM-DD.
        #[arg(long)]
        pressed: String,
        /// How many cakes.
        #[arg(long)]
        cakes: u64,
        /// The lot number its labels carry.
        #[arg(long)]
        lot: String,
        /// Grams a cake.
        #[arg(long, default_value_t = 357)]
        weight: u32,
        /// lot (loose cakes), tong or jian.
        #[arg(long, default_value = "lot")]
        packing: String,
    },
    /// Register cattle from a CSV file (ear_tag,breed,sex,birth_date,holding); all or none.
    RegisterCattle {
        /// The CSV file.
        csv: PathBuf,
    },
    /// Import a partner's EPCIS 2.0 document (JSON-LD): each event the ledger's rules can
    /// express is signed and queued as its act (commissioning, transformations, splits and
    /// merges, transfers and custody, observations, unpacking, retirement); for each other event
    /// it says why not. Prints what became of every event.
    ImportEpcis {
        /// The EPCIS 2.0 document (an EPCISDocument, or an EPCISQueryDocument).
        file: PathBuf,
    },
    /// List assets, newest first.
    Assets {
        /// Words in the label, or the start of an id.
        #[arg(long, default_value = "")]
        search: String,
    },
    /// Print an asset's label sheet (a lot: its own label, then every cake in serial order).
    Print {
        /// The asset: its id, or words that find exactly one asset (its lot number).
        asset: String,
        /// Where to write the PDF [default: the station's labels/ folder].
        #[arg(long)]
        out: Option<PathBuf>,
        /// The label stock, kept for later prints (see `stocks`).
        #[arg(long)]
        stock: Option<String>,
        /// The printer offset right and down in millimetres, e.g. `1.5,-0.5`; kept for later prints.
        #[arg(long, value_parser = parse_offset, allow_hyphen_values = true)]
        offset: Option<Offset>,
    },
    /// The label stocks the station prints on.
    Stocks,
    /// Send queued records to the ledger, batch by batch, until none is left or the ledger
    /// stops taking them.
    Sync,
    /// Check labels in a photo (PNG or JPEG) against the ledger this station is pinned to.
    Verify { photo: PathBuf },
    /// Write the key backup file (keep it offline: it holds the co-op's private key).
    Backup { file: PathBuf },
    /// Restore the keys from a backup file, before `setup`.
    Restore { file: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terroir-station: {e}");
            // Bad input and refusals are the caller's to fix; anything else is the station's.
            match e {
                StationError::Input { .. } | StationError::Refused { .. } | StationError::NotReady(_) => {
                    ExitCode::from(2)
                }
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn data_dir(cli: &Cli) -> Result<PathBuf, StationError> {
    match &cli.dir {
        Some(dir) => Ok(dir.clone()),
        None => dirs::data_dir().map(|d| d.join("org.terroir.station")).ok_or_else(|| {
            StationError::File(said("No data directory: pass --dir", "没有数据目录：请用 --dir 指定"))
        }),
    }
}

fn run(cli: &Cli) -> Result<(), StationError> {
    let out = Out { json: cli.json };
    if let Command::Stocks = cli.command {
        out.show(&STOCKS, || {
            STOCKS.iter().map(|s| format!("{:<18} {}", s.id, s.name)).collect::<Vec<_>>().join("\n")
        });
        return Ok(());
    }
    let dir = data_dir(cli)?;
    std::fs::create_dir_all(&dir).map_err(|e| StationError::file(format!("{}: {e}", dir.display())))?;
    let station = Arc::new(Station::open(&dir)?);
    match &cli.command {
        Command::Setup {
            coop,
            roles,
            server,
            station_label,
            origin,
            verifier_key,
            policy,
            tea_gtin,
            cattle_gtin,
            language,
        } => {
            let policy = match policy {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| StationError::file(format!("{}: {e}", path.display())))?,
                None => String::new(),
            };
            let roles = roles.iter().map(|r| role(r)).collect::<Result<Vec<_>, _>>()?;
            let status = station.setup(SetupForm {
                coop_name: coop.clone(),
                roles,
                station_label: station_label.clone(),
                server_url: server.clone(),
                origin: origin.clone(),
                verifier_key: verifier_key.clone(),
                policy,
                tea_gtin: tea_gtin.clone(),
                cattle_gtin: cattle_gtin.clone(),
                language: language.clone(),
            })?;
            out.show(&status, || {
                format!(
                    "set up in {}\nco-op key    {}\nstation key  {}\nThe operator enrols the co-op by its key; until then records wait in the queue.",
                    dir.display(),
                    status.party_key.as_deref().unwrap_or("-"),
                    status.device_key.as_deref().unwrap_or("-"),
                )
            });
        }
        Command::Status => {
            let status = station.status()?;
            out.show(&status, || {
                let c = &status.counts;
                format!(
                    "set up       {}\nenrolled     {}\nco-op key    {}\nqueue        {} pending, {} landed, {} refused",
                    status.set_up,
                    status.enrolled,
                    status.party_key.as_deref().unwrap_or("-"),
                    c.pending,
                    c.landed,
                    c.refused
                )
            });
        }
        Command::RegisterTea { garden, mountain, season, pressed, cakes, lot, weight, packing } => {
            let done = station.register_tea(TeaBatchForm {
                garden: garden.clone(),
                mountain: mountain.clone(),
                harvest_season: season.clone(),
                pressed_on: pressed.clone(),
                cake_weight_g: Some(*weight),
                count: *cakes,
                lot_number: lot.clone(),
                packing: packing.clone(),
            })?;
            out.show(&done, || {
                format!("{}\nlot {}", done.summary, done.created.first().map_or("-", String::as_str))
            });
        }
        Command::RegisterCattle { csv } => {
            let text = read_text(csv)?;
            let done = station.import_cattle_csv(&text)?;
            out.show(&done, || format!("{} ({} animals)", done.summary, done.created.len()));
        }
        Command::ImportEpcis { file } => {
            let text = read_text(file)?;
            let lines = station.import_epcis(&text)?;
            out.show(&lines, || {
                let mut text: Vec<String> = lines
                    .iter()
                    .map(|l| {
                        let what = format!("event {} ({}{})", l.n, l.kind, l.event_id.as_deref().map(|id| format!(", {id}")).unwrap_or_default());
                        let mut said: Vec<String> = l.records.iter().map(|(id, s)| format!("recorded {}: {}", &id[..12.min(id.len())], s.en)).collect();
                        if let Some(a) = &l.already {
                            said.push(format!("already in the ledger: {}", a.en));
                        }
                        if let Some(r) = &l.refused {
                            said.push(format!("not recorded: {}", r.en));
                        }
                        format!("{what}: {}", said.join("; "))
                    })
                    .collect();
                let recorded = lines.iter().filter(|l| !l.records.is_empty() && l.refused.is_none()).count();
                let refused = lines.iter().filter(|l| l.refused.is_some()).count();
                text.push(format!(
                    "{} events: {recorded} recorded, {} already in the ledger, {refused} not (or not wholly) recorded",
                    lines.len(),
                    lines.iter().filter(|l| l.already.is_some()).count()
                ));
                text.join("\n")
            });
        }
        Command::Assets { search } => {
            let rows = station.assets(&AssetFilter { search: search.clone(), ..AssetFilter::default() })?;
            out.show(&rows, || {
                rows.iter()
                    .map(|r| format!("{}  {:<10} {}", &r.id[..12], r.state, r.label))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Print { asset, out: path, stock, offset } => {
            let row = find_asset(&station, asset)?;
            if stock.is_some() || offset.is_some() {
                let mut printing = station.printing()?;
                if let Some(stock) = stock {
                    printing.stock = stock.clone();
                }
                if let Some(offset) = offset {
                    printing.offset = *offset;
                }
                station.set_printing(printing)?;
            }
            let sheet = station.print_labels(&row.id, path.as_deref())?;
            let printing: Printing = station.printing()?;
            let what = &row.label;
            out.show(&sheet, || {
                format!(
                    "{} labels on {} written to {}\n({what})",
                    sheet.labels,
                    printing.stock().name,
                    sheet.path
                )
            });
        }
        // Listed above, without opening a station.
        Command::Stocks => {}
        Command::Sync => sync(LedgerSync::new(station.clone()), &out)?,
        Command::Verify { photo } => {
            let bytes =
                std::fs::read(photo).map_err(|e| StationError::file(format!("{}: {e}", photo.display())))?;
            let image = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes);
            let verdicts = station.verify_photo(&image)?;
            let all = verdicts.iter().all(|v| v.verified);
            out.show(&verdicts, || {
                verdicts
                    .iter()
                    .map(|v| {
                        let checks: Vec<String> = v
                            .checks
                            .iter()
                            .map(|c| format!("  {} {}: {}", if c.ok { "✓" } else { "✗" }, c.what, c.detail))
                            .collect();
                        let verdict = if v.verified { "verified" } else { "NOT VERIFIED" };
                        format!("{} — {verdict}\n{}\n{}", v.uri, v.label, checks.join("\n"))
                    })
                    .collect::<Vec<_>>()
                    .join("\n\n")
            });
            if !all {
                return Err(StationError::Refused {
                    code: "not_verified",
                    message: said("A label in the photo did not check out.", "照片中有标签未通过验证。"),
                });
            }
        }
        Command::Backup { file } => {
            station.export_backup(file)?;
            out.say(&format!("keys written to {} (readable by you alone; keep it offline)", file.display()));
        }
        Command::Restore { file } => {
            station.restore_backup(&read_text(file)?)?;
            out.say("keys restored; now run `setup`");
        }
    }
    Ok(())
}

/// Sends the queue batch by batch, saying how far it got after each.
fn sync(ledger: LedgerSync, out: &Out) -> Result<(), StationError> {
    let mut total = terroir_station::sync::SyncReport::default();
    loop {
        let report = ledger.once().map_err(StationError::server)?;
        total.landed += report.landed;
        total.refused += report.refused;
        total.remaining = report.remaining;
        total.awaiting_enrolment = report.awaiting_enrolment;
        if !out.json {
            eprintln!("sync: {} landed, {} refused, {} to go", total.landed, total.refused, total.remaining);
        }
        if report.remaining == 0 || report.awaiting_enrolment || report.landed + report.refused == 0 {
            break;
        }
    }
    out.show(&total, || {
        let waiting =
            if total.awaiting_enrolment { " (waiting for the operator to enrol the co-op)" } else { "" };
        format!(
            "{} landed, {} refused, {} still queued{waiting}",
            total.landed, total.refused, total.remaining
        )
    });
    Ok(())
}

/// `right,down` in millimetres.
fn parse_offset(text: &str) -> Result<Offset, String> {
    let wrong = || format!("`{text}` is not an offset: right and down in millimetres, e.g. 1.5,-0.5");
    let (x, y) = text.split_once(',').ok_or_else(wrong)?;
    let mm = |v: &str| v.trim().parse::<f32>().map_err(|_| wrong());
    Ok(Offset { x_mm: mm(x)?, y_mm: mm(y)? })
}

fn role(name: &str) -> Result<Role, StationError> {
    serde_json::from_value(serde_json::Value::String(name.trim().to_owned())).map_err(|_| {
        StationError::input(
            "roles",
            said(format!("`{name}` is not a role"), format!("`{name}` 不是角色"))
                .with_detail("cooperative, farm, processor, warehouse, trader, financier, veterinarian"),
        )
    })
}

fn read_text(path: &Path) -> Result<String, StationError> {
    std::fs::read_to_string(path).map_err(|e| StationError::file(format!("{}: {e}", path.display())))
}
