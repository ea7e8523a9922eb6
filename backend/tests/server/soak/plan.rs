//! The soak's timeline and its cast: a [`Plan`] of when the traffic may end and everyone
//! must have settled, the [`Crowd`] of actors started on it (members, chaos, the flooder, the
//! resource adversaries) with the test's ends of their wiring, and the chaos task that drops
//! random members' connections. The test drives it: start, quiesce, settle.

use super::{
    DROP_PAUSE_MIN_MS, DROP_PAUSE_SPREAD_MS, LONG_POLLS_PER_IP, NEVER_READER_GRACE, ROOM,
    SEND_INTERVAL, SENDERS, SETTLE, SHORT_TRAFFIC,
    adversaries::{self, RoomFlood},
    audit::Audit,
    flooder::{Flood, flood},
    members::{Member, Wiring},
};
use crate::support::{Server, WAIT, sample};
use std::{collections::HashMap, time::Duration};
use tokio::{
    sync::{mpsc, oneshot, watch},
    task::JoinHandle,
    time::Instant,
};

/// Timing shared by every actor.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    pub(super) started: Instant,
    /// The earliest end of the traffic.
    pub(super) traffic_min_end: Instant,
    /// The latest end of the traffic.
    pub(super) traffic_max_end: Instant,
    /// Every client has settled by then, or the test fails.
    pub(super) settle_end: Instant,
    pub(super) sends_per_sender: u64,
}

impl Plan {
    /// Messages one sender may post in the longest possible traffic.
    pub(super) fn sends_per_sender(traffic: Duration) -> u64 {
        let longest = (traffic + NEVER_READER_GRACE).as_millis() / SEND_INTERVAL.as_millis();
        u64::try_from(longest).expect("a sane duration") + 10
    }

    pub(super) fn starting_now(traffic: Duration) -> Plan {
        let started = Instant::now();
        Plan {
            started,
            traffic_min_end: started + traffic,
            traffic_max_end: started + traffic + NEVER_READER_GRACE,
            settle_end: started + traffic + NEVER_READER_GRACE + SETTLE,
            sends_per_sender: Self::sends_per_sender(traffic),
        }
    }
}

pub(super) fn traffic_duration() -> Duration {
    std::env::var("CHINWAG_SOAK_SECS").map_or(SHORT_TRAFFIC, |secs| {
        Duration::from_secs(
            secs.parse()
                .expect("CHINWAG_SOAK_SECS is a number of seconds"),
        )
    })
}

/// Every actor of a run, started, and the test's ends of their wiring.
pub(super) struct Crowd {
    clients: Vec<JoinHandle<Audit>>,
    reports: mpsc::Receiver<HashMap<String, u64>>,
    traffic: watch::Sender<bool>,
    final_id: watch::Sender<Option<u64>>,
    chaos: JoinHandle<u64>,
    flooder: JoinHandle<Flood>,
    /// The resource adversaries (see [`adversaries`]).
    heavy_readers: JoinHandle<usize>,
    room_flooder: JoinHandle<RoomFlood>,
    hoarder: JoinHandle<usize>,
    /// Fires once the hoarder has written all its long-polls.
    hoard_opened: Option<oneshot::Receiver<()>>,
}

/// What the crowd did once the traffic stopped and nothing more could be stored.
pub(super) struct Quiesced {
    /// Every `client_id` the server confirmed (crowd and flooder) → its id.
    pub(super) confirmed: HashMap<String, u64>,
    pub(super) flood: Flood,
    pub(super) drops: u64,
    pub(super) heavy_readers: usize,
    pub(super) room_flood: RoomFlood,
    pub(super) polls_hoarded: usize,
}

impl Crowd {
    pub(super) fn start(server: &Server, plan: Plan, members: Vec<Member>) -> Crowd {
        let (traffic, traffic_rx) = watch::channel(true);
        let (final_id, final_id_rx) = watch::channel(None);
        let (done, reports) = mpsc::channel(SENDERS);
        let mut drop_switches = Vec::new();
        let mut clients = Vec::new();
        for member in members {
            let (switch, drops) = mpsc::channel(1);
            drop_switches.push(switch);
            let wiring = Wiring {
                drops,
                traffic: traffic_rx.clone(),
                final_id: final_id_rx.clone(),
                done: done.clone(),
            };
            clients.push(tokio::spawn(member.run(plan, wiring)));
        }
        // A bound on the count; at ~5 drops a second the end of the traffic comes first.
        let max_drops = plan.sends_per_sender;
        let chaos = chaos(drop_switches, traffic_rx, plan.traffic_max_end, max_drops);
        let flood_url = server.ws_url("?room=flood&username=flooder");
        let flood_at = plan.started + (plan.traffic_min_end - plan.started) / 4;
        let (opened, hoard_opened) = oneshot::channel();
        let hoard = adversaries::hoard_long_polls(
            server.addr,
            ROOM,
            opened,
            traffic.subscribe(),
            plan.traffic_max_end,
        );
        let heavy_readers = adversaries::read_heavy_history_unread(
            server.addr,
            traffic.subscribe(),
            plan.traffic_max_end,
        );
        Crowd {
            clients,
            reports,
            traffic,
            final_id,
            chaos: tokio::spawn(chaos),
            flooder: tokio::spawn(flood(flood_url, flood_at)),
            heavy_readers: tokio::spawn(heavy_readers),
            room_flooder: tokio::spawn(adversaries::flood_rooms(server.addr)),
            hoarder: tokio::spawn(hoard),
            hoard_opened: Some(hoard_opened),
        }
    }

