//! The ledger server's JSON API, as the station uses it: blocking HTTP with timeouts, so the
//! sync thread and the verifier can tell "the network is down" from "the server refused".

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use terroir_shared::log::Receipt;

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

/// The log's identity as the server states it (`GET /api/log`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogInfo {
    pub origin: String,
    pub verifier_key: String,
    pub operator: String,
    pub size: u64,
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

    fn call(&self, request: ureq::Request, body: Option<&str>) -> Result<Value, ClientError> {
        let url = request.url().to_owned();
        let answer = match body {
            Some(b) => request.set("Content-Type", "application/json").send_string(b),
            None => request.call(),
        };
        match answer {
            Ok(response) => {
                response.into_json().map_err(|e| ClientError::Unreachable { url, reason: e.to_string() })
            }
            Err(ureq::Error::Status(status, response)) => {
                let problem: Value = response.into_json().unwrap_or(Value::Null);
                Err(ClientError::Status {
                    status,
                    code: problem["code"].as_str().unwrap_or("").to_owned(),
                    detail: problem["detail"].as_str().or(problem["title"].as_str()).unwrap_or("").to_owned(),
                })
            }
            Err(ureq::Error::Transport(t)) => Err(ClientError::Unreachable { url, reason: t.to_string() }),
        }
    }

    pub fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.call(self.agent.get(&self.url(path)).set("Accept", "application/json"), None)
    }

    pub fn log_info(&self) -> Result<LogInfo, ClientError> {
        let v = self.get("/api/log")?;
        serde_json::from_value(v).map_err(|e| ClientError::Protocol(format!("/api/log: {e}")))
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
        let answer = self.call(self.agent.post(&self.url("/api/records/batch")), Some(&body))?;
        let results = answer["results"]
            .as_array()
            .ok_or_else(|| ClientError::Protocol("a batch answer without `results`".into()))?;
        if results.len() != envelopes.len() {
            return Err(ClientError::Protocol(format!(
                "{} answers for {} records",
                results.len(),
                envelopes.len()
            )));
        }
        results
            .iter()
            .map(|r| match r["outcome"].as_str() {
                Some("accepted" | "duplicate") => serde_json::from_value(r["receipt"].clone())
                    .map(BatchOutcome::Landed)
                    .map_err(|e| ClientError::Protocol(format!("a receipt that does not parse: {e}"))),
                Some("refused") => Ok(BatchOutcome::Refused {
                    code: r["problem"]["code"].as_str().unwrap_or("refused").to_owned(),
                    detail: r["problem"]["detail"].as_str().unwrap_or("").to_owned(),
                }),
                _ => Err(ClientError::Protocol(format!("an unknown outcome: {r}"))),
            })
            .collect()
    }
}

/// The asset `id` as the ledger holds it now.
pub fn asset(
    client: &Client,
    id: &terroir_shared::asset::AssetId,
) -> crate::Result<terroir_shared::asset::Asset> {
    let answer = client.get(&format!("/api/assets/{id}")).map_err(crate::StationError::server)?;
    serde_json::from_value(answer).map_err(|e| {
        let said = crate::words::said(
            format!("The ledger's asset {id} does not parse"),
            format!("账本上的货品 {id} 无法解析"),
        );
        crate::StationError::Server(said.with_detail(e))
    })
}

/// The asset a label's GS1 Digital Link names: the resolver finds its id, then the asset is
/// read in its exact form.
pub fn resolve(
    client: &Client,
    link: &terroir_shared::gs1::DigitalLink,
) -> crate::Result<terroir_shared::asset::Asset> {
    let answer = client.get(&link.to_path()).map_err(crate::StationError::server)?;
    let id = answer["id"].as_str().and_then(|i| i.parse().ok()).ok_or_else(|| {
        let path = link.to_path();
        crate::StationError::Server(crate::words::said(
            format!("The ledger names no asset for {path}"),
            format!("账本上没有 {path} 对应的货品"),
        ))
    })?;
    asset(client, &id)
}
