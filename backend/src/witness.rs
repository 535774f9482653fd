//! `terroir-backend witness`: a witness for Terroir ledgers (and any C2SP log with an Ed25519
//! key), run by someone other than the ledger's operator. It speaks C2SP tlog-witness: a log
//! posts each new checkpoint to `POST /add-checkpoint` with a consistency proof from the last
//! one this witness cosigned, and gets back the witness's cosignature line. What it last
//! cosigned for each log is written to disk (fsynced, then renamed into place) before it
//! answers, so a witness that restarts still refuses a log rolled back or forked behind it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use terroir_shared::Hash;
use terroir_shared::calendar::Timestamp;
use terroir_shared::log::witness::{AddCheckpoint, Cosigned, Refusal, add_checkpoint, origin_of};
use terroir_shared::log::{Cosigner, VerifierKey};

/// The witness's key file in its data directory.
pub const WITNESS_KEY_FILE: &str = "witness.key";

/// The largest request a witness reads: a checkpoint note and 63 proof lines fit many times.
const MAX_BODY: usize = 16 * 1024;

/// A running witness's state: its key, the logs it follows and where it keeps what it cosigned.
pub struct Witness {
    cosigner: Cosigner,
    /// Each log's origin and verifier key.
    logs: Vec<(String, String)>,
    dir: PathBuf,
    /// Check and update are one step for every log: no two requests race past the same state.
    lock: Mutex<()>,
}

impl Witness {
    /// Opens the witness in `dir` (its key is made there on first start) for the logs whose
    /// verifier keys are `logs`.
    pub fn open(dir: &Path, name: &str, logs: &[String]) -> anyhow::Result<Self> {
        let state = dir.join("cosigned");
        std::fs::create_dir_all(&state).with_context(|| format!("{}", state.display()))?;
        let key = crate::keys::load_or_create(dir, WITNESS_KEY_FILE)?;
        let cosigner = Cosigner::new(name, key.signing_key().clone())?;
        let logs = logs
            .iter()
            .map(|vkey| {
                Ok((VerifierKey::parse(vkey).with_context(|| format!("log key {vkey}"))?.name, vkey.clone()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { cosigner, logs, dir: state, lock: Mutex::new(()) })
    }

    /// The witness's verifier key, for logs' and pages' policies.
    pub fn vkey(&self) -> String {
        self.cosigner.public().to_string()
    }

    /// Judges one request body: the cosignature line, or the refusal; an error reading or
    /// writing the witness's own state is its own failure, not the request's.
    pub fn add(&self, body: &str, now: u64) -> Result<Result<String, Refusal>, std::io::Error> {
        let request = match AddCheckpoint::parse(body) {
            Ok(r) => r,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let origin = origin_of(&request.note).unwrap_or_default().to_owned();
        let Some((_, vkey)) = self.logs.iter().find(|(o, _)| *o == origin) else {
            return Ok(Err(Refusal::UnknownLog(origin)));
        };
        let _one = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.state_path(&origin);
        let last = read_state(&path)?;
        match add_checkpoint(&self.cosigner, vkey, last.as_ref(), &request, now) {
            Ok(accepted) => {
                write_state(&path, &accepted.keep)?;
                Ok(Ok(accepted.line))
            }
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    fn state_path(&self, origin: &str) -> PathBuf {
        self.dir.join(format!("{}.state", Hash::sha256(origin.as_bytes()).to_hex()))
    }
}

/// The state file: size, root (hex), time, then the checkpoint body.
fn read_state(path: &Path) -> std::io::Result<Option<Cosigned>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let bad =
        || std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{} is damaged", path.display()));
    let mut parts = text.splitn(4, '\n');
    let mut next = || parts.next().ok_or_else(bad);
    let size = next()?.parse().map_err(|_| bad())?;
    let root = next()?.parse().map_err(|_| bad())?;
    let time = next()?.parse().map_err(|_| bad())?;
    let body = next()?.to_owned();
    Ok(Some(Cosigned { size, root, body, time }))
}

/// Writes the state to a new file, fsyncs it, renames it over the old one and fsyncs the
/// directory: after a crash the state is the old one or the new one, never a mix.
fn write_state(path: &Path, state: &Cosigned) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    write!(file, "{}\n{}\n{}\n{}", state.size, state.root.to_hex(), state.time, state.body)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The time, in the whole seconds cosignatures carry.
fn now() -> u64 {
    Timestamp::from_system_time(std::time::SystemTime::now()).millis() / 1000
}

async fn add_checkpoint_handler(witness: web::Data<Witness>, body: web::Bytes) -> HttpResponse {
    let Ok(text) = std::str::from_utf8(&body).map(str::to_owned) else {
        return HttpResponse::BadRequest()
            .content_type(ContentType::plaintext())
            .body("the body is not UTF-8\n");
    };
    let w = witness.clone();
    let answer = web::block(move || w.add(&text, now())).await;
    match answer {
        Ok(Ok(Ok(line))) => HttpResponse::Ok().content_type(ContentType::plaintext()).body(line),
        Ok(Ok(Err(Refusal::WrongOldSize(size)))) => {
            HttpResponse::Conflict().content_type("text/x.tlog.size").body(format!("{size}\n"))
        }
        Ok(Ok(Err(refusal))) => {
            let status = actix_web::http::StatusCode::from_u16(refusal.status())
                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
            if refusal.status() == 409 || refusal.status() == 422 {
                tracing::warn!("refused a checkpoint: {refusal}");
            }
            HttpResponse::build(status).content_type(ContentType::plaintext()).body(format!("{refusal}\n"))
        }
        Ok(Err(e)) => {
            tracing::error!("the witness's own state: {e}");
            HttpResponse::InternalServerError()
                .content_type(ContentType::plaintext())
                .body(format!("the witness's own state cannot be read or written: {e}\n"))
        }
        Err(e) => {
            HttpResponse::InternalServerError().content_type(ContentType::plaintext()).body(format!("{e}\n"))
        }
    }
}

async fn about(witness: web::Data<Witness>) -> HttpResponse {
    let logs: Vec<&str> = witness.logs.iter().map(|(o, _)| o.as_str()).collect();
    HttpResponse::Ok().content_type(ContentType::plaintext()).body(format!(
        "Terroir witness (C2SP tlog-witness)\nkey: {}\nlogs: {}\nIt cosigns a checkpoint only if it is consistent with the last one it \
         cosigned for that log, and for one log and one size it cosigns at most one checkpoint body.\n",
        witness.vkey(),
        logs.join(", ")
    ))
}

/// Serves the witness on `bind` until stopped.
pub async fn serve(witness: Witness, bind: std::net::SocketAddr) -> anyhow::Result<()> {
    println!("witness key: {}", witness.vkey());
    let witness = web::Data::new(witness);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(witness.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .route("/add-checkpoint", web::post().to(add_checkpoint_handler))
            .route("/", web::get().to(about))
    })
    .bind(bind)
    .with_context(|| format!("bind {bind}"))?;
    println!("listening on http://{}", server.addrs().first().copied().unwrap_or(bind));
    server.run().await?;
    Ok(())
}
