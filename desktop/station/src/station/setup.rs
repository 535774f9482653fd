//! The first run and the settings: the co-op, the ledger it writes to, its GS1 company
//! numbers, the window's language; the keys and their backup.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use terroir_shared::gs1::Gtin;
use terroir_shared::party::{Party, PartyId, Role};
use terroir_shared::record::{Act, AuthoriseDevice};

use super::acts::Signer;
use super::{Station, StationStatus};
use crate::client::Client;
use crate::error::{Result, StationError};
use crate::forms;
use crate::keys::StationKeys;
use crate::labels;
use crate::store;
use crate::words::{Language, said};

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
    /// The C2SP tlog-policy whose witnesses must cosign the ledger's checkpoints, as the
    /// operator published it. Empty with a hand-entered key: none is pinned.
    pub policy: String,
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
    /// The witness policy pinned with the key, if any.
    pub policy: Option<String>,
    pub operator: Option<String>,
    pub tea_gtin: Option<String>,
    pub cattle_gtin: Option<String>,
    pub language: Language,
}

impl Settings {
    /// The co-op's GS1 company numbers for tea and for cattle, where set.
    pub fn gtins(&self) -> (Option<Gtin>, Option<Gtin>) {
        let parse = |g: &Option<String>| g.as_deref().and_then(|g| Gtin::parse(g).ok());
        (parse(&self.tea_gtin), parse(&self.cattle_gtin))
    }
}

impl Station {
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
            policy: take("policy"),
            operator: take("operator"),
            tea_gtin: take("tea_gtin"),
            cattle_gtin: take("cattle_gtin"),
            language: take("language").and_then(|l| Language::parse(&l)).unwrap_or_default(),
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
        let (origin, verifier_key, operator, policy) = if form.origin.trim().is_empty()
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
            (info.origin, info.verifier_key, Some(info.operator.to_string()), info.witness_policy)
        } else {
            let vkey = form.verifier_key.trim().to_owned();
            terroir_shared::log::VerifierKey::parse(&vkey).map_err(|e| {
                StationError::input(
                    "verifierKey",
                    said("not a verifier key", "不是有效的验证密钥").with_detail(e),
                )
            })?;
            let policy = Some(form.policy.trim()).filter(|p| !p.is_empty()).map(str::to_owned);
            (form.origin.trim().to_owned(), vkey, None, policy)
        };
        if let Some(text) = &policy {
            let parsed = terroir_shared::log::Policy::parse(text).map_err(|e| {
                StationError::input(
                    "policy",
                    said("not a witness policy", "不是有效的见证策略").with_detail(e),
                )
            })?;
            if !parsed.logs().contains(&verifier_key) {
                return Err(StationError::input(
                    "policy",
                    said("the witness policy is not for this ledger's key", "该见证策略不属于这个账本的密钥"),
                ));
            }
        }
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
                if let Some(p) = &policy {
                    store::set_setting(conn, "policy", p)?;
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
        self.perform(Signer::Coop, None, |_| Ok((authorise, summary)))?;
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
