//! "Live from now" on the Redis engine: a client that opens `/socket` without `after` on one
//! node receives a message stored the moment its handshake completed, whether it was sent
//! through the same node or another, over a socket or an HTTP POST.

use crate::{
    node,
    redis::Redis,
    support::{SendVia, missed_after_open},
};

const ROUNDS: usize = 150;

#[tokio::test]
async fn a_message_sent_right_after_open_is_never_missed_on_redis() {
    let redis = Redis::start().await;
    let (a, b) = (node(&redis, "a", &[]).await, node(&redis, "b", &[]).await);
    let mut missed = Vec::new();
    for (send, via) in [
        (&a, SendVia::Socket),
        (&b, SendVia::Socket),
        (&a, SendVia::Http),
        (&b, SendVia::Http),
    ] {
        missed.push(missed_after_open(&a, send, via, ROUNDS).await);
    }
    assert_eq!(
        missed,
        [0, 0, 0, 0],
        "misses of {ROUNDS} rounds: socket via a, socket via b, http via a, http via b"
    );
}
