//! Signed notes from outside: a checkpoint from a log (verified against a log key), a witness's
//! add-checkpoint request, a witness policy, and verifier keys. Each is read or refused.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use terroir_shared::log::witness::AddCheckpoint;
use terroir_shared::log::{LogSigner, Policy, VerifierKey, WitnessKey, verify_checkpoint, verify_note};

/// The verifier key of the log `fuzz.example/log` whose key is the seed `[1; 32]`: the corpus's
/// checkpoints are signed with it, so that mutations of a real checkpoint get far.
static VKEY: LazyLock<String> = LazyLock::new(|| {
    LogSigner::new("fuzz.example/log", ed25519_dalek::SigningKey::from_bytes(&[1; 32]))
        .expect("a valid origin")
        .vkey()
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = verify_note(text, &VKEY);
    if let Ok(checkpoint) = verify_checkpoint(text, &VKEY) {
        assert_eq!(checkpoint.origin, "fuzz.example/log");
    }
    let _ = AddCheckpoint::parse(text);
    let _ = Policy::parse(text);
    for line in text.lines().take(4) {
        let _ = VerifierKey::parse(line);
        let _ = WitnessKey::parse(line);
    }
});
