//! The data directory: an append-only write-ahead log of every write the server accepted,
//! compacted into a snapshot (an exported [`Seed`]) when it grows large.
//!
//! Layout: `snapshot.json` (`{"generation": g, "seed": …}`, absent until the first
//! compaction) and `wal-<g>.log`, the writes made after snapshot `g`. A record is framed as
//! `length (u32 LE) · CRC-32 (u32 LE) · JSON payload` and written with one `write` call before
//! the write it describes is applied, so a `kill -9` loses nothing that was acknowledged. On
//! open, a torn last record (short header, short payload, or a bad checksum at the very end)
//! is cut off with a warning; damage anywhere else refuses to open rather than start from a
//! corrupt state.
//!
//! A server holds an exclusive lock on `lock` for as long as the directory is open, so a second
//! server (or process) pointed at the same directory is refused instead of interleaving its
//! writes with the first one's.
//!
//! Compaction writes `snapshot.json.tmp`, syncs it, renames it over `snapshot.json` (atomic),
//! then starts `wal-<g+1>.log` and deletes the older log: a crash at any point leaves either
//! the old snapshot with its complete log, or the new snapshot with an empty or partial log.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[cfg(any(feature = "standalone", feature = "internals"))]
mod recovery;

#[cfg(any(feature = "standalone", feature = "internals"))]
pub use recovery::Recovery;

use crate::Timestamp;
use crate::http::ApiResponse;
use crate::seed::Seed;

/// Bytes in a record's frame before its payload: length and checksum.
const FRAME_HEADER: usize = 8;

/// The largest payload a record may claim; anything bigger is damage, not data.
const MAX_RECORD: u32 = 1 << 30;

/// How the data directory trades speed for safety.
#[derive(Clone, Copy, Debug)]
pub struct DurableOptions {
    /// `fsync` after every record (survives power loss, not only a killed process).
    pub sync_every_write: bool,
    /// Compact into a snapshot once the log holds this many bytes.
    pub compact_after_bytes: u64,
}

impl Default for DurableOptions {
    fn default() -> Self {
        Self {
            sync_every_write: false,
            compact_after_bytes: 64 * 1024 * 1024,
        }
    }
}

/// One logged change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A write of one vendor's tenant, logged by the tenant's `apply` before it took effect.
    Entry(Box<Logged>),
    /// A seed loaded on top of the state.
    Seed {
        /// The seed.
        seed: Box<Seed>,
        /// The clock time it was loaded at (entries without a time happen then).
        at: Timestamp,
    },
    /// Every vendor's data was forgotten.
    Reset,
}

/// One vendor's entry, with the tenant it was applied to and the clock time it was applied at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "vendor", rename_all = "lowercase")]
// Built once per record and written at once (behind the `Box` of `Record::Entry`): boxing the
// larger entries would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Logged {
    /// A Whop account's entry.
    Whop {
        /// The account id.
        tenant: String,
        /// When it was applied.
        at: Timestamp,
        /// The entry.
        entry: crate::whop::log::Entry,
    },
    /// A PostHog project's entry.
    Posthog {
        /// The project id.
        tenant: i64,
        /// When it was applied.
        at: Timestamp,
        /// The entry.
        entry: crate::posthog::log::Entry,
    },
    /// A Pipedrive company's entry.
    Pipedrive {
        /// The company id.
        tenant: crate::pipedrive::Id,
        /// When it was applied.
        at: Timestamp,
        /// The entry.
        entry: crate::pipedrive::log::Entry,
    },
}

/// Why a data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DurableError {
    /// Reading or writing a file failed.
    #[error("data directory {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: io::Error,
    },
    /// Another server holds the directory open.
    #[cfg(any(feature = "standalone", feature = "internals"))]
    #[error("data directory in use by another persons-mock: {path} is locked")]
    InUse {
        /// The lock file.
        path: String,
    },
    /// A file holds something that is not a torn tail: the state cannot be trusted.
    #[cfg(any(feature = "standalone", feature = "internals"))]
    #[error("data directory {path}: {message}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong, and where.
        message: String,
    },
}

