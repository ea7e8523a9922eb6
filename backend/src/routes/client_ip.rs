//! The client's address, as far as it can be trusted.
//!
//! Behind a load balancer every connection comes from the balancer, so per-address limits
//! and logs would lump all clients together. The balancer says who the client is in
//! `X-Forwarded-For`, but anyone can send that header, so it is believed only on requests that
//! come from a configured proxy address (`--trusted-proxy`). The list is read from the right
//! (each proxy appends the address it saw), skipping trusted proxies; the first other address
//! is the client.

use actix_web::HttpRequest;
use std::net::{IpAddr, Ipv4Addr};

/// Proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

impl TrustedProxies {
    /// The address `request` is judged by: the forwarded client behind trusted proxies, else
    /// the peer itself.
    pub fn client_ip(&self, request: &HttpRequest) -> IpAddr {
        let peer = request
            .peer_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |peer| peer.ip());
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|value| value.to_str().ok());
        self.resolve(peer, forwarded)
    }

    fn resolve<'a>(&self, peer: IpAddr, forwarded: impl Iterator<Item = &'a str>) -> IpAddr {
        if !self.0.contains(&peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded.flat_map(|value| value.split(',')).collect();
        for hop in hops.iter().rev() {
            match hop.trim().parse::<IpAddr>() {
                Ok(address) if self.0.contains(&address) => {}
                Ok(address) => return address,
                // Garbage in the chain: stop believing it here.
                Err(_) => return peer,
            }
        }
        peer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_may_name_the_client() {
        let proxies = TrustedProxies(vec![ip("127.0.0.1")]);
        let header = ["203.0.113.9"].into_iter();
        assert_eq!(proxies.resolve(ip("127.0.0.1"), header), ip("203.0.113.9"));
        let spoofed = ["203.0.113.9"].into_iter();
        assert_eq!(
            proxies.resolve(ip("198.51.100.7"), spoofed),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies(vec![ip("127.0.0.1"), ip("10.0.0.2")]);
        // The client forged the first entry; the proxies appended the real ones.
        let chain = ["1.1.1.1, 203.0.113.9", "10.0.0.2"].into_iter();
        assert_eq!(proxies.resolve(ip("127.0.0.1"), chain), ip("203.0.113.9"));
    }

    #[test]
    fn a_missing_or_garbled_header_means_the_peer() {
        let proxies = TrustedProxies(vec![ip("127.0.0.1")]);
        assert_eq!(
            proxies.resolve(ip("127.0.0.1"), [].into_iter()),
            ip("127.0.0.1")
        );
        let garbled = ["not-an-ip"].into_iter();
        assert_eq!(proxies.resolve(ip("127.0.0.1"), garbled), ip("127.0.0.1"));
    }
}
