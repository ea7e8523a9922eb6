//! What an operator does beside a running server, without a browser: creating an account
//! through the HTTP API and making it a site admin with `chinwag accounts grant-admin` on the
//! server's own database (the only way the first admin is made).
//!
//! Tests that need a moderator in a public room use these before anyone joins a room, so no
//! node has cached the site's rules without the new admin (`hub::rules` trusts them briefly).

use super::{Server, WAIT, server::server_binary};
use serde_json::json;
use tokio::process::Command;

impl Server {
    /// Creates the account `name` with `password` by `POST /api/accounts` (the cookie it
    /// answers with is dropped: a browser signs in on its own).
    pub async fn create_account(&self, name: &str, password: &str) {
        let url = self.url("/api/accounts");
        let body = json!({"username": name, "password": password});
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(WAIT))
                .build()
                .into();
            let response = agent
                .post(&url)
                .send_json(&body)
                .unwrap_or_else(|err| panic!("POST {url}: {err}"));
            assert_eq!(response.status(), 201, "POST {url} created the account");
        })
        .await
        .expect("sign-up task");
    }

    /// Makes the account `name` a site admin: `chinwag accounts grant-admin NAME --db FILE`
    /// on this server's database, checking the command says it worked.
    pub async fn grant_admin(&self, name: &str) {
        let mut command = Command::new(server_binary());
        command
            .args(["accounts", "grant-admin", name, "--db"])
            .arg(self.db())
            .kill_on_drop(true);
        let output = tokio::time::timeout(WAIT, command.output())
            .await
            .expect("grant-admin finished in time")
            .expect("grant-admin ran");
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && said.contains("is a site admin now"),
            "grant-admin {name} failed: {}\nstdout: {said}\nstderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