/// An open data directory, appending to its current log.
#[derive(Debug)]
pub struct DataDir {
    dir: PathBuf,
    generation: u64,
    log: File,
    log_bytes: u64,
    options: DurableOptions,
    /// The directory's lock file, locked exclusively until this is dropped (`None` where
    /// the file system cannot lock files).
    _lock: Option<File>,
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    generation: u64,
    seed: Seed,
}

impl DataDir {
    /// Appends `record` (one `write` call; `fsync` too when configured).
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        let payload = serde_json::to_vec(record).map_err(io::Error::other)?;
        let length = u32::try_from(payload.len())
            .ok()
            .filter(|length| *length <= MAX_RECORD)
            .ok_or_else(|| io::Error::other("a log record is larger than 1 GiB"))?;
        let mut frame = Vec::with_capacity(FRAME_HEADER + payload.len());
        frame.extend_from_slice(&length.to_le_bytes());
        frame.extend_from_slice(&checksum(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        let written = self.log.write_all(&frame).and_then(|()| {
            if self.options.sync_every_write {
                self.log.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(error) = written {
            // A partial frame must not stay in front of the next record.
            self.log.set_len(self.log_bytes)?;
            return Err(error);
        }
        self.log_bytes += frame.len() as u64;
        Ok(())
    }

    /// Whether the log has grown past the compaction threshold.
    pub fn wants_compaction(&self) -> bool {
        self.log_bytes >= self.options.compact_after_bytes
    }

    /// Bytes in the current log.
    #[cfg(test)]
    pub fn log_bytes(&self) -> u64 {
        self.log_bytes
    }

    /// Replaces the snapshot and the log by `seed`, the whole current state.
    pub fn compact(&mut self, seed: &Seed) -> Result<(), DurableError> {
        let generation = self.generation + 1;
        let snapshot = Snapshot {
            generation,
            seed: seed.clone(),
        };
        let bytes = serde_json::to_vec(&snapshot).map_err(|error| DurableError::Io {
            path: self.dir.display().to_string(),
            source: io::Error::other(error),
        })?;
        let temporary = self.dir.join(SNAPSHOT_TMP);
        write_synced(&temporary, &bytes)?;
        let snapshot_path = self.dir.join(SNAPSHOT);
        fs::rename(&temporary, &snapshot_path).map_err(io_error(&snapshot_path))?;
        // From here the snapshot on disk is generation `generation`: appending to the older
        // log would write records the next start deletes as stale.
        let old = wal_path(&self.dir, self.generation);
        self.generation = generation;
        self.log_bytes = 0;
        sync_dir(&self.dir)?;
        let log_path = wal_path(&self.dir, generation);
        File::create(&log_path).map_err(io_error(&log_path))?;
        self.log = OpenOptions::new()
            .append(true)
            .open(&log_path)
            .map_err(io_error(&log_path))?;
        fs::remove_file(&old)
            .or_else(ignore_missing)
            .map_err(io_error(&old))?;
        Ok(())
    }
}

/// Why a write was refused without being applied: the data directory could not log it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StorageError(String);

impl StorageError {
    /// A refusal saying `why`.
    pub fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }

    /// What the answer says: nothing was applied, and why.
    pub fn message(&self) -> String {
        format!(
            "The mock could not log this write to its data directory, so it was not applied: {}",
            self.0
        )
    }

    /// The answer every vendor gives it: 503 `storage_unavailable`, nothing was applied.
    pub fn into_response(self) -> ApiResponse {
        tracing::error!(error = %self.0, "persons mock: cannot log a write; refusing it");
        let body = serde_json::json!({
            "error": {"type": "storage_unavailable", "message": self.message()}
        });
        ApiResponse::json(503, &body)
    }
}

/// The log for writes that need none: seeds loading into a scratch tenant, and replays of
/// what the data directory already holds.
pub fn unlogged<E>(_entry: &E) -> Result<(), StorageError> {
    Ok(())
}

/// The data directory as writers see it: the app and every vendor state share one, so a
/// tenant's `apply` logs its entry before anything changes. Without a directory attached it
/// logs nothing, at the cost of one atomic load. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Durable(Arc<Attachment>);

/// What a [`Durable`] shares.
#[derive(Debug, Default)]
struct Attachment {
    /// Whether `dir` holds a directory (read without the lock on every write).
    attached: AtomicBool,
    dir: Mutex<Option<DataDir>>,
}

impl Durable {
    /// Starts logging to `dir`.
    pub fn attach(&self, dir: DataDir) {
        let mut slot = self.lock();
        *slot = Some(dir);
        self.0.attached.store(true, Ordering::Release);
    }

    /// Stops logging, handing the directory back.
    pub fn detach(&self) -> Option<DataDir> {
        let mut slot = self.lock();
        self.0.attached.store(false, Ordering::Release);
        slot.take()
    }

    /// Whether a directory is attached.
    pub fn is_attached(&self) -> bool {
        self.0.attached.load(Ordering::Acquire)
    }

    /// Appends the record `record` builds (only built when a directory is attached).
    pub fn append(&self, record: impl FnOnce() -> Record) -> Result<(), StorageError> {
        if !self.is_attached() {
            return Ok(());
        }
        match self.lock().as_mut() {
            Some(dir) => dir
                .append(&record())
                .map_err(|error| StorageError::new(error.to_string())),
            None => Ok(()),
        }
    }

    /// The log a tenant's `apply` hands its entries to: each entry, wrapped by `logged` into its
    /// vendor's [`Logged`] (tenant, time), is appended as a [`Record::Entry`] (built only when
    /// a directory is attached).
    pub fn entry_log<'a, E: Clone + 'a>(
        &'a self,
        logged: impl Fn(E) -> Logged + 'a,
    ) -> impl FnMut(&E) -> Result<(), StorageError> + 'a {
        move |entry| self.append(|| Record::Entry(Box::new(logged(entry.clone()))))
    }

    /// Runs `work` on the attached directory, if any.
    pub fn with_dir<T>(&self, work: impl FnOnce(&mut DataDir) -> T) -> Option<T> {
        self.lock().as_mut().map(work)
    }

    fn lock(&self) -> MutexGuard<'_, Option<DataDir>> {
        self.0.dir.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

const SNAPSHOT: &str = "snapshot.json";
const SNAPSHOT_TMP: &str = "snapshot.json.tmp";

fn wal_path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("wal-{generation:08}.log"))
}

fn checksum(payload: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(payload);
    crc.sum()
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), DurableError> {
    let mut file = File::create(path).map_err(io_error(path))?;
    file.write_all(bytes).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

fn sync_dir(dir: &Path) -> Result<(), DurableError> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error(dir))
}

