//! A fresh ledger per test: a temporary data directory, the real writer, the real routes, a
//! fixed clock, and helpers to build and sign records.

use std::collections::BTreeSet;
use std::sync::Arc;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test, web};
use serde_json::Value;
use terroir_backend::http::{self, AppState, Setup};
use terroir_backend::metrics::Metrics;
use terroir_backend::service::ledger::{Ledger, LogIdentity};
use terroir_backend::service::reader::Reader;
use terroir_backend::service::scans::ScanCounter;
use terroir_shared::asset::{Packing, Product, Quantity, TeaLot, TeaOrigin, Unit};
use terroir_shared::calendar::{Date, Timestamp};
use terroir_shared::crypto::Keypair;
use terroir_shared::log::LogSigner;
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, NewAsset, Record, RegisterParty, Signed, Unsigned};

pub const ORIGIN: &str = "ledger.test/terroir";
pub const NOW: u64 = 1_790_000_000_000;

pub struct Harness {
    pub _dir: tempfile::TempDir,
    pub state: web::Data<AppState>,
    pub operator: Keypair,
    clock: u64,
}

pub fn key(seed: u8) -> Keypair {
    Keypair::from_seed(&[seed; 32])
}

pub fn party(k: &Keypair) -> PartyId {
    PartyId(k.public())
}

impl Harness {
    pub fn new() -> Self {
        Self::with_body_limit(16 * 1024 * 1024)
    }

    pub fn with_body_limit(max_body_bytes: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let operator = key(200);
        let signer =
            LogSigner::new(ORIGIN, ed25519_dalek::SigningKey::from_bytes(&[201; 32])).expect("log key");
        let identity = LogIdentity { origin: ORIGIN.into(), operator: party(&operator), signer };
        let db = dir.path().join("ledger.sqlite");
        let metrics = Arc::new(Metrics::default());
        let (ledger, _writer) =
            Ledger::open(&db, identity, &operator, Arc::new(|| Timestamp(NOW)), metrics.clone())
                .expect("open ledger");
        let reader = Reader::open(db.clone(), 4).expect("read connections");
        let (scans, _) =
            ScanCounter::start(&db, Arc::new(|| Timestamp(NOW)), metrics.clone()).expect("scan counter");
        terroir_backend::http::problem::set_base_url("http://labels.test");
        let setup = Setup {
            base_url: "http://labels.test".into(),
            max_body_bytes,
            trusted_proxies: vec![[127, 0, 0, 1].into()],
            policy: None,
        };
        let state = web::Data::new(AppState::new(ledger, reader, scans, metrics, setup));
        Self { _dir: dir, state, operator, clock: NOW - 1_000_000 }
    }

    pub fn vkey(&self) -> String {
        self.state.ledger.vkey().to_owned()
    }

    pub fn sign(&mut self, signer: &Keypair, on_behalf: PartyId, act: Act) -> Signed<Record> {
        self.clock += 1;
        let record = Record {
            origin: ORIGIN.into(),
            party: on_behalf,
            signer: signer.public(),
            at: Timestamp(self.clock),
            act,
        };
        Unsigned::new(record).sign(signer).expect("sign")
    }

    pub fn own(&mut self, signer: &Keypair, act: Act) -> Signed<Record> {
        self.sign(signer, party(signer), act)
    }

    pub fn register(&mut self, k: &Keypair, name: &str, roles: &[Role]) -> Signed<Record> {
        let act = Act::RegisterParty(RegisterParty {
            id: party(k),
            name: name.into(),
            roles: roles.iter().copied().collect::<BTreeSet<_>>(),
            contact: None,
        });
        let operator = Keypair::from_seed(self.operator.seed());
        self.own(&operator, act)
    }
}

/// The real routes over `state`, in process.
pub async fn app(
    state: web::Data<AppState>,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    test::init_service(App::new().app_data(state).configure(http::routes)).await
}

/// POSTs `body` as JSON to `path`; returns the status and the JSON answer.
pub async fn post<S>(app: &S, path: &str, body: &impl serde::Serialize) -> (u16, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let req = test::TestRequest::post().uri(path).set_json(body).to_request();
    let resp = test::call_service(app, req).await;
    let status = resp.status().as_u16();
    let bytes = test::read_body(resp).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

pub async fn get<S>(app: &S, path: &str) -> (u16, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let (status, bytes) = get_bytes(app, path, "application/json").await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

pub async fn get_bytes<S>(app: &S, path: &str, accept: &str) -> (u16, Vec<u8>)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let req = test::TestRequest::get().uri(path).insert_header(("accept", accept)).to_request();
    let resp = test::call_service(app, req).await;
    let status = resp.status().as_u16();
    (status, test::read_body(resp).await.to_vec())
}

pub fn tea_lot(garden: &str, pieces: u64) -> NewAsset {
    NewAsset {
        product: Product::TeaLot(TeaLot {
            origin: TeaOrigin {
                garden: garden.into(),
                mountain: Some("Bulang".into()),
                harvest_season: "2026 spring".into(),
            },
            pressed_on: Date::from_ymd(2026, 4, 20).expect("date"),
            cake_weight_g: 357,
            packing: Packing::Lot,
        }),
        quantity: Quantity::new(pieces, Unit::Piece).expect("quantity"),
        gs1: None,
        part_of: None,
        units: None,
    }
}

/// A cap on `garden` for 2026 spring: `area_m2` × `yield_g_per_m2` grams, nothing issued yet.
pub fn garden_cap(garden: &str, area_m2: u64, yield_g_per_m2: u64) -> NewAsset {
    let product = Product::TeaGarden(terroir_shared::asset::TeaGarden {
        garden: garden.into(),
        season: "2026 spring".into(),
        area_m2,
        yield_g_per_m2,
        issued_g: 0,
    });
    NewAsset {
        product,
        quantity: Quantity::new(area_m2 * yield_g_per_m2, Unit::Gram).expect("quantity"),
        gs1: None,
        part_of: None,
        units: None,
    }
}

/// A harness holding the sample ledger (a year and more of it, ending before the clock).
pub async fn sample_ledger() -> Harness {
    let h = Harness::new();
    let app = app(h.state.clone()).await;
    let start = terroir_shared::calendar::Timestamp(NOW - 400 * 86_400_000);
    let records =
        terroir_backend::service::demo::demo_records(ORIGIN, &h.operator, [9; 32], start).expect("demo");
    assert!(terroir_backend::service::demo::demo_end(&records).is_some_and(|end| end.0 <= NOW));
    for chunk in records.chunks(500) {
        let (status, answer) = post(&app, "/api/records/batch", &chunk).await;
        assert_eq!(status, 200);
        let results = answer["results"].as_array().expect("results");
        assert!(results.iter().all(|r| r["outcome"] == "accepted"), "{answer}");
    }
    h
}

/// A tool the tests run: the path in `env`, else `name` on the PATH.
/// scripts/install-test-deps installs each into the target directory.
pub fn tool(env: &str, name: &str) -> std::path::PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return path.into();
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is needed: run scripts/install-test-deps, or set {env}"))
}
