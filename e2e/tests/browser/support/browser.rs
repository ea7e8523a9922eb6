//! One simulated user: a headless Chromium session with its own profile (so its own
//! localStorage), driven through chromedriver the way a person would — typing, Enter, clicks.
//!
//! Reading is done in one round trip: [`Browser::page`] runs [`PAGE_SCRIPT`], which collects
//! the UI contract's `data-testid` hooks into a [`Page`]. Waits re-read it until a condition
//! holds, bounded by [`WAIT`], and on timeout panic with the last [`Page`] seen.

use super::{
    Driver, POLL, WAIT,
    page::{PAGE_SCRIPT, Page},
};
use chinwag_e2e::cdp;
use fantoccini::{Client, Locator, elements::Element, key::Key};
use serde_json::Value;
use std::{net::SocketAddr, path::Path, time::Duration};
use tokio::time::Instant;

/// How long a window resize may take to reach the page's viewport on a busy machine.
const RESIZE_SETTLE: Duration = Duration::from_secs(1);

/// A browser window size in CSS pixels.
#[derive(Clone, Copy, Debug)]
pub struct Viewport {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Viewport {
    /// A laptop screen.
    pub const DESKTOP: Viewport = Viewport {
        width: 1280,
        height: 800,
    };
    /// A phone in portrait.
    pub const PHONE: Viewport = Viewport {
        width: 390,
        height: 844,
    };
}

/// A headless Chromium session with a fresh profile.
pub struct Browser {
    client: Client,
    base: String,
}

impl Browser {
    /// Opens a browser for the server at `addr`, at the desktop viewport, on a blank page.
    pub async fn open(driver: &Driver, addr: SocketAddr) -> Browser {
        let client = driver
            .open_session()
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        let browser = Browser {
            client,
            base: format!("http://{addr}"),
        };
        browser.set_viewport(Viewport::DESKTOP).await;
        browser
    }

    /// Runs the DevTools command `cmd` with `params` in this browser's tab; its answer.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        cdp::execute(&self.client, cmd, params)
            .await
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// Navigates to `path` on the server and waits for the load to finish.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        tokio::time::timeout(WAIT, self.client.goto(&url))
            .await
            .unwrap_or_else(|_| panic!("{url} loaded within {WAIT:?}"))
            .unwrap_or_else(|err| panic!("goto {url}: {err}"));
    }

    /// Reloads the page.
    pub async fn reload(&self) {
        tokio::time::timeout(WAIT, self.client.refresh())
            .await
            .expect("reloaded in time")
            .expect("reload");
    }

    /// Opens the app at `/`, picks `name` on the username screen, and waits until the chat
    /// screen shows with the connection open and `general` current.
    pub async fn login(&self, name: &str) {
        self.login_at("/", name).await;
    }

    /// Like [`Browser::login`], opening the app at `path` (e.g. `/?transport=longpoll`).
    pub async fn login_at(&self, path: &str, name: &str) {
        self.goto(path).await;
        self.wait_until("the username screen", |p| p.username_screen.then_some(()))
            .await;
        self.type_into("username-input", name).await;
        self.click("username-submit").await;
        self.wait_until_chat_open().await;
    }

    /// Waits until the chat screen shows with the connection open and `general` current.
    pub async fn wait_until_chat_open(&self) {
        self.wait_until("the chat screen, connected, in room general", |p| {
            (p.chat_screen
                && !p.username_screen
                && p.status_is("open")
                && p.current_room() == Some("general"))
            .then_some(())
        })
        .await;
    }

    /// Types `text` into the composer and presses Enter.
    pub async fn send(&self, text: &str) {
        self.type_into("composer", text).await;
        self.press_enter("composer").await;
    }

    /// Sends `text` and waits until it is listed as confirmed by `author`; returns its id.
    pub async fn send_confirmed(&self, author: &str, text: &str) -> String {
        self.send(text).await;
        self.wait_until(&format!("{author:?}'s {text:?} confirmed"), |p| {
            p.confirmed_id(author, text)
        })
        .await
    }

    /// Types `room` into the room input and presses Enter, then waits until it is current.
    pub async fn join_room(&self, room: &str) {
        self.type_into("room-input", room).await;
        self.press_enter("room-input").await;
        self.wait_until(&format!("room {room:?} current"), |p| {
            (p.current_room() == Some(room)).then_some(())
        })
        .await;
    }

