//! What the HTTP layer calls for a label: its page (kept while nothing it shows changes), its
//! JSON answer, the evidence a phone checks it with (kept per checkpoint and cosignatures), state
//! proofs, and label checks with their counts. Reading a label from the database is [`label`];
//! counting checks is [`scans`](super::scans).

use std::net::IpAddr;

use bytes::Bytes;
use terroir_shared::api::{self, CheckRequest, Checks, JourneyItem, LabelAnswer, ReportList, Reported};
use terroir_shared::asset::{Asset, AssetId};

use super::ServiceError;
use super::clones;
use super::label::{self, Label};
use super::reads::Reads;
use super::scans::{Addition, Check, Region, ScanCounter, Tally};
use crate::db;

/// The most reported labels one answer lists.
pub const MAX_REPORTS: i64 = 1_000;

#[derive(Clone)]
pub struct Labels {
    reads: Reads,
    scans: ScanCounter,
}

/// A label page as it goes out: gzipped (a kept page, for a browser that takes gzip) or not.
pub struct Page {
    pub body: Bytes,
    pub gzipped: bool,
}

impl Labels {
    pub fn new(reads: Reads, scans: ScanCounter) -> Self {
        Self { reads, scans }
    }

    /// The page of asset `id` (the holder [`Reads::holder`] found for the code scanned), in
    /// the language numbered `lang`, as `render` writes it; `None` if there is no such asset. A
    /// page is kept for a label scanned again (most are scanned once) and served from the cache
    /// until something it shows changes.
    pub fn page(
        &self,
        id: AssetId,
        lang: usize,
        gzip: bool,
        render: impl FnOnce(&Label) -> Bytes,
    ) -> Result<Option<Page>, ServiceError> {
        let ledger = self.reads.ledger();
        let (size, cache) = (ledger.size(), ledger.cache());
        let cached = cache.get(&id);
        let kept =
            cached.as_ref().and_then(|a| if gzip { a.page_gzip(lang, size) } else { a.page(lang, size) });
        if let Some(body) = kept {
            return Ok(Some(Page { body, gzipped: gzip }));
        }
        let generation = cache.generation();
        // A label is a few point reads: read here, not on the pool.
        let label = self.reads.reader().now(|conn| label::read(conn, &id, cache))?;
        let Some(label) = label else { return Ok(None) };
        let page = render(&label);
        if cache.built_before(&label.asset.id) {
            let settled = label.lineage_settled();
            let asset = match cached {
                Some(asset) => asset,
                None => cache.fill(generation, label.asset),
            };
            asset.keep_page(lang, size, settled, page.clone());
        }
        Ok(Some(Page { body: page, gzipped: false }))
    }

    /// The label as JSON, with its check counts.
    pub fn answer(&self, id: AssetId) -> Result<LabelAnswer, ServiceError> {
        let ledger = self.reads.ledger();
        let label = self.reads.reader().now(|conn| label::read(conn, &id, ledger.cache()))?;
        let Label { asset: current, ancestors, events, parties, caps, .. } =
            label.ok_or_else(|| ServiceError::NotFound(format!("asset {id}")))?;
        self.load_checks(&id)?;
        let tally = self.scans.tally(&id).unwrap_or_default();
        Ok(LabelAnswer {
            checks: checks(&current, tally),
            asset: current,
            lineage: ancestors,
            journey: events
                .into_iter()
                .map(|e| JourneyItem {
                    index: e.index,
                    record_id: e.record_id,
                    record: e.entry.record.record,
                })
                .collect(),
            parties: parties.into_values().collect(),
            garden_caps: caps,
            verifier_key: ledger.vkey().to_owned(),
            evidence: format!("/api/assets/{id}/evidence"),
        })
    }

    /// Everything a phone checks the label of `id` with, as JSON, with what the witnesses have
    /// cosigned of its checkpoint so far; kept until the log grows or a cosignature comes in.
    pub async fn evidence(&self, id: AssetId) -> Result<Bytes, ServiceError> {
        let asset = self.reads.current(id)?;
        let ledger = self.reads.ledger();
        if let Some(json) = asset.evidence((ledger.size(), ledger.witness_stamp())) {
            return Ok(json);
        }
        let reading = ledger.clone();
        let found = self
            .reads
            .reader()
            .pooled(move |conn| label::evidence(conn, &id, reading.cache(), reading.map_nodes()))
            .await?;
        let mut evidence = found.ok_or_else(|| ServiceError::NotFound(format!("asset {id}")))?;
        let witnessed = ledger.witnessed();
        witnessed.cosign(evidence.size, &mut evidence.answer.checkpoint);
        let json = Bytes::from(
            serde_json::to_vec(&evidence.answer).map_err(|e| ServiceError::Integrity(e.to_string()))?,
        );
        asset.keep_evidence((evidence.size, witnessed.stamp), json.clone());
        Ok(json)
    }

