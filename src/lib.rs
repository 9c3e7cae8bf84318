//! The `persons` package owns the end-to-end tests (`tests/`) and the examples (`examples/`).
//! Its library holds no code: it compiles the Rust blocks of the README and of the mock
//! server guide as doctests, so they cannot drift from the API.
#![doc = include_str!("../README.md")]

/// The mock server guide (`docs/mock-server.md`), here so that its Rust blocks are compiled
/// and run as doctests too.
#[doc = include_str!("../docs/mock-server.md")]
pub mod mock_server_guide {}
