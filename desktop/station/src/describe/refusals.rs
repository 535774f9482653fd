//! Why the rules refuse an act, in a clerk's words, in both languages: the station's own
//! verdict before signing, and the ledger's answer during sync.

use terroir_shared::asset::AssetId;
use terroir_shared::rules::RuleViolation;

use super::{act_word, event_word, kilograms, kind_name, role_name, short, status_word};
use crate::words::{Said, said};

/// Why the rules refuse an act, in a clerk's words. `name` turns an asset id into its label.
pub fn explain(v: &RuleViolation, name: impl Fn(&AssetId) -> Said) -> Said {
    match v {
        RuleViolation::HeadConflict { asset, .. } => {
            let n = name(asset);
            said(
                format!(
                    "{} was changed by another record since this station last saw it (someone split, moved \
                     or recorded it elsewhere). Sync, look at its latest state, and try again.",
                    n.en
                ),
                format!(
                    "{} 在本站上次看到之后已被另一条记录改动（有人在别处拆分、转移或记录了它）。请同步，查看最新状态后再试。",
                    n.zh
                ),
            )
        }
        RuleViolation::NotActive { asset, status } => {
            let n = name(asset);
            said(
                format!("{} is {status}: it can no longer be moved, split or changed.", n.en),
                format!("{}已{}：不能再转移、拆分或更改。", n.zh, status_word(status).zh),
            )
        }
        RuleViolation::Pledged { asset, .. } => {
            let n = name(asset);
            said(
                format!("{} is pledged as collateral: it cannot move until the financier releases it.", n.en),
                format!("{} 已质押：在金融机构解除质押之前不能转移。", n.zh),
            )
        }
        RuleViolation::Contained { asset, holder } => {
            let (n, h) = (name(asset), name(holder));
            said(
                format!("{} is packed in {}: act on the lot instead; the cake travels with it.", n.en, h.en),
                format!("{} 装在 {} 中：请对该批次操作，茶饼随批次一起走。", n.zh, h.zh),
            )
        }
        RuleViolation::UnknownAsset(asset) => said(
            format!("This station does not know asset {} yet: sync first.", short(asset)),
            format!("本站还不知道货品 {}：请先同步。", short(asset)),
        ),
        RuleViolation::UnknownParty(p) => said(
            format!(
                "The organisation {} is not registered on the ledger (or this station has not seen it yet: sync first).",
                short(p)
            ),
            format!("组织 {} 尚未在账本上登记（或本站还没看到它：请先同步）。", short(p)),
        ),
        RuleViolation::QuantityNotConserved { expected, found, .. } => said(
            format!("The parts add up to {found}, but the lot holds {expected}: they must add up exactly."),
            format!("各份合计 {found}，但该批次有 {expected}：必须正好相等。"),
        ),
        RuleViolation::SingleUnit { kind } => {
            let k = kind_name(kind);
            said(
                format!("A {} is a single unit: it cannot be split or merged.", k.en),
                format!("{}是单件，不能拆分或合并。", k.zh),
            )
        }
        RuleViolation::IdentityTaken { key } => said(
            format!("{key} is already registered to another asset."),
            format!("{key} 已登记给另一件货品。"),
        ),
        RuleViolation::NotPermitted { why, .. } => {
            said(format!("Not allowed: {why}."), format!("不允许这样做：{why}。"))
        }
        RuleViolation::MissingRole { role, .. } => said(
            format!("This needs an organisation with the {role} role."),
            format!("这需要具有“{}”角色的组织。", role_name(&role.to_string()).zh),
        ),
        RuleViolation::RoleNotPermitted { roles, .. } => {
            let en: Vec<String> = roles.iter().map(|r| role_name(&r.to_string()).en).collect();
            let zh: Vec<String> = roles.iter().map(|r| role_name(&r.to_string()).zh).collect();
            said(
                format!("Only an organisation with the role {} may do this.", en.join(" or ")),
                format!("只有具有“{}”角色的组织才能这样做。", zh.join("”或“")),
            )
        }
        RuleViolation::Incompatible { why, .. } => {
            said(format!("These lots cannot be merged: {why}."), format!("这些批次不能合并（{why}）。"))
        }
        RuleViolation::TransformNotAllowed { from, to } => {
            let (f, t) = (kind_name(from), kind_name(to));
            said(
                format!("A {} cannot be turned into a {}.", f.en, t.en),
                format!("{}不能加工成{}。", f.zh, t.zh),
            )
        }
        RuleViolation::IssuanceCapExceeded { garden, season, cap, issued, requested } => {
            let (cap, issued, requested) = (kilograms(*cap), kilograms(*issued), kilograms(*requested));
            said(
                format!(
                    "{garden} is registered for at most {} of tea in {season}; {} are already registered, so \
                     {} more would go over the garden's cap. Check the weight and count, or the garden's area \
                     and yield.",
                    cap.en, issued.en, requested.en
                ),
                format!(
                    "{garden} 在 {season} 最多登记 {}茶叶；已登记 {}，再登记 {}就会超出茶园额度。请检查重量和数量，或茶园的面积和产量。",
                    cap.zh, issued.zh, requested.zh
                ),
            )
        }
        RuleViolation::AllowanceMissing { garden, season, .. } => said(
            format!(
                "{garden} has a registered cap for {season}, and this station does not have its latest \
                 count: sync, then register the tea again."
            ),
            format!("{garden} 在 {season} 有登记的额度，本站没有它的最新数目：请同步，然后重新登记茶叶。"),
        ),
        RuleViolation::EventNotYours { event, who } => said(
            format!("A {} is recorded by {who}.", event.replace('_', " ")),
            format!("{}由{}记录。", event_word(event).zh, role_name(who).zh),
        ),
        RuleViolation::WrongKindForEvent { event, kind } => {
            let (e, k) = (event_word(event), kind_name(kind));
            said(
                format!("A {} is recorded for live cattle, not for a {}.", e.en, k.en),
                format!("{}只为活牛记录，不为{}记录。", e.zh, k.zh),
            )
        }
        RuleViolation::TooMany { limit, found, .. } => said(
            format!("At most {limit} in one act, not {found}: do it in several acts."),
            format!("一次操作最多 {limit} 个，这里有 {found} 个：请分几次做。"),
        ),
        RuleViolation::TooFew { act, needed, .. } => said(
            format!("A {act} needs at least {needed}."),
            format!("{}至少需要 {needed} 个。", act_word(act).zh),
        ),
        RuleViolation::BadName { field, .. } => said(
            format!(
                "{field}: a name holds an invisible character or letters of two look-alike scripts: type it again."
            ),
            format!("{field}：名称含有看不见的字符或两种形近文字的字母：请重新输入。"),
        ),
        RuleViolation::NotPledged(_) => said("It is not pledged.", "它没有质押。"),
        RuleViolation::NoChange(_) => said("Nothing would change.", "不会有任何改变。"),
        RuleViolation::Empty(what) => {
            said(format!("{what} must not be empty."), format!("{what} 不能为空。"))
        }
        RuleViolation::SignerNotAuthorised { .. } | RuleViolation::UnknownDevice(_) => said(
            "The ledger does not know this station's key for the co-op yet: sync, or ask the operator to enrol the co-op.",
            "账本还不知道本站代表合作社的密钥：请同步，或请运营方为合作社开通。",
        ),
        other => hint(other.code()).unwrap_or_else(|| {
            // Acts the station's forms do not make; the ledger's own words follow.
            let text = other.to_string();
            said(
                format!("The ledger's rules refuse this: {text}."),
                format!("账本规则不允许这样做：{text}。"),
            )
        }),
    }
}

