//! Watching every page a browser loads for a text, from the page's first moment: proof that
//! something never showed, not merely that it was gone whenever a poll looked.
//!
//! [`Browser::watch_loads_for`] asks Chromium (a CDP command, [`Browser::cdp`])
//! to run a script in each new document before the page's own: a `MutationObserver` over the
//! whole document that notes any moment the document's text holds the watched text. Its
//! callbacks run after each DOM change and before the next paint, so a text rendered for any
//! frame at all is caught. [`Browser::watched`] reads what it noted on the current page.

use super::Browser;
use serde::Deserialize;
use serde_json::json;

/// What the watcher noted on the current page.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct Watched {
    /// How many batches of DOM changes it saw: more than zero proves it was running.
    pub changes: u64,
    /// Whether the document's text ever held the watched text.
    pub shown: bool,
}

impl Browser {
    /// From the next page load on, every page this browser loads records whether its text
    /// ever holds `text` (read with [`Browser::watched`]). The current page is not watched.
    pub async fn watch_loads_for(&self, text: &str) {
        let wanted = serde_json::to_string(text).expect("a JSON string");
        let source = format!(
            r#"(() => {{
  const wanted = {wanted};
  const noted = {{ changes: 0, shown: false }};
  window.__chinwagWatched = noted;
  new MutationObserver(() => {{
    noted.changes += 1;
    const root = document.documentElement;
    if (root !== null && root.textContent.includes(wanted)) noted.shown = true;
  }}).observe(document, {{ subtree: true, childList: true, characterData: true }});
}})();"#
        );
        let answer = self
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({"source": source}),
            )
            .await;
        assert!(
            answer["identifier"].is_string(),
            "the script was registered: {answer}"
        );
    }

    /// What the watcher noted on this page; panics if this page is not watched.
    pub async fn watched(&self) -> Watched {
        let noted = self.eval("return window.__chinwagWatched ?? null;").await;
        assert!(
            !noted.is_null(),
            "this page is not watched (watch_loads_for before loading it)"
        );
        serde_json::from_value(noted).expect("the watcher's notes have the expected shape")
    }

    /// Leaves the app for a blank page: its connection closes, as when a tab is closed.
    pub async fn leave(&self) {
        tokio::time::timeout(super::WAIT, self.client().goto("about:blank"))
            .await
            .expect("left in time")
            .expect("goto about:blank");
    }
}
