//! The tile part of a C2SP tlog-tiles URL: read only in its canonical spelling, which is
//! written back exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terroir_shared::log::tiles::{parse_level, parse_tile_path, tile_path};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((n, width)) = parse_tile_path(text) {
        assert_eq!(tile_path(n, width), text);
    }
    if let Ok(level) = parse_level(text) {
        assert_eq!(level.to_string(), text);
    }
});
