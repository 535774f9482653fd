//! Events and acts on goods the station knows, named at the heads it knows.

use terroir_shared::Hash;
use terroir_shared::asset::{AssetRef, BeefCut, Carcass, Product};
use terroir_shared::gs1::DigitalLink;
use terroir_shared::record::{
    Act, Attachment, Custody, Event, Merge, NewAsset, Observe, Part, Pledge, Release, Retire, Split,
    Transfer, Transform, Unpack,
};

use super::fields::{current, date, grams, party, refs, text};
use super::goods::{new_goods, tea_batch};
use super::{ActForm, EventForm, FileInput, Lookup};
use crate::error::{Result, StationError};
use crate::words::said;

/// The event, checked.
pub fn event(form: &EventForm) -> Result<Event> {
    Ok(match form {
        EventForm::Vaccination { vaccine, withdrawal_until } => Event::Vaccination {
            vaccine: text("vaccine", vaccine)?,
            withdrawal_until: date("withdrawalUntil", withdrawal_until)?,
        },
        EventForm::Weighing { mass_g } => Event::Weighing { mass_g: grams("massG", *mass_g)?.amount() },
        EventForm::Movement { from, to } => {
            Event::Movement { from: text("from", from)?, to: text("to", to)? }
        }
        EventForm::Picking { garden, mass_g } => {
            Event::Picking { garden: text("garden", garden)?, mass_g: grams("massG", *mass_g)?.amount() }
        }
        EventForm::Pressing { press } => Event::Pressing { press: text("press", press)? },
        EventForm::Storage { location } => Event::Storage { location: text("location", location)? },
        EventForm::LabCertificate { laboratory, certificate, result } => Event::LabCertificate {
            laboratory: text("laboratory", laboratory)?,
            certificate: text("certificate", certificate)?,
            result: text("result", result)?,
        },
        EventForm::Note { text: t } => Event::Note { text: text("text", t)? },
    })
}

/// The act a form asks for, with the heads the station knows. `attachment` is the hash and
/// size of the attached file, already stored by the caller.
pub fn act(form: &ActForm, lookup: &Lookup<'_>, attachment: Option<Attachment>) -> Result<Act> {
    Ok(match form {
        ActForm::Event { assets, event: e, .. } => Act::Observe(Observe {
            assets: refs(lookup, "assets", assets)?,
            event: event(e)?,
            attachments: attachment.into_iter().collect(),
        }),
        ActForm::Split { asset, parts } => {
            let parent = current(lookup, "asset", asset)?;
            if parts.len() < 2 {
                return Err(StationError::input(
                    "parts",
                    said("a split needs at least two parts", "拆分至少要两份"),
                ));
            }
            let link = |i: usize| -> Option<DigitalLink> {
                let g = parent.gs1.as_ref()?;
                let lot = format!("{}-{}", g.lot()?, i + 1);
                DigitalLink::new(*g.gtin(), g.cpv(), Some(&lot), None).ok()
            };
            Act::Split(Split {
                asset: parent.reference(),
                parts: parts
                    .iter()
                    .enumerate()
                    .map(|(i, &amount)| Part { amount, gs1: link(i), units: vec![] })
                    .collect(),
            })
        }
        ActForm::Merge { assets } => Act::Merge(Merge { assets: refs(lookup, "assets", assets)?, gs1: None }),
        ActForm::Slaughter { asset, carcass_g, grade } => {
            let grade = grade.trim();
            transform(
                "slaughter",
                vec![current(lookup, "asset", asset)?.reference()],
                vec![new_goods(
                    Product::Carcass(Carcass { grade: (!grade.is_empty()).then(|| grade.to_owned()) }),
                    grams("carcassG", *carcass_g)?,
                )],
            )
        }
        ActForm::Cut { asset, cuts } => {
            if cuts.is_empty() {
                return Err(StationError::input("cuts", said("list at least one cut", "请至少列出一个部位")));
            }
            let outputs = cuts
                .iter()
                .map(|c| {
                    Ok(new_goods(
                        Product::BeefCut(BeefCut { cut: text("cut", &c.cut)? }),
                        grams("grams", c.grams)?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            transform("cutting", vec![current(lookup, "asset", asset)?.reference()], outputs)
        }
        ActForm::Press { assets, batch } => {
            transform("pressing", refs(lookup, "assets", assets)?, vec![tea_batch(batch, lookup)?])
        }
        ActForm::Transfer { assets, to } => {
            Act::Transfer(Transfer { assets: refs(lookup, "assets", assets)?, to: party("to", to)? })
        }
        ActForm::Custody { assets, to } => {
            Act::Custody(Custody { assets: refs(lookup, "assets", assets)?, to: party("to", to)? })
        }
        ActForm::Pledge { asset, financier } => Act::Pledge(Pledge {
            asset: current(lookup, "asset", asset)?.reference(),
            financier: party("financier", financier)?,
        }),
        ActForm::Release { asset } => {
            Act::Release(Release { asset: current(lookup, "asset", asset)?.reference() })
        }
        ActForm::Retire { asset, reason } => Act::Retire(Retire {
            asset: current(lookup, "asset", asset)?.reference(),
            reason: text("reason", reason)?,
        }),
        ActForm::TakeOut { asset } => {
            let unit = current(lookup, "asset", asset)?;
            let terroir_shared::asset::Status::Contained { holder } = unit.status else {
                return Err(StationError::input(
                    "asset",
                    said("it is not packed in a lot", "它不在任何批次中"),
                ));
            };
            let holder = current(lookup, "asset", &holder.to_string())?;
            Act::Unpack(Unpack { holder: holder.reference(), units: vec![unit.reference()] })
        }
    })
}

fn transform(process: &str, inputs: Vec<AssetRef>, outputs: Vec<NewAsset>) -> Act {
    Act::Transform(Transform::new(process, inputs, outputs))
}

/// The attachment entry for `bytes`.
pub fn attachment(file: &FileInput, bytes: &[u8]) -> Result<Attachment> {
    Ok(Attachment {
        name: text("attachment", &file.name)?,
        media_type: text("attachment", &file.media_type)?,
        sha256: Hash::sha256(bytes),
        size: bytes.len() as u64,
    })
}
