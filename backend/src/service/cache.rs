//! A cache of current asset answers for the scan path: a buyer's phone asks for the same few
//! assets over and over, and an asset changes only when a record touches it. The writer
//! invalidates what each group commit changed; a reader only fills the cache if no commit
//! happened while it read, so the cache never serves a state older than the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use actix_web::web::Bytes;
use terroir_shared::asset::{Asset, AssetId};

/// An asset with its JSON, ready to send.
#[derive(Debug)]
pub struct CachedAsset {
    pub asset: Asset,
    pub json: Bytes,
    /// The rendered label pages, one per language, once a browser asked for them. A page
    /// also shows the asset's ancestors: it lives and dies with this entry when they can no
    /// longer change, and otherwise only as long as the log has the size it was built at.
    pages: RwLock<[Option<CachedPage>; PAGE_LANGUAGES]>,
    /// The evidence a phone checks the page with, and the log size of the checkpoint it is
    /// proven against: good until the log grows.
    evidence: RwLock<Option<(u64, Bytes)>>,
}

/// The languages a label page is rendered in.
pub const PAGE_LANGUAGES: usize = 2;

#[derive(Debug, Clone)]
struct CachedPage {
    /// The log size it was built at, or `None` if nothing it shows can change but the asset.
    built_at: Option<u64>,
    html: Bytes,
}

impl CachedAsset {
    fn new(asset: Asset) -> Self {
        let json = Bytes::from(serde_json::to_vec(&asset).unwrap_or_default());
        Self { asset, json, pages: RwLock::new(Default::default()), evidence: RwLock::new(None) }
    }

    /// The page in language `lang`, if one was built that is still current at log size `size`.
    pub fn page(&self, lang: usize, size: u64) -> Option<Bytes> {
        let pages = self.pages.read().ok()?;
        let page = pages.get(lang)?.as_ref()?;
        page.built_at.is_none_or(|built| built == size).then(|| page.html.clone())
    }

    /// The evidence, if it was built against the checkpoint of log size `size`.
    pub fn evidence(&self, size: u64) -> Option<Bytes> {
        let kept = self.evidence.read().ok()?;
        kept.as_ref().filter(|(built, _)| *built == size).map(|(_, json)| json.clone())
    }

    pub fn keep_evidence(&self, size: u64, json: Bytes) {
        if let Ok(mut kept) = self.evidence.write() {
            *kept = Some((size, json));
        }
    }

    /// Keeps a page built at log size `size`; `settled` says its ancestors can no longer change.
    pub fn keep_page(&self, lang: usize, size: u64, settled: bool, html: Bytes) {
        if let Ok(mut pages) = self.pages.write()
            && let Some(slot) = pages.get_mut(lang)
        {
            *slot = Some(CachedPage { built_at: (!settled).then_some(size), html });
        }
    }
}

/// Current assets by id, and identity keys (which never change holder) to ids.
#[derive(Debug, Default)]
pub struct AssetCache {
    generation: AtomicU64,
    assets: RwLock<HashMap<AssetId, Arc<CachedAsset>>>,
    identities: RwLock<HashMap<String, AssetId>>,
}

/// Entries kept before the cache starts over; bounds memory on a large ledger.
const CAPACITY: usize = 200_000;

impl AssetCache {
    /// Taken before reading the database; [`AssetCache::fill`] uses it to detect a commit.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, id: &AssetId) -> Option<Arc<CachedAsset>> {
        self.assets.read().ok()?.get(id).cloned()
    }

    pub fn holder(&self, identity_key: &str) -> Option<AssetId> {
        self.identities.read().ok()?.get(identity_key).copied()
    }

    /// Caches `asset` read at `generation`, unless a commit has happened since.
    pub fn fill(&self, generation: u64, asset: Asset) -> Arc<CachedAsset> {
        let cached = Arc::new(CachedAsset::new(asset));
        if let Ok(mut map) = self.assets.write()
            && self.generation() == generation
        {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(cached.asset.id, cached.clone());
        }
        cached
    }

    pub fn remember_holder(&self, identity_key: String, id: AssetId) {
        if let Ok(mut map) = self.identities.write() {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(identity_key, id);
        }
    }

    /// Called by the writer after a commit: drops the assets it changed. The generation moves
    /// first, under the write lock, so no reader that read before the commit can fill after.
    pub fn invalidate(&self, changed: impl IntoIterator<Item = AssetId>) {
        if let Ok(mut map) = self.assets.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            for id in changed {
                map.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use terroir_shared::Hash;
    use terroir_shared::asset::{Generic, Product, Quantity, Status, Unit};
    use terroir_shared::crypto::Keypair;
    use terroir_shared::party::PartyId;

    fn asset(owner: u8) -> Asset {
        let party = PartyId(Keypair::from_seed(&[owner; 32]).public());
        Asset {
            id: AssetId(Hash::sha256(b"a")),
            product: Product::Generic(Generic { name: "x".into() }),
            quantity: Quantity::new(1, Unit::Piece).expect("q"),
            gs1: None,
            owner: party,
            custodian: party,
            status: Status::Active,
            parents: vec![],
            created_by: Hash::default(),
            head: Hash::default(),
        }
    }

    #[test]
    fn a_read_that_overlapped_a_commit_is_not_cached() {
        let cache = AssetCache::default();
        let before = cache.generation();
        // A reader read the old state; meanwhile the writer committed a change to it.
        cache.invalidate([asset(1).id]);
        cache.fill(before, asset(1));
        assert!(cache.get(&asset(1).id).is_none(), "a stale read must not be cached");
        cache.fill(cache.generation(), asset(2));
        assert_eq!(cache.get(&asset(2).id).map(|c| c.asset.owner), Some(asset(2).owner));
        cache.invalidate([asset(2).id]);
        assert!(cache.get(&asset(2).id).is_none());
    }
}
