//! Opening a data directory: its lock, the snapshot and log it holds, and what a killed
//! process left behind (a torn last record, set aside; logs of an interrupted compaction,
//! removed). Only the standalone server (and the crate's benchmarks) open one.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read};
use std::path::Path;

use super::{
    DataDir, DurableError, DurableOptions, FRAME_HEADER, MAX_RECORD, Record, SNAPSHOT,
    SNAPSHOT_TMP, Snapshot, checksum, io_error, wal_path,
};
use crate::seed::Seed;

const LOCK: &str = "lock";

/// What opening a data directory found: the state to rebuild, in order.
#[derive(Debug, Default)]
pub struct Recovery {
    /// The snapshot to load first, if a compaction ever happened.
    pub snapshot: Option<Seed>,
    /// The writes made after it, oldest first.
    pub records: Vec<Record>,
    /// Bytes cut off the end of the log because its last record was torn.
    pub torn_bytes: u64,
}

impl Recovery {
    /// Whether the directory held no state at all.
    pub fn is_empty(&self) -> bool {
        self.snapshot.is_none() && self.records.is_empty()
    }
}

impl DataDir {
    /// Opens (creating if needed) `dir`, returning it and the state it holds.
    pub fn open(dir: &Path, options: DurableOptions) -> Result<(Self, Recovery), DurableError> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let lock = lock(dir)?;
        let snapshot_path = dir.join(SNAPSHOT);
        let (generation, snapshot) = match fs::read(&snapshot_path) {
            Ok(bytes) => {
                let snapshot: Snapshot =
                    serde_json::from_slice(&bytes).map_err(|error| DurableError::Corrupt {
                        path: snapshot_path.display().to_string(),
                        message: format!("unreadable snapshot: {error}"),
                    })?;
                (snapshot.generation, Some(snapshot.seed))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => (0, None),
            Err(error) => return Err(io_error(&snapshot_path)(error)),
        };
        remove_stale_logs(dir, generation)?;
        let log_path = wal_path(dir, generation);
        let (records, valid_bytes, torn_bytes) = read_log(&log_path)?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io_error(&log_path))?;
        if torn_bytes > 0 {
            tracing::warn!(
                path = %log_path.display(),
                torn_bytes,
                "persons mock: the log's last record was torn (the process died while writing it); dropped"
            );
            set_torn_tail_aside(&log_path, valid_bytes)?;
            log.set_len(valid_bytes).map_err(io_error(&log_path))?;
        }
        let data_dir = Self {
            dir: dir.to_owned(),
            generation,
            log,
            log_bytes: valid_bytes,
            options,
            _lock: lock,
        };
        let recovery = Recovery {
            snapshot,
            records,
            torn_bytes,
        };
        Ok((data_dir, recovery))
    }
}

/// Takes the exclusive lock on `dir`'s lock file (creating it); `None` where the file system
/// cannot lock files.
fn lock(dir: &Path) -> Result<Option<File>, DurableError> {
    let path = dir.join(LOCK);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_error(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Err(DurableError::InUse {
            path: path.display().to_string(),
        }),
        Err(TryLockError::Error(error)) if error.kind() == io::ErrorKind::Unsupported => {
            tracing::warn!(
                path = %path.display(),
                "persons mock: this file system cannot lock files; nothing stops a second server from using the directory"
            );
            Ok(None)
        }
        Err(TryLockError::Error(error)) => Err(io_error(&path)(error)),
    }
}

/// Deletes logs of other generations (left by a crash during compaction) and a stray
/// temporary snapshot.
fn remove_stale_logs(dir: &Path, generation: u64) -> Result<(), DurableError> {
    let current = wal_path(dir, generation);
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        let stale_log = name.starts_with("wal-") && name.ends_with(".log") && path != current;
        if stale_log || name == SNAPSHOT_TMP {
            fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// The records of the log at `path`, the length of its valid prefix, and the torn bytes
/// after it.
fn read_log(path: &Path) -> Result<(Vec<Record>, u64, u64), DurableError> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut file) => {
            file.read_to_end(&mut bytes).map_err(io_error(path))?;
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0, 0)),
        Err(error) => return Err(io_error(path)(error)),
    }
    let corrupt = |offset: usize, message: &str| DurableError::Corrupt {
        path: path.display().to_string(),
        message: format!(
            "record at byte {offset}: {message}; refusing to start from a damaged log (move the file away to start without it)"
        ),
    };
    let mut records = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let Some((header, after)) = rest.split_first_chunk::<FRAME_HEADER>() else {
            break;
        };
        let length = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let expected = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let Some(payload) = usize::try_from(length)
            .ok()
            .filter(|_| length <= MAX_RECORD)
            .and_then(|length| after.get(..length))
        else {
            break;
        };
        let end = offset + FRAME_HEADER + payload.len();
        if checksum(payload) != expected {
            if end == bytes.len() {
                break;
            }
            return Err(corrupt(offset, "checksum mismatch"));
        }
        let record = serde_json::from_slice(payload)
            .map_err(|error| corrupt(offset, &format!("unreadable record: {error}")))?;
        records.push(record);
        offset = end;
    }
    let valid = offset as u64;
    Ok((records, valid, bytes.len() as u64 - valid))
}

/// Copies the bytes after `valid` to `<log>.torn-<valid>` before they are cut off: a torn
/// tail is the normal trace of a killed process, but keeping it costs little and loses
/// nothing should it ever be damage instead.
fn set_torn_tail_aside(log_path: &Path, valid: u64) -> Result<(), DurableError> {
    let bytes = fs::read(log_path).map_err(io_error(log_path))?;
    let aside = log_path.with_extension(format!("log.torn-{valid}"));
    let tail = usize::try_from(valid).map_or(&[][..], |valid| &bytes[valid.min(bytes.len())..]);
    fs::write(&aside, tail).map_err(io_error(&aside))
}
