//! Reading request bodies with a size limit that answers with a problem document.

use actix_web::web::{self, Bytes, BytesMut};
use futures_util::StreamExt;

use super::problem::ApiError;

/// The whole body, or `too_large` as soon as it passes `limit` bytes.
pub async fn read(mut payload: web::Payload, limit: usize) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
