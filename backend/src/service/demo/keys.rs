//! The keys of the story: every party's own key and its station's, derived from the seed.

use terroir_shared::Hash;
use terroir_shared::crypto::Keypair;
use terroir_shared::party::PartyId;

use super::KEY_LABEL_PREFIX;

/// A party of the story: its own key and the one station device it authorises.
#[derive(Debug)]
pub struct Member {
    pub key: Keypair,
    pub station: Keypair,
}

impl Member {
    pub fn id(&self) -> PartyId {
        PartyId(self.key.public())
    }
}

/// Every key in the story.
#[derive(Debug)]
pub struct DemoKeys {
    pub operator: Keypair,
    /// Bulang mountain tea farmers' co-op.
    pub tea_coop: Member,
    /// Menghai cattle co-op.
    pub cattle_coop: Member,
    /// Kunming trader in tea and beef.
    pub trader: Member,
    /// Guangzhou tea house, the trader's customer.
    pub tea_house: Member,
    /// Slaughterhouse and meat processor.
    pub processor: Member,
    /// Tea warehouse storing for owners.
    pub warehouse: Member,
    /// Rural credit union lending against tea.
    pub financier: Member,
    /// County veterinary station.
    pub vet: Member,
    /// The cattle co-op's second device, a tablet at the pasture, reported stolen at the end.
    pub pasture_tablet: Keypair,
}

impl DemoKeys {
    /// The keys for `seed`: each `SHA-256(seed ‖ "terroir-demo-v1/" ‖ label)` as an Ed25519
    /// seed. The operator's key is the caller's.
    pub fn derive(operator: &Keypair, seed: [u8; 32]) -> Self {
        let member = |label: &str| Member {
            key: derive_key(&seed, label),
            station: derive_key(&seed, &format!("{label}/station")),
        };
        Self {
            operator: Keypair::from_seed(operator.seed()),
            tea_coop: member("tea-coop"),
            cattle_coop: member("cattle-coop"),
            trader: member("trader"),
            tea_house: member("tea-house"),
            processor: member("processor"),
            warehouse: member("warehouse"),
            financier: member("financier"),
            vet: member("vet"),
            pasture_tablet: derive_key(&seed, "cattle-coop/pasture-tablet"),
        }
    }
}

fn derive_key(seed: &[u8; 32], label: &str) -> Keypair {
    let prefixed = format!("{KEY_LABEL_PREFIX}{label}");
    Keypair::from_seed(Hash::sha256_parts(&[seed, prefixed.as_bytes()]).as_bytes())
}
