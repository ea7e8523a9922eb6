//! Big rooms (issue 18) as a person sees them: above `--presence-list-max` people the people
//! list is headed by the room's count ("N here") and holds only the names fetched so far;
//! "Show more" fetches the rest over HTTP, and arrivals and departures come as diffs about
//! once a second. The maximum is 3 here, so six bots (plain sockets, guests with names) and
//! one browser make a big room of seven.
//!
//! Also: hostile paging queries answer a JSON 4xx and leave the page working, and on a phone
//! the count still leads the people strip (computed style, and screenshots to look at:
//! `target/screenshots/big-room-{desktop,phone}.png`).

use crate::{
    screenshots::{MIN_PNG_BYTES, save, save_both},
    support::{Bot, Browser, Driver, Server, Viewport, workspace_root},
};
use serde_json::Value;

/// The bots in the room before the person arrives; with them, seven.
const BOTS: [&str; 6] = ["ann", "ben", "cat", "dan", "eve", "fay"];

/// The person in the browser: not on the first page of names (it sorts after `cat`).
const PERSON: &str = "mia";

/// A big room from the fourth person on; the first page of names is this long.
const LIST_MAX: usize = 3;

/// Starts a server whose rooms are big past [`LIST_MAX`] people.
///
/// The bots never read their sockets, so they never answer the server's pings: an idle
/// timeout far beyond any test keeps a slow run from closing them, which would change the
/// count under the test.
async fn big_room_server(dir: &tempfile::TempDir) -> Server {
    let list_max = LIST_MAX.to_string();
    Server::start_with(
        dir.path(),
        &[
            "--presence-list-max",
            &list_max,
            "--idle-timeout-secs",
            "3600",
        ],
    )
    .await
}

/// A big room ready to test: the server, the bots of [`BOTS`] in `general`, and the person
/// signed in as [`PERSON`] in a browser. Fields drop in order: the browser before its driver,
/// the server before its directory, so a test holds the whole room while it runs.
struct BigRoom {
    person: Browser,
    bots: Vec<Bot>,
    _driver: Driver,
    server: Server,
    _dir: tempfile::TempDir,
}

impl BigRoom {
    async fn open() -> BigRoom {
        let dir = tempfile::tempdir().unwrap();
        let server = big_room_server(&dir).await;
        let bots = fill_the_room(&server).await;
        let driver = Driver::start().await;
        let person = Browser::open(&driver, server.addr).await;
        person.login(PERSON).await;
        BigRoom {
            person,
            bots,
            _driver: driver,
            server,
            _dir: dir,
        }
    }
}

/// `name` joins `general` over a plain socket, under that name.
async fn arrive(server: &Server, name: &str) -> Bot {
    Bot::join(
        &server.ws_url(&format!("?room=general&username={name}")),
        name,
    )
    .await
}

/// The bots of [`BOTS`], in the room, in that order.
async fn fill_the_room(server: &Server) -> Vec<Bot> {
    let mut bots = Vec::new();
    for name in BOTS {
        bots.push(arrive(server, name).await);
    }
    bots
}

/// Every name of the room, sorted: the bots and the person.
fn everyone() -> Vec<String> {
    let mut names: Vec<String> = BOTS.iter().map(|name| (*name).to_owned()).collect();
    names.push(PERSON.to_owned());
    names.sort();
    names
}

/// Waits until the heading says `count` and the list shows exactly `names`, in that order;
/// whether "Show more" shows then.
async fn wait_for_people(browser: &Browser, count: &str, names: &[&str]) -> bool {
    let what = format!("{count:?} over the list {names:?}");
    browser
        .wait_until(&what, |p| {
            let shown: Vec<&str> = p.presence.iter().map(String::as_str).collect();
            (p.presence_count() == Some(count) && shown == names).then_some(p.presence_more)
        })
        .await
}

/// Clicks "Show more" until it is gone, each click waiting for its page; the names listed.
async fn show_everyone(browser: &Browser) -> Vec<String> {
    // Bounded: each click must add a name or end the list, and the room has far fewer names
    // than this.
    for _ in 0..20 {
        let before = browser.page().await;
        if !before.presence_more {
            return before.presence;
        }
        browser.click("presence-more").await;
        let shown = before.presence.len();
        browser
            .wait_until("the next page of names", |p| {
                (!p.presence_more || p.presence.len() > shown).then_some(())
            })
            .await;
    }
    panic!("\"Show more\" was still there after 20 pages");
}

#[tokio::test]
async fn a_person_in_a_big_room_sees_the_count_and_pages_through_every_name_once() {
    let room = BigRoom::open().await;
    let mia = &room.person;

    let more = wait_for_people(mia, "7 here", &["ann", "ben", "cat"]).await;
    assert!(more, "\"Show more\" offers the four names left");

    let listed = show_everyone(mia).await;
    assert_eq!(listed, everyone(), "each of the seven once, sorted");
    let page = mia.page().await;
    assert_eq!(page.presence_count(), Some("7 here"), "{page:#?}");
    assert_eq!(page.banner(), None, "paging raised no error");
}

