//! The station: one co-op's keys, settings and store, and every use case the window offers.
//! Each act is checked by the ledger's own rules against the station's view, signed, and
//! stored durably before the call returns; the sync sends it later.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use diesel::Connection;
use diesel::sqlite::SqliteConnection;
use serde::{Deserialize, Serialize};
use terroir_shared::asset::{Asset, AssetId, Status, garden_cap_key};
use terroir_shared::calendar::Timestamp;
use terroir_shared::crypto::Keypair;
use terroir_shared::gs1::Gtin;
use terroir_shared::party::{Party, PartyId, Role};
use terroir_shared::record::{Act, Attachment, AuthoriseDevice, Commission, Record, Transform, Unsigned};
use terroir_shared::rules::{self, Context, Rules, needs};

use crate::client::Client;
use crate::describe::{asset_label, event_name, explain, kilograms, short};
use crate::error::{Result, StationError};
use crate::forms::{self, ActForm, CattleForm, GardenForm, Lookup, TeaBatchForm};
use crate::keys::StationKeys;
use crate::labels::{self, Label};
use crate::store::{self, AssetFilter, RecordRow, RecordState, SyncCounts};
use crate::sync::SyncStatus;
use crate::view::{self, AssetView, RecordView};
use crate::words::{Language, Said, said};

pub const DATABASE_FILE: &str = "station.sqlite";

/// The clock the station signs with; tests pass their own.
pub use terroir_shared::calendar::Clock;

pub fn system_clock() -> Clock {
    Arc::new(|| Timestamp::from_system_time(std::time::SystemTime::now()))
}

/// The first-run form: the co-op, the ledger it writes to, and its GS1 company numbers.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct SetupForm {
    pub coop_name: String,
    pub roles: Vec<Role>,
    pub station_label: String,
    pub server_url: String,
    /// The log's origin and verifier key, as the operator published them. Empty: ask the
    /// server (which must then be reachable).
    pub origin: String,
    pub verifier_key: String,
    pub tea_gtin: String,
    pub cattle_gtin: String,
    /// The window's language, `en` or `zh`; English when empty.
    pub language: String,
}

/// The station's settings as stored.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub coop_name: String,
    pub roles: Vec<Role>,
    pub station_label: String,
    pub server_url: String,
    pub origin: String,
    pub verifier_key: String,
    pub operator: Option<String>,
    pub tea_gtin: Option<String>,
    pub cattle_gtin: Option<String>,
    pub language: Language,
}

/// What the window's header shows.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StationStatus {
    pub set_up: bool,
    pub party_key: Option<String>,
    pub device_key: Option<String>,
    pub settings: Option<Settings>,
    pub enrolled: bool,
    pub counts: SyncCounts,
    pub sync: SyncStatus,
}

/// The result of an act: the record that was signed and stored, and what it created.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    pub record: String,
    pub summary: Said,
    pub created: Vec<String>,
}

/// An asset with its timeline and lineage as the station knows them.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetDetail {
    pub row: AssetView,
    pub records: Vec<RecordView>,
    pub parents: Vec<AssetView>,
    pub children: Vec<AssetView>,
    pub uri: Option<String>,
}

/// A known organisation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyRow {
    pub id: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// Read from the ledger rather than assumed by this station.
    pub confirmed: bool,
}

/// A written label sheet.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sheet {
    pub path: String,
    pub labels: usize,
    pub bytes: usize,
}

/// How the station prints labels: on which stock, moved by how much.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Printing {
    /// A stock's id, e.g. `a4-3x8-63.5x33.9` (see `labels::STOCKS`).
    pub stock: String,
    #[serde(default)]
    pub offset: labels::Offset,
    /// Open each sheet in the system's PDF viewer once it is written, to print it from there.
    #[serde(default = "yes")]
    pub open_sheet: bool,
}

fn yes() -> bool {
    true
}

impl Default for Printing {
    fn default() -> Self {
        Self {
            stock: labels::Stock::default_stock().id.to_owned(),
            offset: labels::Offset::default(),
            open_sheet: true,
        }
    }
}

/// The label stocks the station prints on, and what it prints with now.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintingChoice {
    pub stocks: &'static [labels::Stock],
    pub printing: Printing,
}

impl Printing {
    /// The chosen stock; the default one if a later version no longer knows it.
    pub fn stock(&self) -> &'static labels::Stock {
        labels::Stock::find(&self.stock).unwrap_or_else(labels::Stock::default_stock)
    }
}

