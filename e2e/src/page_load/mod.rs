//! The page-load benchmark (issue 17): how long from navigation until a room's newest 50
//! messages are shown, on loopback and on a slow link, for a first and a repeat visit.
//!
//! The person measured is a returning guest: their name and rooms are in the browser's
//! localStorage, so the app opens straight into the chat and reopens the room they had open
//! (the client has no per-room URL: it restores the room from localStorage). A [`Reader`]
//! becomes that person once, through the screens a person uses (the name prompt, then the
//! room input), and then only navigates to `/`:
//!
//! - a [`Visit::First`] empties the HTTP cache (`Network.clearBrowserCache`) and removes the
//!   service worker with its cache (`Storage.clearDataForOrigin`) first, and keeps
//!   localStorage: a first visit of the files, not of the person, who would otherwise be
//!   timed typing a name;
//! - a [`Visit::Repeat`] navigates again in the same browser, once the service worker the
//!   visit before registered is active (as it is for a person who comes back): it answers
//!   with the page and the hashed files it keeps.
//!
//! Each navigation starts from `about:blank`, so no page of the app is unloading meanwhile.
//! The time is taken inside the page ([`clock`]); what was transferred comes from resource
//! timing. The [`Link`] is emulated by the browser (`Network.emulateNetworkConditions`).
//!
//! [`room`] fills the room beforehand; [`report`] summarises samples for people and machines.

pub mod clock;
pub mod report;
pub mod room;

use crate::{
    cdp::{self, CdpError},
    chromium::ChromiumError,
};
use clock::{READ_SCRIPT, Reading, Transfer};
use fantoccini::{Client, Locator, error::CmdError, key::Key};
use room::FilledRoom;
use serde::Serialize;
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

pub use room::{FILL_FLAGS, NEWEST, fill_room};

/// Whether the page's service worker is active: `null` where there are none (no service
/// workers here, or a page that registers none, like a build from before it had one), else a
/// boolean.
const SERVICE_WORKER_SCRIPT: &str = "if (!navigator.serviceWorker \
    || !document.documentElement.innerHTML.includes('serviceWorker.register')) return null; \
    return navigator.serviceWorker.getRegistration().then(r => !!(r && r.active));";

/// How often the reader asks whether the clock has stopped (this does not time anything).
const POLL: Duration = Duration::from_millis(50);

/// How long one screen of the sign-in may take to show.
const STEP_WAIT: Duration = Duration::from_secs(10);

/// The guest name the reader chats under.
const READER: &str = "reader";

/// The network between browser and server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// Loopback, unthrottled.
    Loopback,
    /// 400 ms added round trip, 400 kbit/s down and up (issue 17's slow link).
    Slow,
}

impl Link {
    /// Both, in the order measured.
    pub const ALL: [Link; 2] = [Link::Loopback, Link::Slow];

    /// Its name in tables and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Link::Loopback => "loopback",
            Link::Slow => "slow",
        }
    }

    /// The `Network.emulateNetworkConditions` parameters: latency is the round trip added
    /// to each request, throughputs are bytes per second (-1: not throttled).
    fn conditions(self) -> serde_json::Value {
        let (latency_ms, bytes_per_sec) = match self {
            Link::Loopback => (0, -1),
            // 400 kbit/s = 50,000 bytes/s.
            Link::Slow => (400, 50_000),
        };
        json!({
            "offline": false,
            "latency": latency_ms,
            "downloadThroughput": bytes_per_sec,
            "uploadThroughput": bytes_per_sec,
        })
    }

    /// Longest one navigation may take to show the room before the run fails.
    fn bound(self) -> Duration {
        match self {
            Link::Loopback => Duration::from_secs(15),
            Link::Slow => Duration::from_secs(90),
        }
    }
}

/// Whether the browser has the app's files cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visit {
    /// HTTP cache emptied just before; localStorage (the person) kept.
    First,
    /// The same browser again, right after a visit.
    Repeat,
}

impl Visit {
    /// Its name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Visit::First => "first",
            Visit::Repeat => "repeat",
        }
    }
}

/// One measured navigation.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    /// The link it went over.
    pub link: Link,
    /// Cold or warm cache.
    pub visit: Visit,
    /// Milliseconds from navigation start until the newest messages were all in the DOM.
    pub shown_ms: f64,
    /// Milliseconds from navigation start until the frame after that.
    pub painted_ms: f64,
    /// How many messages the list held then (at least [`NEWEST`]).
    pub rendered: u64,
    /// What the page had transferred by then, in the order the browser lists it.
    pub files: Vec<Transfer>,
}

impl Sample {
    /// Bytes over the wire by the moment shown, headers included (WebSocket frames are not
    /// counted: resource timing does not see them).
    pub fn transfer_bytes(&self) -> u64 {
        self.files.iter().map(|file| file.transfer_bytes).sum()
    }
}

