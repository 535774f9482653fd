//! Rules for enrolling parties and managing their device keys.

use super::{Context, Effects, LedgerView, RuleViolation, Signer, require_text};
use crate::Hash;
use crate::party::{Device, Party};
use crate::record::{AuthoriseDevice, Record, RegisterParty, RevokeDevice};

pub(super) fn register(
    view: &impl LedgerView,
    body: &Record,
    act: &RegisterParty,
    ctx: &Context<'_>,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    if body.party != ctx.operator || body.signer != ctx.operator.0 {
        return Err(RuleViolation::NotOperator);
    }
    if view.party(&act.id).is_some() {
        return Err(RuleViolation::PartyExists(act.id));
    }
    if view.device(&act.id.0).is_some() {
        return Err(RuleViolation::DeviceExists(act.id.0));
    }
    if ctx.rules.v2() {
        super::require_name(&act.name, "name")?;
    } else {
        require_text(&act.name, "name")?;
    }
    if act.roles.is_empty() {
        return Err(RuleViolation::Empty("roles"));
    }
    let party = Party {
        id: act.id,
        name: act.name.clone(),
        roles: act.roles.clone(),
        contact: act.contact,
        registered_by: id,
    };
    Ok(Effects { parties: vec![party], ..Effects::default() })
}

pub(super) fn authorise_device(
    view: &impl LedgerView,
    body: &Record,
    signer: Signer,
    act: &AuthoriseDevice,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    if signer != Signer::Party {
        return Err(RuleViolation::DeviceCannotManageDevices);
    }
    let taken =
        view.device(&act.device).is_some() || view.party(&crate::party::PartyId(act.device)).is_some();
    if taken {
        return Err(RuleViolation::DeviceExists(act.device));
    }
    require_text(&act.label, "label")?;
    let message = AuthoriseDevice::possession_message(&body.origin, &body.party, &act.device);
    if act.device.verify(&message, &act.proof).is_err() {
        return Err(RuleViolation::NoProofOfPossession);
    }
    let device = Device {
        key: act.device,
        party: body.party,
        label: act.label.clone(),
        authorised_by: id,
        revoked_by: None,
    };
    Ok(Effects { devices: vec![device], ..Effects::default() })
}

pub(super) fn revoke_device(
    view: &impl LedgerView,
    body: &Record,
    signer: Signer,
    act: &RevokeDevice,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    if signer != Signer::Party {
        return Err(RuleViolation::DeviceCannotManageDevices);
    }
    let mut device = match view.device(&act.device) {
        Some(d) if d.party == body.party => d,
        _ => return Err(RuleViolation::UnknownDevice(act.device)),
    };
    if device.revoked_by.is_some() {
        return Err(RuleViolation::DeviceAlreadyRevoked(act.device));
    }
    device.revoked_by = Some(id);
    Ok(Effects { devices: vec![device], ..Effects::default() })
}
