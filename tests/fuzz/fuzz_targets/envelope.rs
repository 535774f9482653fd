//! A record envelope as a client submits it: parsed strictly, or refused with a reason. What
//! parses is canonical: written again, it is the same envelope, and it verifies or is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terroir_shared::record::{Envelope, Prepared, Record};

fuzz_target!(|data: &[u8]| {
    let Ok(prepared) = Prepared::<Record>::from_json(data) else { return };
    let again = serde_json::to_vec(prepared.envelope()).expect("a parsed envelope is written again");
    let reread = Envelope::<Record>::from_json(&again).expect("a written envelope parses");
    assert_eq!(&reread, prepared.envelope());
    let _ = reread.verify();
});
