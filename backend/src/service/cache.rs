//! A cache of current asset answers for the scan path: a buyer's phone asks for the same few
//! assets over and over, and an asset changes only when a record touches it. The writer
//! invalidates what each group commit changed; a reader only fills the cache if no commit
//! happened while it read, so the cache never serves a state older than the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use bytes::Bytes;
use terroir_shared::asset::{Asset, AssetId};
use terroir_shared::party::{Party, PartyId};

/// An asset, with its JSON once asked for.
#[derive(Debug)]
pub struct CachedAsset {
    pub asset: Asset,
    json: OnceLock<Bytes>,
    /// The rendered label pages, one per language, once a browser asked for them. A page
    /// also shows the asset's ancestors: it lives and dies with this entry when they can no
    /// longer change, and otherwise only as long as the log has the size it was built at.
    pages: RwLock<[Option<CachedPage>; PAGE_LANGUAGES]>,
    /// The evidence a phone checks the page with, and the log size of the checkpoint it is
    /// proven against: good until the log grows.
    evidence: RwLock<Option<((u64, u64), Bytes)>>,
    /// The bytes of JSON, pages and evidence this entry holds, counted into the cache's.
    held: Held,
}

/// Bytes an entry holds, counted into the cache's total for as long as the entry lives.
#[derive(Debug)]
struct Held {
    own: AtomicUsize,
    all: Arc<AtomicUsize>,
}

impl Held {
    /// The entry now holds `new` bytes where it held `old`.
    fn replaced(&self, old: usize, new: usize) {
        self.own.fetch_add(new, Ordering::Relaxed);
        self.own.fetch_sub(old, Ordering::Relaxed);
        self.all.fetch_add(new, Ordering::Relaxed);
        self.all.fetch_sub(old, Ordering::Relaxed);
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.all.fetch_sub(self.own.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// The languages a label page is rendered in.
pub const PAGE_LANGUAGES: usize = 2;

#[derive(Debug, Clone)]
struct CachedPage {
    /// The log size it was built at, or `None` if nothing it shows can change but the asset.
    built_at: Option<u64>,
    html: Bytes,
    /// The page gzipped, once a browser that takes gzip asked for it: a label page is tens of
    /// kilobytes, and compressing it for every scan cost more than everything else its answer
    /// does.
    gzip: OnceLock<Bytes>,
}

impl CachedPage {
    /// Whether it still shows what the log of size `size` proves.
    fn current_at(&self, size: u64) -> bool {
        self.built_at.is_none_or(|built| built == size)
    }
}

/// `bytes` gzipped, at the best compression: for what is compressed once and sent often.
pub fn gzip(bytes: &[u8]) -> Bytes {
    use std::io::Write as _;
    let mut gz =
        flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 3), flate2::Compression::best());
    gz.write_all(bytes).and_then(|()| gz.finish()).unwrap_or_default().into()
}

impl CachedAsset {
    fn new(asset: Asset, all: Arc<AtomicUsize>) -> Self {
        Self {
            asset,
            json: OnceLock::new(),
            pages: RwLock::new(Default::default()),
            evidence: RwLock::new(None),
            held: Held { own: AtomicUsize::new(0), all },
        }
    }

    /// The asset's JSON, serialised on first use.
    pub fn json(&self) -> Bytes {
        if let Some(json) = self.json.get() {
            return json.clone();
        }
        let json = Bytes::from(serde_json::to_vec(&self.asset).unwrap_or_default());
        if self.json.set(json.clone()).is_ok() {
            self.held.replaced(0, json.len());
        }
        json
    }

    /// The page in language `lang`, if one was built that is still current at log size `size`.
    pub fn page(&self, lang: usize, size: u64) -> Option<Bytes> {
        let pages = self.pages.read().ok()?;
        let page = pages.get(lang)?.as_ref().filter(|p| p.current_at(size))?;
        Some(page.html.clone())
    }

