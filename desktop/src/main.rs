//! Terroir Station: the co-op's desktop window. Every command forwards to `terroir_station`;
//! the window itself (`ui/`) is plain HTML, CSS and ES modules embedded at build time.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{Manager, State};
use terroir_station::forms::{ActForm, CattleForm, GardenForm, TeaBatchForm};
use terroir_station::station::{
    AssetDetail, Done, ImportedEvent, PartyRow, Printing, PrintingChoice, Settings, Sheet, StationStatus,
};
use terroir_station::store::{AssetFilter, RecordState};
use terroir_station::sync::{LedgerSync, SyncStatus, SyncWorker};
use terroir_station::verify::Verdict;
use terroir_station::view::{AssetView, RecordView};
use terroir_station::words::{Language, said};
use terroir_station::{Result, SetupForm, Station, StationError};

/// The station and its background sync, shared by every command.
struct App {
    station: Arc<Station>,
    sync: Arc<LedgerSync>,
    worker: SyncWorker,
}

/// What the window's header shows: the station, and where its sync stands.
#[derive(serde::Serialize)]
struct Header {
    #[serde(flatten)]
    station: StationStatus,
    sync: SyncStatus,
}

impl App {
    /// Runs an act and asks the sync to send it.
    fn acted<T>(&self, result: Result<T>) -> Result<T> {
        self.worker.nudge();
        result
    }
}

/// When the process started: the first `status` call (the window's script asks for it as soon
/// as it runs) logs the cold start to a working window.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
static SHOWN: std::sync::Once = std::sync::Once::new();

#[tauri::command(async)]
fn status(app: State<'_, App>) -> Result<Header> {
    SHOWN.call_once(|| {
        let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis());
        let at = terroir_station::station::system_clock()().millis();
        tracing::info!("window ready {ms} ms after start (at {at} ms since the epoch)");
    });
    Ok(Header { station: app.station.status()?, sync: app.sync.status() })
}

#[tauri::command(async)]
fn setup(app: State<'_, App>, form: SetupForm) -> Result<StationStatus> {
    app.acted(app.station.setup(form))
}

#[tauri::command(async)]
fn restore_backup(app: State<'_, App>, backup: String) -> Result<()> {
    app.station.restore_backup(&backup)
}

#[tauri::command(async)]
fn export_backup(app: State<'_, App>) -> Result<String> {
    let path = app.station.dir().join(format!("station-keys-{}.json", chrono_free_stamp()));
    app.station.export_backup(&path).map(|()| path.display().to_string())
}

#[tauri::command(async)]
fn key_qr(app: State<'_, App>, which: String) -> Result<String> {
    app.station.key_qr(&which)
}

#[tauri::command(async)]
fn update_settings(
    app: State<'_, App>,
    server_url: String,
    tea_gtin: String,
    cattle_gtin: String,
) -> Result<Settings> {
    app.acted(app.station.update_settings(&server_url, &tea_gtin, &cattle_gtin))
}

#[tauri::command(async)]
fn register_cattle(app: State<'_, App>, form: CattleForm) -> Result<Done> {
    app.acted(app.station.register_cattle(form))
}

#[tauri::command(async)]
fn import_cattle_csv(app: State<'_, App>, csv: String) -> Result<Done> {
    app.acted(app.station.import_cattle_csv(&csv))
}

#[tauri::command(async)]
fn import_epcis(app: State<'_, App>, document: String) -> Result<Vec<ImportedEvent>> {
    app.acted(app.station.import_epcis(&document))
}

#[tauri::command(async)]
fn register_tea(app: State<'_, App>, form: TeaBatchForm) -> Result<Done> {
    app.acted(app.station.register_tea(form))
}

#[tauri::command(async)]
fn register_garden(app: State<'_, App>, form: GardenForm) -> Result<Done> {
    app.acted(app.station.register_garden(form))
}

#[tauri::command(async)]
fn act(app: State<'_, App>, form: ActForm) -> Result<Done> {
    app.acted(app.station.act(form))
}

#[tauri::command(async)]
fn assets(app: State<'_, App>, filter: AssetFilter) -> Result<Vec<AssetView>> {
    app.station.assets(&filter)
}

#[tauri::command(async)]
fn asset(app: State<'_, App>, id: String) -> Result<AssetDetail> {
    app.station.asset(&id)
}

