//! The browser client's files: the precompressed copy the client accepts (brotli, then gzip,
//! else plain) with the original's type, a year's `immutable` caching for trunk's hashed
//! names, `no-cache` plus an `ETag` for the page (a revisit gets `304`), and no way out of the
//! directory.
//!
//! The fake build holds distinct bytes in each copy, so which copy came back is plain to see
//! without decompressing anything.

use crate::{
    raw,
    support::{Server, http_agent},
};
use std::path::Path;

const WASM: &str = "chinwag-frontend-8f2c61d0a4b3e597_bg.wasm";
const PAGE: &str = "<!doctype html><title>the app</title><script type=\"module\">boot()</script>";
const CONSOLE_PAGE: &str = "<!doctype html><title>the console</title>";

/// A built client in `dir`'s served directory: the page and a hashed wasm file, each with
/// brotli and gzip copies, an uncompressible image, and a secret beside (not in) the directory.
fn fake_build(dir: &Path) {
    let dist = dir.join("no-frontend"); // the directory the harness serves
    std::fs::create_dir_all(dist.join("admin")).unwrap();
    for (name, body) in [
        ("index.html", PAGE),
        ("index.html.br", "page-in-brotli"),
        ("index.html.gz", "page-in-gzip"),
        (WASM, "wasm-plain-bytes"),
        (&format!("{WASM}.br"), "wasm-in-brotli"),
        (&format!("{WASM}.gz"), "wasm-in-gzip"),
        ("logo-0123456789abcdef.png", "png-bytes"),
        ("admin/index.html", CONSOLE_PAGE),
        ("admin/index.html.br", "console-in-brotli"),
    ] {
        std::fs::write(dist.join(name), body).unwrap();
    }
    std::fs::write(dir.join("secret.txt"), "outside the client").unwrap();
}

/// What one GET returned: status, the headers asked about, body.
#[derive(Debug)]
struct Fetched {
    status: u16,
    headers: Vec<(String, Option<String>)>,
    body: String,
}

impl Fetched {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(asked, _)| asked == name)
            .and_then(|(_, value)| value.as_deref())
    }
}

const HEADERS: [&str; 8] = [
    "content-encoding",
    "content-type",
    "content-length",
    "cache-control",
    "vary",
    "etag",
    "content-security-policy",
    "x-content-type-options",
];