    /// The page in language `lang` gzipped, if one was built that is still current at log size
    /// `size`; compressed on first use.
    pub fn page_gzip(&self, lang: usize, size: u64) -> Option<Bytes> {
        let pages = self.pages.read().ok()?;
        let page = pages.get(lang)?.as_ref().filter(|p| p.current_at(size))?;
        if let Some(gz) = page.gzip.get() {
            return Some(gz.clone());
        }
        let gz = gzip(&page.html);
        if page.gzip.set(gz.clone()).is_ok() {
            self.held.replaced(0, gz.len());
        }
        Some(gz)
    }

    /// The evidence, if it was built against the checkpoint of log size `size.0` with the
    /// cosignatures of witness stamp `size.1`.
    pub fn evidence(&self, size: (u64, u64)) -> Option<Bytes> {
        let kept = self.evidence.read().ok()?;
        kept.as_ref().filter(|(built, _)| *built == size).map(|(_, json)| json.clone())
    }

    pub fn keep_evidence(&self, size: (u64, u64), json: Bytes) {
        if let Ok(mut kept) = self.evidence.write() {
            let old = kept.as_ref().map_or(0, |(_, j)| j.len());
            self.held.replaced(old, json.len());
            *kept = Some((size, json));
        }
    }

    /// Keeps a page built at log size `size`; `settled` says its ancestors can no longer change.
    pub fn keep_page(&self, lang: usize, size: u64, settled: bool, html: Bytes) {
        if let Ok(mut pages) = self.pages.write()
            && let Some(slot) = pages.get_mut(lang)
        {
            let old = slot.as_ref().map_or(0, |p| p.html.len() + p.gzip.get().map_or(0, Bytes::len));
            self.held.replaced(old, html.len());
            *slot = Some(CachedPage { built_at: (!settled).then_some(size), html, gzip: OnceLock::new() });
        }
    }
}

/// Current assets by id, identity keys (which never change holder) to ids, and the parties
/// pages name (a few co-ops and traders, named on nearly every page).
#[derive(Debug)]
pub struct AssetCache {
    generation: AtomicU64,
    /// Fingerprints of the assets whose page was built lately, one slot each by id: a page is
    /// kept (and its asset and identity cached) only when it is built a second time, so labels
    /// scanned once, most of them, cost no memory at all.
    built: Box<[AtomicU64]>,
    assets: RwLock<HashMap<AssetId, Arc<CachedAsset>>>,
    identities: RwLock<HashMap<String, AssetId>>,
    parties: RwLock<HashMap<PartyId, Arc<Party>>>,
    /// The bytes of JSON, pages and evidence the cached assets hold.
    bytes: Arc<AtomicUsize>,
}

/// Entries kept before the cache starts over; bounds memory on a large ledger.
const CAPACITY: usize = 200_000;

/// Bytes of JSON, pages and evidence kept before the asset cache starts over: a label page
/// is tens of kilobytes, its evidence a few, so entries alone do not bound memory.
pub const BYTES_KEPT: usize = 128 << 20;

/// Slots of the built-page fingerprints (512 KiB).
const BUILT_SLOTS: usize = 1 << 16;

impl Default for AssetCache {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            built: (0..BUILT_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            assets: RwLock::default(),
            identities: RwLock::default(),
            parties: RwLock::default(),
            bytes: Arc::default(),
        }
    }
}

impl AssetCache {
    /// Records that a page of `id` was just built; true if one was built lately before (or,
    /// rarely, another asset's fingerprint matched: a page kept early, nothing wrong shown).
    pub fn built_before(&self, id: &AssetId) -> bool {
        let bytes = id.0.as_bytes();
        let slot = usize::from(u16::from_le_bytes([bytes[0], bytes[1]]));
        let mut fingerprint = [0u8; 8];
        fingerprint.copy_from_slice(&bytes[8..16]);
        let fingerprint = u64::from_le_bytes(fingerprint) | 1;
        self.built.get(slot).is_some_and(|s| s.swap(fingerprint, Ordering::Relaxed) == fingerprint)
    }

