//! The cattle of the story: the herd, vaccinations, weighing, slaughter, cutting, the sales of
//! animals and cuts, the hides baled, and a stolen tablet revoked.

use terroir_shared::asset::{AssetId, BeefCut, Carcass, Cattle, Generic, Product, Sex, Unit};
use terroir_shared::ear_tag::EarTag;
use terroir_shared::record::{
    Act, Commission, Event, Merge, NewAsset, Retire, RevokeDevice, Transfer, Transform,
};

use super::{
    DEMO_CARCASSES_CUT, DEMO_HERD_CHINA, DEMO_HERD_ISO, DEMO_SLAUGHTERED, DemoError, DemoKeys, Story, gtin,
    link, lot_number, observe, qty,
};

const BREEDS: [&str; 5] =
    ["Yunling", "Yunling", "Dehong humped cattle", "Simmental x Yunling", "Wenshan cattle"];
const HOLDINGS: [&str; 3] = ["532822-MZ-017", "532822-MZ-023", "532822-MH-008"];

/// Retail cuts made from each carcass that is cut.
pub(super) const CUTS: [(&str, u64); 8] = [
    ("tenderloin", 4_800),
    ("striploin", 9_600),
    ("ribeye", 8_200),
    ("topside", 14_500),
    ("silverside", 12_800),
    ("brisket", 11_600),
    ("chuck", 24_000),
    ("shin", 7_400),
];
/// Cuts the processor sells to the trader.
pub(super) const CUTS_SOLD_TO_TRADER: usize = 10;