fn ignore_missing(error: io::Error) -> io::Result<()> {
    if error.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(error)
    }
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> DurableError + '_ {
    move |source| DurableError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "persons-mock-durable-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    /// The `n`-th logged entry: a Whop page view.
    fn entry(n: u32) -> Record {
        let event = crate::whop::Event::page_view()
            .visitor(format!("wuid_{n}"))
            .at(i64::from(n));
        let entry = event.into_entries().next().expect("an event entry");
        Record::Entry(Box::new(Logged::Whop {
            tenant: "biz_1".into(),
            at: Timestamp::from_unix_seconds(i64::from(n)),
            entry,
        }))
    }

    fn write_records(dir: &Path, count: u32) {
        let (mut data_dir, recovery) = DataDir::open(dir, DurableOptions::default()).unwrap();
        assert!(recovery.is_empty());
        for n in 0..count {
            data_dir.append(&entry(n)).unwrap();
        }
    }

    #[test]
    fn records_survive_a_reopen_in_order() {
        let dir = temp_dir("reopen");
        write_records(&dir, 3);
        let (_, recovery) = DataDir::open(&dir, DurableOptions::default()).unwrap();
        assert_eq!(recovery.records, vec![entry(0), entry(1), entry(2)]);
        assert_eq!(recovery.torn_bytes, 0);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_second_opener_is_refused_until_the_first_lets_go() {
        let dir = temp_dir("locked");
        let (first, _) = DataDir::open(&dir, DurableOptions::default()).unwrap();
        let refused = DataDir::open(&dir, DurableOptions::default()).unwrap_err();
        assert!(
            matches!(&refused, DurableError::InUse { .. }),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("in use"), "{refused}");
        drop(first);
        DataDir::open(&dir, DurableOptions::default()).unwrap();
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_torn_last_record_is_dropped_at_every_cut() {
        let dir = temp_dir("torn");
        write_records(&dir, 2);
        let log = wal_path(&dir, 0);
        let full = fs::read(&log).unwrap();
        let first_end = full.len() / 2;
        for cut in first_end + 1..full.len() {
            fs::write(&log, &full[..cut]).unwrap();
            let (mut data_dir, recovery) = DataDir::open(&dir, DurableOptions::default()).unwrap();
            assert_eq!(recovery.records, vec![entry(0)], "cut at {cut}");
            assert_eq!(recovery.torn_bytes, (cut - first_end) as u64);
            let aside = log.with_extension(format!("log.torn-{first_end}"));
            assert_eq!(fs::read(&aside).unwrap(), &full[first_end..cut]);
            data_dir.append(&entry(9)).unwrap();
            drop(data_dir);
            let (_, again) = DataDir::open(&dir, DurableOptions::default()).unwrap();
            assert_eq!(again.records, vec![entry(0), entry(9)], "cut at {cut}");
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn damage_before_the_tail_refuses_to_open() {
        let dir = temp_dir("corrupt");
        write_records(&dir, 3);
        let log = wal_path(&dir, 0);
        let mut bytes = fs::read(&log).unwrap();
        bytes[FRAME_HEADER + 3] ^= 0xff;
        fs::write(&log, &bytes).unwrap();
        let error = DataDir::open(&dir, DurableOptions::default()).unwrap_err();
        assert!(
            matches!(&error, DurableError::Corrupt { message, .. } if message.contains("byte 0")),
            "{error}"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn compaction_replaces_the_log_by_a_snapshot() {
        let dir = temp_dir("compact");
        let options = DurableOptions {
            compact_after_bytes: 1,
            ..DurableOptions::default()
        };
        let (mut data_dir, _) = DataDir::open(&dir, options).unwrap();
        data_dir.append(&entry(1)).unwrap();
        assert!(data_dir.wants_compaction());
        data_dir.compact(&Seed::default()).unwrap();
        assert_eq!(data_dir.log_bytes(), 0);
        data_dir.append(&Record::Reset).unwrap();
        drop(data_dir);
        assert!(!wal_path(&dir, 0).exists());
        let (_, recovery) = DataDir::open(&dir, options).unwrap();
        assert_eq!(recovery.snapshot, Some(Seed::default()));
        assert_eq!(recovery.records, vec![Record::Reset]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn leftovers_of_an_interrupted_compaction_are_ignored() {
        let dir = temp_dir("interrupted");
        write_records(&dir, 1);
        fs::write(dir.join(SNAPSHOT_TMP), b"{\"generation\": 1, \"se").unwrap();
        let (_, recovery) = DataDir::open(&dir, DurableOptions::default()).unwrap();
        assert_eq!(recovery.records, vec![entry(0)]);
        assert!(!dir.join(SNAPSHOT_TMP).exists());
        fs::remove_dir_all(dir).unwrap();
    }
}
