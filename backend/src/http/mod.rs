//! The HTTP API: thin handlers that extract, call a service and map the result. Routes are
//! listed here; one module per resource.

mod assets;
mod body;
mod docs;
mod home;
mod label;
mod log;
pub mod problem;
mod records;
mod resolver;

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use diesel::sqlite::SqliteConnection;

use crate::db::ReadPool;
use crate::metrics::Metrics;
use crate::service::ledger::Ledger;
use problem::ApiError;

/// What every handler can reach.
pub struct AppState {
    pub ledger: Ledger,
    pub pool: ReadPool,
    pub metrics: Arc<Metrics>,
    pub base_url: String,
    pub max_body_bytes: usize,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The database file, for the workers' own read connections.
    pub database: std::path::PathBuf,
    /// Label checks, counted beside the ledger.
    pub scans: crate::service::scans::ScanCounter,
    /// The C2SP tlog-policy label pages require, as its file says it.
    pub policy: Option<String>,
}

thread_local! {
    /// Each HTTP worker's own read connection, for point reads too small to send to the
    /// blocking pool (a hop costs more than the read).
    static READER: std::cell::RefCell<Option<(std::path::PathBuf, SqliteConnection)>> =
        const { std::cell::RefCell::new(None) };
}

impl AppState {
    /// Runs a short read (a few point lookups) right here on the worker's own connection.
    pub fn read_now<T>(
        &self,
        f: impl FnOnce(&mut SqliteConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        READER.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().is_none_or(|(path, _)| *path != self.database) {
                let conn =
                    crate::db::open_reader(&self.database).map_err(|e| ApiError::Internal(e.into()))?;
                *slot = Some((self.database.clone(), conn));
            }
            match slot.as_mut() {
                Some((_, conn)) => f(conn),
                None => Err(ApiError::Unavailable),
            }
        })
    }

    /// Runs `f` with a read connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(|e| ApiError::Internal(crate::db::DbError::from(e).into()))?;
            f(&mut conn)
        })
        .await?
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Bad query strings and path segments answer with problem documents too.
    cfg.app_data(
        web::QueryConfig::default().error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()));
    // Labels first: the scan is the most frequent request, and a scope's prefix is matched
    // without the regular expression a tail pattern needs (the resolver reads the whole path).
    // The buyer's page and its evidence are compressed (a phone on a slow network); the
    // scripts are served gzipped as stored.
    cfg.service(
        web::scope("/01")
            .wrap(actix_web::middleware::Compress::default())
            .default_service(web::to(resolver::resolve)),
    )
    .route("/checkpoint", web::get().to(log::checkpoint))
    .route("/tile/entries/{path:.*}", web::get().to(log::entry_bundle))
    .route("/tile/{level}/{path:.*}", web::get().to(log::tile))
    .service(
        web::scope("/api")
            .route("/records", web::post().to(records::submit_one))
            .route("/records/batch", web::post().to(records::submit_batch))
            .route("/log", web::get().to(log::info))
            .route("/entries", web::get().to(log::entries))
            .route("/entries/{index}", web::get().to(log::entry))
            .route("/proofs/inclusion", web::get().to(log::inclusion))
            .route("/proofs/consistency", web::get().to(log::consistency))
            .route("/assets/{id}", web::get().to(assets::asset))
            .route("/assets/{id}/history", web::get().to(assets::history))
            .route("/assets/{id}/lineage", web::get().to(assets::lineage))
            .service(
                web::resource("/assets/{id}/evidence")
                    .wrap(actix_web::middleware::Compress::default())
                    .route(web::get().to(label::evidence)),
            )
            .route("/assets/{id}/scans", web::post().to(label::count_check))
            .route("/reports", web::get().to(label::reports))
            .route("/state/{kind}", web::get().to(label::state_proof))
            .route("/parties", web::get().to(assets::parties))
            .route("/parties/{id}", web::get().to(assets::party))
            .route("/openapi.json", web::get().to(docs::openapi))
            .route("/docs", web::get().to(docs::page))
            .route("/problems", web::get().to(docs::problems)),
    )
    .route("/", web::get().to(home::home))
    .route("/metrics", web::get().to(metrics))
    .route("/healthz", web::get().to(healthz))
    .route("/.well-known/terroir-log-key", web::get().to(label::log_key))
    .route("/static/{name}", web::get().to(label::script));
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Metrics",
    description = "Counters and histograms in the OpenMetrics text format, for Prometheus.",
    responses(
        (status = 200, description = "The metrics.", body = String, content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"),
    )
)]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render())
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness",
    description = "Answers `ok` while the server is up. The answer carries no `Content-Type` header; it is plain text.",
    responses(
        (status = 200, description = "`ok` and a newline.", body = String, content_type = "text/plain"),
    )
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}
