//! Admission under load. At most [`TURNS_PER_CORE`] requests per core are being answered at
//! a time; the others wait their turn, in order of arrival, for at most [`WAIT`], and are then
//! answered `503 busy` with `Retry-After` rather than left to time out; once
//! [`WAITING_AT_MOST`] wait, or for a while after one waited in vain (the line is not moving),
//! more are refused at once. A burst of label scans beyond what the server can answer thus
//! meets quick refusals, which cost a fraction of an answer, while those admitted are answered
//! at full speed, and the waiting line (its memory, and the wait of whoever is at its end)
//! stays bounded.
//!
//! A request waits also before it reaches this gate: in its worker's queue of tasks, behind
//! the answers being computed there. Each worker measures that wait ([`watch_lag`]: how late a
//! timer of its own fires); while it is over [`LAG_AT_MOST`], the worker refuses at once what it
//! would otherwise admit, so that its time goes to quick refusals and to the answers already
//! admitted, and the wait before the gate shrinks back.
//!
//! Not admitted here: `/healthz` and `/metrics`, which must answer while the server is loaded,
//! and record submissions, which have their own bounds (bodies held, `http::body`; the
//! writer's queue).

use std::cell::Cell;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::ResponseError;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use actix_web::web::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::AppState;
use super::problem::{ApiError, Pressure};

/// Requests answered at once, for each core: enough to keep the cores and the read pool busy,
/// few enough that a request admitted is not kept waiting by those admitted before it. A label
/// page built for a scan is about a millisecond of one core's work; more turns than this only
/// queue that work behind the gate, where refusals wait too.
pub const TURNS_PER_CORE: usize = 8;
/// The longest a request waits for its turn.
pub const WAIT: Duration = Duration::from_millis(100);
/// The longest the waiting line grows.
pub const WAITING_AT_MOST: usize = 4096;
/// The longest a worker may fall behind its own timers and still admit requests.
pub const LAG_AT_MOST: Duration = Duration::from_millis(100);

thread_local! {
    /// How late this worker last ran its timer ([`watch_lag`]).
    static LAG: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

/// Measures, for as long as this worker runs, how late it runs a timer set 10 ms ahead: the
/// time a task ready to run waits for its turn on this thread. Started once per worker.
pub fn watch_lag() {
    if WATCHED.replace(true) {
        return;
    }
    actix_web::rt::spawn(async {
        const TICK: Duration = Duration::from_millis(10);
        loop {
            let asked = tokio::time::Instant::now();
            tokio::time::sleep(TICK).await;
            LAG.set(asked.elapsed().saturating_sub(TICK));
        }
    });
}

/// The turns to be answered, shared by all workers.
#[derive(Clone)]
pub struct Admission {
    turns: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    /// Until when (ms after `epoch`) a request that finds no turn free is refused at once,
    /// rather than waiting: set when one waited its whole [`WAIT`] in vain, for as long again.
    /// A line that does not move is a crowd beyond capacity; waiting in it only holds
    /// connections open to be refused later.
    shedding_until: Arc<AtomicU64>,
    epoch: tokio::time::Instant,
}

impl Default for Admission {
    fn default() -> Self {
        Admission {
            turns: Arc::new(Semaphore::new(turns())),
            waiting: Arc::new(AtomicUsize::new(0)),
            shedding_until: Arc::new(AtomicU64::new(0)),
            epoch: tokio::time::Instant::now(),
        }
    }
}

/// The turns: [`TURNS_PER_CORE`] for each core this process may run on.
fn turns() -> usize {
    TURNS_PER_CORE * std::thread::available_parallelism().map_or(1, usize::from)
}

/// One place in the waiting line, left when dropped (also when the client goes away first).
struct InLine(Arc<AtomicUsize>);

impl Drop for InLine {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Admission {
    /// A turn: at once, after waiting in line, or `busy`.
    async fn turn(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        let busy = ApiError::Busy(Pressure::Requests);
        if LAG.get() > LAG_AT_MOST {
            return Err(busy);
        }
        if let Ok(turn) = self.turns.clone().try_acquire_owned() {
            return Ok(turn);
        }
        let now = self.epoch.elapsed().as_millis() as u64;
        if now < self.shedding_until.load(Ordering::Relaxed) {
            return Err(busy);
        }
        let _in_line = InLine(self.waiting.clone());
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= WAITING_AT_MOST {
            return Err(busy);
        }
        match tokio::time::timeout(WAIT, self.turns.clone().acquire_owned()).await {
            Ok(Ok(turn)) => Ok(turn),
            _ => {
                let until = self.epoch.elapsed() + WAIT;
                self.shedding_until.fetch_max(until.as_millis() as u64, Ordering::Relaxed);
                Err(busy)
            }
        }
    }

    /// Requests waiting for their turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/metrics" | "/api/records" | "/api/records/batch")
}

/// The middleware: admits the request, or answers it `busy`.
pub async fn admit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let admission = req.app_data::<web::Data<AppState>>().map(|s| s.admission.clone());
    let turn = match admission {
        Some(admission) if !exempt(req.path()) => match admission.turn().await {
            Ok(turn) => turn,
            Err(busy) => return Ok(req.into_response(busy.error_response())),
        },
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let res = next.call(req).await?;
    Ok(res.map_body(|_, body| BoxBody::new(Turned { body: body.boxed(), turn: Some(turn) })))
}

/// A response's body that holds its request's turn until it is written: the work of an answer
/// goes on after its handler returns (compressing the page, writing it out), and is part of
/// what the turns bound.
struct Turned {
    body: BoxBody,
    turn: Option<OwnedSemaphorePermit>,
}

impl MessageBody for Turned {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let next = Pin::new(&mut self.body).poll_next(cx);
        if matches!(next, Poll::Ready(None | Some(Err(_)))) {
            self.turn = None;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_request_waits_its_turn_for_a_while_then_is_refused() {
        let admission = Admission::default();
        let held: Vec<_> = futures_util::future::join_all((0..turns()).map(|_| admission.turn())).await;
        assert!(held.iter().all(Result::is_ok), "the first turns are taken at once");
        let started = tokio::time::Instant::now();
        let late = admission.turn().await;
        assert!(matches!(late, Err(ApiError::Busy(Pressure::Requests))), "no turn came free");
        assert!(started.elapsed() >= WAIT, "it waited its turn first");
        assert_eq!(admission.waiting(), 0, "and left the line");
        // The line did not move: for a while, newcomers are refused at once.
        let started = tokio::time::Instant::now();
        assert!(admission.turn().await.is_err(), "refused while the line stands");
        assert!(started.elapsed() < WAIT / 2, "at once: {:?}", started.elapsed());
        tokio::time::sleep(WAIT).await;
        // Then they wait in line again, and a turn given back goes to the one waiting.
        let waiter = {
            let admission = admission.clone();
            actix_web::rt::spawn(async move { admission.turn().await.is_ok() })
        };
        tokio::time::sleep(WAIT / 5).await;
        assert_eq!(admission.waiting(), 1);
        drop(held);
        assert!(waiter.await.expect("waiter"), "the waiting request was admitted");
    }
}
