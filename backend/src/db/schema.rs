// @generated automatically by Diesel CLI.

diesel::table! {
    asset_parents (parent, child) {
        parent -> Binary,
        child -> Binary,
    }
}

diesel::table! {
    assets (place) {
        place -> BigInt,
        id -> Binary,
        body -> Text,
        history -> Text,
    }
}

diesel::table! {
    checkpoints (size) {
        size -> BigInt,
        root -> Binary,
        note -> Text,
        signed_at -> BigInt,
    }
}

diesel::table! {
    devices (key) {
        key -> Binary,
        party -> Binary,
        body -> Text,
    }
}

diesel::table! {
    entries (idx) {
        idx -> BigInt,
        record_id -> Binary,
        leaf_hash -> Binary,
        leaf -> Binary,
        received_at -> BigInt,
    }
}

diesel::table! {
    identities (key) {
        key -> Text,
        place -> BigInt,
    }
}

diesel::table! {
    map_nodes (key) {
        key -> Binary,
        version -> BigInt,
        node -> Binary,
        leaves -> Binary,
    }
}

diesel::table! {
    map_pending (version) {
        version -> BigInt,
        size -> BigInt,
        changes -> Binary,
    }
}

diesel::table! {
    map_tip (id) {
        id -> Integer,
        size -> BigInt,
        version -> Nullable<BigInt>,
    }
}

diesel::table! {
    nodes (idx) {
        idx -> BigInt,
        hash -> Binary,
    }
}

diesel::table! {
    parties (id) {
        id -> Binary,
        body -> Text,
    }
}

diesel::table! {
    record_index (record) {
        record -> Binary,
        idx -> BigInt,
    }
}

diesel::table! {
    scan_regions (asset, region) {
        asset -> Binary,
        region -> Text,
        count -> BigInt,
        first_at -> BigInt,
        last_at -> BigInt,
    }
}

diesel::table! {
    scans (asset) {
        asset -> Binary,
        count -> BigInt,
        late -> BigInt,
        first_at -> BigInt,
        last_at -> BigInt,
        reports -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    asset_parents,
    assets,
    checkpoints,
    devices,
    entries,
    identities,
    map_nodes,
    map_pending,
    map_tip,
    nodes,
    parties,
    record_index,
    scan_regions,
    scans,
);
