//! Source files and where they come from.
//!
//! The engine never touches the file system itself: it asks a [`Loader`] for text. The CLI uses
//! [`FsLoader`]; tests and embedders can use [`MemoryLoader`]; a Git revision gets a loader of
//! its own later. Every loaded file gets a [`FileId`] in a [`SourceMap`], which diagnostics use
//! to show the text around a span.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Identifies one file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown in diagnostics (a path relative to where it was loaded from).
    pub name: String,
    pub text: Arc<str>,
}

/// All files of one run, by id.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        id
    }

    /// How many files there are.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn text(&self, id: FileId) -> &str {
        self.get(id).map(|f| &*f.text).unwrap_or("")
    }

    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map(|f| f.name.as_str()).unwrap_or("<unknown>")
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        line_col(self.text(id), offset)
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// The largest source file Cairn reads, in bytes (16 MiB). Larger files, and endless ones
/// (`/dev/zero`), are refused with E0153 before more of them is read.
pub const MAX_SOURCE: usize = 16 * 1024 * 1024;

/// The error a [`Loader`] returns for a file larger than [`MAX_SOURCE`]: of kind
/// `FileTooLarge` ([`source_too_large`] turns it into the diagnostic).
pub fn too_large_error(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        format!("{} is larger than 16 MiB", path.display()),
    )
}

/// The diagnostic for source file `name`, larger than [`MAX_SOURCE`]. It has no source span:
/// the file is not read (nor shown).
pub fn source_too_large(name: &str) -> crate::Diagnostic {
    crate::Diagnostic::error(
        crate::diagnostics::codes::SOURCE_TOO_LARGE,
        format!("{name} is larger than 16 MiB, the most a source file may hold"),
    )
    .with_help("is this the right file? split a large program into modules, or generate less")
}

/// Where source text comes from.
pub trait Loader {
    /// Reads the file at `path`.
    fn load(&self, path: &Path) -> std::io::Result<String>;

    /// Reads the file at `path` as bytes (a plugin's `.wasm`). The default reads it as text,
    /// which fails for most binary files: loaders that serve binary files override it.
    fn load_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.load(path).map(String::into_bytes)
    }

    /// Whether `path` is a file that [`Loader::load`] can read.
    fn is_file(&self, path: &Path) -> bool {
        self.load(path).is_ok()
    }

    /// Whether `path` is a folder (a package).
    fn is_dir(&self, _path: &Path) -> bool {
        false
    }

    /// The entries of a folder, sorted (for packages, and suggestions for a missing import).
    fn list(&self, _dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        Ok(Vec::new())
    }

    /// The path with symbolic links resolved, where the source has them; the path itself
    /// otherwise. Imports are checked against the project root after this.
    fn canonicalize(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }
}

/// Reads from the file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsLoader;

impl Loader for FsLoader {
    /// Reads at most [`MAX_SOURCE`] bytes (and one more, to know there were more): an endless
    /// file is refused rather than read without end.
    fn load(&self, path: &Path) -> std::io::Result<String> {
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        let mut bytes = Vec::new();
        file.take(MAX_SOURCE as u64 + 1).read_to_end(&mut bytes)?;
        if bytes.len() > MAX_SOURCE {
            return Err(too_large_error(path));
        }
        String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )
        })
    }

    fn load_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn list(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut entries = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<Vec<_>>>()?;
        entries.sort();
        Ok(entries)
    }

    fn canonicalize(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Serves files from memory: for tests and for hosts that keep config elsewhere.
#[derive(Clone, Debug, Default)]
pub struct MemoryLoader {
    files: BTreeMap<PathBuf, String>,
    /// Binary files (plugins), by normalized path.
    blobs: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemoryLoader {
    pub fn new() -> MemoryLoader {
        MemoryLoader::default()
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> &mut Self {
        self.files.insert(normalize(&path.into()), text.into());
        self
    }

    /// Adds a binary file (a plugin's `.wasm`).
    pub fn insert_bytes(
        &mut self,
        path: impl Into<PathBuf>,
        bytes: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.blobs.insert(normalize(&path.into()), bytes.into());
        self
    }

    fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.keys().chain(self.blobs.keys())
    }
}

impl Loader for MemoryLoader {
    fn is_dir(&self, path: &Path) -> bool {
        let path = normalize(path);
        self.paths()
            .any(|f| normalize(f).starts_with(&path) && normalize(f) != path)
    }

    fn list(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let dir = normalize(dir);
        let mut out: Vec<PathBuf> = self
            .paths()
            .filter_map(|f| {
                let f = normalize(f);
                let rest = f.strip_prefix(&dir).ok()?;
                let first = rest.components().next()?;
                Some(dir.join(first))
            })
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn is_file(&self, path: &Path) -> bool {
        self.load(path).is_ok() || self.blobs.contains_key(&normalize(path))
    }

    fn load_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match self.blobs.get(&normalize(path)) {
            Some(b) => Ok(b.clone()),
            None => self.load(path).map(String::into_bytes),
        }
    }

    fn load(&self, path: &Path) -> std::io::Result<String> {
        if let Some(text) = self.files.get(&normalize(path)) {
            return Ok(text.clone());
        }
        self.files.get(path).cloned().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no file {} in memory", path.display()),
            )
        })
    }
}

/// `path` with `.` and `a/..` removed, without touching the file system (`./lib/../net.cairn`
/// is `net.cairn`). A `..` that climbs above the start of a relative path is kept.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    out.iter().collect()
}
