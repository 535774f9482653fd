//! Checking a label: read its QR from a photo, fetch the asset's history and proofs from the
//! ledger, and check everything here with the core's verifiers — signatures, each entry's
//! inclusion under a checkpoint signed by the pinned log key, and that the history runs from
//! the asset's creation to its current head, each record naming the head the one before made.

use base64::Engine;
use serde::Serialize;
use terroir_shared::asset::{Asset, check_chain};
use terroir_shared::entry::LedgerEntry;
use terroir_shared::gs1::DigitalLink;
use terroir_shared::log::{Receipt, ReceiptVerifier};
use terroir_shared::record::verify_batch;

use crate::client::{Client, ClientError};
use crate::describe::{act_word, asset_label};
use crate::error::{Result, StationError};
use crate::station::Station;
use crate::store::AssetState;
use crate::words::{Said, said};

/// One thing that was checked, and how it went.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub what: Said,
    pub ok: bool,
    pub detail: Said,
}

/// One entry of the verified history.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryLine {
    pub index: u64,
    pub act: Said,
    pub at: String,
    pub record: String,
}

/// The answer for one label.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub uri: String,
    /// Every check passed.
    pub verified: bool,
    pub label: Said,
    pub status: AssetState,
    pub checks: Vec<Check>,
    pub history: Vec<HistoryLine>,
}

impl Station {
    /// Reads every label in a photo (PNG or JPEG, base64) and checks each.
    pub fn verify_photo(&self, image_base64: &str) -> Result<Vec<Verdict>> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(image_base64.trim())
            .map_err(|_| StationError::input("photo", said("the photo could not be read", "照片无法读取")))?;
        let uris = crate::labels::decode_labels(&bytes)?;
        uris.iter().map(|u| self.verify_uri(u)).collect()
    }

    /// Checks the asset a label's URI names against the ledger this station is pinned to.
    pub fn verify_uri(&self, uri: &str) -> Result<Verdict> {
        let settings = self.settings()?;
        let client = Client::new(&settings.server_url);
        let mut checks = vec![];
        let link = DigitalLink::parse(uri).map_err(|e| {
            StationError::input(
                "label",
                said("the label is not a GS1 Digital Link", "标签不是 GS1 数字链接").with_detail(e),
            )
        })?;
        let same_server = same_place(uri, &settings.server_url);
        checks.push(Check {
            what: said("The label points to this co-op's ledger", "标签指向本合作社的账本"),
            ok: same_server,
            detail: if same_server {
                Said::same(&settings.server_url)
            } else {
                said(format!("it points elsewhere: {uri}"), format!("它指向别处：{uri}"))
            },
        });
        let asset: Asset = crate::client::resolve(&client, &link)?;
        // An answer that does not read is a failed check, not an error: the verdict says so.
        let (proven, malformed): (Vec<(LedgerEntry, Receipt)>, Option<String>) =
            match client.history(&asset.id) {
                Ok(history) => (history.entries.into_iter().map(|e| (e.entry, e.receipt)).collect(), None),
                Err(ClientError::Protocol(reason)) => (vec![], Some(reason)),
                Err(e) => return Err(StationError::server(e)),
            };
        checks.push(Check {
            what: said("The ledger's answer is well formed", "账本的答复格式正确"),
            ok: malformed.is_none() && !proven.is_empty(),
            detail: match malformed {
                Some(reason) => said("it does not read", "无法读取").with_detail(reason),
                None => {
                    let n = proven.len();
                    said(format!("{n} entries"), format!("{n} 条记录"))
                }
            },
        });

        let signed = verify_batch(proven.iter().map(|(e, _)| e.record.clone()).collect());
        let bad_signatures = signed.iter().filter(|s| s.is_err()).count();
        checks.push(Check {
            what: said("Every record is signed by its author", "每条记录都有其作者的签名"),
            ok: bad_signatures == 0,
            detail: {
                let n = signed.len();
                said(
                    format!("{n} Ed25519 signatures checked, {bad_signatures} bad"),
                    format!("已核对 {n} 个 Ed25519 签名，{bad_signatures} 个无效"),
                )
            },
        });

        // Each checkpoint's signature is checked once, however many entries it proves.
        let mut receipts = ReceiptVerifier::new(&settings.verifier_key);
        let mut bad_proofs = 0;
        let mut largest = 0;
        for (entry, receipt) in &proven {
            match entry.verify_receipt_with(receipt, &mut receipts) {
                Ok(v) => largest = largest.max(v.checkpoint.size),
                Err(_) => bad_proofs += 1,
            }
        }
        checks.push(Check {
            what: said("Every record is in the public log", "每条记录都在公开日志中"),
            ok: bad_proofs == 0 && !proven.is_empty(),
            detail: {
                let (n, key) = (proven.len(), &settings.verifier_key);
                said(
                    format!(
                        "{n} inclusion proofs checked under checkpoints signed by {key} (up to size {largest}), {bad_proofs} bad"
                    ),
                    format!("已核对 {n} 个包含证明，检查点由 {key} 签署（日志规模至 {largest}），{bad_proofs} 个无效"),
                )
            },
        });

        // The chain of heads, over records whose signatures hold (one that fails is left out,
        // so the chain breaks there too).
        let chained: Vec<_> = signed.iter().filter_map(|s| s.as_ref().ok()).collect();
        let chain = check_chain(&asset, chained.iter().copied());
        checks.push(Check {
            what: said(
                "The history runs from the asset's creation to its current state, nothing left out",
                "历史从货品登记一直连到当前状态，没有遗漏",
            ),
            ok: chain.is_ok(),
            detail: match chain {
                Ok(()) => {
                    let (n, from, to) = (chained.len(), short(&asset.created_by), short(&asset.head));
                    said(
                        format!("{n} records chained from {from} to {to}"),
                        format!("{n} 条记录从 {from} 连到 {to}"),
                    )
                }
                Err(e) => said("the history has a gap", "历史有断缺").with_detail(e),
            },
        });
        checks.extend(self.currency(&client, &settings, &asset, &proven));
        let matches = asset.gs1.as_ref() == Some(&link);
        checks.push(Check {
            what: said("The label is this asset's identifier", "标签就是这件货品的标识"),
            ok: matches,
            detail: Said::same(link.to_path()),
        });

        let history_lines = proven
            .iter()
            .zip(&signed)
            .map(|((e, _), s)| HistoryLine {
                index: e.index,
                act: act_word(e.record.record.act.name()),
                at: e.record.record.at.to_rfc3339(),
                record: s.as_ref().map_or_else(|_| "bad signature".into(), |s| short(&s.id())),
            })
            .collect();
        Ok(Verdict {
            uri: uri.to_owned(),
            verified: checks.iter().all(|c| c.ok),
            label: asset_label(&asset),
            status: AssetState::from(&asset.status),
            checks,
            history: history_lines,
        })
    }
}

