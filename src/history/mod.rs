//! Git history: sources at a revision, commit walks, ancestry, the state of the working tree,
//! commit signatures. The only module that knows gix; what leaves it is plain data
//! ([`Commit`], paths, strings) and its own [`Error`].
//!
//! Everything reads the object database: no checkout, no change to the working tree or the
//! index. A [`TreeLoader`] serves a commit's files to the engine as a [`Loader`], so imports
//! resolve inside the same revision.

mod semantic;
mod signing;

pub use semantic::{
    Cache, Change, ChangeKind, LogEntry, SemanticDiff, Snapshot, check_address, diff, log,
    log_to_text, matches, provenance, to_markdown, to_text,
};
pub use signing::{SignatureCheck, SignatureKind, verify_range};

use std::path::{Path, PathBuf};

use crate::source::{Loader, normalize};

/// What went wrong reading history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// No Git repository at or above the folder.
    NotARepository(PathBuf),
    /// The repository has no commits yet.
    Empty,
    /// A revision that names no commit.
    UnknownRevision { rev: String, reason: String },
    /// A commit the walk needs is not in this repository (a shallow clone, or history that was
    /// rewritten).
    MissingCommit { id: String, shallow: bool },
    /// A path outside the repository's working tree.
    OutsideRepository(PathBuf),
    /// Anything else gix reported.
    Git(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::NotARepository(p) => write!(f, "{} is not inside a Git repository", p.display()),
            Error::Empty => write!(f, "the repository has no commits yet"),
            Error::UnknownRevision { rev, reason } => {
                write!(f, "`{rev}` is not a revision of this repository: {reason}")
            }
            Error::MissingCommit { id, shallow } => write!(
                f,
                "commit {} is not in this repository{}",
                short(id),
                if *shallow {
                    " (it is a shallow clone: the history stops before it)"
                } else {
                    ""
                }
            ),
            Error::OutsideRepository(p) => write!(
                f,
                "{} is outside the repository's working tree",
                p.display()
            ),
            Error::Git(m) => write!(f, "reading the Git repository failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// What to do about it, for a help line.
    pub fn help(&self) -> &'static str {
        match self {
            Error::NotARepository(_) => {
                "run the command inside a Git working tree, or leave out `--rev` to read the files on disk"
            }
            Error::Empty => "commit the program first: `git add . && git commit`",
            Error::UnknownRevision { .. } => {
                "give a commit sha, a branch, a tag or a relative revision like `HEAD~2`; `git log --oneline` lists them"
            }
            Error::MissingCommit { shallow: true, .. } => {
                "fetch more history (`git fetch --deepen=100` or `git fetch --unshallow`) and try again"
            }
            Error::MissingCommit { .. } => {
                "the commit may have been removed by a rebase or a force-push; fetch it, or pass the flag that accepts this"
            }
            Error::OutsideRepository(_) => "give a path inside the repository",
            Error::Git(_) => "check the repository with `git fsck`",
        }
    }
}

fn git(e: impl std::fmt::Display) -> Error {
    Error::Git(e.to_string())
}

/// The first seven characters of a commit id.
pub fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

/// A commit, as plain data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Commit {
    /// The full hex id.
    pub id: String,
    /// The id of its root tree.
    pub tree: String,
    pub parents: Vec<String>,
    pub author: String,
    pub email: String,
    /// Author time, seconds since the Unix epoch.
    pub time: i64,
    /// The first line of the message.
    pub subject: String,
}

impl Commit {
    pub fn short(&self) -> &str {
        short(&self.id)
    }

    /// The author date as `YYYY-MM-DD` (UTC).
    pub fn date(&self) -> String {
        date(self.time)
    }
}

/// `YYYY-MM-DD` (UTC) of seconds since the Unix epoch.
pub fn date(seconds: i64) -> String {
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// How a target commit stands to the last applied one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The same commit.
    Same,
    /// The target descends from the applied commit: a normal step forward.
    Descendant,
    /// The target is an ancestor of the applied commit: applying it rolls back.
    Rollback,
    /// Neither descends from the other: another branch.
    Diverged,
}

/// A Git repository, opened once per command.
pub struct Repo {
    repo: gix::Repository,
    /// The working tree's folder, with links resolved; `None` for a bare repository.
    workdir: Option<PathBuf>,
}

