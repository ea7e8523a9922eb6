//! Behind a load balancer: `X-Forwarded-For` names the client for per-address limits, but
//! only on requests that come from a proxy the server was told to trust.

use crate::{raw, support::Server};
use tokio::net::TcpStream;

/// Opens `/socket` as a client forwarded from `forwarded_for`; the connection holds its slot
/// while the caller keeps it.
async fn upgrade_as(server: &Server, forwarded_for: &str) -> (u16, TcpStream) {
    raw::upgrade(server, "", &format!("X-Forwarded-For: {forwarded_for}\r\n")).await
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_that_the_per_address_cap_counts() {
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--max-connections-per-ip",
        "1",
        "--trusted-proxy",
        "127.0.0.1",
    ];
    let server = Server::start_with(dir.path(), &flags).await;
    let (status, _alice) = upgrade_as(&server, "203.0.113.1").await;
    assert_eq!(status, 101);
    let (status, _bob) = upgrade_as(&server, "203.0.113.2").await;
    assert_eq!(
        status, 101,
        "another client behind the same proxy has its own slot"
    );
    let (status, _) = upgrade_as(&server, "198.51.100.9, 203.0.113.1").await;
    assert_eq!(
        status, 429,
        "the rightmost hop is the client; what it claims before is not"
    );
}

#[tokio::test]
async fn from_anywhere_else_the_header_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--max-connections-per-ip", "1"]).await;
    let (status, _first) = upgrade_as(&server, "203.0.113.1").await;
    assert_eq!(status, 101);
    let (status, _) = upgrade_as(&server, "203.0.113.2").await;
    assert_eq!(
        status, 429,
        "a client cannot dodge its cap by claiming another address"
    );
}
