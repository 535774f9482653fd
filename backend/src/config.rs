//! Settings from, in order of precedence, command-line flags, `TERROIR_*` environment
//! variables, an optional TOML file, and defaults.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The TOML file's shape; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub origin: Option<String>,
    pub bind: Option<SocketAddr>,
    pub base_url: Option<String>,
    pub max_body_bytes: Option<usize>,
    pub read_connections: Option<u32>,
    pub trusted_proxies: Option<Vec<IpAddr>>,
    pub policy: Option<PathBuf>,
}

/// Effective settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// The log's name, in every checkpoint and every signed record: `host/path`, no scheme.
    pub origin: String,
    /// Where the origin came from: a new log is not started on the default outside demo mode.
    pub origin_from: OriginFrom,
    pub bind: SocketAddr,
    /// Where labels point: the Digital Link URIs are built on it.
    pub base_url: String,
    pub max_body_bytes: usize,
    pub read_connections: u32,
    /// The reverse proxies in front of the server, whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// A C2SP tlog-policy naming this log and its witnesses (with their submission URLs) and
    /// the quorum label pages require.
    pub policy: Option<PathBuf>,
    /// Demo mode: a new log may take the default origin.
    pub demo: bool,
}

/// Where a log's origin came from, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginFrom {
    /// `--origin`, `TERROIR_ORIGIN` or the file's `origin`.
    Told,
    /// The data directory's log was made with it.
    Stored,
    /// The public base URL's host and path (`--base-url https://ledger.example.org/tea` gives
    /// `ledger.example.org/tea`).
    BaseUrl,
    /// [`DEFAULT_ORIGIN`], shared by every deployment that keeps it: for demos only.
    Default,
}

pub const DEFAULT_DATA_DIR: &str = "terroir-data";
pub const DEFAULT_ORIGIN: &str = "localhost/terroir";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error(
        "origin `{0}` cannot name a log: use host/path without a scheme, spaces or `+`, e.g. ledger.example.org/terroir"
    )]
    Origin(String),
    #[error("base URL `{0}` is not an http:// or https:// URL with a host")]
    BaseUrl(String),
}

/// What the command line (flags or environment) said; `None` where it said nothing.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub origin: Option<String>,
    pub bind: Option<SocketAddr>,
    pub base_url: Option<String>,
    pub max_body_bytes: Option<usize>,
    pub trusted_proxies: Option<Vec<IpAddr>>,
    pub policy: Option<PathBuf>,
    /// Demo mode (`serve --demo`): a new log may take the default origin.
    pub demo: bool,
}

impl Settings {
    pub fn resolve(over: &Overrides) -> Result<Self, ConfigError> {
        let file = match &over.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let bind = over
            .bind
            .or(file.bind)
            .unwrap_or_else(|| DEFAULT_BIND.parse().unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))));
        let data_dir = over.data_dir.clone().or(file.data_dir).unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        // A log keeps its origin for life: unless told otherwise, serve the one it was made with.
        let told_base_url =
            over.base_url.clone().or(file.base_url).map(|u| u.trim_end_matches('/').to_owned());
        let derived = told_base_url.as_deref().map(origin_of_url).transpose()?;
        let (origin, origin_from) =
            match (over.origin.clone().or(file.origin), stored_origin(&data_dir), derived) {
                (Some(told), _, _) => (told, OriginFrom::Told),
                (None, Some(stored), _) => (stored, OriginFrom::Stored),
                (None, None, Some(derived)) => (derived, OriginFrom::BaseUrl),
                (None, None, None) => (DEFAULT_ORIGIN.into(), OriginFrom::Default),
            };
        if origin.contains("://") || !terroir_shared::log::valid_origin(&origin) {
            return Err(ConfigError::Origin(origin));
        }
        let base_url = told_base_url.unwrap_or_else(|| format!("http://{bind}"));
        Ok(Self {
            data_dir,
            origin,
            origin_from,
            bind,
            base_url,
            max_body_bytes: over.max_body_bytes.or(file.max_body_bytes).unwrap_or(DEFAULT_MAX_BODY),
            read_connections: file.read_connections.unwrap_or(8),
            trusted_proxies: over.trusted_proxies.clone().or(file.trusted_proxies).unwrap_or_default(),
            policy: over.policy.clone().or(file.policy),
            demo: over.demo,
        })
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("ledger.sqlite")
    }
}

