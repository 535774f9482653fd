// @generated automatically by Diesel CLI.

diesel::table! {
    asset_records (asset, record) {
        asset -> Text,
        record -> Text,
    }
}

diesel::table! {
    assets (id) {
        id -> Text,
        json -> Text,
        kind -> Text,
        label -> Text,
        state -> Text,
        created_seq -> BigInt,
        updated_seq -> BigInt,
    }
}

diesel::table! {
    attachments (sha256) {
        sha256 -> Text,
        name -> Text,
        media_type -> Text,
        size -> BigInt,
        bytes -> Binary,
    }
}

diesel::table! {
    devices (key) {
        key -> Text,
        json -> Text,
    }
}

diesel::table! {
    identities (key) {
        key -> Text,
        asset -> Text,
    }
}

diesel::table! {
    lineage (parent, child) {
        parent -> Text,
        child -> Text,
    }
}

diesel::table! {
    parties (id) {
        id -> Text,
        json -> Text,
        confirmed -> Bool,
    }
}

diesel::table! {
    records (seq) {
        seq -> BigInt,
        id -> Text,
        act -> Text,
        summary -> Text,
        envelope -> Text,
        state -> Text,
        receipt -> Nullable<Text>,
        log_index -> Nullable<BigInt>,
        problem_code -> Nullable<Text>,
        problem -> Nullable<Text>,
        signed_at -> BigInt,
        settled_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    asset_records,
    assets,
    attachments,
    devices,
    identities,
    lineage,
    parties,
    records,
    settings,
);