    /// Clicks the room `room` in the room list and waits until it is current.
    pub async fn open_room(&self, room: &str) {
        let css = format!(r#"[data-testid="room-list"] [data-testid="room"][data-room="{room}"]"#);
        self.find_css(&css).await.click().await.expect("click room");
        self.wait_until(&format!("room {room:?} current"), |p| {
            (p.current_room() == Some(room)).then_some(())
        })
        .await;
    }

    /// The element `[data-testid=testid]`, waiting (bounded) for it to exist.
    pub async fn find(&self, testid: &str) -> Element {
        self.find_css(&format!(r#"[data-testid="{testid}"]"#)).await
    }

    /// The element matching `css`, waiting (bounded) for it to exist.
    pub async fn find_css(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(WAIT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(err) => {
                let page = self.try_page().await;
                panic!("no element {css} within {WAIT:?}: {err}\nthe page shows: {page:#?}")
            }
        }
    }

    /// The element matching the XPath `xpath`, waiting (bounded) for it to exist: for what
    /// only its text names, like a menu's items.
    pub async fn find_xpath(&self, xpath: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(WAIT)
            .every(POLL)
            .for_element(Locator::XPath(xpath))
            .await;
        match found {
            Ok(element) => element,
            Err(err) => {
                let page = self.try_page().await;
                panic!("no element {xpath} within {WAIT:?}: {err}\nthe page shows: {page:#?}")
            }
        }
    }

    /// The WebDriver session, for commands this file does not wrap.
    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    /// Clicks `[data-testid=testid]`.
    pub async fn click(&self, testid: &str) {
        self.find(testid).await.click().await.expect("click");
    }

    /// Focuses `[data-testid=testid]` and types `text` into it.
    pub async fn type_into(&self, testid: &str, text: &str) {
        let element = self.find(testid).await;
        element.send_keys(text).await.expect("type text");
    }

    /// Replaces the text in `[data-testid=testid]` with `text` by keystrokes (select all,
    /// then type over it), so the page gets the `input` events a person's editing makes.
    /// WebDriver's own clear fires none, and a controlled field then puts its old value back.
    pub async fn replace_text(&self, testid: &str, text: &str) {
        let element = self.find(testid).await;
        // Control stays down until Null releases it.
        let keys = format!("{}a{}{}{text}", Key::Control, Key::Null, Key::Backspace);
        element.send_keys(&keys).await.expect("replace text");
    }

    /// Presses Enter in `[data-testid=testid]`.
    pub async fn press_enter(&self, testid: &str) {
        let element = self.find(testid).await;
        element.send_keys(&Key::Enter).await.expect("press Enter");
    }

    /// What the page shows now.
    pub async fn page(&self) -> Page {
        let value = self.eval(PAGE_SCRIPT).await;
        serde_json::from_value(value).expect("page snapshot has the expected shape")
    }

    /// [`Browser::page`], or the error as text (for failure messages).
    async fn try_page(&self) -> Result<Page, String> {
        let value = self
            .client
            .execute(PAGE_SCRIPT, vec![])
            .await
            .map_err(|err| err.to_string())?;
        serde_json::from_value(value).map_err(|err| err.to_string())
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        tokio::time::timeout(WAIT, self.client.execute(script, vec![]))
            .await
            .expect("script ran in time")
            .unwrap_or_else(|err| panic!("script failed: {err}"))
    }

    /// Re-reads the page until `check` returns `Some`, for at most [`WAIT`].
    pub async fn wait_until<T>(&self, what: &str, check: impl FnMut(&Page) -> Option<T>) -> T {
        self.wait_until_within(WAIT, what, check).await
    }

    /// Re-reads the page until `check` returns `Some`, for at most `bound`; panics with the
    /// last page seen.
    pub async fn wait_until_within<T>(
        &self,
        bound: Duration,
        what: &str,
        mut check: impl FnMut(&Page) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + bound;
        loop {
            let page = self.page().await;
            if let Some(found) = check(&page) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {bound:?} waiting for {what}; the page shows:\n{page:#?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether a JavaScript dialog (alert, confirm, prompt) is open.
    pub async fn dialog_open(&self) -> bool {
        match self.client.get_alert_text().await {
            Ok(_) => true,
            Err(err) if err.is_no_such_alert() => false,
            Err(err) => panic!("asking for a dialog failed: {err}"),
        }
    }

    /// Re-runs `script` until `check` accepts its value, for at most [`WAIT`]; panics with
    /// the last value seen.
    pub async fn wait_for_script<T>(
        &self,
        what: &str,
        script: &str,
        mut check: impl FnMut(&Value) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            let value = self.eval(script).await;
            if let Some(found) = check(&value) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {WAIT:?} waiting for {what}; the script returned:\n{value:#}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Resizes the window so the page's viewport (`innerWidth` × `innerHeight`) is exactly
    /// `viewport`, then checks it is. A busy machine applies a resize late, so each try waits
    /// (bounded) for the viewport to reach the size before correcting by the window's frame:
    /// a correction computed from a stale reading would overshoot.
    pub async fn set_viewport(&self, viewport: Viewport) {
        let wanted = (viewport.width, viewport.height);
        let mut window = wanted;
        for _ in 0..4 {
            self.client
                .set_window_size(window.0, window.1)
                .await
                .expect("set window size");
            let inner = self.settled_inner_size(wanted).await;
            if inner == wanted {
                return;
            }
            // Whatever frame the window has takes the difference: correct by it.
            let fix = |window: u32, want: u32, got: u32| (window + want).saturating_sub(got);
            window = (
                fix(window.0, wanted.0, inner.0),
                fix(window.1, wanted.1, inner.1),
            );
        }
        let inner = self.inner_size().await;
        panic!("viewport {inner:?} is not the requested {viewport:?}");
    }

    /// The viewport as soon as it is `wanted`; else, once [`RESIZE_SETTLE`] has passed, the
    /// first reading equal to the one before it (a window frame keeps it off `wanted`), and
    /// at the latest whatever it reads at twice that time.
    async fn settled_inner_size(&self, wanted: (u32, u32)) -> (u32, u32) {
        let start = Instant::now();
        let mut last = self.inner_size().await;
        loop {
            if last == wanted {
                return last;
            }
            tokio::time::sleep(POLL).await;
            let now = self.inner_size().await;
            let waited = start.elapsed();
            if (waited >= RESIZE_SETTLE && now == last) || waited >= 2 * RESIZE_SETTLE {
                return now;
            }
            last = now;
        }
    }

    async fn inner_size(&self) -> (u32, u32) {
        let size = self
            .eval("return [window.innerWidth, window.innerHeight];")
            .await;
        let side = |i: usize| {
            size[i]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .expect("a size in pixels")
        };
        (side(0), side(1))
    }

    /// Saves a PNG screenshot of the viewport to `path`, creating its directory.
    pub async fn screenshot(&self, path: &Path) -> Vec<u8> {
        let png = tokio::time::timeout(WAIT, self.client.screenshot())
            .await
            .expect("screenshot in time")
            .expect("screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create screenshot dir");
        }
        std::fs::write(path, &png).expect("write screenshot");
        png
    }
}
