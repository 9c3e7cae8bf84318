//! Restoring an app from its data directory: the snapshot, then every logged entry applied
//! again at the time it carries. Only the standalone server (and the crate's benchmarks) keep
//! a data directory.

use std::path::Path;

use super::App;
use crate::clock::Clock;
use crate::durable::{DataDir, DurableError, DurableOptions, Logged, Record, Recovery};
use crate::vendor_handle::write_lock;

/// What opening a data directory restored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    /// Whether a snapshot was loaded.
    pub snapshot: bool,
    /// How many logged writes were replayed after it.
    pub records: usize,
    /// Bytes of a torn last record that were dropped.
    pub torn_bytes: u64,
}

impl Restored {
    /// Whether the directory held any state.
    pub fn is_empty(&self) -> bool {
        !self.snapshot && self.records == 0
    }
}

impl App {
    /// Makes the app durable: replays the state `dir` holds (compacting it into a snapshot
    /// when the log is past the threshold), then logs every write there.
    pub fn open_data_dir(
        &mut self,
        dir: &Path,
        options: DurableOptions,
    ) -> Result<Restored, DurableError> {
        let (mut data_dir, recovery) = DataDir::open(dir, options)?;
        let restored = self.replay(recovery)?;
        if data_dir.wants_compaction() {
            data_dir.compact(&self.export_seed())?;
        }
        self.durable.attach(data_dir);
        Ok(restored)
    }

    /// Rebuilds the state a data directory holds. A snapshot that does not load stops the
    /// start (serving, then compacting, a partial state would overwrite the good snapshot);
    /// a logged write that fails or panics again is skipped with a warning, as it changed
    /// nothing the first time either.
    fn replay(&self, recovery: Recovery) -> Result<Restored, DurableError> {
        let restored = Restored {
            snapshot: recovery.snapshot.is_some(),
            records: recovery.records.len(),
            torn_bytes: recovery.torn_bytes,
        };
        if let Some(seed) = recovery.snapshot {
            self.apply_seed(&seed, &self.clock)
                .map_err(|error| DurableError::Corrupt {
                    path: "snapshot.json".to_owned(),
                    message: format!("the snapshot does not load: {error}"),
                })?;
        }
        for record in recovery.records {
            let replayed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.replay_record(record);
            }));
            if replayed.is_err() {
                tracing::warn!("persons mock: a logged write panicked again on replay; skipped");
            }
        }
        Ok(restored)
    }

    fn replay_record(&self, record: Record) {
        match record {
            Record::Entry(logged) => self.replay_entry(*logged),
            Record::Seed { seed, at } => {
                let clock = Clock::frozen_at_micros(at.unix_micros());
                if let Err(error) = self.apply_seed(&seed, &clock) {
                    tracing::warn!(%error, "persons mock: a logged seed no longer loads");
                }
            }
            Record::Reset => self.clear(),
        }
    }

    /// Applies a logged entry again, at the time it was first applied.
    fn replay_entry(&self, logged: Logged) {
        let refused = match logged {
            Logged::Whop { tenant, at, entry } => write_lock(&self.whop)
                .apply(&tenant, entry, at)
                .err()
                .map(|error| error.to_string()),
            Logged::Posthog { tenant, at, entry } => write_lock(&self.posthog)
                .apply(tenant, entry, at)
                .err()
                .map(|error| error.to_string()),
            Logged::Pipedrive { tenant, at, entry } => write_lock(&self.pipedrive)
                .apply(tenant, entry, at)
                .err()
                .map(|error| error.to_string()),
        };
        if let Some(error) = refused {
            tracing::warn!(%error, "persons mock: a logged entry no longer applies; skipped");
        }
    }
}
