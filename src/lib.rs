//! The `persons` package owns the end-to-end tests (`tests/`) and the examples (`examples/`).
//! Its library holds no code: it compiles the README's Rust blocks as doctests, so the
//! README cannot drift from the API.
#![doc = include_str!("../README.md")]
