//! [`Origin`] and [`Authority`]: the `Origin` and `Host` headers, parsed for exact comparison.
//!
//! A web origin is a scheme, a host and a port (RFC 6454 §4); two pages share one only when
//! all three are equal. Parsing normalises what may legitimately differ in spelling (case;
//! an explicit default port, `https://a:443` is `https://a`) and refuses everything else an
//! `Origin` cannot hold (a path, user info, `null`), so comparing two parsed values is the
//! browser's own rule. The same parsers read `--public-origin` and `--allowed-origin`, so a
//! mistyped flag stops the server at start instead of silently matching nothing.

use std::{
    fmt,
    net::{IpAddr, Ipv6Addr},
    str::FromStr,
};

/// Why a value is not an origin or a host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// No `scheme://` in front.
    #[error("an origin is scheme://host[:port], e.g. https://chat.example.com")]
    NoScheme,
    /// The scheme has characters RFC 3986 §3.1 does not allow.
    #[error("the scheme may hold only letters, digits, '+', '-' and '.'")]
    BadScheme,
    /// Something after the host: a path, a query, user info.
    #[error("an origin has no path, query or user info: only scheme://host[:port]")]
    NotJustAuthority,
    /// The host is empty or has characters no host name has.
    #[error("the host must be a DNS name or an IP address")]
    BadHost,
    /// The port is not a number from 0 to 65535.
    #[error("the port must be a number from 0 to 65535")]
    BadPort,
}

/// A host and port as in a `Host` header or an origin: lower case, IPv6 in brackets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Authority {
    host: String,
    port: Option<u16>,
}

