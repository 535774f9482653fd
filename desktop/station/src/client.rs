//! The ledger server's JSON API, as the station uses it: blocking HTTP with timeouts, so the
//! sync thread and the verifier can tell "the network is down" from "the server refused", and
//! every answer read into its type in `terroir_shared::api` (an answer that does not fit is a
//! protocol error naming where).

use std::io::Read as _;
use std::time::Duration;

use serde::de::DeserializeOwned;
use terroir_shared::api::{
    self, AssetHistory, BatchItem, BatchResult, LabelAnswer, PartyList, PartyView, Problem,
};
use terroir_shared::asset::{Asset, AssetId};
use terroir_shared::gs1::DigitalLink;
use terroir_shared::log::Receipt;
use terroir_shared::party::PartyId;

pub use terroir_shared::api::LogInfo;

/// Why a request did not get an answer the station can use.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer: no network, the server is down, or the connection dropped. Retry later.
    #[error("cannot reach the ledger server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The server answered with an error status.
    #[error("the ledger server answered {status}: {detail}")]
    Status { status: u16, code: String, detail: String },
    /// The server answered something that is not what its API promises.
    #[error("unexpected answer from the ledger server: {0}")]
    Protocol(String),
}

impl ClientError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable { .. } => true,
            ClientError::Status { status, .. } => *status >= 500 || *status == 429,
            ClientError::Protocol(_) => false,
        }
    }
}

/// What the server did with one record of a batch.
#[derive(Clone, Debug)]
pub enum BatchOutcome {
    /// Accepted now, or earlier (a resubmission): the receipt either way.
    Landed(Receipt),
    Refused {
        code: String,
        detail: String,
    },
}

#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base_url: &str) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout_read(Duration::from_secs(120))
            .timeout_write(Duration::from_secs(60))
            .build();
        Self { base: base_url.trim_end_matches('/').to_owned(), agent }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends the request and reads the answer as a `T`, or the problem the server answered.
    fn call<T: DeserializeOwned>(
        &self,
        request: ureq::Request,
        body: Option<&str>,
    ) -> Result<T, ClientError> {
        let url = request.url().to_owned();
        let answer = match body {
            Some(b) => request.set("Content-Type", "application/json").send_string(b),
            None => request.call(),
        };
        match answer {
            Ok(response) => {
                let bytes = read_body(response)
                    .map_err(|e| ClientError::Unreachable { url: url.clone(), reason: e.to_string() })?;
                api::read(&bytes).map_err(|e| ClientError::Protocol(format!("{url}: {e}")))
            }
            Err(ureq::Error::Status(status, response)) => {
                let problem = read_body(response).ok().and_then(|b| api::read::<Problem>(&b).ok());
                let (code, detail) = problem.map(|p| (p.code, p.detail)).unwrap_or_default();
                Err(ClientError::Status { status, code, detail })
            }
            Err(ureq::Error::Transport(t)) => Err(ClientError::Unreachable { url, reason: t.to_string() }),
        }
    }

    /// `GET path`, its answer read as a `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call(self.agent.get(&self.url(path)).set("Accept", "application/json"), None)
    }

    pub fn log_info(&self) -> Result<LogInfo, ClientError> {
        self.get("/api/log")
    }

    pub fn asset(&self, id: &AssetId) -> Result<Asset, ClientError> {
        self.get(&format!("/api/assets/{id}"))
    }

    /// The asset and every entry that touched it, each with its receipt.
    pub fn history(&self, id: &AssetId) -> Result<AssetHistory, ClientError> {
        self.get(&format!("/api/assets/{id}/history"))
    }

    /// What a phone checks the asset's label with: the cosigned checkpoint and the state map's
    /// proofs among it.
    pub fn evidence(&self, id: &AssetId) -> Result<terroir_shared::api::Evidence, ClientError> {
        self.get(&format!("/api/assets/{id}/evidence"))
    }

    /// What the resolver answers apps for a label's GS1 Digital Link.
    pub fn label(&self, link: &DigitalLink) -> Result<LabelAnswer, ClientError> {
        self.get(&link.to_path())
    }

    pub fn parties(&self) -> Result<PartyList, ClientError> {
        self.get("/api/parties")
    }

    pub fn party(&self, id: &PartyId) -> Result<PartyView, ClientError> {
        self.get(&format!("/api/parties/{id}"))
    }

    /// Sends signed records (their exact wire text) as one batch; answers in the same order.
    pub fn submit_batch(&self, envelopes: &[&str]) -> Result<Vec<BatchOutcome>, ClientError> {
        let mut body = String::with_capacity(envelopes.iter().map(|e| e.len() + 1).sum::<usize>() + 2);
        body.push('[');
        for (i, e) in envelopes.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(e);
        }
        body.push(']');
        let answer: BatchResult = self.call(self.agent.post(&self.url("/api/records/batch")), Some(&body))?;
        if answer.results.len() != envelopes.len() {
            return Err(ClientError::Protocol(format!(
                "{} answers for {} records",
                answer.results.len(),
                envelopes.len()
            )));
        }
        Ok(answer
            .results
            .into_iter()
            .map(|r| match r {
                BatchItem::Accepted { receipt } | BatchItem::Duplicate { receipt } => {
                    BatchOutcome::Landed(receipt)
                }
                BatchItem::Refused { problem } => {
                    BatchOutcome::Refused { code: problem.code, detail: problem.detail }
                }
            })
            .collect())
    }
}

/// An answer's body, whole.
fn read_body(response: ureq::Response) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    response.into_reader().read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The asset `id` as the ledger holds it now.
pub fn asset(client: &Client, id: &AssetId) -> crate::Result<Asset> {
    client.asset(id).map_err(crate::StationError::server)
}

/// The asset a label's GS1 Digital Link names, as the resolver answers it.
pub fn resolve(client: &Client, link: &DigitalLink) -> crate::Result<Asset> {
    client.label(link).map(|answer| answer.asset).map_err(crate::StationError::server)
}
