//! EPCIS 2.0 in: a partner system's document (an `EPCISDocument`, or the answer to a query),
//! event by event in its order, each mapped to the acts the ledger's rules can express
//! ([`terroir_shared::epcis::act_of`]) and performed like any other act (judged, signed, stored,
//! queued), or said why not. Objects the document makes without a GS1 key are found again by
//! their EPC in its later events.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use terroir_shared::asset::{AssetId, gs1_identity_key};
use terroir_shared::epcis::{Expressed, Found, act_of, event_list};
use terroir_shared::gs1::DigitalLink;

use super::Station;
use super::acts::{Signer, summary};
use crate::error::{Result, StationError};
use crate::store;
use crate::words::{Said, said};

/// What became of one event.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedEvent {
    /// Its place in the document, from 1.
    pub n: usize,
    pub kind: String,
    pub event_id: Option<String>,
    /// The records it became (id and what it does), in order.
    pub records: Vec<(String, Said)>,
    /// Recorded nothing because the ledger already says it.
    pub already: Option<Said>,
    /// Why it was not recorded (or not wholly: after `records`).
    pub refused: Option<Said>,
}

impl Station {
    /// Imports an EPCIS 2.0 document: what each event became.
    pub fn import_epcis(&self, text: &str) -> Result<Vec<ImportedEvent>> {
        let bad = |why: &str| StationError::input("epcis", said(why, why));
        let document: Value =
            serde_json::from_str(text).map_err(|e| bad(&format!("the file is not JSON: {e}")))?;
        let events = event_list(&document).map_err(|why| bad(&why))?;
        // Objects made here from earlier events, by the EPC the document gave them.
        let mut aliases: HashMap<String, AssetId> = HashMap::new();
        let mut out = Vec::with_capacity(events.len());
        for (n, event) in events.iter().enumerate() {
            let mut line = ImportedEvent {
                n: n + 1,
                kind: event["type"].as_str().unwrap_or("?").to_owned(),
                event_id: event["eventID"].as_str().map(str::to_owned),
                records: Vec::new(),
                already: None,
                refused: None,
            };
            match self.express(event, &aliases)? {
                Err(why) => line.refused = Some(Said::same(why)),
                Ok(Expressed::Already(why)) => line.already = Some(Said::same(why)),
                Ok(Expressed::Acts(acts)) => {
                    for imported in acts {
                        let act = imported.act;
                        let done = self.perform(Signer::Station, None, |reads| {
                            let words = summary(&act, reads)?;
                            Ok((act, words))
                        });
                        match done {
                            Ok(done) => {
                                for (epc, id) in imported.made.iter().zip(&done.created) {
                                    if DigitalLink::parse(epc).is_err()
                                        && let Ok(id) = id.parse()
                                    {
                                        aliases.insert(epc.clone(), id);
                                    }
                                }
                                line.records.push((done.record, done.summary));
                            }
                            Err(e) => {
                                line.refused = Some(e.said());
                                break;
                            }
                        }
                    }
                }
            }
            out.push(line);
        }
        Ok(out)
    }

    /// What `event` comes to against the station's store as it is now.
    fn express(
        &self,
        event: &Value,
        aliases: &HashMap<String, AssetId>,
    ) -> Result<std::result::Result<Expressed, String>> {
        let mut conn = self.db();
        let reads = RefCell::new(store::Reads::new(&mut conn));
        let asset = |uri: &str| {
            let mut reads = reads.borrow_mut();
            let id = match DigitalLink::parse(uri) {
                Ok(link) => reads.holder_of(&gs1_identity_key(&link)).ok().flatten(),
                Err(_) => aliases.get(uri).copied(),
            };
            id.and_then(|id| reads.asset(&id).ok().flatten())
        };
        let party =
            |id: &terroir_shared::party::PartyId| reads.borrow_mut().party(id).ok().flatten().is_some();
        Ok(act_of(event, &Found { asset: &asset, party: &party }))
    }
}
