//! RFC 8785 canonical JSON: any JSON value either has a canonical form or is refused (a number
//! beyond 2^53 − 1); the canonical form reads back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terroir_shared::canonical::canonicalize;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let Ok(canonical) = canonicalize(&value) else { return };
    let reread: serde_json::Value = serde_json::from_slice(&canonical).expect("canonical JSON is JSON");
    assert_eq!(canonicalize(&reread).expect("still canonical"), canonical);
});