/// What a refusal the server sent back (during sync) means for the clerk; `detail` is the
/// server's own sentence.
pub fn explain_code(code: &str, detail: &str) -> Said {
    let hint = hint(code)
        .unwrap_or_else(|| said("The ledger refused this record", "账本拒绝了这条记录").with_detail(detail));
    if hint.en.ends_with(detail) {
        hint
    } else {
        said(format!("{} ({detail})", hint.en), format!("{}（{detail}）", hint.zh))
    }
}

/// What a refusal's stable code means for the clerk, the same whether the station's own rules
/// or the ledger found it.
fn hint(code: &str) -> Option<Said> {
    Some(match code {
        "head_conflict" => said(
            "Another record changed this asset first (for example a trader split the lot while this \
             station was offline). The ledger keeps the first one.",
            "另一条记录先改动了这件货品（例如本站离线时商人拆分了该批次）。账本保留先到的那条。",
        ),
        "unknown_party" | "signer_not_authorised" | "unknown_device" => said(
            "The ledger does not know this organisation or station yet: ask the operator to enrol it.",
            "账本还不认识这个组织或工作站：请运营方为它开通。",
        ),
        "asset_not_active" | "asset_pledged" | "asset_contained" => {
            said("The asset can no longer be used that way.", "这件货品不能再这样使用。")
        }
        "unknown_asset" => said(
            "The asset does not exist on the ledger (an earlier record about it was refused).",
            "账本上没有这件货品（之前关于它的记录被拒绝了）。",
        ),
        "identity_taken" => {
            said("That identifier is already registered to another asset.", "该标识已登记给另一件货品。")
        }
        "issuance_cap_exceeded" => said(
            "The garden's registered cap for that season does not leave room for this tea.",
            "该茶园这一季的登记额度已容不下这批茶叶。",
        ),
        "allowance_missing" => said(
            "The garden has a registered cap for that season: sync, then register the tea again.",
            "该茶园这一季有登记额度：请同步，然后重新登记茶叶。",
        ),
        "from_the_future" => said(
            "This computer's clock is ahead of the ledger's: check the date and time.",
            "本机时钟比账本的快：请检查日期和时间。",
        ),
        "back_dated" => said(
            "This computer's clock is behind the ledger's records of this asset: check the date and time.",
            "本机时钟比账本上这件货品的记录还早：请检查日期和时间。",
        ),
        "role_not_permitted" => said(
            "This organisation's role does not allow this (ask the operator which roles it has).",
            "该组织的角色不允许这样做（请向运营方询问它有哪些角色）。",
        ),
        "mass_unknown" => said(
            "Weigh the goods first (record a weighing event), and give what comes out in grams.",
            "请先称重（记录一次称重事件），产出也以克计。",
        ),
        "bad_name" => said(
            "A name holds an invisible character or letters of two look-alike scripts: type it again.",
            "名称含有看不见的字符或两种形近文字的字母：请重新输入。",
        ),
        "custody_not_owner" => said(
            "Goods held for their owner go back to the owner; only the owner sends them elsewhere.",
            "代为保管的货品只能交还给货主；只有货主才能把它交给别人。",
        ),
        "bad_units" => said(
            "The cakes of the lot must all go to its parts: split by counts that add up to the lot.",
            "批次里的茶饼都必须分到各份中：按合计等于批次的饼数拆分。",
        ),
        "wrong_log" => said(
            "The record was signed for another ledger: check the station's settings.",
            "这条记录是为另一个账本签署的：请检查本站设置。",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use terroir_shared::asset::AssetId;
    use terroir_shared::rules::RuleViolation;

    use super::*;

    fn is_chinese(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn every_refusal_a_clerk_meets_is_explained_in_both_languages() {
        let a = AssetId(terroir_shared::Hash::default());
        let name = |_: &AssetId| said("Tea lot LBZ", "茶叶批次 LBZ");
        let cases = [
            RuleViolation::HeadConflict { asset: a, named: Default::default(), current: Default::default() },
            RuleViolation::NotActive { asset: a, status: "retired".into() },
            RuleViolation::Contained { asset: a, holder: a },
            RuleViolation::UnknownAsset(a),
            RuleViolation::QuantityNotConserved { asset: a, expected: 50, found: 49 },
            RuleViolation::SingleUnit { kind: "tea_cake" },
            RuleViolation::IdentityTaken { key: "01/06901234567892/21/001".into() },
            RuleViolation::IssuanceCapExceeded {
                garden: "Laobanzhang".into(),
                season: "2026 spring".into(),
                cap: 20_000,
                issued: 17_850,
                requested: 3_570,
            },
            RuleViolation::TransformNotAllowed { from: "tea_cake", to: "carcass" },
            RuleViolation::WrongKindForEvent { event: "vaccination", kind: "tea_lot" },
            RuleViolation::CustodyNotOwner { party: terroir_shared::party::PartyId(test_key()) },
        ];
        for v in &cases {
            let s = explain(v, name);
            assert!(is_chinese(&s.zh) && !is_chinese(&s.en), "{v:?}: {s:?}");
        }
        let cap = explain(&cases[7], name);
        assert!(cap.zh.contains("20 千克") && cap.zh.contains("17.85 千克"), "{}", cap.zh);
        for code in ["head_conflict", "issuance_cap_exceeded", "unknown_party", "something_new"] {
            let s = explain_code(code, "the server's words");
            assert!(is_chinese(&s.zh) && s.en.contains("the server's words"), "{code}: {s:?}");
        }
    }

    fn test_key() -> terroir_shared::crypto::PublicKey {
        terroir_shared::crypto::Keypair::from_seed(&[3; 32]).public()
    }
}
