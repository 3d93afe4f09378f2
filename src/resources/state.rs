//! The recorded state (`.cairn/state.json`) and the apply lock (`.cairn/lock.json`).
//!
//! The state is what Cairn believes exists in the world: for every resource address, the inputs
//! it was last applied with, the outputs its provider reported, and whether the last operation
//! on it finished. Like Terraform state, but it must never be corrupted or lost, so:
//!
//! - **Atomic writes.** [`Store::save`] never writes `state.json` in place. It writes the whole
//!   document to `state.json.tmp-<pid>` in the same folder, fsyncs that file, renames it over
//!   `state.json` and fsyncs the folder. A rename within one file system replaces the directory
//!   entry atomically, so a crash or a kill at any moment leaves either the old file or the new
//!   one, never a torn mix; the fsync before the rename makes sure the new name never points at
//!   data still sitting in a cache, and the fsync of the folder makes the rename itself durable.
//!   A crash before the rename leaves a `state.json.tmp-*` file behind: [`Store::load`] ignores
//!   it and the next save removes it. A file that does not parse, or that was written by a newer
//!   format version, is an error that says so: it is never silently replaced by an empty state
//!   (that would make Cairn forget, and then re-create, everything it manages).
//!
//! - **Intent before side effect.** The caller saves a resource as [`Status::Pending`] (with the
//!   operation and its start time) *before* calling the provider, and as [`Status::Applied`]
//!   with the outputs *after*. If the process dies in between, the state still says an
//!   operation was started and its result is unknown, so the next plan reads the resource
//!   instead of trusting the record (a resource that was created but never recorded would
//!   otherwise be leaked, or created twice).
//!
//! - **The lock.** Two applies on the same state would interleave their writes and each
//!   overwrite what the other recorded. [`Store::lock`] creates `lock.json` with `create_new`
//!   (`O_EXCL`): exactly one process can succeed, on any local file system. The file says who
//!   holds it (owner, pid, host, operation, when) and carries a *lease*: a time until which the
//!   holder promises to be alive, which long applies extend with [`LockGuard::renew`]. The guard
//!   removes the file when dropped, but only if it is still its own. A process that is killed
//!   leaves its lock behind: a *stale* lock. Cairn never breaks a lock by itself (a slow holder
//!   whose lease ran out may still be writing); instead [`StateError::Locked`] carries the
//!   holder's [`LockInfo`], the caller shows it together with whether the lease has expired
//!   ([`LockInfo::expired`]), and the user removes it deliberately (`cairn unlock`,
//!   [`Store::force_unlock`]).
//!
//! Saves are not checked against the lock: taking it around an apply is the caller's job.
//! Within one process, saves are serialized (they share the temp file name).

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::fmt::{self, Write as _};
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of the state file format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

const STATE_FILE: &str = "state.json";
const STATE_TMP_PREFIX: &str = "state.json.tmp-";
const LOCK_FILE: &str = "lock.json";
const LOCK_TMP_PREFIX: &str = "lock.json.tmp-";

/// The recorded state of a project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The file format version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// Incremented by every save: a plan records it and refuses to apply over a newer state.
    pub serial: u64,
    /// An id made when the state is first created; with the serial it identifies one state
    /// history (a plan made against another state's serial 7 is not this one's serial 7).
    pub lineage: String,
    /// The Git commit last applied (set by the caller).
    #[serde(default)]
    pub revision: Option<String>,
    /// Who signed the commits of the last apply (with `--require-signed`): the principals of
    /// the allowed signers file, comma-separated.
    #[serde(default)]
    pub signed_by: Option<String>,
    /// The resources, by address (`db`, `deploy["web"]`).
    #[serde(default)]
    pub resources: BTreeMap<String, ResourceState>,
}

impl State {
    /// An empty state of the current format, serial 0, with no lineage yet: the first save
    /// makes one. Every "never applied" state is the same state, so a plan saved before the
    /// first apply can be applied by it.
    pub fn new() -> State {
        State {
            version: FORMAT_VERSION,
            serial: 0,
            lineage: String::new(),
            revision: None,
            signed_by: None,
            resources: BTreeMap::new(),
        }
    }
}