impl Repo {
    /// The repository `start` (a file or a folder) is in.
    pub fn discover(start: &Path) -> Result<Repo, Error> {
        let abs = absolute(start);
        let mut dir = abs.as_path();
        // `discover` wants a folder; a file's parent, or the nearest existing ancestor.
        while !dir.is_dir() {
            match dir.parent() {
                Some(p) => dir = p,
                None => break,
            }
        }
        let mut repo = gix::discover(dir).map_err(|_| Error::NotARepository(abs.clone()))?;
        repo.object_cache_size_if_unset(8 * 1024 * 1024);
        let workdir = repo
            .workdir()
            .map(|w| std::fs::canonicalize(w).unwrap_or_else(|_| absolute(w)));
        Ok(Repo { repo, workdir })
    }

    /// The working tree's folder.
    pub fn workdir(&self) -> Option<&Path> {
        self.workdir.as_deref()
    }

    /// Whether this is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow().unwrap_or(false)
    }

    /// The commit `rev` names: a sha (full or abbreviated), `HEAD`, `HEAD~3`, a branch, a tag.
    pub fn resolve(&self, rev: &str) -> Result<Commit, Error> {
        if self.head_id().is_none() && self.repo.rev_parse_single(rev).is_err() {
            return Err(Error::Empty);
        }
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| Error::UnknownRevision {
                rev: rev.to_string(),
                reason: first_line(&e.to_string()),
            })?;
        let object = id.object().map_err(git)?;
        let commit = object
            .peel_to_commit()
            .map_err(|_| Error::UnknownRevision {
                rev: rev.to_string(),
                reason: "it does not name a commit".into(),
            })?;
        self.commit(&commit.id.to_string())
    }

    fn head_id(&self) -> Option<gix::ObjectId> {
        self.repo.head_id().ok().map(|id| id.detach())
    }

    /// The commit checked out, or `None` in a repository without commits.
    pub fn head(&self) -> Result<Option<Commit>, Error> {
        match self.head_id() {
            Some(id) => self.commit(&id.to_string()).map(Some),
            None => Ok(None),
        }
    }

    /// The commit with the full hex id `id`.
    pub fn commit(&self, id: &str) -> Result<Commit, Error> {
        let oid = object_id(id)?;
        let commit = self
            .repo
            .find_commit(oid)
            .map_err(|_| Error::MissingCommit {
                id: id.to_string(),
                shallow: self.is_shallow(),
            })?;
        let decoded = commit.decode().map_err(git)?;
        let author = decoded.author().map_err(git)?;
        let time = commit.time().map(|t| t.seconds).unwrap_or(0);
        let subject = decoded
            .message
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        Ok(Commit {
            id: commit.id.to_string(),
            tree: decoded.tree().to_string(),
            parents: decoded.parents().map(|p| p.to_string()).collect(),
            author: author.name.to_string(),
            email: author.email.to_string(),
            time,
            subject,
        })
    }

    /// The id of the tree at `path` (relative to the working tree's root) in `commit`, or
    /// `None` when there is none: evaluations are cached by it.
    pub fn tree_at(&self, commit: &Commit, path: &Path) -> Option<String> {
        let tree = self.repo.find_tree(object_id(&commit.tree).ok()?).ok()?;
        if path.as_os_str().is_empty() {
            return Some(commit.tree.clone());
        }
        let entry = tree.lookup_entry_by_path(path).ok()??;
        entry
            .mode()
            .is_tree()
            .then(|| entry.object_id().to_string())
    }

    /// The commits reachable from `from`, newest first: along first parents only, or all of
    /// them. At most `limit`.
    pub fn history(
        &self,
        from: &Commit,
        first_parent: bool,
        limit: usize,
    ) -> Result<Vec<Commit>, Error> {
        // Newest first by commit time, as `git log` shows them: the default breadth-first order
        // can list a branch's commit after the root commit when every parent is followed.
        let mut walk = self.repo.rev_walk([object_id(&from.id)?]).sorting(
            gix::revision::walk::Sorting::ByCommitTime(
                gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
            ),
        );
        if first_parent {
            walk = walk.first_parent_only();
        }
        let mut out = Vec::new();
        for info in walk.all().map_err(git)? {
            if out.len() >= limit {
                break;
            }
            let info = info.map_err(|e| self.walk_error(e))?;
            out.push(self.commit(&info.id.to_string())?);
        }
        Ok(out)
    }

    /// Every commit reachable from `to` but not from `from`, oldest first: what applying `to`
    /// brings over `from`.
    pub fn range(&self, from: &str, to: &str) -> Result<Vec<Commit>, Error> {
        let walk = self
            .repo
            .rev_walk([object_id(to)?])
            .with_hidden([object_id(from)?]);
        let mut out = Vec::new();
        for info in walk.all().map_err(git)? {
            let info = info.map_err(|e| self.walk_error(e))?;
            out.push(self.commit(&info.id.to_string())?);
        }
        out.reverse();
        Ok(out)
    }

    fn walk_error(&self, e: impl std::fmt::Display) -> Error {
        let text = e.to_string();
        if self.is_shallow() {
            Error::MissingCommit {
                id: String::new(),
                shallow: true,
            }
        } else {
            Error::Git(text)
        }
    }

    /// How `target` stands to `applied`.
    pub fn relation(&self, applied: &str, target: &str) -> Result<Relation, Error> {
        if applied == target {
            return Ok(Relation::Same);
        }
        let a = object_id(applied)?;
        let t = object_id(target)?;
        if self.repo.find_commit(a).is_err() {
            return Err(Error::MissingCommit {
                id: applied.to_string(),
                shallow: self.is_shallow(),
            });
        }
        let base = self
            .repo
            .merge_base(a, t)
            .map_err(|e| {
                if self.is_shallow() {
                    Error::MissingCommit {
                        id: applied.to_string(),
                        shallow: true,
                    }
                } else {
                    git(e)
                }
            })?
            .map(|id| id.detach());
        Ok(match base {
            Some(b) if b == a => Relation::Descendant,
            Some(b) if b == t => Relation::Rollback,
            _ => Relation::Diverged,
        })
    }

    /// Files under `under` (a folder of the working tree) that differ from the commit checked
    /// out: modified, added, deleted or untracked (ignored files do not count), as paths
    /// relative to `under`, sorted. `.cairn/` (state) is left out.
    pub fn dirty_files(&self, under: &Path) -> Result<Vec<String>, Error> {
        let Some(workdir) = &self.workdir else {
            return Ok(Vec::new());
        };
        let under = std::fs::canonicalize(under).unwrap_or_else(|_| absolute(under));
        let prefix = under.strip_prefix(workdir).unwrap_or(Path::new(""));
        let status = self
            .repo
            .status(gix::progress::Discard)
            .map_err(git)?
            .untracked_files(gix::status::UntrackedFiles::Files);
        let mut out = Vec::new();
        for item in status
            .into_iter(Vec::<gix::bstr::BString>::new())
            .map_err(git)?
        {
            let item = item.map_err(git)?;
            let location = PathBuf::from(item.location().to_string());
            let Ok(rel) = location.strip_prefix(prefix) else {
                continue;
            };
            if rel.starts_with(".cairn") {
                continue;
            }
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The signature on a commit and the bytes it signs, if it is signed.
    pub fn signature(&self, id: &str) -> Result<Option<(String, Vec<u8>)>, Error> {
        let commit = self.repo.find_commit(object_id(id)?).map_err(git)?;
        let Some((sig, data)) = commit.signature().map_err(git)? else {
            return Ok(None);
        };
        Ok(Some((sig.to_string(), data.to_bstring().to_vec())))
    }

    /// A loader that serves the files of `commit`.
    pub fn loader(&self, commit: &Commit) -> Result<TreeLoader, Error> {
        Ok(TreeLoader {
            repo: self.repo.clone(),
            tree: object_id(&commit.tree)?,
            workdir: self.workdir.clone().unwrap_or_default(),
            cwd: std::env::current_dir().unwrap_or_default(),
        })
    }

    /// Where `path` (as given on the command line) is, relative to the working tree's root.
    pub fn relative(&self, path: &Path) -> Result<PathBuf, Error> {
        let abs = normalize(&absolute(path));
        let workdir = self.workdir.clone().unwrap_or_default();
        // The path itself may not exist on disk (it is read from a revision): resolve links in
        // the longest prefix that does.
        let real = resolve_existing_prefix(&abs);
        real.strip_prefix(&workdir)
            .map(Path::to_path_buf)
            .map_err(|_| Error::OutsideRepository(path.to_path_buf()))
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

fn object_id(hex: &str) -> Result<gix::ObjectId, Error> {
    gix::ObjectId::from_hex(hex.as_bytes()).map_err(|_| Error::UnknownRevision {
        rev: hex.to_string(),
        reason: "not a full commit id".into(),
    })
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    }
}

/// `path` with the links of its longest existing prefix resolved.
fn resolve_existing_prefix(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut cur = path.to_path_buf();
    loop {
        if let Ok(real) = std::fs::canonicalize(&cur) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (cur.file_name().map(|f| f.to_os_string()), cur.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                cur = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// Serves the files of one commit's tree. Paths are the same as on disk (absolute, or
/// relative to the current folder) and are looked up relative to the working tree's root.
pub struct TreeLoader {
    repo: gix::Repository,
    tree: gix::ObjectId,
    workdir: PathBuf,
    cwd: PathBuf,
}

/// What a path is in a tree.
enum Found {
    Blob(gix::ObjectId),
    Tree(gix::ObjectId),
}

impl TreeLoader {
    /// The path inside the tree.
    fn inner(&self, path: &Path) -> Option<PathBuf> {
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        };
        let abs = resolve_existing_prefix(&normalize(&abs));
        abs.strip_prefix(&self.workdir).ok().map(Path::to_path_buf)
    }

    /// Looks `rel` up, following symbolic links (at most 8) inside the tree.
    fn find(&self, rel: &Path) -> Option<(PathBuf, Found)> {
        let mut rel = rel.to_path_buf();
        for _ in 0..8 {
            if rel.as_os_str().is_empty() {
                return Some((rel, Found::Tree(self.tree)));
            }
            let tree = self.repo.find_tree(self.tree).ok()?;
            let entry = tree.lookup_entry_by_path(&rel).ok()??;
            let mode = entry.mode();
            if mode.is_tree() {
                return Some((rel, Found::Tree(entry.object_id())));
            }
            if mode.is_link() {
                let target = entry.object().ok()?.data.clone();
                let target = PathBuf::from(String::from_utf8(target).ok()?);
                if target.is_absolute() {
                    return None;
                }
                let parent = rel.parent().map(Path::to_path_buf).unwrap_or_default();
                rel = normalize(&parent.join(target));
                if rel.starts_with("..") {
                    return None;
                }
                continue;
            }
            if mode.is_blob() {
                return Some((rel, Found::Blob(entry.object_id())));
            }
            return None;
        }
        None
    }

    fn not_found(path: &Path) -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no file {} at this revision", path.display()),
        )
    }
}

impl Loader for TreeLoader {
    /// The bytes of a file (a plugin's `.wasm`).
    fn load_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let rel = self.inner(path).ok_or_else(|| Self::not_found(path))?;
        match self.find(&rel) {
            Some((_, Found::Blob(id))) => {
                let object = self
                    .repo
                    .find_object(id)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                Ok(object.data.clone())
            }
            _ => Err(Self::not_found(path)),
        }
    }

    fn load(&self, path: &Path) -> std::io::Result<String> {
        let bytes = self.load_bytes(path)?;
        String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not UTF-8 text", path.display()),
            )
        })
    }

    fn is_file(&self, path: &Path) -> bool {
        self.inner(path)
            .and_then(|rel| self.find(&rel))
            .is_some_and(|(_, f)| matches!(f, Found::Blob(_)))
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.inner(path)
            .and_then(|rel| self.find(&rel))
            .is_some_and(|(_, f)| matches!(f, Found::Tree(_)))
    }

    fn list(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let rel = self.inner(dir).ok_or_else(|| Self::not_found(dir))?;
        let Some((_, Found::Tree(id))) = self.find(&rel) else {
            return Err(Self::not_found(dir));
        };
        let tree = self
            .repo
            .find_tree(id)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let decoded = tree
            .decode()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let mut out: Vec<PathBuf> = decoded
            .entries
            .iter()
            .map(|e| dir.join(e.filename.to_string()))
            .collect();
        out.sort();
        Ok(out)
    }

    fn canonicalize(&self, path: &Path) -> PathBuf {
        match self.inner(path).and_then(|rel| self.find(&rel)) {
            Some((rel, _)) => self.workdir.join(rel),
            None => normalize(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_795_000_000), "2026-11-18");
        assert_eq!(date(-86_400), "1969-12-31");
    }
}
