//! The clock inside the page: when the room's newest messages are in the DOM, counted from
//! navigation start, and what the page had transferred by then.
//!
//! [`clock_script`] is registered with `Page.addScriptToEvaluateOnNewDocument`, so it runs in
//! every new document before the page's own scripts. A `MutationObserver` over the whole
//! document checks, after each batch of DOM changes, whether `[data-testid=messages]` holds
//! every one of the newest ids (`data-id` of `[data-testid=message]`), and notes
//! `performance.now()` the first time it does. `performance.now()` counts from the document's
//! time origin, the start of its navigation, and observer callbacks run right after the DOM
//! changes and before the next paint, so the moment is the DOM's own. A `requestAnimationFrame`
//! then notes the next frame, when those messages are painted.
//!
//! WebDriver only reads the notes back afterwards ([`READ_SCRIPT`]): polling the DOM from
//! outside would add a round trip of its own to every reading.

use serde::{Deserialize, Serialize};

/// The global the clock writes its notes to.
const GLOBAL: &str = "__chinwagPageLoad";

/// The script that times a page: `newest_ids` are the ids that must all be listed.
pub fn clock_script(newest_ids: &[u64]) -> String {
    let ids: Vec<String> = newest_ids.iter().map(u64::to_string).collect();
    // A JSON array of strings is a JavaScript array literal.
    let ids = serde_json::Value::from(ids);
    format!(
        r#"(() => {{
  const wanted = new Set({ids});
  const clock = {{ shownAt: null, paintedAt: null, rendered: 0 }};
  window.{GLOBAL} = clock;
  const observer = new MutationObserver(() => {{
    const list = document.querySelector('[data-testid="messages"]');
    if (list === null) return;
    const shown = list.querySelectorAll('[data-testid="message"]');
    if (shown.length < wanted.size) return;
    let found = 0;
    for (const message of shown) if (wanted.has(message.getAttribute("data-id"))) found += 1;
    if (found < wanted.size) return;
    clock.shownAt = performance.now();
    clock.rendered = shown.length;
    observer.disconnect();
    requestAnimationFrame(() => {{ clock.paintedAt = performance.now(); }});
  }});
  observer.observe(document, {{
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-id"],
  }});
}})();"#
    )
}

/// Reads the clock's notes and, once it has stopped, every file and request (resource timing
/// and the document's own navigation entry) that finished by then.
pub const READ_SCRIPT: &str = r#"
const clock = window.__chinwagPageLoad ?? null;
if (clock === null || clock.shownAt === null || clock.paintedAt === null) return { clock, files: [] };
const entries = [
  ...performance.getEntriesByType("navigation"),
  ...performance.getEntriesByType("resource"),
];
const files = entries
  .filter((entry) => entry.responseEnd <= clock.shownAt)
  .map((entry) => {
    const url = new URL(entry.name);
    return {
      path: url.pathname + url.search,
      kind: entry.initiatorType,
      transfer_bytes: entry.transferSize,
      body_bytes: entry.encodedBodySize,
      decoded_bytes: entry.decodedBodySize,
      done_ms: entry.responseEnd,
    };
  });
return { clock, files };
"#;

/// What [`READ_SCRIPT`] returns.
#[derive(Debug, Deserialize)]
pub struct Reading {
    /// The clock's notes; `None` on a page the clock does not run in.
    pub clock: Option<Clock>,
    /// What the page transferred by the moment shown (empty until then).
    pub files: Vec<Transfer>,
}

/// The clock's notes on one page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Clock {
    /// Milliseconds from navigation start until the newest messages were all in the DOM.
    pub shown_at: Option<f64>,
    /// Milliseconds from navigation start until the frame after that.
    pub painted_at: Option<f64>,
    /// How many messages the list held then.
    pub rendered: u64,
}

/// One file or request the page loaded, from resource timing.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Transfer {
    /// Its path and query on the server.
    pub path: String,
    /// What loaded it: `navigation`, `script`, `link`, `fetch`, …
    pub kind: String,
    /// Bytes over the wire, headers included: 0 when served from the HTTP cache without
    /// asking, a few hundred for a revalidation answered `304`.
    pub transfer_bytes: u64,
    /// The body as sent (compressed, if it was).
    pub body_bytes: u64,
    /// The body once decompressed.
    pub decoded_bytes: u64,
    /// Milliseconds from navigation start until its last byte arrived.
    pub done_ms: f64,
}