/// How old a witness's cosignature may be and still vouch for a checkpoint: the bound label
/// pages state too.
pub const MAX_COSIGNATURE_AGE_S: u64 = 3_600;

impl Station {
    /// Two checks against the ledger's evidence for `asset`: that the pinned policy's witnesses
    /// vouched for its checkpoint recently (so this is the log everyone is shown), and that the
    /// state map it commits to names the last record of `proven` as the asset's head (so no
    /// newer record was left out).
    fn currency(
        &self,
        client: &Client,
        settings: &crate::station::Settings,
        asset: &Asset,
        proven: &[(LedgerEntry, Receipt)],
    ) -> Vec<Check> {
        let witnessed_what = said(
            "Independent witnesses vouch that everyone is shown this same ledger",
            "独立见证方证明所有人看到的是同一份账本",
        );
        let current_what = said(
            "The history shown is the asset's current one: no newer record left out",
            "所示历史即货品的当前历史，没有遗漏更新的记录",
        );
        let evidence = match client.evidence(&asset.id) {
            Ok(e) => e,
            Err(e) => {
                let detail =
                    said("the ledger's evidence could not be read", "无法读取账本的证明").with_detail(e);
                return vec![
                    Check { what: witnessed_what, ok: false, detail: detail.clone() },
                    Check { what: current_what, ok: false, detail },
                ];
            }
        };
        let now = self.now().millis() / 1000;
        let witnessed = match settings.policy.as_deref().map(terroir_shared::log::Policy::parse) {
            None => Check {
                what: witnessed_what,
                ok: false,
                detail: said("no witness policy is pinned at this station", "本站未固定见证策略"),
            },
            Some(Err(e)) => Check {
                what: witnessed_what,
                ok: false,
                detail: said("the pinned policy does not read", "固定的见证策略无法读取").with_detail(e),
            },
            Some(Ok(policy)) => match policy.judge(&evidence.checkpoint, now, MAX_COSIGNATURE_AGE_S) {
                Ok(v) => {
                    let names = v.vouched.keys().cloned().collect::<Vec<_>>().join(", ");
                    let size = v.checkpoint.size;
                    Check {
                        what: witnessed_what,
                        ok: v.quorum_met,
                        detail: if v.quorum_met {
                            said(
                                format!(
                                    "{names} cosigned checkpoint {size} within the last hour, which meets the policy's quorum"
                                ),
                                format!("{names} 在一小时内联署了检查点 {size}，满足策略的法定数"),
                            )
                        } else {
                            said(
                                format!(
                                    "only {} vouched for checkpoint {size} within the last hour; the policy's quorum is not met",
                                    if names.is_empty() { "no witness".into() } else { names.clone() }
                                ),
                                format!(
                                    "一小时内仅 {} 为检查点 {size} 作证，未满足策略的法定数",
                                    if names.is_empty() { "无见证方".into() } else { names }
                                ),
                            )
                        },
                    }
                }
                Err(e) => Check {
                    what: witnessed_what,
                    ok: false,
                    detail: said("the checkpoint does not verify", "检查点未通过核验").with_detail(e),
                },
            },
        };
        let last = proven.iter().map(|(e, _)| e).max_by_key(|e| e.index);
        let head = terroir_shared::log::verify_checkpoint(&evidence.checkpoint, &settings.verifier_key)
            .ok()
            .and_then(|cp| cp.state)
            .zip(evidence.state_of(terroir_shared::api::StateKind::Asset, &asset.id.to_string()))
            .and_then(|(root, proof)| proof.verify(&root).ok().flatten())
            .and_then(|v| terroir_shared::state::AssetHead::from_bytes(&v));
        let current = match (head, last) {
            (Some(h), Some(e)) if h.index == e.index && e.leaf_hash().ok() == Some(h.leaf) => Check {
                what: current_what,
                ok: true,
                detail: said(
                    format!(
                        "the state map the checkpoint commits to names record #{} as its latest",
                        h.index
                    ),
                    format!("检查点承诺的状态映射以记录 #{} 为最新", h.index),
                ),
            },
            (Some(h), _) => Check {
                what: current_what,
                ok: false,
                detail: said(
                    format!(
                        "the state map names record #{} as its latest, which the history shown does not end with",
                        h.index
                    ),
                    format!("状态映射以记录 #{} 为最新，而所示历史并非以它结尾", h.index),
                ),
            },
            (None, _) => Check {
                what: current_what,
                ok: false,
                detail: said(
                    "the checkpoint commits to no state that proves it",
                    "检查点未承诺可证明此点的状态",
                ),
            },
        };
        vec![witnessed, current]
    }
}