/// What is recorded about one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// Its type, `exec.Command`.
    pub type_path: String,
    /// The provider that manages it, `exec`.
    pub provider: String,
    /// The inputs it was last applied with (or is being applied with, when pending).
    pub inputs: serde_json::Value,
    /// What the provider reported after the last operation.
    pub outputs: serde_json::Value,
    /// Whether the last operation finished. Written flat into the resource's object:
    /// `"status": "applied"`, or `"status": "pending", "operation": "create", "started": ...`.
    #[serde(flatten)]
    pub status: Status,
    /// Protection from deletion; kept even after the resource leaves the program.
    #[serde(default)]
    pub protect: bool,
    /// The addresses it depended on when applied (deletes of removed resources run in reverse).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Input attribute paths whose values are sensitive (never printed).
    #[serde(default)]
    pub sensitive: Vec<String>,
    /// The Git commit it was last applied from.
    #[serde(default)]
    pub applied_revision: Option<String>,
}

/// Whether the last operation on a resource finished.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// The last operation finished and its result is recorded.
    Applied,
    /// An operation was started and its result never recorded (a crash, a kill): the next plan
    /// must look at the resource.
    Pending {
        operation: Operation,
        /// When it started, RFC 3339 UTC ([`rfc3339`]).
        started: String,
    },
}

/// An operation on a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Create,
    Update,
    Delete,
    Replace,
}

/// Who holds the apply lock, as written in `lock.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Who took it (a user name, `ci`, ...), as given to [`Store::lock`].
    pub owner: String,
    pub pid: u32,
    pub host: String,
    /// What it was taken for (`apply`, `destroy`).
    pub operation: String,
    /// When it was taken, RFC 3339 UTC.
    pub acquired: String,
    /// Until when the holder promises to be alive (renewed by long operations), RFC 3339 UTC.
    pub lease_until: String,
}

impl LockInfo {
    /// Whether the lease has run out at `now`: the holder is probably gone and the lock stale.
    /// A lease that cannot be read counts as expired.
    pub fn expired(&self, now: SystemTime) -> bool {
        match parse_rfc3339(&self.lease_until) {
            Some(until) => now > until,
            None => true,
        }
    }

    /// Whether `other` describes the same acquisition of the lock (the lease may differ).
    fn same_holder(&self, other: &LockInfo) -> bool {
        self.pid == other.pid
            && self.acquired == other.acquired
            && self.owner == other.owner
            && self.host == other.host
            && self.operation == other.operation
    }
}

/// Reading or writing the state or the lock failed.
#[derive(Debug)]
pub enum StateError {
    /// The file system refused (the path is the file or folder concerned).
    Io { path: PathBuf, error: io::Error },
    /// The file exists but is not a state (or lock) file: it is left as it is.
    Corrupt { path: PathBuf, message: String },
    /// The file was written by a newer version of Cairn.
    TooNew { path: PathBuf, version: u32 },
    /// Someone else holds the lock (boxed: it is much larger than the other variants).
    Locked(Box<LockInfo>),
    /// The serial is at `u64::MAX`: another save could not be told from this one, so a plan
    /// made now could later be applied over a newer state.
    SerialExhausted { path: PathBuf },
}

