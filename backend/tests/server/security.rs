//! Security headers: the app and the seed page are served with a CSP that allows their own
//! inline code by hash and nothing else, plus nosniff and a referrer policy.

use crate::support::{Server, http_agent};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

fn get(url: &str) -> ureq::http::Response<ureq::Body> {
    http_agent().get(url).call().unwrap()
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn pages_carry_a_csp_that_allows_exactly_their_inline_code() {
    let dir = tempfile::tempdir().unwrap();
    let frontend = dir.path().join("no-frontend"); // the directory the harness serves
    std::fs::create_dir(&frontend).unwrap();
    let boot = "import init from '/app.js'; await init();";
    std::fs::write(
        frontend.join("index.html"),
        format!("<!doctype html><script type=\"module\">{boot}</script>"),
    )
    .unwrap();
    let server = Server::start(&dir).await;

    let (app, seed) = tokio::task::spawn_blocking({
        let (app, seed) = (server.http_url("/"), server.http_url("/examples/seed.html"));
        move || (get(&app), get(&seed))
    })
    .await
    .unwrap();
    for response in [&app, &seed] {
        assert_eq!(response.status(), 200);
        assert_eq!(header(response, "x-content-type-options"), "nosniff");
        assert_eq!(header(response, "referrer-policy"), "no-referrer");
    }
    let csp = header(&app, "content-security-policy");
    let boot_hash = STANDARD.encode(Sha256::digest(boot.as_bytes()));
    assert!(csp.contains(&format!("'sha256-{boot_hash}'")), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&seed, "content-security-policy"), csp);

    // JSON gets the generic headers but no page policy, which would only add bytes.
    let api = tokio::task::spawn_blocking({
        let url = server.http_url("/api/rooms");
        move || get(&url)
    })
    .await
    .unwrap();
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    assert!(api.headers().get("content-security-policy").is_none());
}

#[tokio::test]
async fn the_console_path_answers_with_the_consoles_own_page_and_its_policy() {
    let dir = tempfile::tempdir().unwrap();
    let frontend = dir.path().join("no-frontend"); // the directory the harness serves
    std::fs::create_dir_all(frontend.join("admin")).unwrap();
    let page = "<!doctype html><title>the chat</title><script type=\"module\">chat()</script>";
    let console =
        "<!doctype html><title>the console</title><script type=\"module\">console()</script>";
    std::fs::write(frontend.join("index.html"), page).unwrap();
    std::fs::write(frontend.join("admin/index.html"), console).unwrap();
    let server = Server::start(&dir).await;

    let urls = ["/", "/admin", "/admin/"].map(|path| server.http_url(path));
    let responses = tokio::task::spawn_blocking(move || urls.map(|url| get(&url)))
        .await
        .unwrap();
    let csp = header(&responses[0], "content-security-policy");
    // One policy for every page, listing both pages' boot scripts.
    for boot in ["chat()", "console()"] {
        let hash = STANDARD.encode(Sha256::digest(boot.as_bytes()));
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{boot}: {csp}");
    }
    for (mut response, expected) in responses.into_iter().zip([page, console, console]) {
        assert_eq!(response.status(), 200);
        assert!(
            header(&response, "content-type").starts_with("text/html"),
            "served as a page"
        );
        assert_eq!(header(&response, "content-security-policy"), csp);
        let body = response.body_mut().read_to_string().unwrap();
        assert_eq!(
            body, expected,
            "the chat at /, the console's own page at /admin"
        );
    }
}
