//! The operators' console (`/admin`) as a test reads and drives it: [`CONSOLE_SCRIPT`] reads
//! what the console shows in one script run into a [`ConsoleView`], and the [`Browser`]
//! steps here open it, switch its tabs and answer its confirmation dialog the way an admin
//! would (clicks), each waiting, bounded, for what must show once it worked.
//!
//! This file and `frontend/src/console/` are the two sides of the console's `data-testid`
//! hooks.

use super::Browser;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// Collects what the console (or its 403 page, or the sign-in screen) shows.
pub const CONSOLE_SCRIPT: &str = r#"
const one = (root, id) => root.querySelector(`[data-testid="${id}"]`);
const all = (root, id) => [...root.querySelectorAll(`[data-testid="${id}"]`)];
const text = (el) => (el ? el.textContent.trim() : null);
const stats = {};
for (const el of document.querySelectorAll('[data-testid^="stat-"]')) {
  const raw = el.getAttribute("data-value");
  stats[el.getAttribute("data-testid").slice(5)] = {
    // Numbers, and a yes/no (the store's readiness) as 1 or 0.
    value: raw === "true" ? 1 : raw === "false" ? 0 : Number(raw),
    total: el.hasAttribute("data-total") ? Number(el.getAttribute("data-total")) : null,
  };
}
const live = one(document, "live-status");
return {
  console: one(document, "console") !== null,
  forbidden: text(one(document, "console-forbidden")),
  sign_in_screen: one(document, "account-name") !== null,
  chat_screen: one(document, "composer") !== null,
  tab: (document.querySelector('[data-testid="console-tab"][aria-selected="true"]') || {}).dataset?.tab ?? null,
  live: live ? live.getAttribute("data-state") : null,
  stats,
  chart_lines: document.querySelectorAll(".chart polyline").length,
  nodes: all(document, "node-row").map((r) => r.getAttribute("data-node")),
  accounts: all(document, "account-row").map((r) => ({
    name: r.getAttribute("data-name"),
    disabled: r.getAttribute("data-disabled") === "true",
    admin: r.getAttribute("data-admin") === "true",
  })),
  connections: all(document, "connection").map((c) => c.textContent.trim()),
  rooms: all(document, "admin-room").map((r) => r.getAttribute("data-room")),
  audit: all(document, "audit-entry").map((e) => e.textContent.trim()),
  sanctions: all(document, "site-sanction").map((r) => ({
    name: r.getAttribute("data-name"),
    kind: r.getAttribute("data-kind"),
  })),
  dialog: text(document.querySelector('[data-testid="confirm-dialog"] p')),
  outcome: text(document.querySelector('[data-testid="console-outcome"] p')),
  console_link: one(document, "console-link") !== null,
};
"#;

/// What the console shows.
#[derive(Debug, Deserialize)]
pub struct ConsoleView {
    /// `[data-testid=console]` is present (a site admin's console).
    pub console: bool,
    /// Text of the 403 page, if shown.
    pub forbidden: Option<String>,
    /// The sign-in form is present.
    pub sign_in_screen: bool,
    /// The chat's composer is present.
    pub chat_screen: bool,
    /// The selected tab's fragment (`now`, `rooms`, `accounts`, `moderation`).
    pub tab: Option<String>,
    /// `data-state` of the live stream's status line (`live`, `connecting`, …).
    pub live: Option<String>,
    /// Each `[data-testid=stat-ID]` tile by ID.
    pub stats: BTreeMap<String, Stat>,
    /// How many polylines the charts draw.
    pub chart_lines: usize,
    /// `data-node` of each row of the nodes table.
    pub nodes: Vec<Option<String>>,
    /// The accounts panel's rows.
    pub accounts: Vec<AccountRow>,
    /// The lines of an account's open connections, while shown.
    pub connections: Vec<String>,
    /// `data-room` of each row of the rooms panel.
    pub rooms: Vec<Option<String>>,
    /// The audit lines shown.
    pub audit: Vec<String>,
    /// The site-wide sanctions listed.
    pub sanctions: Vec<SanctionRow>,
    /// The confirmation dialog's question, while it is open.
    pub dialog: Option<String>,
    /// The line saying how the last change went.
    pub outcome: Option<String>,
    /// The account menu (when open) links to the console.
    pub console_link: bool,
}

/// One number tile.
#[derive(Debug, Deserialize)]
pub struct Stat {
    /// `data-value`: the newest second's number (1 or 0 for a yes or no).
    pub value: f64,
    /// `data-total`: the window's total, for tiles that have one.
    pub total: Option<f64>,
}

