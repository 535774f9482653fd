//! Reading request bodies: within a size limit, at a pace a slow link is given and a client
//! trickling bytes to hold the server is not, and within the server's budget for bodies held at
//! once; each refusal a problem document.

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::web::{self, Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::problem::{ApiError, Pressure};

/// A body has this long to arrive, and one second more for every [`BODY_MIN_RATE`] bytes that
/// did (Apache's `mod_reqtimeout` default, `body=20,MinRate=500`): a megabyte over a 2G link
/// arrives in time; a body trickled to hold a connection open does not.
pub const BODY_SECONDS: u64 = 20;
pub const BODY_MIN_RATE: usize = 500;

/// The bodies held at once, in all, are at most this many of the largest one allowed.
pub const BODIES_HELD: usize = 16;

/// The bytes of request bodies the server holds at once (in KiB shares); a body that would
/// pass it is refused with `busy` rather than held, so many large uploads at once cannot
/// exhaust memory.
#[derive(Clone)]
pub struct BodyBudget(Arc<Semaphore>);

impl BodyBudget {
    pub fn new(bytes: usize) -> Self {
        BodyBudget(Arc::new(Semaphore::new((bytes / 1024).clamp(1, Semaphore::MAX_PERMITS))))
    }

    /// Grows `share` to cover `len` bytes, at once or not at all.
    fn cover(&self, share: &mut Option<OwnedSemaphorePermit>, len: usize) -> Result<(), ApiError> {
        let held = share.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
        let wanted = len.div_ceil(1024);
        if wanted <= held {
            return Ok(());
        }
        let more = u32::try_from(wanted - held).map_err(|_| ApiError::Busy(Pressure::Bodies))?;
        let permit =
            self.0.clone().try_acquire_many_owned(more).map_err(|_| ApiError::Busy(Pressure::Bodies))?;
        match share {
            Some(s) => s.merge(permit),
            None => *share = Some(permit),
        }
        Ok(())
    }
}

/// A body read whole; its share of the budget is given back when it is dropped.
pub struct Body {
    pub bytes: Bytes,
    _share: Option<OwnedSemaphorePermit>,
}

/// The whole body, or the problem: `too_large` at once when its declared length is over
/// `limit`, and as soon as it passes `limit` otherwise; `request_timeout` when it arrives more
/// slowly than [`BODY_SECONDS`] and [`BODY_MIN_RATE`] allow; `busy` when bodies held already
/// fill `budget`.
pub async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    budget: &BodyBudget,
) -> Result<Body, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge { limit });
    }
    let mut body = BytesMut::new();
    let mut share = None;
    let started = tokio::time::Instant::now();
    loop {
        let allowed = Duration::from_secs(BODY_SECONDS + (body.len() / BODY_MIN_RATE) as u64);
        let Ok(next) = tokio::time::timeout_at(started + allowed, payload.next()).await else {
            return Err(refuse(
                payload,
                ApiError::BodyTimeout { received: body.len(), seconds: allowed.as_secs() },
            ));
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| ApiError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(refuse(payload, ApiError::TooLarge { limit }));
        }
        if let Err(busy) = budget.cover(&mut share, body.len() + chunk.len()) {
            return Err(refuse(payload, busy));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Body { bytes: body.freeze(), _share: share })
}

/// The refusal of a body not read whole. Its payload is held a while longer: a connection
/// whose payload is still held when the answer is sent is closed after it, while one whose
/// payload was let go is drained to the end of its body first (actix-http's dispatcher), which
/// for an endless chunked body is never.
fn refuse(payload: web::Payload, problem: ApiError) -> ApiError {
    actix_web::rt::spawn(async move {
        tokio::time::sleep(PAYLOAD_HELD).await;
        drop(payload);
    });
    problem
}

/// How long a refused body's payload is held: long enough for the answer to be written.
const PAYLOAD_HELD: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_and_given_back() {
        let budget = BodyBudget::new(10 * 1024);
        let (mut a, mut b) = (None, None);
        budget.cover(&mut a, 6 * 1024).expect("fits");
        budget.cover(&mut a, 6 * 1024 + 1).expect("grows by a share");
        assert!(
            matches!(budget.cover(&mut b, 4 * 1024), Err(ApiError::Busy(Pressure::Bodies))),
            "7 of 10 KiB are held"
        );
        budget.cover(&mut b, 3 * 1024).expect("what is left");
        drop(a);
        budget.cover(&mut b, 10 * 1024).expect("given back");
    }
}
