//! The co-op station without its window: everything the desktop app does, as plain Rust that
//! tests drive directly. The Tauri shell in `desktop/src` only forwards its commands here.
//!
//! - `station/`: the use cases (set up, register, act, list, labels) over the local store
//! - `forms`: what the window sends, checked field by field and turned into acts
//! - `store/`: the station's SQLite database (diesel): the record queue and its view of assets
//! - `sync`: sending queued records in batches, checking every receipt, retrying with backoff
//! - `verify`: reading a label photo and checking the asset's history against the ledger
//! - `labels/`: QR codes, label previews and the printable sheet
//! - `words`, `describe/`, `view`: what the station says in English and Chinese, and the views
//!   the window receives
//! - `keys`, `client`, `error`: the keys on disk, the server's API, errors

pub mod client;
pub mod describe;
pub mod error;
pub mod forms;
pub mod keys;
pub mod labels;
pub mod station;
pub mod store;
pub mod sync;
pub mod verify;
pub mod view;
pub mod words;

pub use error::{Result, StationError};
pub use station::{SetupForm, Station};
