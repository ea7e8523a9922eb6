//! The browser client's files (trunk's `dist/`), served precompressed and cached.
//!
//! Compression happens once, at build time: `cargo xtask frontend` writes a brotli (`.br`)
//! and a gzip (`.gz`) copy beside each compressible file. Here each request picks the copy
//! its `Accept-Encoding` allows (brotli first, then gzip, else the plain file), so a phone
//! downloads under a third of the wasm's bytes (figures in `docs/benchmarks.md`) and the
//! server spends no CPU compressing.
//! The response keeps the original file's `Content-Type`, says `Content-Encoding`, and carries
//! `Vary: Accept-Encoding` so caches keep the copies apart.
//!
//! Caching follows trunk's naming: a file whose name carries its content hash
//! (`chinwag-frontend-1a2b…_bg.wasm`, `style-3c4d….css`) never changes under that name, so
//! browsers may keep it a year without asking (`immutable`). Everything else — above all
//! `index.html`, which names the current hashes — is `no-cache`: kept, but revalidated on
//! each visit with its `ETag`, which costs a `304` and no body when nothing changed.
//!
//! A repeat visit need not wait even for that `304`: `/sw.js`, the service worker
//! (`backend/assets/service-worker.js`, compiled into the binary), keeps the page and its
//! hashed files in the browser and answers the next visit from there, while it revalidates
//! the page in the background; a new release shows from the visit after the one that found
//! it. `index.html` registers it. It is served from here rather than from `dist/`, so that
//! `trunk serve`'s live reload (which has no `/sw.js`) never runs it.
//!
//! Only files inside the directory are ever served: a request path is accepted segment by
//! segment from a strict alphabet (no `..`, no hidden names, nothing still percent-encoded),
//! so no spelling of a path can climb out of it.

use actix_files::NamedFile;
use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, AcceptEncoding, ContentEncoding, Encoding, Header, HeaderValue},
    web,
};
use std::path::{Path, PathBuf};

/// `Cache-Control` of a file whose name carries its content hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of every other file: keep it, but revalidate before each use.
const REVALIDATE: &str = "no-cache";

/// The service worker's source: see the module's documentation.
const SERVICE_WORKER: &str = include_str!("../../assets/service-worker.js");

/// Extensions worth compressing; the build step writes `.br`/`.gz` copies for the same set.
const COMPRESSIBLE: [&str; 6] = ["wasm", "js", "css", "html", "svg", "json"];

/// The directory the client was built into, shared with the handler.
#[derive(Clone)]
pub struct ClientFiles {
    root: PathBuf,
}

/// Registers the client's files: every GET or HEAD not routed before is a file of `root`,
/// and a directory answers with its `index.html` (`/` the chat, `/admin` the console).
pub fn configure(cfg: &mut web::ServiceConfig, root: PathBuf) {
    cfg.app_data(web::Data::new(ClientFiles { root }));
    cfg.service(
        web::resource("/sw.js")
            .route(web::get().to(service_worker))
            .route(web::head().to(service_worker)),
    );
    cfg.service(
        web::resource("/{file:.*}")
            .route(web::get().to(serve_path))
            .route(web::head().to(serve_path)),
    );
}

/// The service worker: revalidated on each visit like `index.html`, so a new one is seen at
/// once.
async fn service_worker() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, REVALIDATE))
        .body(SERVICE_WORKER)
}

async fn serve_path(request: HttpRequest, files: web::Data<ClientFiles>) -> HttpResponse {
    // `path()` is the requoted path: `%2e` is already a `.`, while `%2F` and `%25` stay
    // encoded, and are then refused by the alphabet.
    let Some(relative) = relative_path(request.path()) else {
        return not_found();
    };
    let mut file = files.root.join(relative);
    if file.is_dir() {
        file.push("index.html");
    }
    serve(&request, file).await
}