/// `GET path` with the request headers `sent`.
async fn fetch(server: &Server, path: &str, sent: &[(&str, &str)]) -> Fetched {
    let url = server.http_url(path);
    let sent: Vec<(String, String)> = sent
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut request = http_agent().get(&url);
        for (name, value) in &sent {
            request = request.header(name, value);
        }
        let mut response = request.call().unwrap();
        let headers = HEADERS
            .iter()
            .map(|name| {
                let value = response.headers().get(*name);
                let value = value.map(|value| value.to_str().unwrap().to_owned());
                ((*name).to_owned(), value)
            })
            .collect();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        Fetched {
            status: response.status().as_u16(),
            headers,
            body,
        }
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn each_client_gets_the_copy_it_accepts_with_the_originals_type() {
    let dir = tempfile::tempdir().unwrap();
    fake_build(dir.path());
    let server = Server::start(&dir).await;
    let wasm = format!("/{WASM}");

    let cases = [
        ("gzip, deflate, br, zstd", Some("br"), "wasm-in-brotli"),
        ("br", Some("br"), "wasm-in-brotli"),
        ("gzip", Some("gzip"), "wasm-in-gzip"),
        ("gzip;q=1, br;q=0.5", Some("gzip"), "wasm-in-gzip"),
        ("br;q=0, gzip", Some("gzip"), "wasm-in-gzip"),
        ("identity", None, "wasm-plain-bytes"),
        ("deflate", None, "wasm-plain-bytes"),
    ];
    for (accepted, coding, body) in cases {
        let got = fetch(&server, &wasm, &[("accept-encoding", accepted)]).await;
        assert_eq!(got.status, 200, "{accepted}: {got:?}");
        assert_eq!(
            got.header("content-encoding"),
            coding,
            "{accepted}: {got:?}"
        );
        assert_eq!(got.body, body, "{accepted}");
        assert_eq!(
            got.header("content-type"),
            Some("application/wasm"),
            "{got:?}"
        );
        assert_eq!(
            got.header("content-length"),
            Some(body.len().to_string().as_str()),
            "{got:?}"
        );
        assert_eq!(got.header("vary"), Some("accept-encoding"), "{got:?}");
        assert_eq!(
            got.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "a hashed name never changes: {got:?}"
        );
    }

    // No Accept-Encoding at all: the plain file.
    let plain = fetch(&server, &wasm, &[]).await;
    assert_eq!(plain.header("content-encoding"), None, "{plain:?}");
    assert_eq!(plain.body, "wasm-plain-bytes");

    // A range means offsets in the plain file, whatever the client accepts.
    let range = fetch(
        &server,
        &wasm,
        &[("accept-encoding", "br"), ("range", "bytes=0-3")],
    )
    .await;
    assert_eq!(
        (range.status, range.body.as_str()),
        (206, "wasm"),
        "{range:?}"
    );
    assert_ne!(range.header("content-encoding"), Some("br"), "{range:?}");

    // Not compressible: no copies looked for, no Vary; hashed, so immutable.
    let png = fetch(
        &server,
        "/logo-0123456789abcdef.png",
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(png.header("content-encoding"), None, "{png:?}");
    assert_eq!(png.header("vary"), None, "{png:?}");
    assert_eq!(png.header("content-type"), Some("image/png"), "{png:?}");
    assert_eq!(
        png.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test]
async fn the_page_is_revalidated_by_its_etag_and_keeps_its_policy() {
    let dir = tempfile::tempdir().unwrap();
    fake_build(dir.path());
    let server = Server::start(&dir).await;

    let pages = [
        ("/", "page-in-brotli", "page-in-gzip", PAGE),
        ("/index.html", "page-in-brotli", "page-in-gzip", PAGE),
        // The console's own build, with a brotli copy only: gzip gets the plain page.
        ("/admin", "console-in-brotli", CONSOLE_PAGE, CONSOLE_PAGE),
        ("/admin/", "console-in-brotli", CONSOLE_PAGE, CONSOLE_PAGE),
    ];
    for (path, brotli, gzip, plain) in pages {
        let gzip_coding = (gzip != plain).then_some("gzip");
        for (accepted, coding, body) in [
            ("gzip, br", Some("br"), brotli),
            ("gzip", gzip_coding, gzip),
            ("identity", None, plain),
        ] {
            let got = fetch(&server, path, &[("accept-encoding", accepted)]).await;
            assert_eq!(got.status, 200, "{path} {accepted}: {got:?}");
            assert_eq!(got.header("content-encoding"), coding, "{path}: {got:?}");
            assert_eq!(got.body, body, "{path} {accepted}");
            assert_eq!(
                got.header("content-type"),
                Some("text/html; charset=utf-8"),
                "{got:?}"
            );
            assert_eq!(got.header("cache-control"), Some("no-cache"), "{got:?}");
            assert_eq!(got.header("vary"), Some("accept-encoding"), "{got:?}");
            assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
            let csp = got.header("content-security-policy").unwrap_or_default();
            assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {got:?}");

            // The revisit: the same copy's ETag answers 304 with no body.
            let etag = got
                .header("etag")
                .unwrap_or_else(|| panic!("no etag: {got:?}"));
            let again = fetch(
                &server,
                path,
                &[("accept-encoding", accepted), ("if-none-match", etag)],
            )
            .await;
            assert_eq!(again.status, 304, "{path} {accepted}: {again:?}");
            assert_eq!(again.body, "");
            assert_eq!(again.header("cache-control"), Some("no-cache"));
            // Another copy's ETag is not this one's: the body comes back.
            let stale = fetch(
                &server,
                path,
                &[
                    ("accept-encoding", accepted),
                    ("if-none-match", "\"1:2:3:4\""),
                ],
            )
            .await;
            assert_eq!(stale.status, 200, "{stale:?}");
            assert_eq!(stale.body, body);
        }
    }
}

#[tokio::test]
async fn no_spelling_of_a_path_leaves_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    fake_build(dir.path());
    let server = Server::start(&dir).await;

    // Raw requests: an HTTP library would normalise the dots away before sending.
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/admin/../../secret.txt",
        "/..\\secret.txt",
        "/.%2e/secret.txt",
        "/../chinwag.db",
    ] {
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept-Encoding: br, gzip\r\n\
             Connection: close\r\n\r\n",
            server.addr
        );
        let (status, body) = raw::exchange(&server, &head, "").await;
        assert!(
            matches!(status, 400 | 404),
            "{path} answered {status}: {body}"
        );
        assert!(!body.contains("outside the client"), "{path}: {body}");
    }
    // The same harness does reach a file that is inside.
    let head = format!(
        "GET /{WASM} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    assert_eq!(
        raw::exchange(&server, &head, "").await,
        (200, "wasm-plain-bytes".to_owned())
    );
}