    /// Taken before reading the database; [`AssetCache::fill`] uses it to detect a commit.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The bytes of JSON, pages and evidence the cached assets hold now.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn get(&self, id: &AssetId) -> Option<Arc<CachedAsset>> {
        self.assets.read().ok()?.get(id).cloned()
    }

    pub fn holder(&self, identity_key: &str) -> Option<AssetId> {
        self.identities.read().ok()?.get(identity_key).copied()
    }

    /// Caches `asset` read at `generation`, unless a commit has happened since.
    pub fn fill(&self, generation: u64, asset: Asset) -> Arc<CachedAsset> {
        if self.bytes() >= BYTES_KEPT
            && let Ok(mut map) = self.assets.write()
        {
            map.clear();
        }
        let cached = Arc::new(CachedAsset::new(asset, self.bytes.clone()));
        self.keep(&self.assets, Some(generation), cached.asset.id, cached.clone());
        cached
    }

    pub fn party(&self, id: &PartyId) -> Option<Arc<Party>> {
        self.parties.read().ok()?.get(id).cloned()
    }

    /// Caches `party` read at `generation`, unless a commit has happened since.
    pub fn fill_party(&self, generation: u64, party: Party) -> Arc<Party> {
        let party = Arc::new(party);
        self.keep(&self.parties, Some(generation), party.id, party.clone());
        party
    }

    pub fn remember_holder(&self, identity_key: String, id: AssetId) {
        // Identity keys never change holder: a commit cannot make this stale.
        self.keep(&self.identities, None, identity_key, id);
    }

    /// Inserts into `map`, starting it over when full; with `generation`, only if no commit
    /// has happened since it was taken (checked under the write lock).
    fn keep<K: std::hash::Hash + Eq, V>(
        &self,
        map: &RwLock<HashMap<K, V>>,
        generation: Option<u64>,
        key: K,
        value: V,
    ) {
        if let Ok(mut map) = map.write()
            && generation.is_none_or(|g| self.generation() == g)
        {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(key, value);
        }
    }

    /// Called by the writer after a commit: drops the assets and parties it changed. The
    /// generation moves first, under the write locks, so no reader that read before the commit
    /// can fill after.
    pub fn invalidate(&self, changed: impl IntoIterator<Item = AssetId>, parties: &[Party]) {
        if let (Ok(mut map), Ok(mut named)) = (self.assets.write(), self.parties.write()) {
            self.generation.fetch_add(1, Ordering::AcqRel);
            for id in changed {
                map.remove(&id);
            }
            for p in parties {
                named.remove(&p.id);
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
            head_at: None,
            weighed_g: None,
            contents: Vec::new(),
        }
    }

    #[test]
    fn the_bytes_held_are_counted_and_bound_the_cache() {
        let cache = AssetCache::default();
        let entry = cache.fill(cache.generation(), asset(1));
        let json = entry.json().len();
        entry.keep_evidence((1, 0), Bytes::from(vec![0; 1000]));
        entry.keep_evidence((2, 0), Bytes::from(vec![0; 3000]));
        entry.keep_page(1, 2, true, Bytes::from(vec![0; 500]));
        assert_eq!(cache.bytes(), json + 3000 + 500, "what the entry holds now");
        // Past the budget, the next fill starts the cache over; the bytes go once the entries do.
        entry.keep_page(0, 2, true, Bytes::from(vec![0; BYTES_KEPT]));
        let id = entry.asset.id;
        drop(entry);
        assert!(cache.bytes() > BYTES_KEPT);
        let other = cache.fill(cache.generation(), asset(2));
        assert!(cache.get(&id).is_none_or(|e| Arc::ptr_eq(&e, &other)), "started over");
        assert_eq!(cache.bytes(), 0, "nothing held but the new entry, which holds nothing yet");
    }

    #[test]
    fn a_page_is_gzipped_once_and_counted() {
        use std::io::Read as _;
        let cache = AssetCache::default();
        let entry = cache.fill(cache.generation(), asset(1));
        let html = Bytes::from("<p>a label page</p>".repeat(100));
        entry.keep_page(0, 10, false, html.clone());
        let gz = entry.page_gzip(0, 10).expect("current");
        assert!(gz.len() < html.len() / 4, "{} bytes from {}", gz.len(), html.len());
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut back).expect("gzip");
        assert_eq!(back, html, "the page itself");
        assert_eq!(entry.page_gzip(0, 10), Some(gz.clone()), "kept");
        assert_eq!(cache.bytes(), html.len() + gz.len());
        assert_eq!(entry.page_gzip(0, 11), None, "not current at another size");
        entry.keep_page(0, 11, false, Bytes::from_static(b"new"));
        assert_eq!(cache.bytes(), 3, "a page replaced takes its gzip along");
    }

    #[test]
    fn a_read_that_overlapped_a_commit_is_not_cached() {
        let cache = AssetCache::default();
        let before = cache.generation();
        // A reader read the old state; meanwhile the writer committed a change to it.
        cache.invalidate([asset(1).id], &[]);
        cache.fill(before, asset(1));
        assert!(cache.get(&asset(1).id).is_none(), "a stale read must not be cached");
        cache.fill(cache.generation(), asset(2));
        assert_eq!(cache.get(&asset(2).id).map(|c| c.asset.owner), Some(asset(2).owner));
        cache.invalidate([asset(2).id], &[]);
        assert!(cache.get(&asset(2).id).is_none());
    }

    #[test]
    fn a_page_is_kept_from_its_second_building_on() {
        let cache = AssetCache::default();
        let (a, b) = (AssetId(Hash::sha256(b"a")), AssetId(Hash::sha256(b"b")));
        assert!(!cache.built_before(&a), "a label scanned once keeps nothing");
        assert!(!cache.built_before(&b));
        assert!(cache.built_before(&a) && cache.built_before(&b), "built again");
        let mut twin = a.0.0;
        twin[20] ^= 1;
        assert!(cache.built_before(&AssetId(Hash(twin))), "ids are told apart by 64 bits only");
        let mut neighbour = a.0.0;
        neighbour[9] ^= 1;
        assert!(!cache.built_before(&AssetId(Hash(neighbour))), "same slot, another asset");
        assert!(!cache.built_before(&a), "and it took the slot");
        let entry = cache.fill(cache.generation(), asset(1));
        entry.keep_page(0, 10, false, Bytes::from_static(b"second"));
        assert_eq!(entry.page(0, 10).as_deref(), Some(&b"second"[..]));
        assert_eq!(entry.page(0, 11), None, "built at another size");
        assert_eq!(entry.page(1, 10), None, "another language");
        entry.keep_page(1, 10, true, Bytes::from_static(b"settled"));
        assert_eq!(entry.page(1, 99).as_deref(), Some(&b"settled"[..]), "settled pages outlive growth");
    }

    #[test]
    fn a_party_changed_by_a_commit_is_read_again() {
        let cache = AssetCache::default();
        let key = Keypair::from_seed(&[4; 32]).public();
        let party = |name: &str| Party {
            id: PartyId(key),
            name: name.into(),
            roles: [terroir_shared::party::Role::Cooperative].into(),
            contact: None,
            registered_by: Hash::default(),
        };
        let before = cache.generation();
        cache.fill_party(before, party("Old name"));
        assert_eq!(cache.party(&PartyId(key)).map(|p| p.name.clone()), Some("Old name".into()));
        // A read that began before a renaming commit must not put the old name back.
        let stale = cache.generation();
        cache.invalidate([], &[party("New name")]);
        cache.fill_party(stale, party("Old name"));
        assert!(cache.party(&PartyId(key)).is_none());
        cache.fill_party(cache.generation(), party("New name"));
        assert_eq!(cache.party(&PartyId(key)).map(|p| p.name.clone()), Some("New name".into()));
    }
}