/// Serves `file` (or its precompressed copy the client accepts) with caching headers.
async fn serve(request: &HttpRequest, file: PathBuf) -> HttpResponse {
    let Ok(plain) = NamedFile::open_async(&file).await else {
        return not_found();
    };
    let name = file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let compressible = is_compressible(&name);
    let chosen = if compressible {
        pick_copy(request, &file, plain).await
    } else {
        plain
    };
    let mut response = chosen.disable_content_disposition().into_response(request);
    let headers = response.headers_mut();
    let cache = if is_content_hashed(&name) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if compressible {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// The copy of `file` to send: the client's most preferred of brotli, gzip and the plain
/// file, among the copies that exist. A range request always gets the plain file, whose
/// byte offsets are the ones a client resuming a download means.
async fn pick_copy(request: &HttpRequest, file: &Path, plain: NamedFile) -> NamedFile {
    if request.headers().contains_key(header::RANGE) {
        return plain;
    }
    // An unparsable header counts as no header: the plain file, which every client reads.
    let Ok(accepted) = AcceptEncoding::parse(request) else {
        return plain;
    };
    let copies = [ContentEncoding::Brotli, ContentEncoding::Gzip]
        .into_iter()
        .filter(|coding| sibling(file, *coding).is_file())
        .map(Encoding::Known);
    let offered: Vec<Encoding> = std::iter::once(Encoding::identity())
        .chain(copies)
        .collect();
    let coding = match accepted.negotiate(offered.iter()) {
        Some(Encoding::Known(coding @ (ContentEncoding::Brotli | ContentEncoding::Gzip))) => coding,
        _ => return plain,
    };
    match NamedFile::open_async(sibling(file, coding)).await {
        Ok(copy) => copy
            .set_content_type(plain.content_type().clone())
            .set_content_encoding(coding),
        // Removed between the check and the open (a rebuild): the plain file still serves.
        Err(_) => plain,
    }
}

/// `file` with the extension of `coding`'s precompressed copy added (`app.wasm.br`).
fn sibling(file: &Path, coding: ContentEncoding) -> PathBuf {
    let suffix = match coding {
        ContentEncoding::Brotli => ".br",
        _ => ".gz",
    };
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The path below the client's directory that `request_path` names, or `None` when any
/// segment is outside the alphabet of built file names (ASCII letters, digits, `-`, `_`, `.`)
/// or starts with a dot — which refuses `..`, `.`, hidden files and any encoded byte.
fn relative_path(request_path: &str) -> Option<PathBuf> {
    let mut relative = PathBuf::new();
    for segment in request_path
        .split('/')
        .filter(|segment| !segment.is_empty())
    {
        let in_alphabet = segment
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'));
        if !in_alphabet || segment.starts_with('.') {
            return None;
        }
        relative.push(segment);
    }
    Some(relative)
}

fn is_compressible(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, extension)| COMPRESSIBLE.contains(&extension))
}

/// Whether `name` carries trunk's content hash: a stem ending in `-` and the hash in
/// lowercase hex (trunk prints a 64-bit hash unpadded, so usually 16 digits, rarely fewer),
/// with wasm-bindgen's `_bg` after it for the wasm module. A name that only looks hashed
/// would be cached too long, so fewer than 12 digits do not count: a hash that short is one
/// build in 65,536, and costs it only a revalidation.
fn is_content_hashed(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (12..=16).contains(&hash.len())
            && hash
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    })
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_hashed_names_are_recognised_and_others_are_not() {
        for hashed in [
            "chinwag-frontend-8f2c61d0a4b3e597_bg.wasm",
            "chinwag-frontend-8f2c61d0a4b3e597.js",
            "style-0c4d2e1f3a5b6978.css",
            "console-f2c61d0a4b3e597.css",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "index.html",
            "favicon.ico",
            "chinwag-frontend.js",
            "style-sheet.css",
            "report-2026.json",
            "chinwag-frontend-8F2C61D0A4B3E597.js",
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }

    #[test]
    fn paths_that_could_leave_the_directory_are_refused() {
        assert_eq!(relative_path("/"), Some(PathBuf::new()));
        assert_eq!(
            relative_path("/snippets/a-1/x.js"),
            Some(PathBuf::from("snippets/a-1/x.js"))
        );
        for hostile in [
            "/../secret",
            "/a/../../secret",
            "/./index.html",
            "/..%2Fsecret",
            "/%2e%2e/secret",
            "/a\\..\\secret",
            "/.hidden",
            "/index.html%00.js",
        ] {
            assert_eq!(relative_path(hostile), None, "{hostile}");
        }
    }
}
