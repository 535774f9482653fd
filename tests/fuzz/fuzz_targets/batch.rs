//! A batch of records as `POST /api/records/batch` takes it: an array of envelopes, each read
//! (the quick path for the core's own spelling, else the strict parse) and verified together.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = terroir_backend::service::intake::parse_and_verify(data);
});
