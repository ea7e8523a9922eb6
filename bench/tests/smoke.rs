//! The load generator's smoke run, in the test suite so it cannot rot.
//!
//! Runs `chinwag-bench smoke --json` (a few seconds of broadcast against Chinwag and the three
//! baselines, throughput, a 50-client resume storm against Chinwag and a 20-client plain
//! reconnect storm against the actix relay, and 100 idle connections) against an already built
//! server and requires every step to pass with zero loss, zero duplicates and zero errors. It
//! builds nothing: the server comes from `CHINWAG_BIN`, else `chinwag` next to the bench binary
//! (`target/debug/chinwag`), so `cargo build -p chinwag-backend` must have run first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Far above the few seconds a toy broadcast against one baseline takes.
const BASELINE_LIMIT: Duration = Duration::from_secs(60);

/// Far above the ~10 s the smoke run takes in a debug build on two busy cores.
const LIMIT: Duration = Duration::from_secs(90);

fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CHINWAG_BIN") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "CHINWAG_BIN={} is not a file",
            path.display()
        );
        return path;
    }
    let bench = PathBuf::from(env!("CARGO_BIN_EXE_chinwag-bench"));
    let path = bench.parent().unwrap().join("chinwag");
    assert!(
        path.is_file(),
        "no server binary at {}: run `cargo build -p chinwag-backend` first, or set CHINWAG_BIN",
        path.display()
    );
    path
}

/// Runs `chinwag-bench` with `args`, killed past `limit`; its status and JSON step lines.
fn run_bench(name: &str, args: &[&std::ffi::OsStr], limit: Duration) -> (bool, Vec<Value>, String) {
    let out_dir = std::env::temp_dir().join(format!("chinwag-bench-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let stdout_path = out_dir.join("stdout.jsonl");
    let stderr_path = out_dir.join("stderr.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chinwag-bench"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "{name} run still going after {limit:?}\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    let _ = std::fs::remove_dir_all(&out_dir);
    assert!(
        status.success(),
        "{name} run failed ({status})\n{stdout}\n{stderr}"
    );
    let steps: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (status.success(), steps, stdout)
}

/// Every step delivered everything it sent, once, without an error.
fn assert_lossless(steps: &[Value]) {
    for step in steps {
        assert_eq!(step["lost"], 0, "{step}");
        assert_eq!(step["duplicates"], 0, "{step}");
        assert_eq!(step["errors"], 0, "{step}");
        assert_eq!(step["passed"], true, "{step}");
        assert_eq!(step["delivered"], step["expected"], "{step}");
    }
}

#[test]
fn smoke_run_passes_every_step_with_zero_loss() {
    let server = server_binary();
    let args = ["--pin", "off", "--json", "smoke", "--server"].map(std::ffi::OsStr::new);
    let mut args = args.to_vec();
    args.push(server.as_os_str());
    let (_, steps, stdout) = run_bench("smoke", &args, LIMIT);
    let modes: Vec<&str> = steps.iter().map(|s| s["mode"].as_str().unwrap()).collect();
    for mode in ["broadcast", "throughput", "storm", "idle"] {
        assert!(modes.contains(&mode), "no {mode} step in {modes:?}");
    }
    let targets: Vec<&str> = steps.iter().filter_map(|s| s["target"].as_str()).collect();
    assert!(
        targets.contains(&"actix-relay"),
        "no actix-relay step in {targets:?}"
    );
    assert_lossless(&steps);
    let storms: Vec<&Value> = steps.iter().filter(|s| s["mode"] == "storm").collect();
    for storm in &storms {
        let resume = if storm["target"] == "chinwag" {
            "on"
        } else {
            "off"
        };
        assert_eq!(storm["resume"], resume, "{storm}");
        // Every client came back (a number only then); how fast is not judged here.
        assert!(storm["catch_up_ms"].is_number(), "{storm}");
        let per_client = storm["latency_ms"]["samples"].as_u64();
        assert_eq!(per_client, storm["clients"].as_u64(), "{storm}");
    }
    let relay_storm = storms
        .iter()
        .find(|s| s["target"] == "actix-relay")
        .unwrap_or_else(|| panic!("no storm against the actix relay in {stdout}"));
    assert_eq!(relay_storm["clients"], 20, "{relay_storm}");
    assert!(
        relay_storm["delivered"].as_u64().unwrap() >= 20 * 10,
        "the relay storm delivered almost nothing: {relay_storm}"
    );
    let delivered: u64 = steps.iter().map(|s| s["delivered"].as_u64().unwrap()).sum();
    assert!(
        delivered > 1000,
        "the smoke run delivered almost nothing: {stdout}"
    );
}

/// The bare actix-ws relay needs no Chinwag binary: a toy broadcast through it reaches every
/// client, each frame once.
#[test]
fn the_actix_relay_baseline_relays_a_broadcast_to_every_client() {
    let args = [
        "--pin",
        "off",
        "--json",
        "broadcast",
        "--target-kind",
        "actix-relay",
        "--clients",
        "12",
        "--senders",
        "3",
        "--rate",
        "60",
        "--duration",
        "1s",
        "--drain",
        "5s",
    ]
    .map(std::ffi::OsStr::new);
    let (_, steps, stdout) = run_bench("actix-relay", &args, BASELINE_LIMIT);
    assert_eq!(steps.len(), 1, "{stdout}");
    let step = &steps[0];
    assert_eq!(step["mode"], "broadcast", "{step}");
    assert_eq!(step["target"], "actix-relay", "{step}");
    assert_eq!(step["clients"], 12, "{step}");
    // 60 msg/s for 1 s, to all 12 clients: a run that sent almost nothing proves nothing.
    assert!(step["expected"].as_u64().unwrap() >= 12 * 40, "{step}");
    assert_lossless(&steps);
}
