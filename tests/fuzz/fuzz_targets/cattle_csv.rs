//! A herd list the station imports (CSV): each line becomes a registration form, or the lines
//! that cannot are named with their reasons.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match terroir_station::forms::cattle_csv(text) {
        Ok(_) => {}
        Err(lines) => assert!(!lines.is_empty(), "a refused list names at least one line"),
    }
});
