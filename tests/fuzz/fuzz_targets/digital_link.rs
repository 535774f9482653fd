//! A GS1 Digital Link URI, as a scanned label or a resolver request carries it: parsed or
//! refused; what parses is written again as a URI that parses to the same link.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terroir_shared::gs1::DigitalLink;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(link) = DigitalLink::parse(text) else { return };
    let again = link.to_string();
    let reread = DigitalLink::parse(&again).expect("a written link parses");
    assert_eq!(reread.to_string(), again);
});
