//! What can go wrong at the station, in words a clerk can act on, in both of the window's
//! languages. The window shows `message` in the clerk's language; `field` points at the form
//! input to fix; `code` is the ledger's stable code when the rules refused.

use serde::Serialize;

use crate::store::StoreError;
use crate::words::{Said, said};

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// A form value is wrong; nothing was signed or stored.
    #[error("{field}: {message}")]
    Input { field: String, message: Said },
    /// The ledger's rules refuse the act; nothing was signed or stored.
    #[error("{message}")]
    Refused { code: &'static str, message: Said },
    /// The station is not set up yet, or a setting is missing.
    #[error("{0}")]
    NotReady(Said),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Server(Said),
    #[error("{0}")]
    File(Said),
    #[error("labels: {0}")]
    Label(#[from] crate::labels::LabelError),
}

impl StationError {
    pub fn input(field: &str, message: Said) -> Self {
        StationError::Input { field: field.into(), message }
    }

    /// The ledger could not be asked; `detail` is what the connection said.
    pub fn server(detail: impl std::fmt::Display) -> Self {
        StationError::Server(said("The ledger could not be reached", "无法连接账本").with_detail(detail))
    }

    /// A file could not be read or written; `detail` names it and what the system said.
    pub fn file(detail: impl std::fmt::Display) -> Self {
        StationError::File(said("A file could not be read or written", "文件无法读写").with_detail(detail))
    }

    pub fn not_set_up() -> Self {
        StationError::NotReady(said("The station is not set up yet.", "本站尚未设置。"))
    }

    fn kind(&self) -> &'static str {
        match self {
            StationError::Input { .. } => "input",
            StationError::Refused { .. } => "refused",
            StationError::NotReady(_) => "not_ready",
            StationError::Store(_) => "store",
            StationError::Server(_) => "server",
            StationError::File(_) => "file",
            StationError::Label(_) => "label",
        }
    }

    /// What the window shows, in both languages.
    pub fn said(&self) -> Said {
        match self {
            StationError::Input { message, .. } | StationError::Refused { message, .. } => message.clone(),
            StationError::NotReady(s) | StationError::Server(s) | StationError::File(s) => s.clone(),
            StationError::Store(e) => said("The station's database", "本站数据库").with_detail(e),
            StationError::Label(e) => said("The labels could not be made", "标签无法生成").with_detail(e),
        }
    }
}

/// The form the window receives: `{kind, message: {en, zh}, field?, code?}`.
impl Serialize for StationError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", self.kind())?;
        match self {
            StationError::Input { field, .. } => m.serialize_entry("field", field)?,
            StationError::Refused { code, .. } => m.serialize_entry("code", code)?,
            _ => {}
        }
        m.serialize_entry("message", &self.said())?;
        m.end()
    }
}

impl From<diesel::result::Error> for StationError {
    fn from(e: diesel::result::Error) -> Self {
        StationError::Store(e.into())
    }
}

pub type Result<T, E = StationError> = std::result::Result<T, E>;