    /// The long-polls the server holds once the hoarder has written all of its own: waits
    /// until the count reaches the address's cap (or [`WAIT`] passes), then reads it.
    pub(super) async fn long_polls_held(&mut self, server: &Server, plan: Plan) -> f64 {
        let opened = self.hoard_opened.take().expect("asked once");
        tokio::time::timeout_at(plan.traffic_max_end, opened)
            .await
            .expect("the hoarder opened its long-polls during the traffic")
            .expect("the hoarder reported");
        #[allow(
            clippy::cast_precision_loss,
            reason = "a small count is exact in an f64"
        )]
        let cap = LONG_POLLS_PER_IP as f64;
        let deadline = Instant::now() + WAIT;
        // The server takes the requests in as it gets to them; a reading at most every 50 ms
        // for at most WAIT.
        for _ in 0..WAIT.as_millis() / 50 {
            let (_, metrics) = server.get_text("/metrics").await;
            let waiting = sample(&metrics, "chinwag_long_polls_waiting");
            if waiting >= cap || Instant::now() >= deadline {
                return waiting;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, metrics) = server.get_text("/metrics").await;
        sample(&metrics, "chinwag_long_polls_waiting")
    }

    /// Stops the traffic and waits until nothing more can be stored: every sender holds a
    /// confirmation for each of its messages (a late retry of a stored `client_id` gets no
    /// new id) and the flooder is closed.
    pub(super) async fn quiesce(&mut self, plan: Plan) -> Quiesced {
        self.traffic.send(false).unwrap();
        let mut confirmed = HashMap::new();
        for _ in 0..SENDERS {
            let report = tokio::time::timeout_at(plan.settle_end, self.reports.recv())
                .await
                .expect("every sender had its messages confirmed in time")
                .expect("a sender reported");
            confirmed.extend(report);
        }
        let flood = (&mut self.flooder).await.unwrap();
        confirmed.extend(flood.accepted.clone());
        let drops = (&mut self.chaos).await.unwrap();
        Quiesced {
            confirmed,
            flood,
            drops,
            heavy_readers: (&mut self.heavy_readers).await.unwrap(),
            room_flood: (&mut self.room_flooder).await.unwrap(),
            polls_hoarded: (&mut self.hoarder).await.unwrap(),
        }
    }

    /// Tells every member the room's last id and collects what each saw once it has it.
    pub(super) async fn settle(self, last_id: u64) -> Vec<Audit> {
        self.final_id.send(Some(last_id)).unwrap();
        let mut audits = Vec::new();
        for client in self.clients {
            audits.push(client.await.unwrap());
        }
        audits
    }
}

/// Drops a random well-behaved client's connection every so often until the traffic ends.
pub(super) async fn chaos(
    drops: Vec<mpsc::Sender<()>>,
    traffic: watch::Receiver<bool>,
    traffic_max_end: Instant,
    max_drops: u64,
) -> u64 {
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let clients = u64::try_from(drops.len()).expect("a few clients");
    let senders = u64::try_from(SENDERS).expect("a few senders");
    let mut dropped = 0;
    while *traffic.borrow() && Instant::now() < traffic_max_end && dropped < max_drops {
        let pause = DROP_PAUSE_MIN_MS + dice.below(DROP_PAUSE_SPREAD_MS);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        // Every other drop cuts a sender, so re-sends happen in every run.
        let among = if dropped.is_multiple_of(2) {
            senders
        } else {
            clients
        };
        let victim = usize::try_from(dice.below(among)).expect("an index");
        if drops[victim].try_send(()).is_ok() {
            dropped += 1;
        }
    }
    dropped
}

/// A fixed-seed xorshift, so every run drops the same sequence of clients.
pub(super) struct Dice(u64);

impl Dice {
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