impl Authority {
    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`.
    pub fn parse(text: &str) -> Result<Self, OriginError> {
        let (host, port) = match text.strip_prefix('[') {
            Some(bracketed) => {
                let (v6, rest) = bracketed.split_once(']').ok_or(OriginError::BadHost)?;
                let v6: Ipv6Addr = v6.parse().map_err(|_| OriginError::BadHost)?;
                let port = match rest {
                    "" => None,
                    _ => Some(rest.strip_prefix(':').ok_or(OriginError::BadHost)?),
                };
                (format!("[{v6}]"), port)
            }
            None => {
                let (host, port) = match text.split_once(':') {
                    Some((host, port)) => (host, Some(port)),
                    None => (text, None),
                };
                let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
                if host.is_empty() || !host.chars().all(name_char) {
                    return Err(OriginError::BadHost);
                }
                (host.to_ascii_lowercase(), port)
            }
        };
        let port = port.map(parse_port).transpose()?;
        Ok(Self { host, port })
    }

    /// Whether the host is one that always means this machine: `localhost` (which browsers
    /// resolve without DNS), 127.0.0.0/8 or `[::1]`. A DNS name that merely resolves there
    /// (the DNS-rebinding trick) is not.
    pub fn is_loopback(&self) -> bool {
        if self.host == "localhost" {
            return true;
        }
        let literal = self.host.trim_start_matches('[').trim_end_matches(']');
        literal.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// The port, or `default` when none was written.
    fn port_or(&self, default: Option<u16>) -> Option<u16> {
        self.port.or(default)
    }
}

fn parse_port(text: &str) -> Result<u16, OriginError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OriginError::BadPort);
    }
    text.parse().map_err(|_| OriginError::BadPort)
}

/// A web origin: scheme, host and port, with the scheme's default port filled in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    /// `None` only for a scheme with no default port and none written.
    port: Option<u16>,
}

impl Origin {
    /// Whether this is the plain-HTTP origin of a page served at `host`, i.e. the page came
    /// from the server that received the request with that `Host`.
    pub fn is_http_at(&self, host: &Authority) -> bool {
        self.scheme == "http" && self.host == host.host && self.port == host.port_or(Some(80))
    }
}

/// The port a scheme uses when none is written (RFC 6454 §4 step 6).
fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

impl FromStr for Origin {
    type Err = OriginError;

    fn from_str(text: &str) -> Result<Self, OriginError> {
        let (scheme, rest) = text.split_once("://").ok_or(OriginError::NoScheme)?;
        let scheme_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.');
        if !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            || !scheme.chars().all(scheme_char)
        {
            return Err(OriginError::BadScheme);
        }
        if rest.contains(['/', '?', '#', '@']) {
            return Err(OriginError::NotJustAuthority);
        }
        let scheme = scheme.to_ascii_lowercase();
        let authority = Authority::parse(rest)?;
        let port = authority.port_or(default_port(&scheme));
        Ok(Self {
            scheme,
            host: authority.host,
            port,
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        match self.port {
            Some(port) if Some(port) != default_port(&self.scheme) => write!(f, ":{port}"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin {
        text.parse().unwrap()
    }

    #[test]
    fn scheme_host_and_port_must_all_match() {
        let public = origin("https://chat.example.com");
        assert_eq!(public, origin("https://chat.example.com"));
        assert_ne!(public, origin("http://chat.example.com"), "scheme");
        assert_ne!(public, origin("https://chat.example.org"), "host");
        assert_ne!(public, origin("https://chat.example.com:8443"), "port");
        assert_ne!(
            public,
            origin("https://evil.chat.example.com"),
            "no suffix match"
        );
    }

    #[test]
    fn spelling_differences_that_name_the_same_origin_are_equal() {
        assert_eq!(
            origin("HTTPS://Chat.Example.COM:443"),
            origin("https://chat.example.com")
        );
        assert_eq!(origin("http://[0:0::1]:80"), origin("http://[::1]"));
        assert_eq!(
            origin("https://chat.example.com:443").to_string(),
            "https://chat.example.com"
        );
        assert_eq!(
            origin("http://127.0.0.1:8081").to_string(),
            "http://127.0.0.1:8081"
        );
    }

    #[test]
    fn anything_but_scheme_host_and_port_is_refused() {
        let cases = [
            ("null", OriginError::NoScheme),
            ("chat.example.com", OriginError::NoScheme),
            ("https://chat.example.com/", OriginError::NotJustAuthority),
            (
                "https://user@chat.example.com",
                OriginError::NotJustAuthority,
            ),
            ("https://", OriginError::BadHost),
            ("https://a b", OriginError::BadHost),
            ("https://a:b:c", OriginError::BadPort),
            ("https://a:", OriginError::BadPort),
            ("https://a:65536", OriginError::BadPort),
            ("https://a:+80", OriginError::BadPort),
            ("https://[::1", OriginError::BadHost),
            ("1http://a", OriginError::BadScheme),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Origin>(), Err(expected), "{text}");
        }
    }

    #[test]
    fn other_schemes_parse_without_a_default_port() {
        let extension = origin("chrome-extension://abcdefghijklmnop");
        assert_eq!(extension.to_string(), "chrome-extension://abcdefghijklmnop");
        assert_eq!(extension.port, None);
    }

    #[test]
    fn loopback_means_names_that_cannot_be_rebound() {
        for host in [
            "localhost:8080",
            "127.0.0.1",
            "127.9.9.9:1",
            "[::1]:8080",
            "LOCALHOST",
        ] {
            assert!(Authority::parse(host).unwrap().is_loopback(), "{host}");
        }
        for host in [
            "evil.example",
            "localhost.evil.example",
            "10.0.0.1:8080",
            "[::2]",
            "127.1",
        ] {
            assert!(!Authority::parse(host).unwrap().is_loopback(), "{host}");
        }
    }

    #[test]
    fn an_http_origin_is_at_a_host_only_with_the_same_port() {
        let host = Authority::parse("127.0.0.1:8080").unwrap();
        assert!(origin("http://127.0.0.1:8080").is_http_at(&host));
        assert!(!origin("https://127.0.0.1:8080").is_http_at(&host));
        assert!(!origin("http://127.0.0.1:8081").is_http_at(&host));
        let no_port = Authority::parse("localhost").unwrap();
        assert!(origin("http://localhost:80").is_http_at(&no_port));
        assert!(!origin("http://localhost:8080").is_http_at(&no_port));
    }
}