/// One row of the accounts panel.
#[derive(Debug, Deserialize)]
pub struct AccountRow {
    /// `data-name`.
    pub name: Option<String>,
    /// `data-disabled`.
    pub disabled: bool,
    /// `data-admin`.
    pub admin: bool,
}

/// One site-wide sanction.
#[derive(Debug, Deserialize)]
pub struct SanctionRow {
    /// `data-name`.
    pub name: Option<String>,
    /// `data-kind`: `mute` or `ban`.
    pub kind: Option<String>,
}

impl ConsoleView {
    /// The tile `id`'s newest value, if shown.
    pub fn stat(&self, id: &str) -> Option<f64> {
        self.stats.get(id).map(|stat| stat.value)
    }

    /// The accounts panel's row of `name`, if listed.
    pub fn account(&self, name: &str) -> Option<&AccountRow> {
        self.accounts
            .iter()
            .find(|row| row.name.as_deref() == Some(name))
    }
}

impl Browser {
    /// What the console shows now.
    pub async fn console(&self) -> ConsoleView {
        let value = self.eval(CONSOLE_SCRIPT).await;
        serde_json::from_value(value).expect("console snapshot has the expected shape")
    }

    /// Re-reads the console until `check` returns `Some` (bounded); panics with the last view.
    pub async fn wait_for_console<T>(
        &self,
        what: &str,
        mut check: impl FnMut(&ConsoleView) -> Option<T>,
    ) -> T {
        self.wait_for_script(what, CONSOLE_SCRIPT, |value| {
            let view: ConsoleView = serde_json::from_value(value.clone())
                .expect("console snapshot has the expected shape");
            check(&view)
        })
        .await
    }

    /// Opens `/admin`, signs in there as `name` (the console's path shows the sign-in screen
    /// to nobody yet), and waits until the console's live stream is open with numbers.
    pub async fn sign_in_to_console(&self, name: &str, password: &str) {
        self.goto("/admin").await;
        self.wait_for_console("the sign-in screen at /admin", |c| {
            c.sign_in_screen.then_some(())
        })
        .await;
        self.submit_account_form(name, password).await;
        self.wait_until_console_live().await;
    }

    /// Waits until the console shows, its stream is live and its first numbers are in.
    pub async fn wait_until_console_live(&self) {
        self.wait_for_console("the console, live, with numbers", |c| {
            (c.console && c.live.as_deref() == Some("live") && c.stat("connections").is_some())
                .then_some(())
        })
        .await;
    }

    /// Clicks the console's tab `tab` (`now`, `rooms`, `accounts`, `moderation`).
    pub async fn console_tab(&self, tab: &str) {
        let css = format!(r#"[data-testid="console-tab"][data-tab="{tab}"]"#);
        self.find_css(&css).await.click().await.expect("click tab");
        self.wait_for_console(&format!("the {tab} tab"), |c| {
            (c.tab.as_deref() == Some(tab)).then_some(())
        })
        .await;
    }

    /// Clicks `button` (a `data-testid`) in the accounts panel's row of `name`, and waits for
    /// the confirmation dialog; returns its question.
    pub async fn ask_about_account(&self, name: &str, button: &str) -> String {
        let css =
            format!(r#"[data-testid="account-row"][data-name="{name}"] [data-testid="{button}"]"#);
        self.find_css(&css)
            .await
            .click()
            .await
            .expect("click action");
        self.wait_for_console("the confirmation dialog", |c| c.dialog.clone())
            .await
    }

    /// Searches the accounts panel for `query` and waits until every row listed holds it.
    pub async fn search_accounts(&self, query: &str) {
        self.type_into("account-search", query).await;
        self.click("account-search-submit").await;
        let wanted = query.to_lowercase();
        self.wait_for_console(&format!("only accounts holding {query:?}"), |c| {
            (!c.accounts.is_empty()
                && c.accounts.iter().all(|row| {
                    row.name
                        .as_deref()
                        .is_some_and(|name| name.to_lowercase().contains(&wanted))
                }))
            .then_some(())
        })
        .await;
    }

    /// Makes the page see `prefers-color-scheme: dark` (Chromium's media emulation), as a
    /// browser on a system in dark mode would.
    pub async fn prefer_dark(&self) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
        )
        .await;
        let dark = self
            .eval("return matchMedia('(prefers-color-scheme: dark)').matches;")
            .await;
        assert_eq!(dark, true, "the page sees the dark scheme");
    }

    /// Answers the open confirmation dialog (`yes`: its confirming button, else "Cancel")
    /// and waits until it is gone.
    pub async fn answer_dialog(&self, yes: bool) {
        self.click(if yes { "confirm-ok" } else { "confirm-cancel" })
            .await;
        self.wait_for_console("the dialog closed", |c| c.dialog.is_none().then_some(()))
            .await;
    }
}
