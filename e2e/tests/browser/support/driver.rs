//! chromedriver for the tests: [`chinwag_e2e::chromium::Driver`], which panics instead of
//! returning an error, as a test wants. Dropping it kills chromedriver and every browser it
//! started, and deletes their profiles.

use chinwag_e2e::chromium;
use std::ops::Deref;

/// A running chromedriver, serving any number of browser sessions.
pub struct Driver(chromium::Driver);

impl Driver {
    /// Starts chromedriver and waits (bounded) until it is ready; panics if it cannot.
    pub async fn start() -> Driver {
        match chromium::Driver::start().await {
            Ok(driver) => Driver(driver),
            Err(err) => panic!("{err}"),
        }
    }
}

impl Deref for Driver {
    type Target = chromium::Driver;

    fn deref(&self) -> &chromium::Driver {
        &self.0
    }
}
