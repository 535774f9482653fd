//! Day 0 of the story: the operator enrols every party and each party authorises its station.

use terroir_shared::Hash;
use terroir_shared::commitment::{Commitment, Consent, PersonalData};
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, AuthoriseDevice, RegisterParty};

use super::{DemoError, DemoKeys, KEY_LABEL_PREFIX, Member, Story};

/// A party as the operator enrols it: its keys, name, roles, contact commitment and the label
/// of its station.
type Enrolment<'k> = (&'k Member, &'static str, &'static [Role], Option<Commitment>, &'static str);

/// Day 0: the operator enrols every party; each party authorises its station.
pub(super) fn register(story: &mut Story<'_>, k: &DemoKeys, seed: &[u8; 32]) -> Result<(), DemoError> {
    let enrolled_on = story.day(0);
    // Each co-op's contact person agreed, on the day it was enrolled, to be called about its
    // lots; the sample ledger keeps only the commitments, not the data.
    let contact = |label: &str, name: &str, phone: &str| {
        let salt = |half: &str| {
            Hash::sha256_parts(&[seed, format!("{KEY_LABEL_PREFIX}salt/{label}/{half}").as_bytes()])
        };
        let data = PersonalData { name: name.into(), phone: Some(phone.into()) };
        let consent = Consent {
            purpose: "to be called by the ledger's operator and the co-op's buyers about its lots".into(),
            given_on: enrolled_on,
            collected_by: "the operator's enrolment desk".into(),
            record: None,
        };
        Commitment::to_contact(&data, salt("data").as_bytes(), &consent, salt("consent").as_bytes())
    };
    let parties: [Enrolment<'_>; 8] = [
        (
            &k.tea_coop,
            "Bulang Mountain Ancient Tea Farmers' Cooperative (Menghai, Yunnan)",
            &[Role::Cooperative, Role::Farm],
            Some(contact("tea-coop", "Yan Zhaoming", "+86 139 0691 2245")),
            "Laobanzhang village station",
        ),
        (
            &k.cattle_coop,
            "Menghai Yunling Cattle Breeders' Cooperative",
            &[Role::Cooperative, Role::Farm],
            Some(contact("cattle-coop", "Ai Kan", "+86 138 8791 4420")),
            "Mengzhe township station",
        ),
        (
            &k.trader,
            "Kunming Caiyun Tea & Fine Foods Trading Co., Ltd.",
            &[Role::Trader],
            None,
            "Kunming office",
        ),
        (
            &k.tea_house,
            "Fangcun Tea Market, Qingyuan Tea House (Guangzhou)",
            &[Role::Trader],
            None,
            "shop counter",
        ),
        (
            &k.processor,
            "Xishuangbanna Jinghong Meat Processing Co., Ltd.",
            &[Role::Processor],
            None,
            "abattoir floor station",
        ),
        (
            &k.warehouse,
            "Menghai Dry Storage Tea Warehouse",
            &[Role::Warehouse],
            None,
            "warehouse gate station",
        ),
        (
            &k.financier,
            "Menghai County Rural Credit Cooperative Union",
            &[Role::Financier],
            None,
            "loan office",
        ),
        (
            &k.vet,
            "Menghai County Animal Husbandry and Veterinary Station",
            &[Role::Veterinarian],
            None,
            "field kit",
        ),
    ];
    let operator = PartyId(k.operator.public());
    for (member, name, roles, contact, _) in &parties {
        let act = Act::RegisterParty(RegisterParty {
            id: member.id(),
            name: (*name).into(),
            roles: roles.iter().copied().collect(),
            contact: *contact,
        });
        story.push(&k.operator, operator, act)?;
    }
    for (member, _, _, _, label) in &parties {
        let act =
            Act::AuthoriseDevice(AuthoriseDevice::new(&member.station, &member.id(), story.origin, label));
        story.by_party(member, act)?;
    }
    let tablet = AuthoriseDevice::new(&k.pasture_tablet, &k.cattle_coop.id(), story.origin, "pasture tablet");
    story.by_party(&k.cattle_coop, Act::AuthoriseDevice(tablet))?;
    Ok(())
}
