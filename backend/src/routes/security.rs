//! Security headers: on every response `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: no-referrer`; on HTML pages also a Content-Security-Policy that allows the
//! wasm app and nothing more. (A policy means nothing on JSON, and at ~330 bytes it was half of
//! every long-poll exchange.)
//!
//! The pages we serve carry inline code — trunk's module script that starts the wasm, the
//! seed page's script and style — so the policy lists the SHA-256 of each inline block,
//! computed at startup from the very files served. Anything injected into a page (the
//! attack CSP exists for) matches no hash and does not run. A client rebuilt while the server
//! runs gets new hashes on the next start.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

/// The Content-Security-Policy of this server's pages, shared as app data.
#[derive(Clone)]
pub struct PagePolicy(pub HeaderValue);

/// Middleware: the security headers, the policy on HTML responses only.
pub async fn add_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let policy = request.app_data::<PagePolicy>().cloned();
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if let (true, Some(PagePolicy(policy))) = (is_html, policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}

/// The policy: same-origin everything, wasm compilation, and the inline blocks of `pages`.
pub fn content_security_policy(pages: &[&str]) -> String {
    let scripts = hashes(pages, "script");
    let styles = hashes(pages, "style");
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; \
         style-src 'self'{styles}; connect-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// `" 'sha256-…'"` for every inline `<tag>` block (no `src=`) in `pages`.
fn hashes(pages: &[&str], tag: &str) -> String {
    let mut listed = String::new();
    for page in pages {
        for block in inline_blocks(page, tag) {
            let digest = STANDARD.encode(Sha256::digest(block.as_bytes()));
            let source = format!(" 'sha256-{digest}'");
            if !listed.contains(&source) {
                listed.push_str(&source);
            }
        }
    }
    listed
}

/// The text between `<tag …>` and `</tag>` for each such element without a `src` attribute.
fn inline_blocks<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut blocks = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after_open = &rest[start..];
        let Some(head_end) = after_open.find('>') else {
            break;
        };
        let head = &after_open[..head_end];
        let body = &after_open[head_end + 1..];
        let Some(body_end) = body.find(&close) else {
            break;
        };
        if !head.contains("src=") {
            blocks.push(&body[..body_end]);
        }
        rest = &body[body_end + close.len()..];
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_blocks_are_found_and_external_ones_skipped() {
        let html = "<script type=\"module\">boot()</script><script src=\"/x.js\"></script>\
                    <style>p{}</style><script>\nsecond\n</script>";
        assert_eq!(inline_blocks(html, "script"), ["boot()", "\nsecond\n"]);
        assert_eq!(inline_blocks(html, "style"), ["p{}"]);
    }

    #[test]
    fn the_policy_lists_the_hash_of_each_inline_block() {
        // The RFC-style check value: sha256("alert(1)") in base64.
        let csp = content_security_policy(&["<script>alert(1)</script>"]);
        assert!(
            csp.contains("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{csp}"
        );
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(csp.contains("object-src 'none'"));
        assert!(!csp.contains("unsafe-inline"));
    }
}
