//! The double-spend rule under load: 50 clients race to spend the same head.

use futures_util::future::join_all;
use serde_json::json;
use terroir_shared::asset::{AssetId, AssetRef};
use terroir_shared::party::Role;
use terroir_shared::record::*;

use crate::support::*;

#[actix_web::test]
async fn fifty_clients_race_for_one_head_and_exactly_one_wins() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (coop, trader) = (key(1), key(2));
    for r in
        [h.register(&coop, "Co-op", &[Role::Cooperative]), h.register(&trader, "Trader", &[Role::Trader])]
    {
        assert_eq!(post(&app, "/api/records", &r).await.0, 201);
    }
    let commission = h.own(&coop, Act::Commission(Commission::new(vec![tea_lot("Hekai", 1_000)])));
    assert_eq!(post(&app, "/api/records", &commission).await.0, 201);
    let lot = AssetRef { id: AssetId::derive(&commission.id(), 0), head: commission.id() };
    // Fifty different records, all built on the same head: transfers and splits.
    let contenders: Vec<_> = (0..50)
        .map(|i| match i % 2 {
            0 => h.own(&coop, Act::Transfer(Transfer { assets: vec![lot], to: party(&trader) })),
            _ => h.own(
                &coop,
                Act::Split(Split {
                    asset: lot,
                    parts: vec![
                        Part { amount: 500, gs1: None, units: vec![] },
                        Part { amount: 500, gs1: None, units: vec![] },
                    ],
                }),
            ),
        })
        .collect();
    let answers = join_all(contenders.iter().map(|r| post(&app, "/api/records", r))).await;
    let winners: Vec<usize> =
        answers.iter().enumerate().filter(|(_, (s, _))| *s == 201).map(|(i, _)| i).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one receipt: {:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    let winner = contenders[winners[0]].id();
    for (i, (status, problem)) in answers.iter().enumerate() {
        if i != winners[0] {
            assert_eq!(*status, 409, "{problem}");
            assert_eq!(problem["code"], "head_conflict");
            assert_eq!(problem["winner"], json!(winner), "the conflict names the winning record");
        }
    }
    let (_, log) = get(&app, "/api/log").await;
    assert_eq!(log["size"], 5);
}
