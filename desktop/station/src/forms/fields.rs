//! One value each, checked with the clerk's field name.

use terroir_shared::asset::{Asset, AssetId, AssetRef, Quantity, Unit};
use terroir_shared::calendar::Date;
use terroir_shared::crypto::PublicKey;
use terroir_shared::gs1::Gtin;
use terroir_shared::party::PartyId;

use super::Lookup;
use crate::describe::gtin_problem;
use crate::error::{Result, StationError};
use crate::words::said;

pub(super) fn text(field: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(StationError::input(field, said("must not be empty", "不能为空")));
    }
    if v.chars().count() > 200 {
        return Err(StationError::input(field, said("at most 200 characters", "最多 200 个字")));
    }
    Ok(v.to_owned())
}

pub fn date(field: &str, value: &str) -> Result<Date> {
    value.trim().parse().map_err(|_| {
        StationError::input(
            field,
            said("a date as YYYY-MM-DD, e.g. 2026-04-15", "日期格式为 年-月-日，例如 2026-04-15"),
        )
    })
}

pub fn gtin(field: &str, value: &str) -> Result<Gtin> {
    Gtin::parse(value.trim()).map_err(|e| StationError::input(field, gtin_problem(&e)))
}

pub fn party(field: &str, value: &str) -> Result<PartyId> {
    value.trim().parse::<PublicKey>().map(PartyId).map_err(|_| {
        StationError::input(
            field,
            said("an organisation's key: 64 lowercase hex digits", "组织密钥：64 位小写十六进制数字"),
        )
    })
}

fn asset_id(field: &str, value: &str) -> Result<AssetId> {
    value.trim().parse().map_err(|_| {
        StationError::input(
            field,
            said("an asset id: 64 lowercase hex digits", "货品编号：64 位小写十六进制数字"),
        )
    })
}

pub(super) fn grams(field: &str, value: u64) -> Result<Quantity> {
    Quantity::new(value, Unit::Gram)
        .map_err(|e| StationError::input(field, said("a weight in grams", "以克为单位的重量").with_detail(e)))
}

/// The asset named `value`, at the head the station knows.
pub(super) fn current(lookup: &Lookup<'_>, field: &str, value: &str) -> Result<Asset> {
    let id = asset_id(field, value)?;
    (lookup.asset)(&id).ok_or_else(|| {
        StationError::input(
            field,
            said("this station does not know that asset: sync first", "本站还不知道这件货品：请先同步"),
        )
    })
}

pub(super) fn refs(lookup: &Lookup<'_>, field: &str, values: &[String]) -> Result<Vec<AssetRef>> {
    if values.is_empty() {
        return Err(StationError::input(field, said("choose at least one asset", "请至少选择一件货品")));
    }
    values.iter().map(|v| current(lookup, field, v).map(|a| a.reference())).collect()
}
