//! What can go wrong at the station, in words a clerk can act on. The window shows `message`;
//! `field` points at the form input to fix; `code` is the ledger's stable code when the rules
//! refused.

use serde::Serialize;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// A form value is wrong; nothing was signed or stored.
    #[error("{field}: {message}")]
    Input { field: String, message: String },
    /// The ledger's rules refuse the act; nothing was signed or stored.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// The station is not set up yet, or a setting is missing.
    #[error("{0}")]
    NotReady(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Server(String),
    #[error("{0}")]
    File(String),
    #[error("labels: {0}")]
    Label(#[from] crate::labels::LabelError),
}

impl StationError {
    pub fn input(field: &str, message: impl Into<String>) -> Self {
        StationError::Input { field: field.into(), message: message.into() }
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
}

/// The form the window receives: `{kind, message, field?, code?}`.
impl Serialize for StationError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", self.kind())?;
        match self {
            StationError::Input { field, message } => {
                m.serialize_entry("field", field)?;
                m.serialize_entry("message", message)?;
            }
            StationError::Refused { code, message } => {
                m.serialize_entry("code", code)?;
                m.serialize_entry("message", message)?;
            }
            other => m.serialize_entry("message", &other.to_string())?,
        }
        m.end()
    }
}

impl From<diesel::result::Error> for StationError {
    fn from(e: diesel::result::Error) -> Self {
        StationError::Store(e.into())
    }
}

pub type Result<T, E = StationError> = std::result::Result<T, E>;