pub struct Station {
    dir: PathBuf,
    conn: Mutex<SqliteConnection>,
    keys: Mutex<Option<Arc<StationKeys>>>,
    clock: Clock,
    pub(crate) sync_status: Mutex<SyncStatus>,
}

impl Station {
    /// Opens the station in `dir` (created if needed).
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with_clock(dir, system_clock())
    }

    pub fn open_with_clock(dir: &Path, clock: Clock) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StationError::file(format!("{}: {e}", dir.display())))?;
        let conn = store::open(&dir.join(DATABASE_FILE))?;
        let keys = StationKeys::load(dir)?.map(Arc::new);
        Ok(Self {
            dir: dir.to_owned(),
            conn: Mutex::new(conn),
            keys: Mutex::new(keys),
            clock,
            sync_status: Mutex::new(SyncStatus::default()),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn db(&self) -> MutexGuard<'_, SqliteConnection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn now(&self) -> Timestamp {
        (self.clock)()
    }

    pub(crate) fn keys(&self) -> Result<Arc<StationKeys>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or_else(StationError::not_set_up)
    }

    /// The settings, or `NotReady` before the first run is complete.
    /// Read in one query (another process on the same data directory, the headless command or
    /// the window, sees a change at once).
    pub fn settings(&self) -> Result<Settings> {
        let mut stored = store::all_settings(&mut self.db())?;
        let mut take = |k: &str| stored.remove(k);
        let Some(origin) = take("origin") else {
            return Err(StationError::not_set_up());
        };
        let roles: Vec<Role> = take("roles")
            .map(|r| serde_json::from_str(&r))
            .transpose()
            .map_err(|e| store::corrupt("roles", e))?
            .unwrap_or_default();
        Ok(Settings {
            coop_name: take("coop_name").unwrap_or_default(),
            roles,
            station_label: take("station_label").unwrap_or_default(),
            server_url: take("server_url").unwrap_or_default(),
            origin,
            verifier_key: take("verifier_key").unwrap_or_default(),
            operator: take("operator"),
            tea_gtin: take("tea_gtin"),
            cattle_gtin: take("cattle_gtin"),
            language: take("language").and_then(|l| Language::parse(&l)).unwrap_or_default(),
        })
    }

    pub fn status(&self) -> Result<StationStatus> {
        let keys = self.keys().ok();
        let settings = self.settings().ok();
        let mut conn = self.db();
        let counts = store::counts(&mut conn)?;
        let enrolled = match &keys {
            Some(k) => {
                store::party(&mut conn, &PartyId(k.party.public()))?.is_some_and(|(_, confirmed)| confirmed)
            }
            None => false,
        };
        drop(conn);
        Ok(StationStatus {
            set_up: settings.is_some() && keys.is_some(),
            party_key: keys.as_ref().map(|k| k.party.public().to_string()),
            device_key: keys.as_ref().map(|k| k.device.public().to_string()),
            settings,
            enrolled,
            counts,
            sync: self.sync_status.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        })
    }

    /// First run: creates the keys (or keeps restored ones), stores the settings, assumes the
    /// co-op is enrolled as stated until the ledger says so, and queues the authorisation of
    /// this station's key, signed with the co-op's key.
    pub fn setup(&self, form: SetupForm) -> Result<StationStatus> {
        if self.settings().is_ok() {
            return Err(StationError::input(
                "setup",
                said("this station is already set up", "本站已经设置过了"),
            ));
        }
        let coop_name = form.coop_name.trim().to_owned();
        if coop_name.is_empty() {
            return Err(StationError::input("coopName", said("the co-op's name", "请填写合作社名称")));
        }
        if form.roles.is_empty() {
            return Err(StationError::input("roles", said("choose at least one role", "请至少选择一个角色")));
        }
        let language = match form.language.trim() {
            "" => Language::default(),
            code => Language::parse(code)
                .ok_or_else(|| StationError::input("language", said("English or Chinese", "英文或中文")))?,
        };
        let server_url = server_address(&form.server_url)?;
        let tea_gtin = optional_gtin("teaGtin", &form.tea_gtin)?;
        let cattle_gtin = optional_gtin("cattleGtin", &form.cattle_gtin)?;
        let (origin, verifier_key, operator) = if form.origin.trim().is_empty()
            || form.verifier_key.trim().is_empty()
        {
            let info = Client::new(&server_url).log_info().map_err(|e| {
                StationError::input(
                    "serverUrl",
                    said(
                        format!("{e}. Connect once, or enter the ledger's origin and verifier key by hand."),
                        format!("{e}。请先联网一次，或手动填写账本的标识和验证密钥。"),
                    ),
                )
            })?;
            (info.origin, info.verifier_key, Some(info.operator.to_string()))
        } else {
            let vkey = form.verifier_key.trim().to_owned();
            terroir_shared::log::VerifierKey::parse(&vkey).map_err(|e| {
                StationError::input(
                    "verifierKey",
                    said("not a verifier key", "不是有效的验证密钥").with_detail(e),
                )
            })?;
            (form.origin.trim().to_owned(), vkey, None)
        };
        if !verifier_key.starts_with(&format!("{origin}+")) {
            return Err(StationError::input(
                "verifierKey",
                said("the verifier key is not for this origin", "该验证密钥不属于这个账本标识"),
            ));
        }
        let keys = match self.keys() {
            Ok(k) => k,
            Err(_) => {
                let k = Arc::new(StationKeys::create(&self.dir)?);
                *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = Some(k.clone());
                k
            }
        };
        let label = match form.station_label.trim() {
            "" => "station".to_owned(),
            l => l.to_owned(),
        };
        let me = PartyId(keys.party.public());
        {
            let mut conn = self.db();
            conn.transaction(|conn| -> Result<()> {
                for (k, v) in [
                    ("coop_name", coop_name.as_str()),
                    ("station_label", &label),
                    ("server_url", &server_url),
                    ("origin", &origin),
                    ("verifier_key", &verifier_key),
                    ("language", language.code()),
                ] {
                    store::set_setting(conn, k, v)?;
                }
                let roles = serde_json::to_string(&form.roles).map_err(|e| store::corrupt("roles", e))?;
                store::set_setting(conn, "roles", &roles)?;
                if let Some(op) = &operator {
                    store::set_setting(conn, "operator", op)?;
                }
                if let Some(g) = &tea_gtin {
                    store::set_setting(conn, "tea_gtin", g.as_str())?;
                }
                if let Some(g) = &cattle_gtin {
                    store::set_setting(conn, "cattle_gtin", g.as_str())?;
                }
                let assumed = Party {
                    id: me,
                    name: coop_name.clone(),
                    roles: form.roles.iter().copied().collect(),
                    contact: None,
                    registered_by: terroir_shared::Hash::default(),
                };
                store::put_party(conn, &assumed, false)?;
                Ok(())
            })?;
        }
        let authorise = Act::AuthoriseDevice(AuthoriseDevice::new(&keys.device, &me, &origin, &label));
        let summary = said(format!("Authorise station “{label}”"), format!("授权工作站“{label}”"));
        self.sign_and_store(&keys.party, authorise, summary, None)?;
        self.status()
    }

    /// Changes the server address and the GS1 numbers (the ledger and the keys never change).
    pub fn update_settings(&self, server_url: &str, tea_gtin: &str, cattle_gtin: &str) -> Result<Settings> {
        self.settings()?;
        let server_url = server_address(server_url)?;
        let tea = optional_gtin("teaGtin", tea_gtin)?;
        let cattle = optional_gtin("cattleGtin", cattle_gtin)?;
        {
            let mut conn = self.db();
            store::set_setting(&mut conn, "server_url", &server_url)?;
            if let Some(g) = tea {
                store::set_setting(&mut conn, "tea_gtin", g.as_str())?;
            }
            if let Some(g) = cattle {
                store::set_setting(&mut conn, "cattle_gtin", g.as_str())?;
            }
        }
        self.settings()
    }

    /// Changes the window's language.
    pub fn set_language(&self, language: Language) -> Result<Settings> {
        self.settings()?;
        store::set_setting(&mut self.db(), "language", language.code())?;
        self.settings()
    }

    /// Writes the key backup file (0600).
    pub fn export_backup(&self, path: &Path) -> Result<()> {
        self.keys()?.export(path)
    }

    /// Restores the keys from a backup before the first run's setup.
    pub fn restore_backup(&self, backup: &str) -> Result<()> {
        if self.keys().is_ok() {
            return Err(StationError::input(
                "backup",
                said("this station already has keys", "本站已经有密钥了"),
            ));
        }
        let k = StationKeys::restore(&self.dir, backup)?;
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(k));
        Ok(())
    }

    /// A QR code (PNG, base64) of a key, for the operator or the co-op to scan.
    pub fn key_qr(&self, which: &str) -> Result<String> {
        let keys = self.keys()?;
        let key = match which {
            "party" => keys.party.public(),
            "device" => keys.device.public(),
            _ => return Err(StationError::input("which", said("party or device", "合作社或工作站"))),
        };
        Ok(base64::engine::general_purpose::STANDARD.encode(labels::qr_png(&key.to_string())?))
    }

    fn lookup_gtins(&self) -> Result<(Option<Gtin>, Option<Gtin>)> {
        let s = self.settings()?;
        let parse = |g: Option<String>| g.and_then(|g| Gtin::parse(&g).ok());
        Ok((parse(s.tea_gtin), parse(s.cattle_gtin)))
    }

    /// Runs `f` with a form lookup over the station's current view.
    fn with_lookup<T>(&self, f: impl FnOnce(&Lookup<'_>) -> Result<T>) -> Result<T> {
        let (tea_gtin, cattle_gtin) = self.lookup_gtins()?;
        let conn = std::cell::RefCell::new(self.db());
        let get = |id: &AssetId| store::asset(&mut conn.borrow_mut(), id).ok().flatten();
        f(&Lookup { asset: &get, tea_gtin, cattle_gtin })
    }

    /// Registers one animal (and its photo, as an attachment on a note).
    pub fn register_cattle(&self, form: CattleForm) -> Result<Done> {
        let asset = self.with_lookup(|l| forms::cattle(&form, l))?;
        let tag = form.ear_tag.trim().to_owned();
        let summary = said(format!("Register cattle {tag}"), format!("登记肉牛 {tag}"));
        let done = self.act_as_device(Act::Commission(Commission::new(vec![asset])), summary)?;
        if let Some(photo) = &form.photo {
            let id = done.created.first().cloned().unwrap_or_default();
            let event = forms::EventForm::Note { text: "registration photo".into() };
            self.act(ActForm::Event { assets: vec![id], event, attachment: Some(photo.clone()) })?;
        }
        Ok(done)
    }

    /// Registers every animal of a CSV file in one record, or none if any line is wrong.
    pub fn import_cattle_csv(&self, csv_text: &str) -> Result<Done> {
        let rows = forms::cattle_csv(csv_text).map_err(|errors| {
            let lines: Vec<Said> = errors.iter().map(|(l, m)| line(*l).with(m)).collect();
            StationError::input("csv", Said::join(&lines))
        })?;
        let assets = self.with_lookup(|l| {
            let mut errors = vec![];
            let mut assets = vec![];
            for (i, row) in rows.iter().enumerate() {
                match forms::cattle(row, l) {
                    Ok(a) => assets.push(a),
                    Err(e) => errors.push(line(i + 2).with(&e.said())),
                }
            }
            if errors.is_empty() { Ok(assets) } else { Err(StationError::input("csv", Said::join(&errors))) }
        })?;
        let n = assets.len();
        if n > rules::MAX_OUTPUTS {
            let most = rules::MAX_OUTPUTS;
            return Err(StationError::input(
                "csv",
                said(format!("at most {most} animals per file"), format!("每个文件最多 {most} 头")),
            ));
        }
        self.act_as_device(
            Act::Commission(Commission::new(assets)),
            said(format!("Register {n} cattle from a file"), format!("从文件登记 {n} 头肉牛")),
        )
    }

    /// Registers a pressing of tea: the lot and one token per cake.
    pub fn register_tea(&self, form: TeaBatchForm) -> Result<Done> {
        let lot = self.with_lookup(|l| forms::tea_batch(&form, l))?;
        let (count, lot_number) = (form.count, form.lot_number.trim());
        let summary = said(
            format!("Register {count} tea cakes, lot {lot_number}"),
            format!("登记 {count} 饼茶，批号 {lot_number}"),
        );
        self.act_as_device(Act::Commission(Commission::new(vec![lot])), summary)
    }

    /// Registers a garden's cap for a season: from then on this co-op registers no more tea of
    /// that garden and season than its area × yield.
    pub fn register_garden(&self, form: GardenForm) -> Result<Done> {
        let cap = forms::garden_cap(&form)?;
        let (garden, season, grams) =
            (form.garden.trim(), form.season.trim(), kilograms(cap.quantity.amount()));
        let summary = said(
            format!("Register the cap of {garden} for {season}: {}", grams.en),
            format!("登记 {garden} {season} 的额度：{}", grams.zh),
        );
        self.act_as_device(Act::Commission(Commission::new(vec![cap])), summary)
    }

    /// Any act on existing assets.
    pub fn act(&self, form: ActForm) -> Result<Done> {
        // The file is kept with the record, once the rules accept the act: a refused act keeps
        // nothing.
        let file = match &form {
            ActForm::Event { attachment: Some(file), .. } => {
                let bytes =
                    base64::engine::general_purpose::STANDARD.decode(file.base64.trim()).map_err(|_| {
                        StationError::input("attachment", said("the file could not be read", "文件无法读取"))
                    })?;
                Some((forms::attachment(file, &bytes)?, bytes))
            }
            _ => None,
        };
        let act = self.with_lookup(|l| forms::act(&form, l, file.as_ref().map(|(a, _)| a.clone())))?;
        let summary = self.summary(&act);
        self.act_as_device_with(act, summary, file.as_ref())
    }

    fn summary(&self, act: &Act) -> Said {
        let names: Vec<Said> = act
            .touches()
            .iter()
            .map(|r| {
                store::asset(&mut self.db(), &r.id)
                    .ok()
                    .flatten()
                    .map(|a| asset_label(&a))
                    .unwrap_or_else(|| Said::same(short(&r.id)))
            })
            .collect();
        let what = match act {
            Act::Observe(o) => {
                let e = event_name(&o.event);
                said(format!("Record {}", e.en), format!("记录{}", e.zh))
            }
            Act::Split(s) => {
                let parts = s.parts.iter().map(|p| p.amount.to_string()).collect::<Vec<_>>().join(" + ");
                said(format!("Split into {parts}"), format!("拆分为 {parts}"))
            }
            Act::Merge(_) => said("Merge", "合并"),
            Act::Transform(t) => said(format!("Transform ({})", t.process), format!("加工（{}）", t.process)),
            Act::Transfer(t) => {
                let to = self.party_name(&t.to);
                said(format!("Transfer to {to}"), format!("转让给 {to}"))
            }
            Act::Custody(c) => {
                let to = self.party_name(&c.to);
                said(format!("Hand to {to}"), format!("交给 {to} 保管"))
            }
            Act::Pledge(p) => {
                let to = self.party_name(&p.financier);
                said(format!("Pledge to {to}"), format!("质押给 {to}"))
            }
            Act::Release(_) => said("Release pledge", "解除质押"),
            Act::Retire(r) => said(format!("Retire ({})", r.reason), format!("注销（{}）", r.reason)),
            Act::Unpack(_) => said("Take out of its lot", "从批次中取出"),
            other => Said::same(other.name()),
        };
        let Some(first) = names.first() else { return what };
        match names.len() {
            1 => what.with(first),
            n => {
                let more = n - 1;
                what.with(&said(format!("{} and {more} more", first.en), format!("{} 等 {n} 件", first.zh)))
            }
        }
    }

    fn party_name(&self, id: &PartyId) -> String {
        store::party(&mut self.db(), id).ok().flatten().map(|(p, _)| p.name).unwrap_or_else(|| short(id))
    }

    fn act_as_device(&self, act: Act, summary: Said) -> Result<Done> {
        self.act_as_device_with(act, summary, None)
    }

    /// [`Self::act_as_device`], keeping `file` (an attachment the act names, and its bytes)
    /// with the record.
    fn act_as_device_with(
        &self,
        act: Act,
        summary: Said,
        file: Option<&(Attachment, Vec<u8>)>,
    ) -> Result<Done> {
        let keys = self.keys()?;
        let act = self.with_caps(act, &PartyId(keys.party.public()))?;
        let act = self.with_units(act)?;
        self.sign_and_store(&keys.device, act, summary, file)
    }

    /// A split of a lot that holds units (cakes with their own labels) hands them to the parts
    /// by count, in serial order, as the clerk gives the parts' amounts.
    fn with_units(&self, mut act: Act) -> Result<Act> {
        let Act::Split(split) = &mut act else { return Ok(act) };
        if split.parts.iter().any(|p| !p.units.is_empty()) {
            return Ok(act);
        }
        let Some(lot) = store::asset(&mut self.db(), &split.asset.id)? else { return Ok(act) };
        if lot.contents.is_empty() {
            return Ok(act);
        }
        let counts: Vec<u64> = split.parts.iter().map(|p| p.amount).collect();
        // Counts that do not add up are left for the rules to explain.
        if let Some(units) = terroir_shared::asset::take_by_count(&lot.contents, &counts) {
            for (part, units) in split.parts.iter_mut().zip(units) {
                part.units = units;
            }
        }
        Ok(act)
    }

    /// Names the co-op's garden caps that the new tea of `act` draws on, at the heads this
    /// station knows; the rules then count the tea against them.
    fn with_caps(&self, mut act: Act, me: &PartyId) -> Result<Act> {
        let mut conn = self.db();
        let (outputs, inputs, allowances) = match &mut act {
            Act::Commission(Commission { assets, allowances }) => (&*assets, Vec::new(), allowances),
            Act::Transform(Transform { inputs, outputs, allowances, .. }) => {
                let mut known = Vec::with_capacity(inputs.len());
                for r in inputs.iter() {
                    known.extend(store::asset(&mut conn, &r.id)?);
                }
                (&*outputs, known, allowances)
            }
            _ => return Ok(act),
        };
        for tea in rules::new_tea(outputs, &inputs, Rules::CURRENT) {
            let key = garden_cap_key(me, &tea.garden, &tea.season, Rules::CURRENT);
            let Some(id) = store::holder_of(&mut conn, &key)? else { continue };
            if let Some(cap) = store::asset(&mut conn, &id)?
                && !allowances.iter().any(|a| a.id == cap.id)
            {
                allowances.push(cap.reference());
            }
        }
        Ok(act)
    }

    /// Signs `act` for the co-op with `signer`, judges it with the ledger's rules against the
    /// station's view, and stores the record and its effects in one transaction.
    fn sign_and_store(
        &self,
        signer: &Keypair,
        act: Act,
        summary: Said,
        file: Option<&(Attachment, Vec<u8>)>,
    ) -> Result<Done> {
        let settings = self.settings()?;
        let keys = self.keys()?;
        let me = PartyId(keys.party.public());
        let now = self.now();
        let record =
            Record { origin: settings.origin.clone(), party: me, signer: signer.public(), at: now, act };
        let signed = Unsigned::new(record).sign(signer).map_err(|e| {
            StationError::input("record", said("cannot sign this record", "无法签署这条记录").with_detail(e))
        })?;
        let operator =
            settings.operator.as_deref().and_then(|o| forms::party("operator", o).ok()).unwrap_or(me);
        // The station judges by the current rules; a ledger opened under older ones refuses
        // less, never more.
        let ctx = Context { origin: &settings.origin, operator, rules: Rules::CURRENT, now };
        let mut conn = self.db();
        conn.transaction(|conn| -> Result<Done> {
            let view = store::snapshot(conn, &signed)?;
            let effects = rules::apply(&view, &signed, &ctx).map_err(|v| StationError::Refused {
                code: v.code(),
                message: explain(&v, |id| describe_from(&view, id)),
            })?;
            let id = signed.id().to_string();
            let envelope =
                serde_json::to_string(&signed.envelope()).map_err(|e| store::corrupt("record", e))?;
            let words = serde_json::to_string(&summary).map_err(|e| store::corrupt("summary", e))?;
            let touched: Vec<String> = effects.assets.iter().map(|a| a.id.to_string()).collect();
            let seq = store::insert_record(
                conn,
                &id,
                signed.body().act.name(),
                &words,
                &envelope,
                now.millis() as i64,
                &touched,
            )?;
            for p in &effects.parties {
                store::put_party(conn, p, false)?;
            }
            for d in &effects.devices {
                store::put_device(conn, d)?;
            }
            for a in &effects.assets {
                store::put_asset(conn, a, &asset_label(a).both(), seq)?;
            }
            if let Some((a, bytes)) = file {
                store::put_attachment(conn, &a.sha256.to_string(), &a.name, &a.media_type, bytes)?;
            }
            let created = needs(&signed, Rules::CURRENT).creates.iter().map(|a| a.to_string()).collect();
            Ok(Done { record: id, summary, created })
        })
    }

    /// The asset list.
    pub fn assets(&self, filter: &AssetFilter) -> Result<Vec<AssetView>> {
        Ok(view::assets(store::assets_of(&mut self.db(), filter)?))
    }

    /// One asset with its timeline (this station's records about it) and lineage.
    pub fn asset(&self, id: &str) -> Result<AssetDetail> {
        let asset_id: AssetId =
            id.parse().map_err(|_| StationError::input("id", said("an asset id", "货品编号")))?;
        let base = self.settings()?.server_url;
        let mut conn = self.db();
        let asset = store::asset(&mut conn, &asset_id)?.ok_or_else(|| {
            StationError::input("id", said("this station does not know that asset", "本站不知道这件货品"))
        })?;
        let parents: Vec<String> = asset.parents.iter().map(AssetId::to_string).collect();
        let row = store::rows_of(&mut conn, &[id.to_owned()])?.pop().ok_or_else(|| {
            StationError::input("id", said("this station does not know that asset", "本站不知道这件货品"))
        })?;
        Ok(AssetDetail {
            records: view::records(&store::records_of_asset(&mut conn, id)?),
            parents: view::assets(store::rows_of(&mut conn, &parents)?),
            children: view::assets(store::children(&mut conn, &asset_id)?),
            uri: asset.gs1.as_ref().map(|g| g.to_uri(&base)),
            row: row.into(),
        })
    }

    pub fn records(&self, state: Option<RecordState>, limit: i64) -> Result<Vec<RecordView>> {
        Ok(view::records(&store::records(&mut self.db(), state, limit)?))
    }

    pub fn parties(&self) -> Result<Vec<PartyRow>> {
        let rows = store::parties(&mut self.db())?;
        let mut out: Vec<PartyRow> = rows
            .into_iter()
            .map(|(p, confirmed)| PartyRow {
                id: p.id.to_string(),
                name: p.name,
                roles: p.roles.into_iter().collect(),
                confirmed,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Reads every party from the ledger (for transfers, custody and pledges) and confirms
    /// the co-op's own registration.
    pub fn refresh_parties(&self) -> Result<usize> {
        let client = Client::new(&self.settings()?.server_url);
        let parties = client.parties().map_err(StationError::server)?.parties;
        let mut conn = self.db();
        conn.transaction(|conn| -> Result<()> {
            for p in &parties {
                store::put_party(conn, p, true)?;
            }
            Ok(())
        })?;
        Ok(parties.len())
    }

    /// Reads an asset from the ledger into this station's view: by id, or by the GS1 Digital
    /// Link on its label (URI or path). A trader's, warehouse's or financier's station works on
    /// assets other stations created. Refused while this station has acts on it waiting to be
    /// sent, which the ledger's state does not show yet.
    pub fn fetch_asset(&self, query: &str) -> Result<AssetView> {
        let q = query.trim();
        let client = Client::new(&self.settings()?.server_url);
        let asset: Asset = if let Ok(id) = q.parse::<AssetId>() {
            crate::client::asset(&client, &id)?
        } else {
            let link = terroir_shared::gs1::DigitalLink::parse(q).map_err(|e| {
                StationError::input(
                    "query",
                    said("an asset id or a label's address", "货品编号或标签地址").with_detail(e),
                )
            })?;
            crate::client::resolve(&client, &link)?
        };
        let id = asset.id.to_string();
        let mut conn = self.db();
        let waiting = store::records_of_asset(&mut conn, &id)?.iter().any(|r| r.state == "pending");
        if waiting {
            return Err(StationError::input(
                "query",
                said(
                    "this asset has acts waiting to be sent: sync first",
                    "这件货品还有待发送的操作：请先同步",
                ),
            ));
        }
        // The units packed in it follow it (rules version 2): the station needs them to judge a
        // split or a sale of the lot, as the ledger will.
        let units = asset
            .contents
            .iter()
            .flat_map(terroir_shared::asset::UnitRange::ids)
            .map(|u| crate::client::asset(&client, &u))
            .collect::<Result<Vec<Asset>>>()?;
        store::put_asset(&mut conn, &asset, &asset_label(&asset).both(), 0)?;
        for unit in &units {
            store::put_asset(&mut conn, unit, &asset_label(unit).both(), 0)?;
        }
        store::rows_of(&mut conn, &[id])?
            .pop()
            .map(AssetView::from)
            .ok_or_else(|| StationError::Server(said("The asset could not be stored", "货品无法保存")))
    }

    /// The labels of an asset: a lot's own label followed by one per cake it holds; any other
    /// asset's own label. Only assets with a GS1 key have labels.
    pub fn labels_of(&self, id: &str) -> Result<Vec<Label>> {
        let detail = self.asset(id)?;
        let settings = self.settings()?;
        let mut units: Vec<Asset> = detail
            .children
            .into_iter()
            .map(|c| c.asset)
            .filter(|c| matches!(&c.status, Status::Contained { holder } if holder.to_string() == id))
            .collect();
        // In serial order, as the clerk sticks them on: `…/21/002` before `…/21/010`.
        units.sort_by_cached_key(|a| {
            let serial = a.gs1.as_ref().and_then(|l| l.serial().map(str::to_owned)).unwrap_or_default();
            (serial.len(), serial)
        });
        let labels: Vec<Label> = std::iter::once(&detail.row.asset)
            .chain(&units)
            .filter_map(|a| labels::label_of(a, &settings.server_url, &settings.coop_name))
            .collect();
        if labels.is_empty() {
            return Err(StationError::input(
                "id",
                said(
                    "this asset has no GS1 key, so no label to print",
                    "这件货品没有 GS1 编码，没有可打印的标签",
                ),
            ));
        }
        Ok(labels)
    }

    /// A PNG preview (base64) of one asset's label on the stock the station prints on.
    pub fn label_preview(&self, id: &str) -> Result<String> {
        let first = self.labels_of(id)?.remove(0);
        let printing = self.printing()?;
        Ok(base64::engine::general_purpose::STANDARD.encode(labels::label_png(&first, printing.stock())?))
    }

    /// The label stock and printer offset the station prints with.
    pub fn printing(&self) -> Result<Printing> {
        let stored = store::setting(&mut self.db(), "printing")?;
        let printing: Printing = match stored {
            Some(json) => serde_json::from_str(&json).map_err(|e| store::corrupt("printing", e))?,
            None => Printing::default(),
        };
        Ok(printing)
    }

    /// The stocks to choose from and the choice made.
    pub fn printing_choice(&self) -> Result<PrintingChoice> {
        Ok(PrintingChoice { stocks: &labels::STOCKS, printing: self.printing()? })
    }

    /// Chooses the label stock and the printer offset.
    pub fn set_printing(&self, printing: Printing) -> Result<Printing> {
        if labels::Stock::find(&printing.stock).is_none() {
            let known: Vec<&str> = labels::STOCKS.iter().map(|s| s.id).collect();
            return Err(StationError::input(
                "stock",
                said("one of the label stocks", "请选择一种标签纸").with_detail(known.join(", ")),
            ));
        }
        if !printing.offset.is_valid() {
            return Err(StationError::input("offset", {
                let most = labels::Offset::MAX_MM;
                said(
                    format!("a printer offset of at most {most} mm each way"),
                    format!("打印偏移每个方向最多 {most} 毫米"),
                )
            }));
        }
        let json = serde_json::to_string(&printing).map_err(|e| store::corrupt("printing", e))?;
        store::set_setting(&mut self.db(), "printing", &json)?;
        Ok(printing)
    }

    /// Writes the label sheet of an asset (a lot: its own label, then every cake in serial
    /// order) on the chosen stock to `path`, or to the station's `labels/` folder when `path` is
    /// `None`.
    pub fn print_labels(&self, id: &str, path: Option<&Path>) -> Result<Sheet> {
        let all = self.labels_of(id)?;
        let printing = self.printing()?;
        let pdf = labels::sheet_pdf(&all, printing.stock(), printing.offset)?;
        let path = match path {
            Some(p) => p.to_owned(),
            None => {
                let dir = self.dir.join("labels");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| StationError::file(format!("{}: {e}", dir.display())))?;
                dir.join(format!("labels-{}.pdf", &id[..id.len().min(12)]))
            }
        };
        std::fs::write(&path, &pdf).map_err(|e| StationError::file(format!("{}: {e}", path.display())))?;
        Ok(Sheet { path: path.display().to_string(), labels: all.len(), bytes: pdf.len() })
    }
}

/// The ledger server's address as typed: trimmed, without a trailing slash, http or https.
fn server_address(typed: &str) -> Result<String> {
    let url = typed.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(StationError::input(
            "serverUrl",
            said(
                "the ledger server's address, e.g. https://ledger.example",
                "账本服务器地址，例如 https://ledger.example",
            ),
        ));
    }
    Ok(url.to_owned())
}

fn optional_gtin(field: &str, value: &str) -> Result<Option<Gtin>> {
    let v = value.trim();
    if v.is_empty() { Ok(None) } else { forms::gtin(field, v).map(Some) }
}

fn describe_from(view: &impl rules::LedgerView, id: &AssetId) -> Said {
    view.asset(id).map(|a| asset_label(&a)).unwrap_or_else(|| Said::same(short(id)))
}

/// "line 3", as a CSV file's errors name it.
fn line(n: usize) -> Said {
    said(format!("line {n}"), format!("第 {n} 行"))
}

/// The signed record a stored row holds.
pub(crate) fn envelope_of(row: &RecordRow) -> Result<terroir_shared::record::Envelope<Record>> {
    terroir_shared::record::Envelope::from_json(row.envelope.as_bytes())
        .map_err(|e| StationError::Store(store::corrupt("record", e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_address_is_http_or_https_without_a_trailing_slash() {
        assert_eq!(
            server_address(" https://ledger.example/ ").ok().as_deref(),
            Some("https://ledger.example")
        );
        assert_eq!(server_address("http://127.0.0.1:8080").ok().as_deref(), Some("http://127.0.0.1:8080"));
        for bad in ["", "ledger.example", "ftp://ledger.example", "  /"] {
            let err = server_address(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("the ledger server's address"), "{bad:?}: {err}");
        }
    }
}