/// Whether `uri` lies under `server` on the same scheme, host and port (not merely starting
/// with the same text: `https://ledger.example.evil.cn/...` and `https://ledger.example@evil.cn/...`
/// are elsewhere).
fn same_place(uri: &str, server: &str) -> bool {
    let (Ok(uri), Ok(server)) = (url::Url::parse(uri), url::Url::parse(server)) else { return false };
    let dir = server.path().trim_end_matches('/');
    uri.scheme() == server.scheme()
        && uri.host_str() == server.host_str()
        && uri.port_or_known_default() == server.port_or_known_default()
        && uri.username().is_empty()
        && (uri.path() == dir || uri.path().starts_with(&format!("{dir}/")))
}

fn short(h: &terroir_shared::Hash) -> String {
    h.to_hex().chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::same_place;

    #[test]
    fn a_label_points_to_the_ledger_only_on_its_own_host() {
        let server = "https://ledger.example";
        assert!(same_place("https://ledger.example/01/06901234567892/10/L1", server));
        assert!(same_place("https://ledger.example:443/01/06901234567892", server));
        for elsewhere in [
            "https://ledger.example.evil.cn/01/06901234567892",
            "https://ledger.example@evil.cn/01/06901234567892",
            "http://ledger.example/01/06901234567892",
            "https://ledger.example:8443/01/06901234567892",
            "not a url",
        ] {
            assert!(!same_place(elsewhere, server), "{elsewhere}");
        }
        assert!(same_place("https://host.example/terroir/01/0690", "https://host.example/terroir"));
        assert!(!same_place("https://host.example/terroirx/01/0690", "https://host.example/terroir"));
    }
}
