//! A batch of records as `POST /api/records/batch` takes it: an array of at most 10,000
//! envelopes, each read (the quick path for the core's own spelling, else the strict parse); the
//! quick path and the strict parse agree on every item.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terroir_shared::api::parse_batch;
use terroir_shared::record::Prepared;

fuzz_target!(|data: &[u8]| {
    let Ok(items) = parse_batch(data) else { return };
    let raw: Vec<&serde_json::value::RawValue> = serde_json::from_slice(data).expect("a batch is an array");
    for (item, raw) in items.iter().zip(raw) {
        let strict = Prepared::from_json(raw.get().as_bytes());
        assert_eq!(item.as_ref().ok().map(|p| p.envelope()), strict.as_ref().ok().map(|p| p.envelope()));
    }
});