#[tauri::command(async)]
fn fetch_asset(app: State<'_, App>, query: String) -> Result<AssetView> {
    app.station.fetch_asset(&query)
}

#[tauri::command(async)]
fn records(app: State<'_, App>, state: Option<RecordState>, limit: Option<i64>) -> Result<Vec<RecordView>> {
    app.station.records(state, limit.unwrap_or(500))
}

#[tauri::command(async)]
fn set_language(app: State<'_, App>, language: Language) -> Result<Settings> {
    app.station.set_language(language)
}

#[tauri::command(async)]
fn parties(app: State<'_, App>) -> Result<Vec<PartyRow>> {
    app.station.parties()
}

#[tauri::command(async)]
fn refresh_parties(app: State<'_, App>) -> Result<usize> {
    app.station.refresh_parties()
}

#[tauri::command(async)]
fn label_preview(app: State<'_, App>, id: String) -> Result<String> {
    app.station.label_preview(&id)
}

#[tauri::command(async)]
fn printing(app: State<'_, App>) -> Result<PrintingChoice> {
    app.station.printing_choice()
}

#[tauri::command(async)]
fn set_printing(app: State<'_, App>, printing: Printing) -> Result<Printing> {
    app.station.set_printing(printing)
}

#[tauri::command(async)]
fn print_labels(app: State<'_, App>, id: String) -> Result<Sheet> {
    app.station.print_labels(&id, None)
}

/// Opens a printed sheet in the system's PDF viewer, from which the clerk prints it. Only
/// sheets the station wrote into its `labels/` folder.
#[tauri::command(async)]
fn open_sheet(app: State<'_, App>, path: String) -> Result<()> {
    let labels = app.station.dir().join("labels").canonicalize().ok();
    // The file itself, links resolved: it is what gets opened and what is checked.
    let path = PathBuf::from(path).canonicalize().ok().filter(|p| {
        labels.as_ref().is_some_and(|l| p.starts_with(l))
            && p.is_file()
            && p.extension().is_some_and(|e| e == "pdf")
    });
    let Some(path) = path else {
        return Err(StationError::input("path", said("a sheet this station printed", "本站打印的标签页")));
    };
    open::that_detached(&path).map_err(|e| {
        let p = path.display();
        StationError::File(said(
            format!("The sheet is saved at {p}, but no program to show PDFs could be started: {e}"),
            format!("标签页已保存在 {p}，但无法启动显示 PDF 的程序：{e}"),
        ))
    })
}

#[tauri::command(async)]
fn sync_now(app: State<'_, App>) {
    app.worker.nudge()
}

#[tauri::command(async)]
fn verify_photo(app: State<'_, App>, image: String) -> Result<Vec<Verdict>> {
    app.station.verify_photo(&image)
}

#[tauri::command(async)]
fn verify_uri(app: State<'_, App>, uri: String) -> Result<Verdict> {
    app.station.verify_uri(&uri)
}

/// Seconds since the epoch, for backup file names.
fn chrono_free_stamp() -> u64 {
    terroir_station::station::system_clock()().millis() / 1000
}

/// `TERROIR_STATION_DIR`, or the platform's application data directory.
fn data_dir(app: &tauri::App) -> std::result::Result<PathBuf, StationError> {
    match std::env::var_os("TERROIR_STATION_DIR") {
        Some(d) => Ok(PathBuf::from(d)),
        None => app.path().app_data_dir().map_err(|e| StationError::file(format!("no data directory: {e}"))),
    }
}

fn main() {
    STARTED.get_or_init(std::time::Instant::now);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TERROIR_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let result = tauri::Builder::default()
        .setup(|app| {
            let dir = data_dir(app)?;
            let station = Arc::new(Station::open(&dir)?);
            tracing::info!("station data in {}", dir.display());
            let sync = Arc::new(LedgerSync::new(station.clone()));
            let worker = SyncWorker::spawn(sync.clone());
            app.manage(App { station, sync, worker });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            status,
            setup,
            restore_backup,
            export_backup,
            key_qr,
            update_settings,
            set_language,
            register_cattle,
            import_cattle_csv,
            import_epcis,
            register_tea,
            register_garden,
            act,
            assets,
            asset,
            fetch_asset,
            records,
            parties,
            refresh_parties,
            label_preview,
            print_labels,
            printing,
            set_printing,
            open_sheet,
            sync_now,
            verify_photo,
            verify_uri,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("terroir-desktop: {e}");
        std::process::exit(1);
    }
}
