//! A photo the station reads labels from (PNG or JPEG): every QR code in it, or a refusal.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = terroir_station::labels::decode_labels(data);
});