/// The origin a public base URL gives a new log: its host (and port) and path, without the
/// scheme, as C2SP tlog-checkpoint suggests (`https://ledger.example.org/tea/` gives
/// `ledger.example.org/tea`).
fn origin_of_url(url: &str) -> Result<String, ConfigError> {
    let bad = || ConfigError::BaseUrl(url.to_owned());
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or_else(bad)?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default().trim_end_matches('/');
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err(bad());
    }
    Ok(format!("{}{}", host.to_ascii_lowercase(), &rest[host.len()..]))
}

/// The origin a data directory's log was made with, if it holds one.
fn stored_origin(data_dir: &Path) -> Option<String> {
    let stored = std::fs::read_to_string(data_dir.join("origin")).ok()?;
    Some(stored.trim().to_owned()).filter(|o| !o.is_empty())
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.into(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let dir = std::env::temp_dir().join(format!("terroir-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("terroir.toml");
        std::fs::write(
            &path,
            "origin = \"file.example/log\"\nbind = \"127.0.0.1:9000\"\ntrusted-proxies = [\"10.0.0.1\", \"::1\"]\n",
        )
        .expect("write");
        let from_file =
            Settings::resolve(&Overrides { config: Some(path.clone()), ..Overrides::default() }).expect("ok");
        assert_eq!((from_file.origin.as_str(), from_file.bind.port()), ("file.example/log", 9000));
        assert_eq!(from_file.base_url, "http://127.0.0.1:9000");
        assert_eq!(
            from_file.trusted_proxies,
            ["10.0.0.1".parse::<IpAddr>().expect("ip"), "::1".parse().expect("ip")]
        );
        let flagged = Overrides {
            config: Some(path.clone()),
            origin: Some("flag.example/log".into()),
            ..Overrides::default()
        };
        assert_eq!(Settings::resolve(&flagged).expect("ok").origin, "flag.example/log");
        std::fs::write(&path, "colour = 1\n").expect("write");
        assert!(matches!(Settings::resolve(&flagged), Err(ConfigError::Parse { .. })));
        let bad = Overrides { origin: Some("https://x/y".into()), ..Overrides::default() };
        assert!(matches!(Settings::resolve(&bad), Err(ConfigError::Origin(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_new_log_takes_its_origin_from_the_base_url_when_not_told() {
        let dir = std::env::temp_dir().join(format!("terroir-config-url-{}", std::process::id()));
        let at = |url: &str| {
            let over =
                Overrides { data_dir: Some(dir.clone()), base_url: Some(url.into()), ..Overrides::default() };
            Settings::resolve(&over).map(|s| (s.origin, s.origin_from, s.base_url))
        };
        let (origin, from, base) = at("https://Ledger.Example.org/tea/").expect("ok");
        assert_eq!(
            (origin.as_str(), from, base.as_str()),
            ("ledger.example.org/tea", OriginFrom::BaseUrl, "https://Ledger.Example.org/tea")
        );
        assert_eq!(at("http://10.0.0.5:8080").expect("ok").0, "10.0.0.5:8080");
        assert_eq!(at("https://ledger.example.org/?x=1").expect("ok").0, "ledger.example.org");
        for bad in ["ledger.example.org", "ftp://x/y", "https://", "https://user@x/"] {
            assert!(matches!(at(bad), Err(ConfigError::BaseUrl(_))), "{bad}");
        }
        let plain = Overrides { data_dir: Some(dir.clone()), ..Overrides::default() };
        assert_eq!(Settings::resolve(&plain).expect("ok").origin_from, OriginFrom::Default);
        let told = Overrides {
            origin: Some("told.example/log".into()),
            base_url: Some("https://x.example".into()),
            ..plain
        };
        assert_eq!(Settings::resolve(&told).expect("ok").origin, "told.example/log", "--origin wins");
    }

    #[test]
    fn a_data_directory_is_served_with_the_origin_its_log_was_made_with() {
        let dir = tempfile::tempdir().expect("dir");
        let data = dir.path().join("data");
        let plain = Overrides { data_dir: Some(data.clone()), ..Overrides::default() };
        assert_eq!(Settings::resolve(&plain).expect("ok").origin, DEFAULT_ORIGIN, "a new directory");
        std::fs::create_dir_all(&data).expect("dir");
        std::fs::write(data.join("origin"), "made.example/log\n").expect("write");
        assert_eq!(Settings::resolve(&plain).expect("ok").origin, "made.example/log");
        let told = Overrides { origin: Some("told.example/log".into()), ..plain };
        assert_eq!(Settings::resolve(&told).expect("ok").origin, "told.example/log", "flags still win");
    }
}