#[tokio::test]
async fn arrivals_and_departures_reach_the_browser_as_diffs() {
    let mut room = BigRoom::open().await;
    let (mia, server, bots) = (&room.person, &room.server, &mut room.bots);
    wait_for_people(mia, "7 here", &["ann", "ben", "cat"]).await;

    // Someone on the first page closes their socket: the count drops and the name goes.
    let ann = bots.remove(0);
    ann.close().await;
    wait_for_people(mia, "6 here", &["ben", "cat"]).await;

    // Two arrive: "abe" sorts among the names fetched, so it is listed at once; "zed" sorts
    // past them, so only the count says so until the next page brings it.
    let _abe = arrive(server, "abe").await;
    let zed = arrive(server, "zed").await;
    wait_for_people(mia, "8 here", &["abe", "ben", "cat"]).await;
    let listed = show_everyone(mia).await;
    assert_eq!(
        listed,
        ["abe", "ben", "cat", "dan", "eve", "fay", "mia", "zed"],
        "the next pages bring everyone not yet listed, once"
    );

    // With every name fetched, a departure past the first page is followed too.
    zed.close().await;
    wait_for_people(
        mia,
        "7 here",
        &["abe", "ben", "cat", "dan", "eve", "fay", "mia"],
    )
    .await;
}

/// Hostile queries of the presence page endpoint, each with the code that must refuse it:
/// numbers that are no page size, and `after`s that are no name (empty, markup, too long,
/// not UTF-8, given twice).
fn hostile_queries() -> Vec<(String, &'static str)> {
    let mut queries: Vec<(String, &'static str)> = [
        ("limit=0", "bad_query"),
        ("limit=-1", "bad_query"),
        ("limit=1.5", "bad_query"),
        ("limit=99999999999999999999999", "bad_query"),
        ("after=ann&after=ben", "bad_query"),
        ("after=", "invalid_username"),
        (
            "after=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
            "invalid_username",
        ),
        ("after=%FF%FE", "invalid_username"),
    ]
    .into_iter()
    .map(|(query, code)| (query.to_owned(), code))
    .collect();
    queries.push((format!("after={}", "a".repeat(300)), "invalid_username"));
    queries
}

/// Fetches `/api/rooms/general/presence?<query>` for each query of the JSON array `queries`,
/// from the page itself (same origin, its cookies); `[status, code]` for each, in order.
fn hostile_pages_script(queries: &str) -> String {
    format!(
        r#"
return Promise.all({queries}.map(async (query) => {{
  const response = await fetch(`/api/rooms/general/presence?${{query}}`);
  const body = await response.json().catch(() => null);
  return [response.status, body && body.code];
}}));
"#
    )
}

#[tokio::test]
async fn hostile_presence_pages_are_refused_and_the_page_keeps_working() {
    let room = BigRoom::open().await;
    let mia = &room.person;
    wait_for_people(mia, "7 here", &["ann", "ben", "cat"]).await;

    let queries = hostile_queries();
    let list: Vec<&str> = queries.iter().map(|(query, _)| query.as_str()).collect();
    let script = hostile_pages_script(&serde_json::to_string(&list).unwrap());
    let answers = mia.eval(&script).await;
    let answers = answers.as_array().expect("one answer per query");
    assert_eq!(answers.len(), queries.len(), "{answers:?}");
    for ((query, code), answer) in queries.iter().zip(answers) {
        assert_eq!(
            (answer[0].as_u64(), answer[1].as_str()),
            (Some(400), Some(*code)),
            "?{query} is refused with a JSON {code}"
        );
    }

    // The page is as it was, and its own paging still works.
    let page = mia.page().await;
    assert!(page.status_is("open"), "{page:#?}");
    assert_eq!(page.banner(), None, "{page:#?}");
    assert_eq!(show_everyone(mia).await, everyone());
}

/// Where the count heading is and how it is drawn, next to the strip and its first name.
const COUNT_LAYOUT_SCRIPT: &str = r#"
const heading = document.querySelector('[data-testid="presence-count"]');
const first = document.querySelector('[data-testid="presence-user"]');
const more = document.querySelector('[data-testid="presence-more"]');
if (!heading || !first) return null;
const strip = heading.closest(".presence");
const style = getComputedStyle(heading);
const box = heading.getBoundingClientRect();
const area = strip.getBoundingClientRect();
return {
  text: heading.textContent.trim(),
  display: style.display,
  visibility: style.visibility,
  left: box.left, right: box.right, top: box.top, bottom: box.bottom,
  width: box.width, height: box.height,
  strip_left: area.left, strip_top: area.top, strip_bottom: area.bottom,
  strip_scrolls: strip.scrollWidth > strip.clientWidth,
  first_left: first.getBoundingClientRect().left,
  more_left: more ? more.getBoundingClientRect().left : null,
  more_right: more ? more.getBoundingClientRect().right : null,
  viewport: window.innerWidth,
};
"#;

