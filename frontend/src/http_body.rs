//! The JSON body of an HTTP answer, read the same way for every type.
//!
//! gloo's `Response::json::<T>` is an `async fn` per `T`, so each type the client reads had
//! its own compiled wait for the body. Here the wait is one function ([`text`]) and only
//! the decoding ([`parse`], `serde_json::from_str`) is per type. The errors are gloo's own,
//! so their words are as before.

use gloo::net::{Error, http::Response};
use serde::de::DeserializeOwned;

/// The body's text.
pub async fn text(response: &Response) -> Result<String, Error> {
    response.text().await
}

/// `text` as a `T`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    Ok(serde_json::from_str(text)?)
}

/// The body as a `T`: [`text`], then [`parse`].
pub async fn json<T: DeserializeOwned>(response: &Response) -> Result<T, Error> {
    parse(&text(response).await?)
}
