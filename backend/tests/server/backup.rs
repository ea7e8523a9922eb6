//! `chinwag backup`: a copy taken while a writer keeps posting holds every message confirmed
//! before the copy began, opens as a server of its own (restoring is starting on it), and a
//! backup never overwrites a file.

use crate::support::{Client, NO_RATE_LIMIT, Server, WAIT};
use serde_json::Value;
use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

/// Most posts the writer makes while the backup runs: a bound, should the backup hang.
const MOST_DURING: usize = 20_000;

/// Runs `chinwag backup DEST --db SOURCE`; its exit status and output.
async fn backup(source: &Path, dest: &Path) -> std::process::Output {
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chinwag"))
        .arg("backup")
        .arg(dest)
        .arg("--db")
        .arg(source)
        .env("RUST_LOG", "warn")
        .output();
    tokio::time::timeout(WAIT, command)
        .await
        .expect("the backup finished in time")
        .expect("the backup ran")
}

/// Every record of `room` on `server`, paging forward.
async fn every_record(server: &Server, room: &str) -> Vec<Value> {
    let mut records: Vec<Value> = Vec::new();
    loop {
        let after = records
            .last()
            .map_or(0, |record| record["id"].as_u64().unwrap());
        let (status, page) = server
            .get_json(&format!(
                "/api/rooms/{room}/messages?after={after}&limit=500"
            ))
            .await;
        assert_eq!(status, 200, "{page}");
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            return records;
        }
        records.extend(page);
    }
}

#[tokio::test]
async fn a_backup_taken_under_live_writes_holds_every_message_confirmed_before_it_began() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let (mut writer, _) = Client::join(&server.ws_url("?room=log&username=writer")).await;
    let mut confirmed = Vec::new();
    for n in 0..200 {
        let record = writer.post("log", "writer", &format!("before {n}")).await;
        confirmed.push((record["id"].clone(), record["message"].clone()));
    }

    // The writer goes on posting, each post confirmed, while the copy is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let writing = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut posted = 0;
            while !stop.load(Ordering::Relaxed) && posted < MOST_DURING {
                writer
                    .post("log", "writer", &format!("during {posted}"))
                    .await;
                posted += 1;
            }
            posted
        })
    };
    let source = dir.path().join("chinwag.db");
    let restored = tempfile::tempdir().unwrap();
    let dest = restored.path().join("chinwag.db");
    let output = backup(&source, &dest).await;
    stop.store(true, Ordering::Relaxed);
    let posted_during = writing.await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).starts_with("copied "),
        "{output:?}"
    );
    assert!(posted_during > 0, "the writer kept posting meanwhile");

    // A backup never overwrites: the same destination again is refused, and left as it was.
    let before = std::fs::read(&dest).unwrap();
    let again = backup(&source, &dest).await;
    assert!(!again.status.success(), "{again:?}");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists already"),
        "{again:?}"
    );
    assert_eq!(std::fs::read(&dest).unwrap(), before);

    // Restoring is starting a server on the copy.
    let copy = Server::start(&restored).await;
    let records = every_record(&copy, "log").await;
    for (id, message) in &confirmed {
        assert!(
            records
                .iter()
                .any(|record| record["id"] == *id && record["message"] == *message),
            "confirmed {id} {message} is in the copy"
        );
    }
    let ids: Vec<u64> = records.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = (1..=ids.len() as u64).collect();
    assert_eq!(ids, expected, "one consistent state: ids 1.. with no hole");
    assert!(ids.len() >= confirmed.len());
    assert!(ids.len() <= confirmed.len() + posted_during);
    // And that state is the live log's as it was at one instant: every record of the copy is
    // the source's record of that id, field for field.
    let live = every_record(&server, "log").await;
    assert!(live.len() >= records.len());
    assert_eq!(
        records,
        live[..records.len()],
        "the copy is a prefix of the live log"
    );
}