/// Why a measurement failed.
#[derive(Debug, thiserror::Error)]
pub enum PageLoadError {
    /// chromedriver or Chromium would not start.
    #[error(transparent)]
    Chromium(#[from] ChromiumError),
    /// A CDP command failed.
    #[error(transparent)]
    Cdp(#[from] CdpError),
    /// A WebDriver command failed.
    #[error("WebDriver: {0}")]
    WebDriver(#[from] CmdError),
    /// Something the page should have shown did not show in time.
    #[error("{what} did not happen within {within:?}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The bound.
        within: Duration,
    },
    /// The clock's notes are not what the clock writes.
    #[error("the clock's notes do not parse: {0}")]
    Notes(#[from] serde_json::Error),
}

/// A browser that is the returning guest reading [`FilledRoom`].
pub struct Reader {
    client: Client,
    app_url: String,
}

impl Reader {
    /// Makes the browser of `client` a returning guest of the server at `base`
    /// (`http://ADDR`) whose open room is `room`: installs the clock, picks a guest name on
    /// the name prompt, joins the room with the room input, and waits until the room shows.
    pub async fn sign_in(
        client: Client,
        base: &str,
        room: &FilledRoom,
    ) -> Result<Reader, PageLoadError> {
        let source = clock::clock_script(&room.newest_ids);
        cdp::execute(
            &client,
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": source}),
        )
        .await?;
        cdp::execute(&client, "Network.enable", json!({})).await?;
        // A laptop-sized window, so every run lays out the same list.
        client.set_window_size(1280, 800).await?;
        let reader = Reader {
            client,
            app_url: format!("{base}/"),
        };
        reader.client.goto(&reader.app_url).await?;
        reader.type_keys("username-input", READER).await?;
        reader.find("username-submit").await?.click().await?;
        let room_input = reader.find("room-input").await?;
        room_input.send_keys(&room.name).await?;
        room_input.send_keys(&Key::Enter.to_string()).await?;
        reader.wait_for_clock(STEP_WAIT).await?;
        Ok(reader)
    }

    /// Emulates `link` for this tab's requests from now on.
    pub async fn set_link(&self, link: Link) -> Result<(), PageLoadError> {
        cdp::execute(
            &self.client,
            "Network.emulateNetworkConditions",
            link.conditions(),
        )
        .await?;
        Ok(())
    }

    /// Measures one navigation to the app as `visit` over `link` (already set with
    /// [`Reader::set_link`]).
    pub async fn visit(&self, link: Link, visit: Visit) -> Result<Sample, PageLoadError> {
        self.client.goto("about:blank").await?;
        if visit == Visit::First {
            cdp::execute(&self.client, "Network.clearBrowserCache", json!({})).await?;
            let origin = self.app_url.trim_end_matches('/');
            cdp::execute(
                &self.client,
                "Storage.clearDataForOrigin",
                json!({"origin": origin, "storageTypes": "service_workers,cache_storage"}),
            )
            .await?;
        }
        self.client.goto(&self.app_url).await?;
        let reading = self.wait_for_clock(link.bound()).await?;
        self.wait_for_service_worker(link.bound()).await?;
        let (shown_ms, painted_ms, rendered) = reading
            .clock
            .and_then(|clock| Some((clock.shown_at?, clock.painted_at?, clock.rendered)))
            .ok_or_else(|| PageLoadError::Timeout {
                what: "the clock's reading".into(),
                within: link.bound(),
            })?;
        Ok(Sample {
            link,
            visit,
            shown_ms,
            painted_ms,
            rendered,
            files: reading.files,
        })
    }

    /// A first visit, then a repeat visit, over `link`.
    pub async fn visit_twice(&self, link: Link) -> Result<[Sample; 2], PageLoadError> {
        self.set_link(link).await?;
        let first = self.visit(link, Visit::First).await?;
        let repeat = self.visit(link, Visit::Repeat).await?;
        Ok([first, repeat])
    }

    /// Ends the browser session.
    pub async fn close(self) -> Result<(), PageLoadError> {
        Ok(self.client.close().await?)
    }

    /// Reads the clock until it has stopped and painted, for at most `within`.
    async fn wait_for_clock(&self, within: Duration) -> Result<Reading, PageLoadError> {
        let deadline = Instant::now() + within;
        loop {
            let reading: Reading =
                serde_json::from_value(self.client.execute(READ_SCRIPT, vec![]).await?)?;
            let stopped = reading
                .clock
                .as_ref()
                .is_some_and(|clock| clock.painted_at.is_some());
            if stopped {
                return Ok(reading);
            }
            if Instant::now() >= deadline {
                return Err(PageLoadError::Timeout {
                    what: format!("the room's newest {NEWEST} messages shown"),
                    within,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits, for at most `within`, until the page's service worker is active, so that the
    /// next visit is answered by it. Without service workers (not a secure context), at once.
    async fn wait_for_service_worker(&self, within: Duration) -> Result<(), PageLoadError> {
        let deadline = Instant::now() + within;
        loop {
            let active = self.client.execute(SERVICE_WORKER_SCRIPT, vec![]).await?;
            if active.as_bool() != Some(false) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(PageLoadError::Timeout {
                    what: "the service worker active".into(),
                    within,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The element `[data-testid=testid]`, waiting (bounded) for it to exist.
    async fn find(&self, testid: &str) -> Result<fantoccini::elements::Element, PageLoadError> {
        let css = format!(r#"[data-testid="{testid}"]"#);
        self.client
            .wait()
            .at_most(STEP_WAIT)
            .every(POLL)
            .for_element(Locator::Css(&css))
            .await
            .map_err(|_| PageLoadError::Timeout {
                what: format!("{css} shown"),
                within: STEP_WAIT,
            })
    }

    /// Types `text` into `[data-testid=testid]`.
    async fn type_keys(&self, testid: &str, text: &str) -> Result<(), PageLoadError> {
        Ok(self.find(testid).await?.send_keys(text).await?)
    }
}
