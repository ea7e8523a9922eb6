//! Per-address bounds on plain HTTP: TCP connections, requests in flight, and slow bodies.
//!
//! A WebSocket holds an [`Admission`] permit for its life, but plain HTTP used to count
//! against nothing: one address held 1,500 long-polls while its fourth socket was refused,
//! and a POST that declared 60,000 bytes and sent one byte per 10 s stayed open. Three
//! meters close that, all keyed by client address:
//!
//! - **TCP connections.** [`count_connection`] runs as each connection is accepted and files a
//!   [`ConnectionSlot`] in its connection data; the slot gives its place back when the
//!   connection closes. A connection over the address's cap is answered 429 with
//!   `Connection: close` on its first request. Connections from a trusted proxy are not
//!   counted here (everyone arrives through it); the forwarded address still meets the others.
//! - **Requests in flight**, per address (the middleware [`limit_requests`]): past the cap, 429.
//! - **Body deadline**: a request's body must arrive within the body timeout, else 408 and
//!   the connection closes (its unread rest cannot be skipped). The body's stream ends in a
//!   `TimedOut` error, which `error::json_config` answers with 408.
//!
//! Long-polls take a WebSocket-style permit as well (see `api::messages`), so they count
//! against `--max-connections` and `--max-connections-per-ip` like the sockets they stand in
//! for, and have their own per-address cap.

use super::{AppState, error::ApiFailure};
use crate::admission::{Admission, Permit, Refusal};
use actix_web::{
    HttpMessage,
    body::{BoxBody, MessageBody},
    dev::{Extensions, Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    http::StatusCode,
    middleware::Next,
    web::{self, Bytes},
};
use chinwag_shared::ErrorCode;
use futures_util::Stream;
use std::{
    future::Future,
    net::IpAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

/// A TCP connection's place in its address's count, held in the connection's data.
pub enum ConnectionSlot {
    /// Counted; the place is given back when the connection (and this value) is dropped.
    Held(#[allow(dead_code, reason = "held for its Drop")] Permit),
    /// Not counted: the connection comes from a trusted proxy.
    Exempt,
    /// The address already held its maximum when this connection was accepted.
    OverCap {
        /// The cap it was over.
        max: usize,
    },
}

/// Files the connection slot of a freshly accepted connection from `peer`.
pub fn count_connection(
    connections: &Admission,
    trusted_proxies: &[IpAddr],
    peer: Option<IpAddr>,
    data: &mut Extensions,
) {
    let slot = match peer {
        Some(peer) if !trusted_proxies.contains(&peer) => match connections.admit(peer) {
            Ok(permit) => ConnectionSlot::Held(permit),
            Err(Refusal::AddressFull { max } | Refusal::ServerFull { max }) => {
                ConnectionSlot::OverCap { max }
            }
        },
        _ => ConnectionSlot::Exempt,
    };
    data.insert(slot);
}

/// The HTTP answer to an admission refusal of `what` ("connections", "long-polls", …).
pub fn refusal(refusal: Refusal, what: &str) -> ApiFailure {
    match refusal {
        Refusal::ServerFull { max } => ApiFailure::with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::TooManyConnections,
            format!("the server holds its maximum of {max} {what}; retry later"),
        ),
        Refusal::AddressFull { max } => ApiFailure::with_status(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyConnections,
            format!("this address holds its maximum of {max} {what}"),
        ),
    }
}

/// Paths outside the in-flight cap: the health probes, metrics, and socket upgrades.
const UNMETERED: [&str; 5] = ["/livez", "/readyz", "/healthz", "/metrics", "/socket"];

/// The per-address caps of plain HTTP, from `Config`.
pub struct RequestLimits {
    /// Requests in flight per address.
    pub in_flight: Admission,
    /// Long-polls held per address (besides counting as connections).
    pub long_polls: Admission,
    /// How long a request with a body may take to arrive and be answered.
    pub body_timeout: Duration,
}

impl RequestLimits {
    /// Caps of `requests` in flight and `long_polls` held per address, and a body deadline.
    pub fn new(requests: usize, long_polls: usize, body_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            in_flight: Admission::new(usize::MAX, requests.max(1)),
            long_polls: Admission::new(usize::MAX, long_polls.max(1)),
            body_timeout,
        })
    }
}

/// Refuses requests over their connection's or address's cap, and times out slow bodies.
pub async fn limit_requests(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(ConnectionSlot::OverCap { max }) = request.conn_data::<ConnectionSlot>() {
        let failure = refusal(Refusal::AddressFull { max: *max }, "TCP connections");
        return Ok(request.into_response(closing(failure)));
    }
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    // Probes are answered whatever an address does: a load balancer must always learn
    // whether the node lives, and they cost nothing. Socket upgrades have their own meter
    // (`Admission`), and hold its permit for the socket's whole life.
    if UNMETERED.contains(&request.path()) {
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let address = state.trusted_proxies.client_ip(request.request());
    let _in_flight = match state.request_limits.in_flight.admit(address) {
        Ok(permit) => permit,
        Err(refused) => {
            let failure = refusal(refused, "requests in flight");
            return Ok(request.into_response(actix_web::ResponseError::error_response(&failure)));
        }
    };
    // A body must arrive within the deadline: its stream ends in a timeout error after it,
    // which the JSON extractor answers with 408 (see `error::json_config`).
    let payload = request.take_payload();
    let timed: BoxedPayload = Box::pin(Deadline {
        payload,
        timer: Box::pin(tokio::time::sleep(state.request_limits.body_timeout)),
        expired: false,
    });
    request.set_payload(Payload::from(timed));
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// What actix calls a boxed request body stream.
type BoxedPayload = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// A request body that fails with [`std::io::ErrorKind::TimedOut`] once its deadline passes.
struct Deadline {
    payload: Payload,
    timer: Pin<Box<tokio::time::Sleep>>,
    expired: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(chunk) = Pin::new(&mut this.payload).poll_next(cx) {
            return Poll::Ready(chunk);
        }
        if this.timer.as_mut().poll(cx).is_ready() {
            this.expired = true;
            let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
            return Poll::Ready(Some(Err(PayloadError::Io(late))));
        }
        Poll::Pending
    }
}

/// `failure` as a response that also closes the connection.
fn closing(failure: ApiFailure) -> actix_web::HttpResponse {
    let mut response = actix_web::ResponseError::error_response(&failure);
    response
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    response
}
