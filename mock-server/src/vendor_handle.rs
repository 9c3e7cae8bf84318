//! What every vendor's test-facing handle (`Whop`, `PostHog`, `Pipedrive`) holds: the
//! vendor's state, the server's clock, and the vendor's base URL.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clock::Clock;

/// The shared state, clock and base URL behind a vendor handle. Clones share the state.
#[derive(Debug)]
pub(crate) struct VendorHandle<S> {
    state: Arc<RwLock<S>>,
    /// The server's clock.
    pub(crate) clock: Clock,
    /// The server URL followed by the vendor's mount prefix.
    pub(crate) base_url: String,
}

impl<S> Clone for VendorHandle<S> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
            clock: self.clock.clone(),
            base_url: self.base_url.clone(),
        }
    }
}

impl<S> VendorHandle<S> {
    /// A handle on `state`, served at `server_url` + `prefix`.
    pub(crate) fn new(state: Arc<RwLock<S>>, clock: Clock, server_url: &str, prefix: &str) -> Self {
        Self {
            state,
            clock,
            base_url: format!("{}{prefix}", server_url.trim_end_matches('/')),
        }
    }

    /// Reads the state.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, S> {
        read_lock(&self.state)
    }

    /// Writes the state.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, S> {
        write_lock(&self.state)
    }
}

/// Reads `lock`, carrying on after a panic elsewhere poisoned it: every write validates
/// before it changes anything, so the state is still consistent.
pub(crate) fn read_lock<S>(lock: &RwLock<S>) -> RwLockReadGuard<'_, S> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Writes `lock`, carrying on after a panic elsewhere poisoned it (see [`read_lock`]).
pub(crate) fn write_lock<S>(lock: &RwLock<S>) -> RwLockWriteGuard<'_, S> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_state_and_the_base_url_joins_cleanly() {
        let handle = VendorHandle::new(
            Arc::new(RwLock::new(1)),
            Clock::default(),
            "http://h:1/",
            "/v",
        );
        let clone = handle.clone();
        *clone.write() = 2;
        assert_eq!(*handle.read(), 2);
        assert_eq!(handle.base_url, "http://h:1/v");
    }
}