impl StateError {
    fn io(path: impl Into<PathBuf>, error: io::Error) -> StateError {
        StateError::Io {
            path: path.into(),
            error,
        }
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            StateError::Corrupt { path, message } => write!(
                f,
                "{} is corrupt ({message}); it was left untouched: restore it from a backup or \
                 fix it by hand",
                path.display()
            ),
            StateError::TooNew { path, version } => write!(
                f,
                "{} has state format version {version}, but this Cairn only understands version \
                 {FORMAT_VERSION}: upgrade Cairn",
                path.display()
            ),
            StateError::Locked(info) => write!(
                f,
                "the state is locked by {} (pid {} on {}) for {} since {}, lease until {}",
                info.owner, info.pid, info.host, info.operation, info.acquired, info.lease_until
            ),
            StateError::SerialExhausted { path } => write!(
                f,
                "{} is at serial {}, the largest there is, so it cannot be saved again (a saved \
                 plan could no longer tell a newer state from this one)",
                path.display(),
                u64::MAX
            ),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Serializes saves within this process: they all use the temp name `state.json.tmp-<pid>`, and
/// a save removes leftover temp files.
static SAVE_LOCK: Mutex<()> = Mutex::new(());

/// A state folder (normally `<project>/.cairn/`).
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/state.json`.
    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// `<dir>/lock.json`.
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_FILE)
    }

    /// The state, or an empty one ([`State::new`]) when there is no state file yet. A file from a
    /// newer format version, or one that does not parse, is an error that says so (it is never
    /// replaced). Leftover temp files from a crash are ignored.
    pub fn load(&self) -> Result<State, StateError> {
        let path = self.state_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::new()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return Err(StateError::Corrupt {
                    path,
                    message: "not UTF-8 text".into(),
                });
            }
            Err(e) => return Err(StateError::io(path, e)),
        };
        parse_state(&path, &text)
    }

    /// Writes the state atomically (see the module documentation): increments `state.serial`,
    /// writes `state.json.tmp-<pid>`, fsyncs it, renames it over `state.json` and fsyncs the
    /// folder. Creates the folder if needed. Sets `version` to [`FORMAT_VERSION`] and makes a
    /// lineage if the state has none. On failure the serial is put back and `state.json` is as
    /// it was.
    pub fn save(&self, state: &mut State) -> Result<(), StateError> {
        let _serialized = SAVE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        self.create_dir()?;
        state.version = FORMAT_VERSION;
        if state.lineage.is_empty() {
            state.lineage = new_lineage();
        }
        let old_serial = state.serial;
        let Some(next) = old_serial.checked_add(1) else {
            return Err(StateError::SerialExhausted {
                path: self.state_path(),
            });
        };
        state.serial = next;
        let result = self.write_state(state);
        if result.is_err() {
            state.serial = old_serial;
        }
        result
    }

    fn write_state(&self, state: &State) -> Result<(), StateError> {
        let path = self.state_path();
        let mut bytes = serde_json::to_vec_pretty(state)
            .map_err(|e| StateError::io(&path, io::Error::new(io::ErrorKind::InvalidData, e)))?;
        bytes.push(b'\n');
        let tmp_name = format!("{STATE_TMP_PREFIX}{}", std::process::id());
        let tmp = self.dir.join(&tmp_name);
        // Keep permissions someone gave the state file (a `chmod 600`) across the replace.
        let permissions = fs::metadata(&path).ok().map(|m| m.permissions());
        write_synced(&tmp, &bytes, permissions)?;
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(StateError::io(path, e));
        }
        sync_dir(&self.dir);
        // Temp files left by a crashed save of another process.
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(STATE_TMP_PREFIX) && name != tmp_name {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }

    fn create_dir(&self) -> Result<(), StateError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir).map_err(|e| StateError::io(&self.dir, e))?;
        if let Some(parent) = self.dir.parent() {
            sync_dir(parent);
        }
        Ok(())
    }

    /// Takes the lock: creates `lock.json` exclusively with who holds it and a lease of `lease`
    /// from now. If it is already held: `Err(StateError::Locked(holder))`. The guard removes the
    /// file when dropped (if it is still its own).
    pub fn lock(
        &self,
        owner: &str,
        operation: &str,
        lease: Duration,
    ) -> Result<LockGuard, StateError> {
        self.create_dir()?;
        let path = self.lock_path();
        // Retried only when the lock is released between our attempt and our read of it.
        for _ in 0..100 {
            let now = SystemTime::now();
            let info = LockInfo {
                owner: owner.to_string(),
                pid: std::process::id(),
                host: host_name(),
                operation: operation.to_string(),
                acquired: rfc3339(now),
                lease_until: rfc3339(add_lease(now, lease)),
            };
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let written = serde_json::to_vec_pretty(&info)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
                        .and_then(|mut bytes| {
                            bytes.push(b'\n');
                            file.write_all(&bytes)?;
                            file.sync_all()
                        });
                    if let Err(e) = written {
                        drop(file);
                        let _ = fs::remove_file(&path);
                        return Err(StateError::io(path, e));
                    }
                    sync_dir(&self.dir);
                    return Ok(LockGuard { path, info });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if let Some(holder) = read_lock(&path)? {
                        return Err(StateError::Locked(Box::new(holder)));
                    }
                }
                Err(e) => return Err(StateError::io(path, e)),
            }
        }
        Err(StateError::io(
            path,
            io::Error::new(
                io::ErrorKind::WouldBlock,
                "the lock kept being taken and released",
            ),
        ))
    }

    /// Who holds the lock, if anyone.
    pub fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        read_lock(&self.lock_path())
    }

    /// Removes the lock whoever holds it (`cairn unlock`); returns who held it. A lock file that
    /// cannot be read (a crash between creating and writing it) is removed too, returning
    /// `None`.
    pub fn force_unlock(&self) -> Result<Option<LockInfo>, StateError> {
        let path = self.lock_path();
        let holder = match read_lock(&path) {
            Ok(None) => return Ok(None),
            Ok(Some(info)) => Some(info),
            Err(StateError::Corrupt { .. }) => None,
            Err(e) => return Err(e),
        };
        match fs::remove_file(&path) {
            Ok(()) => {
                sync_dir(&self.dir);
                Ok(holder)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::io(path, e)),
        }
    }
}

/// The held apply lock; dropping it releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    path: PathBuf,
    info: LockInfo,
}

impl LockGuard {
    /// What `lock.json` says (the lease as last renewed).
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Extends the lease to `lease` from now (long applies). Fails with
    /// [`StateError::Locked`] if the lock was broken and someone else took it, and with a
    /// not-found I/O error if it was broken and nobody holds it.
    pub fn renew(&mut self, lease: Duration) -> Result<(), StateError> {
        match read_lock(&self.path)? {
            Some(current) if current.same_holder(&self.info) => {}
            Some(other) => return Err(StateError::Locked(Box::new(other))),
            None => {
                return Err(StateError::io(
                    &self.path,
                    io::Error::new(io::ErrorKind::NotFound, "the lock was removed"),
                ));
            }
        }
        let mut info = self.info.clone();
        info.lease_until = rfc3339(add_lease(SystemTime::now(), lease));
        let mut bytes = serde_json::to_vec_pretty(&info).map_err(|e| {
            StateError::io(&self.path, io::Error::new(io::ErrorKind::InvalidData, e))
        })?;
        bytes.push(b'\n');
        // Replace it atomically, so that lock.json exists (and parses) at every moment.
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            "{LOCK_TMP_PREFIX}{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        write_synced(&tmp, &bytes, None)?;
        if let Err(e) = fs::rename(&tmp, &self.path) {
            let _ = fs::remove_file(&tmp);
            return Err(StateError::io(&self.path, e));
        }
        sync_dir(dir);
        self.info = info;
        Ok(())
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Only if it is still ours: it may have been force-unlocked and taken by someone else.
        if let Ok(Some(current)) = read_lock(&self.path)
            && current.same_holder(&self.info)
        {
            let _ = fs::remove_file(&self.path);
            if let Some(dir) = self.path.parent() {
                sync_dir(dir);
            }
        }
    }
}

/// Reads the text of a state file (`path` is named in errors), as [`Store::load`] does.
pub fn parse_state(path: &Path, text: &str) -> Result<State, StateError> {
    /// Read first, so that a newer format is reported as such even if its shape changed.
    #[derive(Deserialize)]
    struct Header {
        version: Option<serde_json::Value>,
    }
    let corrupt = |message: String| StateError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    if text.trim().is_empty() {
        return Err(corrupt("the file is empty".into()));
    }
    let header: Header = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    let version = match header.version {
        None => return Err(corrupt("it has no format `version`".into())),
        Some(v) => v.as_u64().filter(|v| *v >= 1).ok_or_else(|| {
            corrupt(format!(
                "its format `version` is {v}, not a positive integer"
            ))
        })?,
    };
    if version > u64::from(FORMAT_VERSION) {
        return Err(StateError::TooNew {
            path: path.to_path_buf(),
            version: u32::try_from(version).unwrap_or(u32::MAX),
        });
    }
    serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))
}

/// Reads `lock.json`: `None` if there is none. The holder writes the file just after creating
/// it, so an empty or truncated file is read again for a little while before it counts as
/// corrupt.
fn read_lock(path: &Path) -> Result<Option<LockInfo>, StateError> {
    let mut attempts = 0;
    loop {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::io(path, e)),
        };
        let error = match serde_json::from_str::<LockInfo>(&text) {
            Ok(info) => return Ok(Some(info)),
            Err(e) => e,
        };
        attempts += 1;
        let partial = text.trim().is_empty() || error.is_eof();
        if !partial || attempts >= 50 {
            let message = if text.trim().is_empty() {
                "the lock file is empty".to_string()
            } else {
                error.to_string()
            };
            return Err(StateError::Corrupt {
                path: path.to_path_buf(),
                message,
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Writes `bytes` to `path` (created or truncated) and fsyncs it; removes it on failure.
fn write_synced(
    path: &Path,
    bytes: &[u8],
    permissions: Option<fs::Permissions>,
) -> Result<(), StateError> {
    let result = (|| {
        let mut file = File::create(path)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.write_all(bytes)?;
        file.sync_all()
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(path);
        StateError::io(path, e)
    })
}

/// Makes renames and removals in `dir` durable. Not every platform can open a folder (Windows
/// cannot), so failures are ignored.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// `now + lease`, with absurd leases capped at a hundred years.
fn add_lease(now: SystemTime, lease: Duration) -> SystemTime {
    let lease = lease.min(Duration::from_secs(100 * 366 * 86_400));
    now.checked_add(lease).unwrap_or(now)
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new lineage: 32 hex digits, a SHA-256 of the time, the process id, a counter, the host name
/// and std's per-process random hash keys (no `rand` crate needed).
pub fn new_lineage() -> String {
    let mut h = Sha256::new();
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    h.update(since_epoch.as_nanos().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(RandomState::new().build_hasher().finish().to_le_bytes());
    h.update(host_name().as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The host name: from `/etc/hostname` or the `HOSTNAME` environment variable (then the kernel's
/// `/proc/sys/kernel/hostname` and Windows' `COMPUTERNAME`), else `unknown`.
pub fn host_name() -> String {
    let from_file = |p: &str| {
        fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let from_env = |v: &str| {
        std::env::var(v)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    from_file("/etc/hostname")
        .or_else(|| from_env("HOSTNAME"))
        .or_else(|| from_file("/proc/sys/kernel/hostname"))
        .or_else(|| from_env("COMPUTERNAME"))
        .unwrap_or_else(|| "unknown".to_string())
}

/// `t` as RFC 3339 UTC with whole seconds: `2026-11-27T09:03:09Z` (fractions are dropped, times
/// before 1970 rounded down).
pub fn rfc3339(t: SystemTime) -> String {
    let secs: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            -whole - i64::from(d.subsec_nanos() > 0)
        }
    };
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// Reads an RFC 3339 time: `2026-11-27T09:03:09Z`, with optional fractional seconds and a `Z`
/// or `±hh:mm` offset (`t`, `z` and a space for the `T` are accepted too).
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = i64::from(digits(&b[0..4])?);
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = i64::from(digits(&b[11..13])?);
    let minute = i64::from(digits(&b[14..16])?);
    let second = i64::from(digits(&b[17..19])?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos: u32 = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, c) in frac[..n].iter().enumerate().take(9) {
            nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &frac[n..];
    }
    let offset: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = i64::from(digits(&[*h1, *h2])?);
            let om = i64::from(digits(&[*m1, *m2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    let t = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))?
    };
    t.checked_add(Duration::from_nanos(u64::from(nanos)))
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The civil date (proleptic Gregorian) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

/// The day count since 1970-01-01 of a civil date (the inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // [0, 11], March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, Barrier};

    /// A fresh folder under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            static N: AtomicU64 = AtomicU64::new(0);
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let dir = std::env::temp_dir().join(format!(
                "cairn-state-test-{name}-{}-{nanos}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        /// A store in a sub-folder that does not exist yet.
        fn store(&self) -> Store {
            Store::new(self.0.join(".cairn"))
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn resource(n: usize) -> ResourceState {
        ResourceState {
            type_path: "exec.Command".into(),
            provider: "exec".into(),
            inputs: json!({"create": format!("echo {n}"), "z": 1, "a": [1, 2, 3]}),
            outputs: json!({"stdout": "x".repeat(n % 50)}),
            status: Status::Applied,
            protect: n.is_multiple_of(2),
            dependencies: vec!["db".into()],
            sensitive: vec!["password".into()],
            applied_revision: Some("abc123".into()),
        }
    }

    fn sample() -> State {
        let mut s = State::new();
        s.revision = Some("0123456789abcdef".into());
        s.resources.insert("db".into(), resource(1));
        let mut pending = resource(2);
        pending.status = Status::Pending {
            operation: Operation::Replace,
            started: "2026-11-27T09:03:09Z".into(),
        };
        s.resources.insert("deploy[\"web\"]".into(), pending);
        s
    }

    #[test]
    fn missing_file_gives_empty_state() {
        let tmp = TempDir::new("missing");
        let store = tmp.store();
        let s = store.load().unwrap();
        assert_eq!(s.version, FORMAT_VERSION);
        assert_eq!(s.serial, 0);
        assert!(s.lineage.is_empty(), "no lineage before the first save");
        assert!(s.resources.is_empty());
        assert!(!store.dir().exists(), "load must not create the folder");
        // Loading again gives the same empty state (a plan made against it stays valid).
        assert_eq!(s, store.load().unwrap());
    }

    #[test]
    fn round_trip_and_serial() {
        let tmp = TempDir::new("roundtrip");
        let store = tmp.store();
        let mut s = sample();
        store.save(&mut s).unwrap();
        assert_eq!(s.serial, 1);
        let loaded = store.load().unwrap();
        assert_eq!(loaded, s);
        store.save(&mut s).unwrap();
        store.save(&mut s).unwrap();
        assert_eq!(s.serial, 3);
        assert_eq!(store.load().unwrap().serial, 3);
        assert_eq!(store.load().unwrap().lineage, s.lineage);

        let text = fs::read_to_string(store.state_path()).unwrap();
        assert!(text.ends_with("}\n"));
        // The status is written flat into the resource, input keys in their given order.
        assert!(text.contains(r#""status": "pending","#), "{text}");
        assert!(text.contains(r#""operation": "replace","#), "{text}");
        let z = text.find(r#""z": 1"#).unwrap();
        let a = text.find(r#""a": ["#).unwrap();
        assert!(z < a);
        assert!(text.find("\"db\"").unwrap() < text.find("deploy[").unwrap());
        // Only state.json remains.
        let names: Vec<String> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["state.json".to_string()]);
    }

    #[test]
    fn default_state_gets_version_and_lineage_on_save() {
        let tmp = TempDir::new("default");
        let store = tmp.store();
        let mut s = State::default();
        store.save(&mut s).unwrap();
        assert_eq!(s.version, FORMAT_VERSION);
        assert_eq!(s.lineage.len(), 32);
        assert_eq!(store.load().unwrap(), s);
    }

    #[test]
    fn a_state_at_the_last_serial_is_refused_not_saved_over() {
        let tmp = TempDir::new("last-serial");
        let store = tmp.store();
        let mut s = sample();
        s.serial = u64::MAX - 1;
        store.save(&mut s).unwrap();
        assert_eq!(s.serial, u64::MAX);
        let before = fs::read(store.state_path()).unwrap();
        s.resources.clear();
        let err = store.save(&mut s).unwrap_err();
        assert!(matches!(err, StateError::SerialExhausted { .. }), "{err}");
        assert!(err.to_string().contains("cannot be saved again"), "{err}");
        // Nothing changed: the serial, and the file.
        assert_eq!(s.serial, u64::MAX);
        assert_eq!(fs::read(store.state_path()).unwrap(), before);
    }

    #[test]
    fn corrupt_file_is_an_error_and_kept() {
        let tmp = TempDir::new("corrupt");
        let store = tmp.store();
        fs::create_dir_all(store.dir()).unwrap();
        for text in [
            "{\"version\": 1, \"serial\": ",
            "",
            "[1, 2]",
            "{\"serial\": 3}",
        ] {
            fs::write(store.state_path(), text).unwrap();
            let err = store.load().unwrap_err();
            assert!(
                matches!(err, StateError::Corrupt { .. }),
                "{text:?}: {err:?}"
            );
            assert!(err.to_string().contains("state.json"), "{err}");
            assert_eq!(fs::read_to_string(store.state_path()).unwrap(), text);
        }
        // Right version, wrong shape.
        fs::write(
            store.state_path(),
            r#"{"version": 1, "serial": "x", "lineage": ""}"#,
        )
        .unwrap();
        assert!(matches!(store.load(), Err(StateError::Corrupt { .. })));
    }

    #[test]
    fn newer_version_is_an_error() {
        let tmp = TempDir::new("toonew");
        let store = tmp.store();
        fs::create_dir_all(store.dir()).unwrap();
        // A future format may change the shape: the version is still reported.
        fs::write(
            store.state_path(),
            r#"{"version": 2, "resources": [], "whatever": true}"#,
        )
        .unwrap();
        let err = store.load().unwrap_err();
        assert!(
            matches!(err, StateError::TooNew { version: 2, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("version 2"), "{err}");
    }

    #[test]
    fn leftover_temp_file_is_ignored_then_removed() {
        let tmp = TempDir::new("leftover");
        let store = tmp.store();
        let mut s = sample();
        store.save(&mut s).unwrap();
        let leftover = store.dir().join("state.json.tmp-123");
        fs::write(&leftover, "{\"version\": 1, \"seri").unwrap();
        assert_eq!(store.load().unwrap(), s);
        // Also with no state.json at all.
        let tmp2 = TempDir::new("leftover2");
        let store2 = tmp2.store();
        fs::create_dir_all(store2.dir()).unwrap();
        fs::write(store2.dir().join("state.json.tmp-9"), "garbage").unwrap();
        assert_eq!(store2.load().unwrap().serial, 0);

        store.save(&mut s).unwrap();
        assert!(!leftover.exists());
        assert_eq!(store.load().unwrap().serial, 2);
    }

    #[test]
    fn state_file_always_parses_while_saving() {
        let tmp = TempDir::new("atomic");
        let store = tmp.store();
        let mut s = State::new();
        for i in 0..2000 {
            s.resources.insert(format!("r[\"{i}\"]"), resource(i));
        }
        store.save(&mut s).unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let reader = {
            let store = store.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut reads = 0;
                let mut last = 0;
                while !done.load(Ordering::Relaxed) || reads == 0 {
                    let state = store.load().unwrap();
                    assert!(state.serial >= last, "serial went back");
                    assert_eq!(state.resources.len(), 2000);
                    last = state.serial;
                    reads += 1;
                }
                reads
            })
        };
        for _ in 0..20 {
            store.save(&mut s).unwrap();
        }
        done.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
        assert_eq!(store.load().unwrap().serial, 21);
    }

    #[test]
    fn lock_twice_is_locked_and_drop_releases() {
        let tmp = TempDir::new("lock");
        let store = tmp.store();
        assert_eq!(store.lock_info().unwrap(), None);
        let guard = store
            .lock("alice", "apply", Duration::from_secs(60))
            .unwrap();
        assert_eq!(guard.info().owner, "alice");
        assert_eq!(guard.info().pid, std::process::id());
        assert_eq!(guard.info().host, host_name());
        assert_eq!(store.lock_info().unwrap().as_ref(), Some(guard.info()));

        let err = store
            .lock("bob", "destroy", Duration::from_secs(60))
            .unwrap_err();
        match &err {
            StateError::Locked(holder) => {
                assert_eq!(&**holder, guard.info());
                assert!(!holder.expired(SystemTime::now()));
            }
            other => panic!("{other:?}"),
        }
        let message = err.to_string();
        assert!(
            message.contains("alice") && message.contains("apply"),
            "{message}"
        );

        drop(guard);
        assert!(!store.lock_path().exists());
        assert_eq!(store.lock_info().unwrap(), None);
        let again = store.lock("bob", "destroy", Duration::from_secs(60));
        assert!(again.is_ok());
    }

    #[test]
    fn force_unlock() {
        let tmp = TempDir::new("force");
        let store = tmp.store();
        assert_eq!(store.force_unlock().unwrap(), None);
        let guard = store.lock("ci", "apply", Duration::from_secs(60)).unwrap();
        let removed = store.force_unlock().unwrap();
        assert_eq!(removed.as_ref(), Some(guard.info()));
        assert!(!store.lock_path().exists());

        // Someone else takes it; the old guard must not remove their lock.
        let other = LockInfo {
            owner: "bob".into(),
            pid: guard.info().pid.wrapping_add(1),
            ..guard.info().clone()
        };
        fs::write(store.lock_path(), serde_json::to_string(&other).unwrap()).unwrap();
        drop(guard);
        assert_eq!(store.lock_info().unwrap(), Some(other));

        // An unreadable lock (a crash while writing it) is an error, and can be removed.
        fs::write(store.lock_path(), "").unwrap();
        assert!(matches!(store.lock_info(), Err(StateError::Corrupt { .. })));
        assert!(matches!(
            store.lock("x", "apply", Duration::from_secs(1)),
            Err(StateError::Corrupt { .. })
        ));
        assert_eq!(store.force_unlock().unwrap(), None);
        assert!(!store.lock_path().exists());
    }

    #[test]
    fn lease_expiry_and_renew() {
        let tmp = TempDir::new("lease");
        let store = tmp.store();
        let mut guard = store.lock("ci", "apply", Duration::from_secs(60)).unwrap();
        let now = SystemTime::now();
        let info = guard.info().clone();
        assert!(!info.expired(now));
        assert!(info.expired(now + Duration::from_secs(120)));
        let acquired = parse_rfc3339(&info.acquired).unwrap();
        let until = parse_rfc3339(&info.lease_until).unwrap();
        assert_eq!(until.duration_since(acquired).unwrap().as_secs(), 60);

        guard.renew(Duration::from_secs(3600)).unwrap();
        assert_eq!(guard.info().acquired, info.acquired);
        let renewed = store.lock_info().unwrap().unwrap();
        assert_eq!(&renewed, guard.info());
        assert!(!renewed.expired(now + Duration::from_secs(120)));
        assert!(renewed.expired(now + Duration::from_secs(7200)));
        drop(guard);
        assert!(!store.lock_path().exists(), "a renewed lock is still ours");

        let zero = store.lock("ci", "apply", Duration::ZERO).unwrap();
        assert!(
            zero.info()
                .expired(SystemTime::now() + Duration::from_secs(1))
        );
        let mut unreadable = zero.info().clone();
        unreadable.lease_until = "soon".into();
        assert!(unreadable.expired(UNIX_EPOCH));

        // Renewing a lock that was broken fails.
        let mut zero = zero;
        store.force_unlock().unwrap();
        assert!(matches!(
            zero.renew(Duration::from_secs(5)),
            Err(StateError::Io { .. })
        ));
        let held = store.lock("bob", "apply", Duration::from_secs(5)).unwrap();
        match zero.renew(Duration::from_secs(5)) {
            Err(StateError::Locked(holder)) => assert_eq!(&*holder, held.info()),
            other => panic!("{other:?}"),
        }
        drop(zero);
        assert_eq!(store.lock_info().unwrap().as_ref(), Some(held.info()));
        // No temp files left behind.
        let names: Vec<String> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["lock.json".to_string()]);
    }

    #[test]
    fn eight_threads_race_for_the_lock() {
        for round in 0..5 {
            let tmp = TempDir::new(&format!("race{round}"));
            let store = tmp.store();
            let start = Arc::new(Barrier::new(8));
            let attempted = Arc::new(Barrier::new(8));
            let threads: Vec<_> = (0..8)
                .map(|i| {
                    let store = store.clone();
                    let start = start.clone();
                    let attempted = attempted.clone();
                    std::thread::spawn(move || {
                        start.wait();
                        let owner = format!("t{i}");
                        let result = store.lock(&owner, "apply", Duration::from_secs(60));
                        // Hold the lock until everyone has tried.
                        attempted.wait();
                        match result {
                            Ok(guard) => Ok(guard.info().owner.clone()),
                            Err(StateError::Locked(holder)) => Err(holder.owner),
                            Err(e) => panic!("{e}"),
                        }
                    })
                })
                .collect();
            let results: Vec<Result<String, String>> =
                threads.into_iter().map(|t| t.join().unwrap()).collect();
            let winners: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
            assert_eq!(winners.len(), 1, "{results:?}");
            for r in &results {
                if let Err(holder) = r {
                    assert_eq!(holder, winners[0]);
                }
            }
            assert!(!store.lock_path().exists());
        }
    }

    #[test]
    fn rfc3339_round_trips() {
        let cases = [
            (0i64, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_709_164_800, "2024-02-29T00:00:00Z"),
            (1_709_251_199, "2024-02-29T23:59:59Z"),
            (1_709_251_200, "2024-03-01T00:00:00Z"),
            (1_798_362_189, "2026-12-27T09:03:09Z"),
            (1_795_770_189, "2026-11-27T09:03:09Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (4_107_456_000, "2100-02-28T00:00:00Z"),
            (-86_400, "1969-12-31T00:00:00Z"),
        ];
        for (secs, text) in cases {
            let t = if secs >= 0 {
                UNIX_EPOCH + Duration::from_secs(secs as u64)
            } else {
                UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            };
            assert_eq!(rfc3339(t), text, "{secs}");
            assert_eq!(parse_rfc3339(text), Some(t), "{text}");
        }
        // Every day over a few centuries round trips.
        for day in (-200 * 366..300 * 366).step_by(7) {
            let secs: i64 = day * 86_400 + 12_345;
            let t = if secs >= 0 {
                UNIX_EPOCH + Duration::from_secs(secs as u64)
            } else {
                UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            };
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t), "{}", rfc3339(t));
        }
        let now = SystemTime::now();
        let whole =
            UNIX_EPOCH + Duration::from_secs(now.duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(parse_rfc3339(&rfc3339(now)), Some(whole));
    }

    #[test]
    fn rfc3339_parsing() {
        let base = parse_rfc3339("2026-11-27T09:03:09Z").unwrap();
        assert_eq!(parse_rfc3339("2026-11-27t09:03:09z"), Some(base));
        assert_eq!(parse_rfc3339("2026-11-27T10:03:09+01:00"), Some(base));
        assert_eq!(parse_rfc3339("2026-11-27T04:33:09-04:30"), Some(base));
        assert_eq!(
            parse_rfc3339("2026-11-27T09:03:09.25Z"),
            Some(base + Duration::from_millis(250))
        );
        assert_eq!(
            parse_rfc3339("2026-11-27T09:03:09.1234567891Z"),
            Some(base + Duration::from_nanos(123_456_789))
        );
        for bad in [
            "",
            "2026-11-27",
            "2026-11-27T09:03:09",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T09:03:09.Z",
            "2026-11-27T09:03:09+0100",
            "2026-11-27T09:03:09Zjunk",
            "2026-1x-27T09:03:09Z",
            "２026-11-27T09:03:09Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_some());
        assert!(parse_rfc3339("2000-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn host_name_is_never_empty() {
        assert!(!host_name().is_empty());
    }

    #[test]
    fn errors_name_the_file() {
        let e = StateError::TooNew {
            path: PathBuf::from(".cairn/state.json"),
            version: 7,
        };
        assert!(
            e.to_string()
                .starts_with(".cairn/state.json has state format version 7")
        );
        let e = StateError::io(
            ".cairn/lock.json",
            io::Error::new(io::ErrorKind::PermissionDenied, "denied"),
        );
        assert_eq!(e.to_string(), ".cairn/lock.json: denied");
        assert!(std::error::Error::source(&e).is_some());
    }
}