/// Day 2: the cattle co-op commissions its herd.
pub(super) fn herd(story: &mut Story<'_>, k: &DemoKeys) -> Result<Vec<AssetId>, DemoError> {
    story.day(2);
    let n = DEMO_HERD_CHINA + DEMO_HERD_ISO;
    let assets = (0..n)
        .map(|i| {
            let idx = i as usize;
            let sex = match i % 3 {
                0 => Sex::Castrated,
                1 => Sex::Female,
                _ => Sex::Male,
            };
            Ok(NewAsset {
                product: Product::LiveCattle(Cattle {
                    ear_tag: ear_tag(i)?,
                    breed: BREEDS[idx % BREEDS.len()].into(),
                    sex,
                    // The oldest animals (first in the list) are about two and a half years old.
                    birth_date: story.date_before_start(900 - u64::from(i) * 19),
                    holding: HOLDINGS[idx % HOLDINGS.len()].into(),
                }),
                quantity: qty(1, Unit::Head)?,
                gs1: None,
                part_of: None,
                units: None,
            })
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let id = story.by_station(&k.cattle_coop, Act::Commission(Commission::new(assets)))?;
    Ok(story.outputs(id, n as usize))
}

/// Day 4 to 8: vaccinations by the county vet, and weighing.
pub(super) fn care(story: &mut Story<'_>, k: &DemoKeys, herd: &[AssetId]) -> Result<(), DemoError> {
    story.day(4);
    let event = Event::Vaccination {
        vaccine: "foot-and-mouth disease bivalent inactivated vaccine (type O and A)".into(),
        withdrawal_until: story.date_after(21),
    };
    story.by_station(&k.vet, observe(story.all_at(herd)?, event))?;

    story.day(6);
    // The youngest ten get a second vaccine; none of them is sold for slaughter.
    let young = &herd[herd.len().saturating_sub(10)..];
    let event = Event::Vaccination {
        vaccine: "bovine pasteurellosis inactivated vaccine".into(),
        withdrawal_until: story.date_after(21),
    };
    story.by_party(&k.vet, observe(story.all_at(young)?, event))?;

    story.day(8);
    for (i, animal) in herd.iter().enumerate() {
        let event = Event::Weighing { mass_g: live_weight_g(i) };
        story.by_station(&k.cattle_coop, observe(vec![story.at(*animal)?], event))?;
    }

    Ok(())
}

/// Day 24 to 29: the sale of the oldest animals to the slaughterhouse, slaughter once the
/// withdrawal period is over, cutting the next day, the sale of cuts to the trader and of one
/// cut to a consumer.
pub(super) fn beef(story: &mut Story<'_>, k: &DemoKeys, herd: &[AssetId]) -> Result<(), DemoError> {
    story.day(24);
    let sold = &herd[..DEMO_SLAUGHTERED];
    let act = Act::Transfer(Transfer { assets: story.all_at(sold)?, to: k.processor.id() });
    story.by_party(&k.cattle_coop, act)?;
    let event = Event::Movement {
        from: "holding 532822-MZ-017, Mengzhe".into(),
        to: "Jinghong abattoir lairage".into(),
    };
    story.by_station(&k.processor, observe(story.all_at(sold)?, event))?;

    story.day(26);
    let mut carcasses = Vec::new();
    let mut hides = Vec::new();
    for (i, animal) in herd.iter().take(DEMO_SLAUGHTERED).enumerate() {
        // About 55 % of live weight and a hide of about 7 %, to the nearest 100 g: what comes
        // out is weighed, and weighs less than the animal did.
        let carcass_g = live_weight_g(i) * 55 / 100 / 100 * 100;
        let hide_g = live_weight_g(i) * 7 / 100 / 100 * 100;
        let act = Act::Transform(Transform {
            process: "slaughter".into(),
            inputs: vec![story.at(*animal)?],
            allowances: vec![],
            outputs: vec![
                NewAsset {
                    product: Product::Carcass(Carcass {
                        grade: Some(if i == 0 { "A1" } else { "A2" }.into()),
                    }),
                    quantity: qty(carcass_g, Unit::Gram)?,
                    gs1: None,
                    part_of: None,
                    units: None,
                },
                NewAsset {
                    product: Product::Generic(Generic { name: "hide".into() }),
                    quantity: qty(hide_g, Unit::Gram)?,
                    gs1: None,
                    part_of: None,
                    units: None,
                },
            ],
        });
        let id = story.by_station(&k.processor, act)?;
        let outputs = story.outputs(id, 2);
        carcasses.push(outputs[0]);
        hides.push(outputs[1]);
    }

    story.day(27);
    let mut cuts = Vec::new();
    for (c, carcass) in carcasses.iter().take(DEMO_CARCASSES_CUT).enumerate() {
        let lot = lot_number(story, "MH", &format!("C{:02}", c + 1));
        let outputs = CUTS
            .iter()
            .enumerate()
            .map(|(j, (cut, grams))| {
                let cut_gtin = gtin(&format!("2{:04}", j + 1))?;
                Ok(NewAsset {
                    product: Product::BeefCut(BeefCut { cut: (*cut).into() }),
                    // The second carcass is a little lighter.
                    quantity: qty(grams - (c as u64) * 300, Unit::Gram)?,
                    gs1: Some(link(&cut_gtin, &lot, Some(&format!("{:02}{:02}", c + 1, j + 1)))?),
                    part_of: None,
                    units: None,
                })
            })
            .collect::<Result<Vec<_>, DemoError>>()?;
        let act = Act::Transform(Transform {
            process: "cutting and vacuum packing".into(),
            inputs: vec![story.at(*carcass)?],
            allowances: vec![],
            outputs,
        });
        let id = story.by_station(&k.processor, act)?;
        cuts.extend(story.outputs(id, CUTS.len()));
    }

    story.day(28);
    let cuts_sold = &cuts[..CUTS_SOLD_TO_TRADER];
    let act = Act::Transfer(Transfer { assets: story.all_at(cuts_sold)?, to: k.trader.id() });
    story.by_party(&k.processor, act)?;

    story.day(29);
    let act = Act::Retire(Retire {
        asset: story.at(cuts_sold[0])?,
        reason: "sold to a consumer at the Kunming shop".into(),
    });
    story.by_station(&k.trader, act)?;

    // The hides go to the tannery as one bale.
    let act = Act::Merge(Merge { assets: story.all_at(&hides)?, gs1: None });
    story.by_station(&k.processor, act)?;
    // The pasture tablet is stolen at the market: the co-op revokes its key.
    let act = Act::RevokeDevice(RevokeDevice { device: k.pasture_tablet.public() });
    story.by_party(&k.cattle_coop, act)?;
    Ok(())
}

/// The ear tag of animal `i`: China's national tags from Menghai county (532822), then a few
/// imported animals with ISO 11784 tags (country 156).
fn ear_tag(i: u32) -> Result<EarTag, DemoError> {
    let tag = if i < DEMO_HERD_CHINA {
        EarTag::china(&format!("2532822{:08}", 1_201 + i))?
    } else {
        EarTag::iso11784(&format!("156{:012}", 5_328_220_001 + u64::from(i - DEMO_HERD_CHINA)))?
    };
    Ok(tag)
}

/// The weight of animal `i` at the weighing, in grams.
fn live_weight_g(i: usize) -> u64 {
    let i = i as u64;
    420_000 + ((i * 37) % 19) * 7_000 + (i % 3) * 1_500
}
