//! Property tests of garden caps: through random registrations, commissions, pressings,
//! stale allowances and replays, every cap counts exactly the tea accepted against it, never
//! more than area × yield, and a snapshot of `needs` judges every record as the full state.

use std::collections::HashMap;

use proptest::prelude::*;
use terroir_shared::Hash;
use terroir_shared::asset::{Asset, AssetId, AssetRef, Product, Status, Unit};
use terroir_shared::crypto::Keypair;
use terroir_shared::party::Role;
use terroir_shared::record::*;
use terroir_shared::rules;

use crate::support::*;

const GARDENS: [&str; 3] = ["Laobanzhang", "Hekai", "Bingdao"];
const CAKE_G: u64 = 357;

#[derive(Clone, Debug)]
enum Op {
    Cap { owner: usize, garden: usize, area: u64, yield_g: u64 },
    Commission { owner: usize, garden: usize, maocha: bool, amount: u64, allowance: Allowance },
    Press { tea: usize, garden: usize, cakes: u64 },
    Replay { record: usize },
}

/// How a commission names its garden's cap.
#[derive(Clone, Copy, Debug)]
enum Allowance {
    Current,
    Omitted,
    Stale,
}

fn op() -> impl Strategy<Value = Op> {
    let allowance = prop_oneof![
        6 => Just(Allowance::Current),
        1 => Just(Allowance::Omitted),
        1 => Just(Allowance::Stale),
    ];
    prop_oneof![
        1 => (0..2usize, 0..3usize, 1..200u64, 1..100u64)
            .prop_map(|(owner, garden, area, yield_g)| Op::Cap { owner, garden, area, yield_g }),
        5 => (0..2usize, 0..3usize, any::<bool>(), 1..4_000u64, allowance).prop_map(
            |(owner, garden, maocha, amount, allowance)| Op::Commission { owner, garden, maocha, amount, allowance }
        ),
        2 => (any::<usize>(), 0..3usize, 1..6u64).prop_map(|(tea, garden, cakes)| Op::Press { tea, garden, cakes }),
        1 => any::<usize>().prop_map(|record| Op::Replay { record }),
    ]
}

struct Model {
    w: World,
    owners: Vec<Keypair>,
    /// Each co-op's cap per garden.
    caps: HashMap<(usize, usize), AssetId>,
    /// What each cap must have issued: the grams of every record accepted against it.
    expected: HashMap<AssetId, u64>,
    /// Every head each cap has had, for stale allowances.
    heads: HashMap<AssetId, Vec<Hash>>,
    /// Maocha that can be pressed: (asset, owner, garden).
    maocha: Vec<(AssetId, usize, usize)>,
    history: Vec<Signed<Record>>,
    tally: HashMap<&'static str, usize>,
}

impl Model {
    fn new() -> Self {
        let mut w = World::new();
        let owners: Vec<Keypair> = (1..=2).map(key).collect();
        for (i, k) in owners.iter().enumerate() {
            w.register(k, &format!("co-op {i}"), &[Role::Cooperative]);
        }
        Self {
            w,
            owners,
            caps: HashMap::new(),
            expected: HashMap::new(),
            heads: HashMap::new(),
            maocha: Vec::new(),
            history: Vec::new(),
            tally: HashMap::new(),
        }
    }

    fn cap(&self, owner: usize, garden: usize) -> Option<Asset> {
        self.caps.get(&(owner, garden)).map(|id| self.w.asset(*id))
    }

    fn key(&self, owner: usize) -> Keypair {
        Keypair::from_seed(self.owners[owner].seed())
    }

