//! Chrome DevTools Protocol commands through chromedriver's extension endpoint
//! (`POST /session/{id}/goog/cdp/execute`), for what WebDriver itself cannot do: scripts that
//! run before a page's own, network emulation, clearing the HTTP cache.
//!
//! The command goes to the session's page target, so what it sets (an emulated link, a script
//! for new documents) stays for the later navigations of that tab. Events cannot be received
//! this way: only commands and their answers.

use fantoccini::{Client, error::CmdError, wd::WebDriverCompatibleCommand};
use serde_json::{Value, json};
use std::time::Duration;

/// How long chromedriver may take to answer one CDP command.
const ANSWER: Duration = Duration::from_secs(10);

/// One CDP command: its method name (`Domain.method`) and parameters.
#[derive(Debug)]
pub struct Cdp {
    /// e.g. `Page.addScriptToEvaluateOnNewDocument`.
    pub cmd: &'static str,
    /// The method's parameters, a JSON object.
    pub params: Value,
}

/// Why a CDP command gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum CdpError {
    /// chromedriver or the browser refused or failed it.
    #[error("{cmd}: {source}")]
    Failed {
        /// The method.
        cmd: &'static str,
        /// What WebDriver said.
        source: CmdError,
    },
    /// No answer in time.
    #[error("{cmd}: no answer within {ANSWER:?}")]
    Timeout {
        /// The method.
        cmd: &'static str,
    },
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        // fantoccini sends commands only once its session exists, so the id is always there.
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Runs the CDP method `cmd` with `params` in `client`'s tab and returns its answer.
pub async fn execute(client: &Client, cmd: &'static str, params: Value) -> Result<Value, CdpError> {
    tokio::time::timeout(ANSWER, client.issue_cmd(Cdp { cmd, params }))
        .await
        .map_err(|_| CdpError::Timeout { cmd })?
        .map_err(|source| CdpError::Failed { cmd, source })
}
