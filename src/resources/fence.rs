//! The fences around a project that no resource may cross.
//!
//! Providers act inside the project; two of its folders are off limits to every one of them:
//!
//! - `.cairn/`, Cairn's own: the state and the lock. A `file` resource writing there could
//!   replace the state between its write and the next save, or remove another apply's lock.
//! - `.git/`, the source of truth: a `file` resource writing a hook there would run code on the
//!   next commit, and anything written there changes what the history says.
//!
//! [`check`] refuses a path in either, lexically and through symbolic links. [`working_dir`]
//! resolves an `exec` resource's `dir` the same way the `file` provider resolves `path`:
//! relative, inside the project, not in a fenced folder.

use std::path::{Component, Path, PathBuf};

use super::provider::ProviderError;

/// The folders of the project root that no resource may write into or run in.
pub const FENCED: &[&str] = &[".cairn", ".git"];

/// Refuses `target` (an absolute path) when it is in, or is, a fenced folder of the project at
/// `root` (absolute). Checked lexically, then with symbolic links resolved as far as the path
/// exists, so a link to `.cairn/` is no way round. `what` names the input (`path`, `dir`) and
/// `rel` is how the program wrote it, for the message.
pub fn check(root: &Path, target: &Path, what: &str, rel: &str) -> Result<(), ProviderError> {
    let real_root = resolve_existing(root).unwrap_or_else(|| root.to_path_buf());
    let real_target = resolve_existing(target);
    for name in FENCED {
        let lexical = target.starts_with(root.join(name));
        let real = real_target
            .as_ref()
            .is_some_and(|t| t.starts_with(real_root.join(name)));
        if lexical || real {
            return Err(ProviderError::new(format!(
                "`{what}` `{rel}` is in the project's `{name}/` folder, which no resource may touch"
            ))
            .with_help(if *name == ".cairn" {
                "`.cairn/` holds Cairn's state and lock; write the file somewhere else in the project"
            } else {
                "`.git/` belongs to Git; write the file somewhere else in the project"
            }));
        }
    }
    Ok(())
}

/// The working directory of an `exec` resource: `dir` relative to the project root `root`
/// (absolute), with `.` and `..` resolved lexically. Refuses an absolute `dir`, one that climbs
/// out of the project (lexically or through a symbolic link), and a fenced folder.
pub fn working_dir(root: &Path, dir: &str) -> Result<PathBuf, ProviderError> {
    let help = "`dir` is a folder inside the project, relative to its root, like `\"scripts\"`";
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in Path::new(dir).components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err(ProviderError::new(format!(
                    "`dir` `{dir}` is an absolute path; commands run inside the project"
                ))
                .with_help(help));
            }
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(ProviderError::new(format!(
                        "`dir` `{dir}` is outside the project root {}",
                        root.display()
                    ))
                    .with_help(help));
                }
            }
            Component::Normal(part) => parts.push(part),
        }
    }
    let cwd: PathBuf = root.join(parts.iter().collect::<PathBuf>());
    if let (Some(real_root), Some(real)) = (resolve_existing(root), resolve_existing(&cwd))
        && !real.starts_with(&real_root)
    {
        return Err(ProviderError::new(format!(
            "`dir` `{dir}` leads to {} through a symbolic link, outside the project root",
            real.display()
        ))
        .with_help(help));
    }
    check(root, &cwd, "dir", dir)?;
    Ok(cwd)
}

/// `p` with its deepest existing ancestor canonicalized (symbolic links resolved) and the
/// components that do not exist yet appended; `None` when nothing of it can be resolved.
pub fn resolve_existing(p: &Path) -> Option<PathBuf> {
    let mut existing = p;
    let mut missing = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name);
                existing = parent;
            }
            _ => break,
        }
    }
    let mut real = std::fs::canonicalize(existing).ok()?;
    for name in missing.iter().rev() {
        real.push(name);
    }
    Some(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cairn-fence-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".cairn")).expect("mkdir");
        std::fs::create_dir_all(dir.join("scripts")).expect("mkdir");
        std::fs::canonicalize(&dir).expect("canonical")
    }

    #[test]
    fn fenced_folders_are_refused_lexically() {
        let root = temp("lexical");
        for rel in [
            ".cairn/state.json",
            ".cairn/lock.json",
            ".git/hooks/pre-commit",
            ".cairn",
        ] {
            let err = check(&root, &root.join(rel), "path", rel).expect_err(rel);
            assert!(
                err.message.contains("no resource may touch"),
                "{}",
                err.message
            );
        }
        for rel in [
            "out/a.txt",
            ".cairnish/a",
            "x/.cairn/a",
            ".github/workflows/ci.yaml",
        ] {
            assert!(check(&root, &root.join(rel), "path", rel).is_ok(), "{rel}");
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_into_a_fenced_folder_is_refused() {
        let root = temp("link");
        std::os::unix::fs::symlink(root.join(".cairn"), root.join("innocent")).expect("link");
        let err = check(
            &root,
            &root.join("innocent/state.json"),
            "path",
            "innocent/state.json",
        )
        .expect_err("through the link");
        assert!(err.message.contains("`.cairn/`"), "{}", err.message);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn working_dirs_stay_in_the_project() {
        let root = temp("dir");
        assert_eq!(
            working_dir(&root, "scripts").expect("ok"),
            root.join("scripts")
        );
        assert_eq!(
            working_dir(&root, "./scripts/../scripts").expect("ok"),
            root.join("scripts")
        );
        assert_eq!(working_dir(&root, ".").expect("ok"), root);
        for (dir, says) in [
            ("/", "absolute"),
            ("/tmp", "absolute"),
            ("..", "outside the project"),
            ("../..", "outside the project"),
            ("scripts/../../x", "outside the project"),
            (".cairn", "no resource may touch"),
            (".git/hooks", "no resource may touch"),
        ] {
            let err = working_dir(&root, dir).expect_err(dir);
            assert!(err.message.contains(says), "{dir}: {}", err.message);
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/", root.join("up")).expect("link");
            let err = working_dir(&root, "up").expect_err("link out");
            assert!(err.message.contains("symbolic link"), "{}", err.message);
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}
