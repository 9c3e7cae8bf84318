//! The `persons-mock` binary and the standalone server it runs: CLI, admin API, durable
//! data directory (including `kill -9` mid-ingestion), graceful shutdown, connection limits,
//! and consistency under concurrent writers on the multi-threaded server.

mod admin;
mod cli;
mod concurrency;
mod connections;
mod durability;
mod memory;
mod support;