    /// What the state map holds under `key` of this kind, proven against the latest checkpoint,
    /// with the cosignatures gathered so far.
    pub async fn state(&self, kind: api::StateKind, key: String) -> Result<api::StateAnswer, ServiceError> {
        // A key not spelled as its kind asks names nothing the map could hold.
        if kind.map_key(&key).is_none() {
            return Err(ServiceError::NotFound(format!(
                "a state proof for {key:?} (a {} key is 64 lowercase hex digits)",
                kind.as_str()
            )));
        }
        let reading = self.reads.ledger().clone();
        let found = self
            .reads
            .reader()
            .pooled(move |conn| label::state_answer(conn, reading.map_nodes(), kind, &key))
            .await?;
        let (size, mut answer) =
            found.ok_or_else(|| ServiceError::NotFound("a checkpoint (the log is empty)".into()))?;
        self.reads.ledger().witnessed().cosign(size, &mut answer.checkpoint);
        Ok(answer)
    }

    /// Counts a check of the label of `id` from `client` (or adds the region or report the
    /// buyer sends with the token of their check) and answers the label's counts.
    pub fn check(
        &self,
        id: AssetId,
        request: CheckRequest,
        client: Option<IpAddr>,
    ) -> Result<Checks, ServiceError> {
        let region = match &request.region {
            Some(r) => Some(Region::parse(r).ok_or_else(|| {
                ServiceError::Invalid(format!("`{r}` is not a region (whole degrees `lat,lon`)"))
            })?),
            None => None,
        };
        let asset = self.reads.current(id)?;
        self.load_checks(&id)?;
        let addition = match (region, request.report) {
            (Some(region), _) => Some(Addition::Region(region)),
            (None, true) => Some(Addition::Report),
            (None, false) => None,
        };
        let (tally, token) = match (addition, &request.token) {
            (Some(addition), Some(token)) => {
                let tally = self
                    .scans
                    .add_to_check(&id, token, addition)
                    .map_err(|e| ServiceError::Invalid(e.to_string()))?;
                (tally, None)
            }
            (Some(_), None) => {
                return Err(ServiceError::Invalid(
                    "a region or a report comes with the token of the check it belongs to".into(),
                ));
            }
            (None, _) => {
                let late = clones::is_late(&asset.asset, self.scans.now());
                let check = Check { counted: !request.again, late };
                self.scans.add(&id, check, self.scans.client(client))
            }
        };
        Ok(Checks { token, ..checks(&asset.asset, tally) })
    }

    /// The labels buyers reported, most recently checked first, at most [`MAX_REPORTS`].
    pub async fn reports(&self) -> Result<ReportList, ServiceError> {
        let rows = self.reads.reader().pooled(|conn| Ok(db::scans::reported(conn, MAX_REPORTS)?)).await?;
        let labels = rows
            .into_iter()
            .map(|(asset, reports, last_at)| {
                let asset = db::hash_from(&asset).map(AssetId)?;
                Ok(Reported { asset, reports: reports as u64, last_at: last_at as u64 })
            })
            .collect::<Result<_, ServiceError>>()?;
        Ok(ReportList { labels })
    }

    fn load_checks(&self, id: &AssetId) -> Result<(), ServiceError> {
        if !self.scans.knows(id) {
            self.reads.reader().now(|conn| self.scans.load(conn, id))?;
        }
        Ok(())
    }
}

/// A label's counts as the API answers them, with the signs of a copy they show.
fn checks(asset: &Asset, tally: Tally) -> Checks {
    Checks {
        count: tally.count,
        late: tally.late,
        first_at: tally.first_at,
        last_at: tally.last_at,
        regions: tally.regions.iter().map(|(region, n)| (region.to_string(), *n)).collect(),
        reports: tally.reports,
        units: clones::units(asset),
        signs: clones::signs(asset, &tally),
        token: None,
    }
}
