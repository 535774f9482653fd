//! OpenAPI schemas of the wire types (feature `openapi`), for the ledger server's API
//! description. Plain structs derive theirs beside their serde attributes; this module writes
//! those whose JSON is not what their Rust shape says: hex strings, dates, GS1 paths, the
//! rules' version number, and the tagged unions whose members must admit exactly their own
//! fields.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::canonical::MAX_SAFE_INTEGER;

/// A string matching `pattern`, described.
fn string(pattern: &str, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(pattern))
        .description(Some(description))
        .into()
}

/// A named schema written by hand.
macro_rules! named {
    ($ty:ty, $name:literal, $build:expr) => {
        named!($ty, [], $name, $build);
    };
    ($ty:ty, [$($dep:ty),*], $name:literal, $build:expr) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                $build
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            #[allow(unused_variables)]
            fn schemas(found: &mut Vec<(String, RefOr<Schema>)>) {
                $(
                    found.push((<$dep>::name().into_owned(), <$dep>::schema()));
                    <$dep>::schemas(found);
                )*
            }
        }
    };
}

named!(
    crate::Hash,
    "Hash",
    string(
        "^[0-9a-f]{64}$",
        "A SHA-256 digest (record id, asset id, asset head, leaf or node hash) as 64 lowercase hex digits."
    )
);

named!(
    crate::asset::AssetId,
    "AssetId",
    string(
        "^[0-9a-f]{64}$",
        "An asset's id, 64 lowercase hex digits: SHA-256 of \"terroir-asset-v1\\n\", the id of the record \
         that created it and its position among that record's outputs (4 bytes, big-endian)."
    )
);

named!(
    crate::crypto::PublicKey,
    "PublicKey",
    string(
        "^[0-9a-f]{64}$",
        "An Ed25519 public key (a party's identity or a device key) as 64 lowercase hex digits; it must be \
         the canonical encoding of a point of the prime-order subgroup."
    )
);

named!(
    crate::party::PartyId,
    "PartyId",
    string("^[0-9a-f]{64}$", "A party: its identity key, an Ed25519 public key as 64 lowercase hex digits.")
);

named!(
    crate::crypto::Signature,
    "Signature",
    string("^[0-9a-f]{128}$", "An Ed25519 signature as 128 lowercase hex digits.")
);

named!(
    crate::commitment::Commitment,
    "Commitment",
    string(
        "^[0-9a-f]{64}$",
        "A salted SHA-256 commitment to personal data kept off the ledger, as 64 lowercase hex digits."
    )
);

named!(
    crate::calendar::Timestamp,
    "Timestamp",
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(0))
        .maximum(Some(MAX_SAFE_INTEGER))
        .description(Some("Milliseconds since the Unix epoch (UTC)."))
        .into()
);

named!(
    crate::calendar::Date,
    "Date",
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Date)))
        .pattern(Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
        .description(Some("A calendar date, `YYYY-MM-DD`."))
        .into()
);

named!(
    crate::gs1::DigitalLink,
    "Gs1Path",
    string(
        "^/01/[0-9]{14}(/22/(?:[A-Za-z0-9._-]|%[0-9A-F]{2}){1,20})?(/10/(?:[A-Za-z0-9._-]|%[0-9A-F]{2}){1,20})?(/21/(?:[A-Za-z0-9._-]|%[0-9A-F]{2}){1,20})?$",
        "A GS1 Digital Link path: `/01/` and a GTIN-14 with a valid check digit, then optionally a consumer \
         product variant (`/22/`), a lot (`/10/`) and a serial (`/21/`), in that order, each 1–20 characters \
         of GS1 character set 82, percent-encoded except letters, digits, `-`, `.` and `_` (uppercase hex). \
         Only this one spelling is accepted."
    )
);

named!(
    crate::ear_tag::EarTag,
    "EarTag",
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .description(Some("A cattle ear tag; the code's check rules follow its scheme."))
        .property("scheme", crate::ear_tag::EarTagScheme::schema())
        .property(
            "code",
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).pattern(Some("^[0-9]{15}$"))
        )
        .required("scheme")
        .required("code")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
);

named!(
    crate::asset::Quantity,
    "Quantity",
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .description(Some("An amount of base units: an integer from 1 to 2^53 − 1, never a fraction."))
        .property(
            "amount",
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::Integer))
                .minimum(Some(1))
                .maximum(Some(MAX_SAFE_INTEGER))
        )
        .property("unit", crate::asset::Unit::schema())
        .required("amount")
        .required("unit")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
);

named!(
    crate::rules::Rules,
    "Rules",
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .enum_values(Some([1, 2]))
        .description(Some("A version of the ledger's rules; `docs/records.md` lists what each adds."))
        .into()
);

/// The schema of `Envelope<Record>`, the only envelope on the wire.
pub struct EnvelopeSchema;

named!(
    EnvelopeSchema,
    [crate::record::Record, crate::crypto::Signature],
    "Envelope",
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .description(Some(
            "A signed record as submitted and as stored in a ledger entry. The signature covers \
             `\"terroir-record-v1\\n\"` followed by the RFC 8785 canonical JSON of `record`."
        ))
        .property("record", reference::<crate::record::Record>())
        .property("signature", reference::<crate::crypto::Signature>())
        .required("record")
        .required("signature")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
);