    /// What the rules must answer for tea of `grams` from (`owner`, `garden`) naming `named`.
    fn verdict(&self, owner: usize, garden: usize, grams: u64, named: &[AssetRef]) -> &'static str {
        let Some(cap) = self.cap(owner, garden) else {
            return if named.is_empty() { "accepted" } else { "bad_allowance" };
        };
        let issued = self.expected[&cap.id];
        match named.first() {
            None => "allowance_missing",
            Some(r) if r.head != cap.head => "head_conflict",
            Some(_) if issued + grams > cap.quantity.amount() => "issuance_cap_exceeded",
            Some(_) => "accepted",
        }
    }

    fn run(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let (owner, act, expect, charge) = match *op {
            Op::Cap { owner, garden, area, yield_g } => {
                let act = Act::Commission(Commission::new(vec![garden_cap(GARDENS[garden], area, yield_g)]));
                let taken = self.caps.contains_key(&(owner, garden));
                (owner, act, if taken { "identity_taken" } else { "accepted" }, None)
            }
            Op::Commission { owner, garden, maocha: is_maocha, amount, allowance } => {
                let (tea, grams) = if is_maocha {
                    (new_asset(maocha(GARDENS[garden]), amount, Unit::Gram), amount)
                } else {
                    let cakes = amount % 20 + 1;
                    (lot_of(GARDENS[garden], cakes), cakes * CAKE_G)
                };
                let named: Vec<AssetRef> = match (self.cap(owner, garden), allowance) {
                    (None, _) | (_, Allowance::Omitted) => vec![],
                    (Some(c), Allowance::Current) => vec![c.reference()],
                    (Some(c), Allowance::Stale) => {
                        let old = self.heads[&c.id][0];
                        vec![AssetRef { id: c.id, head: old }]
                    }
                };
                let expect = self.verdict(owner, garden, grams, &named);
                let charge = self.cap(owner, garden).map(|c| (c.id, grams));
                (owner, Act::Commission(Commission { assets: vec![tea], allowances: named }), expect, charge)
            }
            Op::Press { tea, garden, cakes } => {
                if self.maocha.is_empty() {
                    return Ok(());
                }
                let (id, owner, from) = self.maocha[tea % self.maocha.len()];
                let input = self.w.asset(id);
                let grams = cakes * CAKE_G;
                if input.status != Status::Active || grams > input.quantity.amount() {
                    return Ok(());
                }
                // Pressed as its own garden: nothing new. As another capped garden: all new.
                let relabelled = garden != from;
                let named: Vec<AssetRef> = self
                    .cap(owner, garden)
                    .filter(|_| relabelled)
                    .map(|c| c.reference())
                    .into_iter()
                    .collect();
                let expect = if relabelled { self.verdict(owner, garden, grams, &named) } else { "accepted" };
                let charge = self.cap(owner, garden).filter(|_| relabelled).map(|c| (c.id, grams));
                let act = Act::Transform(Transform {
                    process: "pressing".into(),
                    inputs: vec![input.reference()],
                    outputs: vec![lot_of(GARDENS[garden], cakes)],
                    allowances: named,
                });
                (owner, act, expect, charge)
            }
            Op::Replay { record } => {
                if self.history.is_empty() {
                    return Ok(());
                }
                let replay = self.history[record % self.history.len()].clone();
                let ctx = self.w.ctx();
                let before = self.snapshot_caps();
                prop_assert!(self.w.ledger.submit(&replay, &ctx).is_err(), "a replay was accepted");
                prop_assert_eq!(before, self.snapshot_caps(), "a refused replay changed a cap");
                *self.tally.entry("replay_refused").or_default() += 1;
                return Ok(());
            }
        };
        let signer = self.key(owner);
        let record = self.w.sign(&signer, party(&signer), act.clone());
        self.check_needs(&record)?;
        let before = self.snapshot_caps();
        let ctx = self.w.ctx();
        let outcome = self.w.ledger.submit(&record, &ctx);
        let got = outcome.as_ref().map_or_else(|v| v.code(), |_| "accepted");
        prop_assert_eq!(got, expect, "{:?}", op);
        *self.tally.entry(got).or_default() += 1;
        match outcome {
            Ok(id) => {
                self.accepted(op, id, owner, charge);
                self.history.push(record);
            }
            Err(_) => prop_assert_eq!(before, self.snapshot_caps(), "a refused record changed a cap"),
        }
        self.check_caps()
    }

    fn accepted(&mut self, op: &Op, id: Hash, owner: usize, charge: Option<(AssetId, u64)>) {
        if let Some((cap, grams)) = charge {
            *self.expected.entry(cap).or_default() += grams;
            self.heads.entry(cap).or_default().push(id);
        }
        let out = AssetId::derive(&id, 0);
        match *op {
            Op::Cap { garden, .. } => {
                self.caps.insert((owner, garden), out);
                self.expected.insert(out, 0);
                self.heads.insert(out, vec![id]);
            }
            Op::Commission { garden, maocha: true, .. } => self.maocha.push((out, owner, garden)),
            _ => {}
        }
    }

    fn snapshot_caps(&self) -> Vec<Asset> {
        let mut caps: Vec<Asset> = self.caps.values().map(|id| self.w.asset(*id)).collect();
        caps.sort_by_key(|a| a.id);
        caps
    }

    fn check_caps(&self) -> Result<(), TestCaseError> {
        for cap in self.snapshot_caps() {
            let Product::TeaGarden(g) = &cap.product else {
                return Err(TestCaseError::fail("a cap changed kind"));
            };
            prop_assert_eq!(g.issued_g, self.expected[&cap.id], "issued differs from the tea accepted");
            prop_assert!(g.issued_g <= cap.quantity.amount(), "a cap was exceeded");
        }
        Ok(())
    }

    /// The rules judge a snapshot holding just `needs(record)` exactly as the full state.
    fn check_needs(&self, record: &Signed<Record>) -> Result<(), TestCaseError> {
        let ctx = self.w.ctx();
        let snapshot = needs_snapshot(&self.w.ledger, record);
        prop_assert_eq!(rules::apply(&snapshot, record, &ctx), rules::apply(&self.w.ledger, record, &ctx));
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn caps_count_exactly_what_they_allow(ops in prop::collection::vec(op(), 1..80)) {
        let mut m = Model::new();
        for op in &ops {
            m.run(op)?;
        }
    }
}

/// The random sequences must reach every verdict, or the property holds vacuously.
#[test]
fn random_sequences_reach_every_verdict() {
    let mut m = Model::new();
    for op in deterministic(op(), 1500) {
        m.run(&op).expect("properties hold");
    }
    for verdict in [
        "accepted",
        "issuance_cap_exceeded",
        "allowance_missing",
        "head_conflict",
        "identity_taken",
        "replay_refused",
    ] {
        assert!(m.tally.get(verdict).copied().unwrap_or(0) > 3, "too few {verdict}: {:?}", m.tally);
    }
}