/// Scrolls the people strip to its end; true once it has moved.
const SCROLL_STRIP_SCRIPT: &str = r#"
const strip = document.querySelector(".presence");
strip.scrollLeft = strip.scrollWidth;
return strip.scrollLeft > 0;
"#;

/// The count heading's layout, once it shows `text`.
async fn count_layout(browser: &Browser, text: &str) -> Value {
    browser
        .wait_for_script(
            &format!("the heading {text:?} laid out"),
            COUNT_LAYOUT_SCRIPT,
            |layout| (layout["text"] == text).then(|| layout.clone()),
        )
        .await
}

/// Asserts that the heading in `layout` is drawn, inside the viewport and in the strip's row.
fn assert_count_shows(layout: &Value, at: &str) {
    let num = |key: &str| layout[key].as_f64().unwrap_or(f64::NAN);
    assert_ne!(layout["display"], "none", "{at}: {layout:#}");
    assert_eq!(layout["visibility"], "visible", "{at}: {layout:#}");
    assert!(
        num("width") > 0.0 && num("height") > 0.0,
        "{at}: {layout:#}"
    );
    assert!(
        num("left") >= 0.0 && num("right") <= num("viewport"),
        "{at}: inside the viewport: {layout:#}"
    );
    assert!(
        num("top") >= num("strip_top") && num("bottom") <= num("strip_bottom"),
        "{at}: inside the people strip: {layout:#}"
    );
}

#[tokio::test]
async fn the_count_leads_the_people_strip_at_phone_width_with_screenshots() {
    let mut room = BigRoom::open().await;
    let (mia, bots) = (&room.person, &mut room.bots);

    // A small room shows its count on a phone too: "Here now · 1".
    mia.join_room("quiet").await;
    mia.set_viewport(Viewport::PHONE).await;
    let small = count_layout(mia, "Here now · 1").await;
    assert_count_shows(&small, "a small room at phone width");
    mia.set_viewport(Viewport::DESKTOP).await;
    mia.open_room("general").await;

    for (bot, line) in bots.iter_mut().zip([
        "Slides for week 3 are up: big-O, then amortised analysis.",
        "Is the problem set due Friday or Monday?",
        "Monday, it says on the course page.",
    ]) {
        bot.post("general", line).await;
    }
    mia.wait_until("the bots' last message", |p| {
        (!p.with_text("Monday, it says on the course page.")
            .is_empty())
        .then_some(())
    })
    .await;
    wait_for_people(mia, "7 here", &["ann", "ben", "cat"]).await;

    let desktop = count_layout(mia, "7 here").await;
    assert_count_shows(&desktop, "a big room at desktop width");
    mia.set_viewport(Viewport::PHONE).await;
    let phone = count_layout(mia, "7 here").await;
    assert_count_shows(&phone, "a big room at phone width");
    let num = |key: &str| phone[key].as_f64().unwrap_or(f64::NAN);
    assert!(
        num("right") <= num("first_left"),
        "the count comes before the first name: {phone:#}"
    );
    assert!(
        num("more_left") >= num("right") && num("more_right") <= num("viewport"),
        "\"Show more\" is in view, after the count, without scrolling: {phone:#}"
    );
    save_both(mia, "big-room", MIN_PNG_BYTES).await;

    // With every name listed the strip scrolls sideways; the count stays in view.
    show_everyone(mia).await;
    mia.set_viewport(Viewport::PHONE).await;
    let full = count_layout(mia, "7 here").await;
    assert_eq!(
        full["strip_scrolls"], true,
        "seven names overflow: {full:#}"
    );
    let scrolled = mia.eval(SCROLL_STRIP_SCRIPT).await;
    assert_eq!(scrolled, true, "the strip scrolled");
    let layout = mia
        .wait_for_script(
            "the first name scrolled out of view",
            COUNT_LAYOUT_SCRIPT,
            |layout| {
                let num = |key: &str| layout[key].as_f64().unwrap_or(f64::NAN);
                (num("first_left") < num("strip_left")).then(|| layout.clone())
            },
        )
        .await;
    assert_count_shows(&layout, "a scrolled strip at phone width");
    assert!(
        (layout["left"].as_f64().unwrap() - layout["strip_left"].as_f64().unwrap()).abs() < 1.0,
        "the count stays at the strip's start: {layout:#}"
    );
    let out = workspace_root().join("target/screenshots/big-room-scrolled-phone.png");
    save(mia, &out, Viewport::PHONE, MIN_PNG_BYTES).await;
}