/// A reference to `T`'s named schema.
fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

/// Every schema of the wire contract (records, ledger entries, assets, parties, devices), by
/// name, as JSON Schema 2020-12 says what serde reads and writes: closed as [`close`] closes
/// them, and an absent optional field left out, never `null`.
pub fn wire_schemas() -> BTreeMap<String, RefOr<Schema>> {
    use crate::asset::Asset;
    use crate::entry::LedgerEntry;
    use crate::party::{Device, Party};

    let mut found = vec![
        (LedgerEntry::name().into_owned(), LedgerEntry::schema()),
        (Asset::name().into_owned(), Asset::schema()),
        (Party::name().into_owned(), Party::schema()),
        (Device::name().into_owned(), Device::schema()),
    ];
    LedgerEntry::schemas(&mut found);
    Asset::schemas(&mut found);
    Party::schemas(&mut found);
    Device::schemas(&mut found);
    let mut schemas = BTreeMap::new();
    for (name, schema) in found {
        schemas.entry(name).or_insert(schema);
    }
    tighten_all(&mut schemas, true);
    schemas
}

/// Makes schemas derived from serde types say what serde does: a member of a tagged union or
/// a struct with flattened fields admits exactly its own fields, and no integer exceeds what
/// its type holds (2^53 − 1 at most, the largest every JSON reader holds exactly).
pub fn close(schemas: &mut BTreeMap<String, RefOr<Schema>>) {
    tighten_all(schemas, false);
}

fn tighten_all(schemas: &mut BTreeMap<String, RefOr<Schema>>, strip_nulls: bool) {
    let named: BTreeMap<String, Value> =
        schemas.iter().map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Value::Null))).collect();
    for (name, value) in &named {
        let mut value = value.clone();
        tighten(&mut value, &named, strip_nulls);
        if let Ok(schema) = serde_json::from_value(value) {
            schemas.insert(name.clone(), schema);
        }
    }
}

/// Tightens one schema (see [`close`]); `named` resolves the references a flattened or tagged
/// object extends.
fn tighten(value: &mut Value, named: &BTreeMap<String, Value>, strip_nulls: bool) {
    merge_extension(value, named);
    let Value::Object(map) = value else { return };
    if strip_nulls {
        // `Option<T>` reads as `oneOf: [null, T]` or `type: [T, null]`.
        if let Some(Value::Array(items)) = map.get("oneOf")
            && items.len() == 2
            && items[0] == serde_json::json!({"type": "null"})
        {
            let inner = items[1].clone();
            map.remove("oneOf");
            if let Value::Object(inner) = inner {
                for (k, v) in inner {
                    map.entry(k).or_insert(v);
                }
            }
        }
        if let Some(Value::Array(types)) = map.get_mut("type") {
            types.retain(|t| t != "null");
            if let [only] = types.as_slice() {
                let only = only.clone();
                map.insert("type".into(), only);
            }
        }
    }
    if let Some(Value::Array(items)) = map.get_mut("oneOf") {
        for item in items.iter_mut() {
            if let Value::Object(member) = item
                && member.contains_key("properties")
            {
                member.entry("additionalProperties").or_insert(Value::Bool(false));
            }
        }
    }
    if map.get("type") == Some(&Value::from("integer")) && !map.contains_key("maximum") {
        // utoipa spells a `u32` as `int32` from 0.
        let max = if map.get("format") == Some(&Value::from("int32")) {
            u64::from(u32::MAX)
        } else {
            MAX_SAFE_INTEGER
        };
        map.insert("maximum".into(), Value::from(max));
    }
    for (_, child) in map.iter_mut() {
        match child {
            Value::Array(items) => items.iter_mut().for_each(|c| tighten(c, named, strip_nulls)),
            other => tighten(other, named, strip_nulls),
        }
    }
}

/// An object that extends a named schema (a member of an internally tagged union, or a struct
/// with a flattened field) reads as `allOf: [{$ref}, {its own fields}]`; when the named schema
/// forbids unknown fields, nothing can satisfy both. This writes it as one object with both
/// sets of fields, closed.
fn merge_extension(item: &mut Value, named: &BTreeMap<String, Value>) {
    let Some(Value::Array(parts)) = item.get("allOf") else { return };
    let [first, Value::Object(own)] = parts.as_slice() else { return };
    let Some(target) = first.get("$ref").and_then(Value::as_str) else { return };
    let Some(Value::Object(base)) = target.strip_prefix("#/components/schemas/").and_then(|n| named.get(n))
    else {
        return;
    };
    let mut merged = base.clone();
    let mut properties = merged.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    properties.extend(own.get("properties").and_then(Value::as_object).cloned().unwrap_or_default());
    merged.insert("properties".into(), Value::Object(properties));
    let mut required: Vec<Value> =
        merged.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
    required.extend(own.get("required").and_then(Value::as_array).cloned().unwrap_or_default());
    merged.insert("required".into(), Value::Array(required));
    merged.insert("additionalProperties".into(), Value::Bool(false));
    if let Some(description) = item.get("description").or_else(|| own.get("description")) {
        merged.insert("description".into(), description.clone());
    }
    *item = Value::Object(merged);
}
