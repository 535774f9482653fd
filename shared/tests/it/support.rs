//! A small in-memory ledger world for tests: an operator, parties, signing helpers, products.

use std::collections::BTreeSet;

use terroir_shared::Hash;
use terroir_shared::asset::{
    Asset, AssetId, Packing, Product, Quantity, TeaGarden, TeaLot, TeaMaocha, TeaOrigin, Unit,
};
use terroir_shared::calendar::{Date, Timestamp};
use terroir_shared::crypto::Keypair;
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, Commission, NewAsset, Record, RegisterParty, Signed, Unsigned};
use terroir_shared::rules::{self, Context, MemoryLedger, RuleViolation, Rules};

pub const ORIGIN: &str = "ledger.terroir.test/log";
pub const NOW: u64 = 1_790_000_000_000;

pub struct World {
    pub ledger: MemoryLedger,
    pub operator: Keypair,
    clock: u64,
}

pub fn key(seed: u8) -> Keypair {
    Keypair::from_seed(&[seed; 32])
}

pub fn party(k: &Keypair) -> PartyId {
    PartyId(k.public())
}

impl World {
    pub fn new() -> Self {
        Self { ledger: MemoryLedger::new(), operator: key(0), clock: NOW - 1_000_000 }
    }

    pub fn ctx(&self) -> Context<'static> {
        Context {
            origin: ORIGIN,
            operator: party(&self.operator),
            rules: Rules::CURRENT,
            now: Timestamp(NOW),
        }
    }

    /// Signs `act` for `on_behalf` with `signer`, each record a millisecond after the last.
    pub fn sign(&mut self, signer: &Keypair, on_behalf: PartyId, act: Act) -> Signed<Record> {
        self.clock += 1;
        let record = Record {
            origin: ORIGIN.into(),
            party: on_behalf,
            signer: signer.public(),
            at: Timestamp(self.clock),
            act,
        };
        Unsigned::new(record).sign(signer).expect("signer named in the record")
    }

    pub fn submit(&mut self, signer: &Keypair, act: Act) -> Result<Hash, RuleViolation> {
        let record = self.sign(signer, party(signer), act);
        let ctx = self.ctx();
        self.ledger.submit(&record, &ctx)
    }

    pub fn submit_as(
        &mut self,
        signer: &Keypair,
        on_behalf: PartyId,
        act: Act,
    ) -> Result<Hash, RuleViolation> {
        let record = self.sign(signer, on_behalf, act);
        let ctx = self.ctx();
        self.ledger.submit(&record, &ctx)
    }

    pub fn register(&mut self, k: &Keypair, name: &str, roles: &[Role]) -> PartyId {
        let act = Act::RegisterParty(RegisterParty {
            id: party(k),
            name: name.into(),
            roles: roles.iter().copied().collect::<BTreeSet<_>>(),
            contact: None,
        });
        let operator = Keypair::from_seed(self.operator.seed());
        self.submit(&operator, act).expect("operator registers a party");
        party(k)
    }

    /// Commissions `assets` for the owner of `k` and returns them in output order.
    pub fn commission(&mut self, k: &Keypair, assets: Vec<NewAsset>) -> Vec<Asset> {
        let n = assets.len();
        let id = self.submit(k, Act::Commission(Commission::new(assets))).expect("commission");
        (0..n).map(|i| self.asset(AssetId::derive(&id, i as u32))).collect()
    }

    pub fn asset(&self, id: AssetId) -> Asset {
        use terroir_shared::rules::LedgerView;
        self.ledger.asset(&id).expect("asset exists")
    }
}

pub fn origin(garden: &str) -> TeaOrigin {
    TeaOrigin { garden: garden.into(), mountain: Some("Bulang".into()), harvest_season: "2026 spring".into() }
}

pub fn tea_lot(garden: &str) -> Product {
    Product::TeaLot(TeaLot {
        origin: origin(garden),
        pressed_on: Date::from_ymd(2026, 4, 20).expect("date"),
        cake_weight_g: 357,
        packing: Packing::Lot,
    })
}

pub fn maocha(garden: &str) -> Product {
    Product::TeaMaocha(TeaMaocha { origin: origin(garden) })
}

pub fn new_asset(product: Product, amount: u64, unit: Unit) -> NewAsset {
    NewAsset {
        product,
        quantity: Quantity::new(amount, unit).expect("quantity"),
        gs1: None,
        part_of: None,
        units: None,
    }
}

pub fn lot_of(garden: &str, pieces: u64) -> NewAsset {
    new_asset(tea_lot(garden), pieces, Unit::Piece)
}

/// A cap on `garden` for the season [`origin`] writes: `area_m2` × `yield_g_per_m2` grams.
pub fn garden_cap(garden: &str, area_m2: u64, yield_g_per_m2: u64) -> NewAsset {
    let product = Product::TeaGarden(TeaGarden {
        garden: garden.into(),
        season: origin(garden).harvest_season,
        area_m2,
        yield_g_per_m2,
        issued_g: 0,
    });
    new_asset(product, area_m2 * yield_g_per_m2, Unit::Gram)
}

pub fn cattle(tag: &str) -> NewAsset {
    use terroir_shared::asset::{Cattle, Sex};
    use terroir_shared::ear_tag::EarTag;
    let product = Product::LiveCattle(Cattle {
        ear_tag: EarTag::china(tag).expect("valid ear tag"),
        breed: "Simmental".into(),
        sex: Sex::Female,
        birth_date: Date::from_ymd(2024, 3, 2).expect("date"),
        holding: "532822-017".into(),
    });
    new_asset(product, 1, Unit::Head)
}

/// A ledger holding only what `needs(record)` names, loaded from `full` as a store loads its
/// snapshot: the rules must judge `record` on it exactly as on `full`.
pub fn needs_snapshot(full: &MemoryLedger, record: &Signed<Record>) -> MemoryLedger {
    let needs = rules::needs(record, Rules::CURRENT);
    match rules::snapshot(&mut &*full, record.body(), &needs) {
        Ok(snapshot) => snapshot,
        Err(never) => match never {},
    }
}

/// `n` values drawn from `strategy` by a deterministic runner: for tests that random sequences
/// reach every case they are meant to.
pub fn deterministic<T: std::fmt::Debug>(
    strategy: impl proptest::strategy::Strategy<Value = T>,
    n: usize,
) -> Vec<T> {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    (0..n).map(|_| strategy.new_tree(&mut runner).expect("a value").current()).collect()
}
