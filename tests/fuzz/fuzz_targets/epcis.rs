//! An EPCIS 2.0 document from a partner's system: each event in its event list becomes the acts
//! the ledger can express, or the reason it cannot.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terroir_shared::epcis::{Found, act_of, event_list};

fuzz_target!(|data: &[u8]| {
    let Ok(document) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let Ok(events) = event_list(&document) else { return };
    let found = Found { asset: &|_| None, party: &|_| false };
    for event in events {
        let _ = act_of(event, &found);
    }
});
