//! End to end: the mock's request journal, injected faults and unmatched-route reporting,
//! exercised through the real SDK clients and their retry policy (`sdk/src/retry.rs`: safe
//! methods are retried on 429, 5xx and connection errors, honouring `Retry-After`; other
//! methods are sent once).

mod journal;
mod retries;
mod support;
mod transport_errors;
mod unmatched;
