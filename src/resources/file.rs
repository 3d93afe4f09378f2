//! The `file` provider (`file.File`): a file under the project's output root.
//!
//! Inputs:
//!
//! - `path` (String, required): where the file goes, relative to the output root. `.` and `..`
//!   are resolved lexically; the result must stay inside the output root, no existing folder
//!   on the way may be a symbolic link leading out of it, and it may not be in the project's
//!   `.cairn/` (the state and lock) or `.git/` ([`super::fence`]).
//! - `content` (String, required): the file's whole content.
//! - `mode` (String, optional): its permissions in octal, like `"0644"` or `"755"` (Unix only;
//!   ignored elsewhere). Without it a new file gets the default permissions and a rewritten
//!   file keeps the ones it had.
//!
//! Any other field is an error (a misspelt `mode` would otherwise be ignored silently).
//!
//! Outputs: `path` (the absolute path, as a string) and `sha256` (the lower-case hex SHA-256 of
//! the content).
//!
//! Writes are atomic: the content goes to `<file>.cairn-tmp-<pid>` in the same folder, which is
//! fsynced and given its permissions, then renamed over the file; the folder is fsynced after
//! (best effort). A reader sees the old file or the new one, never a mix. Missing parent
//! folders are created; deleting the file leaves them in place.
//!
//! Reading compares the file on disk with what was applied: another content is drift in
//! `content`, other permissions (when `mode` is set) drift in `mode`. Changing `path` replaces
//! the resource (the new file is written, the old one deleted).

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::{Value as Json, json};
use sha2::Digest;

use super::fence;
use super::provider::{Ctx, Observed, Provider, ProviderError};

/// The `file` provider.
pub struct FileProvider;

/// A resource's inputs, checked.
struct Spec<'a> {
    /// Where the file goes: the output root (made absolute) joined with the normalized path.
    target: PathBuf,
    content: &'a str,
    /// Permissions to set (Unix), from `mode`.
    mode: Option<u32>,
}

impl Provider for FileProvider {
    fn name(&self) -> &str {
        "file"
    }

    fn validate(&self, ctx: &Ctx, inputs: &Json) -> Result<(), ProviderError> {
        parse(ctx, inputs).map(|_| ())
    }

    fn outputs(&self, _inputs: &Json) -> Vec<String> {
        vec!["path".to_string(), "sha256".to_string()]
    }

    fn forces_replacement(&self, _inputs: &Json, attribute: &str) -> bool {
        attribute == "path"
    }

    fn read(&self, ctx: &Ctx, inputs: &Json, outputs: &Json) -> Result<Observed, ProviderError> {
        let spec = parse(ctx, inputs)?;
        let bytes = match fs::read(&spec.target) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Observed::Missing),
            Err(e) => return Err(io_error("cannot read", &spec.target, &e)),
        };
        let actual = sha256_hex(&bytes);
        let recorded = outputs.get("sha256").and_then(Json::as_str);
        let mut drifted = Vec::new();
        if recorded.is_some_and(|r| r != actual) || sha256_hex(spec.content.as_bytes()) != actual {
            drifted.push("content".to_string());
        }
        #[cfg(unix)]
        if let Some(mode) = spec.mode {
            use std::os::unix::fs::PermissionsExt;
            let meta = fs::metadata(&spec.target)
                .map_err(|e| io_error("cannot read", &spec.target, &e))?;
            if meta.permissions().mode() & 0o7777 != mode {
                drifted.push("mode".to_string());
            }
        }
        let outputs = outputs_of(&spec.target, actual);
        Ok(if drifted.is_empty() {
            Observed::Same { outputs }
        } else {
            Observed::Drifted {
                attributes: drifted,
                outputs,
            }
        })
    }

    fn create(&self, ctx: &Ctx, inputs: &Json) -> Result<Json, ProviderError> {
        let spec = parse(ctx, inputs)?;
        write(&spec)
    }

    fn update(
        &self,
        ctx: &Ctx,
        old: &Json,
        _outputs: &Json,
        new: &Json,
    ) -> Result<Json, ProviderError> {
        let spec = parse(ctx, new)?;
        let outputs = write(&spec)?;
        // A changed `path` forces replacement, so this is defensive: the new file is written,
        // then the old one removed.
        if let Ok(old) = parse(ctx, old)
            && old.target != spec.target
        {
            remove(&old.target)?;
        }
        Ok(outputs)
    }

    fn delete(&self, ctx: &Ctx, inputs: &Json, _outputs: &Json) -> Result<(), ProviderError> {
        let spec = parse(ctx, inputs)?;
        remove(&spec.target)
    }
}

/// Checks the inputs; resolves where the file goes.
/// The fields a `file.File` resource may have.
const FIELDS: &[&str] = &["path", "content", "mode"];

fn parse<'a>(ctx: &Ctx, inputs: &'a Json) -> Result<Spec<'a>, ProviderError> {
    let Some(fields) = inputs.as_object() else {
        return Err(ProviderError::new(
            "a `file.File` resource takes a record with `path` and `content`",
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        let hint = crate::diagnostics::did_you_mean(unknown, FIELDS.iter().copied())
            .map_or(String::new(), |s| format!("did you mean `{s}`? "));
        return Err(
            ProviderError::new(format!("`file.File` has no field `{unknown}`")).with_help(format!(
                "{hint}a `file.File` resource takes `path`, `content` and optionally `mode`"
            )),
        );
    }
    let rel = match inputs.get("path") {
        None | Some(Json::Null) => {
            return Err(ProviderError::new("a `file.File` resource needs a `path`")
                .with_help("add `path = \"...\"`, relative to the output root"));
        }
        Some(Json::String(s)) => s.as_str(),
        Some(_) => {
            return Err(ProviderError::new("`path` must be a string").with_help(
                "give the file's path relative to the output root, like `\"config/app.yaml\"`",
            ));
        }
    };
    let content = match inputs.get("content") {
        None | Some(Json::Null) => {
            return Err(
                ProviderError::new("a `file.File` resource needs a `content`")
                    .with_help("add `content = \"...\"`: the file's whole content"),
            );
        }
        Some(Json::String(s)) => s.as_str(),
        Some(_) => {
            return Err(ProviderError::new("`content` must be a string").with_help(
                "turn structured values into text first, for example with a YAML or JSON export function",
            ));
        }
    };
    let mode = match inputs.get("mode") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(parse_mode(s)?),
        Some(_) => {
            return Err(mode_error("`mode` must be a string of octal digits"));
        }
    };
    let root = std::path::absolute(&ctx.output_root).map_err(|e| {
        ProviderError::new(format!(
            "cannot resolve the output root {}: {e}",
            ctx.output_root.display()
        ))
    })?;
    let normalized = normalize(ctx, rel)?;
    let target = root.join(normalized);
    check_symlinks(ctx, &root, &target, rel)?;
    let project = std::path::absolute(&ctx.root).unwrap_or_else(|_| ctx.root.clone());
    fence::check(&project, &target, "path", rel)?;
    Ok(Spec {
        target,
        content,
        mode,
    })
}

/// `"0644"` or `"644"` → `0o644`.
fn parse_mode(s: &str) -> Result<u32, ProviderError> {
    let digits = if s.len() == 4 {
        s.strip_prefix('0').unwrap_or("")
    } else {
        s
    };
    if digits.len() != 3 || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(mode_error(format!(
            "`mode` \"{s}\" is not an octal permission like \"0644\""
        )));
    }
    u32::from_str_radix(digits, 8)
        .map_err(|_| mode_error(format!("`mode` \"{s}\" is not an octal permission")))
}

fn mode_error(message: impl Into<String>) -> ProviderError {
    ProviderError::new(message).with_help(
        "write the permissions as three octal digits, optionally after a 0: \"0644\" (rw-r--r--), \"0755\" (rwxr-xr-x), \"0600\" (rw-------)",
    )
}

/// Resolves `.` and `..` in `rel` without touching the disk; refuses absolute paths, paths that
/// climb out of the output root, and paths naming the root itself.
fn normalize(ctx: &Ctx, rel: &str) -> Result<PathBuf, ProviderError> {
    let root = ctx.output_root.display();
    if rel.is_empty() {
        return Err(ProviderError::new("`path` is empty").with_help(
            "give the file's path relative to the output root, like `\"config/app.yaml\"`",
        ));
    }
    let path = Path::new(rel);
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err(ProviderError::new(format!(
                    "`{rel}` is an absolute path; `path` is relative to the output root {root}"
                ))
                .with_help(
                    "write the path relative to the output root, like `\"config/app.yaml\"`",
                ));
            }
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(outside(ctx, rel));
                }
            }
            Component::Normal(part) => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err(ProviderError::new(format!(
            "`{rel}` names the output root {root} itself, not a file in it"
        ))
        .with_help("give a file name, like `\"config/app.yaml\"`"));
    }
    Ok(parts.iter().collect())
}

fn outside(ctx: &Ctx, rel: &str) -> ProviderError {
    ProviderError::new(format!(
        "`{rel}` is outside the output root {}",
        ctx.output_root.display()
    ))
    .with_help(
        "`file` resources only write inside the output root; use a path below it, or move the output root",
    )
}

/// Refuses a target whose existing parent folders go through a symbolic link leading out of the
/// output root: the deepest existing ancestor, with links resolved, must be inside the output
/// root with links resolved.
fn check_symlinks(ctx: &Ctx, root: &Path, target: &Path, rel: &str) -> Result<(), ProviderError> {
    let Some(parent) = target.parent() else {
        return Ok(());
    };
    let unresolvable = |p: &Path| {
        ProviderError::new(format!(
            "cannot check where `{rel}` leads: {} cannot be resolved",
            p.display()
        ))
        .with_help("a folder on the way may be a broken symbolic link")
    };
    let real_root = fence::resolve_existing(root).ok_or_else(|| unresolvable(root))?;
    let real_parent = fence::resolve_existing(parent).ok_or_else(|| unresolvable(parent))?;
    if real_parent.starts_with(&real_root) {
        return Ok(());
    }
    Err(ProviderError::new(format!(
        "`{rel}` is outside the output root {}: its folder leads to {} through a symbolic link",
        ctx.output_root.display(),
        real_parent.display()
    ))
    .with_help(
        "`file` resources only write inside the output root; remove the symbolic link or choose another path",
    ))
}

/// Writes the file atomically; returns the outputs.
fn write(spec: &Spec<'_>) -> Result<Json, ProviderError> {
    write_atomic(&spec.target, spec.content.as_bytes(), spec.mode)
        .map_err(|e| io_error("cannot write", &spec.target, &e))?;
    Ok(outputs_of(
        &spec.target,
        sha256_hex(spec.content.as_bytes()),
    ))
}

/// Writes `bytes` to `<target>.cairn-tmp-<pid>`, fsyncs it, sets its permissions, renames it
/// over `target` and fsyncs the folder (best effort). Removes the temporary file on failure.
fn write_atomic(target: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path has no file name",
        ));
    };
    fs::create_dir_all(dir)?;
    let mut tmp_name = OsString::from(name);
    tmp_name.push(format!(".cairn-tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        set_permissions(&file, target, mode)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, target)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // Makes the rename durable. Opening a folder fails on some systems (Windows): best effort.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Gives the temporary file `mode`, or without one the permissions of the file it replaces.
#[cfg(unix)]
fn set_permissions(file: &fs::File, target: &Path, mode: Option<u32>) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match mode {
        Some(mode) => file.set_permissions(fs::Permissions::from_mode(mode)),
        None => match fs::metadata(target) {
            Ok(old) if old.is_file() => file.set_permissions(old.permissions()),
            _ => Ok(()),
        },
    }
}

#[cfg(not(unix))]
fn set_permissions(_file: &fs::File, _target: &Path, _mode: Option<u32>) -> io::Result<()> {
    Ok(())
}

/// Removes the file; one already gone is fine. Folders stay.
fn remove(target: &Path) -> Result<(), ProviderError> {
    match fs::remove_file(target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("cannot delete", target, &e)),
    }
}

fn outputs_of(target: &Path, sha256: String) -> Json {
    json!({ "path": target.to_string_lossy(), "sha256": sha256 })
}

fn io_error(what: &str, path: &Path, e: &io::Error) -> ProviderError {
    ProviderError::new(format!("{what} {}: {e}", path.display()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = sha2::Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A fresh folder under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            static N: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let dir = std::env::temp_dir().join(format!(
                "cairn-file-test-{name}-{}-{nanos}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        /// A context whose project root is this folder and output root `out` in it.
        fn ctx(&self) -> Ctx {
            let mut ctx = Ctx::new(&self.0);
            ctx.output_root = self.0.join("out");
            ctx
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn message(r: Result<impl std::fmt::Debug, ProviderError>) -> String {
        r.unwrap_err().message
    }

    #[test]
    fn create_read_update_delete() {
        let t = TempDir::new("crud");
        let ctx = t.ctx();
        let p = FileProvider;
        let v1 = json!({ "path": "a/b/./c.txt", "content": "hello\n" });
        p.validate(&ctx, &v1).unwrap();
        let out = p.create(&ctx, &v1).unwrap();
        let file = t.0.join("out/a/b/c.txt");
        assert_eq!(fs::read_to_string(&file).unwrap(), "hello\n");
        assert_eq!(out["path"], json!(file.to_string_lossy()));
        assert_eq!(
            out["sha256"],
            json!("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        );
        assert_eq!(
            p.read(&ctx, &v1, &out).unwrap(),
            Observed::Same {
                outputs: out.clone()
            }
        );

        let v2 = json!({ "path": "a/b/c.txt", "content": "bye\n" });
        let out2 = p.update(&ctx, &v1, &out, &v2).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "bye\n");
        assert_ne!(out2["sha256"], out["sha256"]);
        assert!(matches!(
            p.read(&ctx, &v2, &out2).unwrap(),
            Observed::Same { .. }
        ));
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(t.0.join("out/a/b")).unwrap().collect();
        assert_eq!(names.len(), 1);

        p.delete(&ctx, &v2, &out2).unwrap();
        assert!(!file.exists());
        assert!(t.0.join("out/a/b").is_dir(), "folders stay");
        assert_eq!(p.read(&ctx, &v2, &out2).unwrap(), Observed::Missing);
        // Deleting again is fine.
        p.delete(&ctx, &v2, &out2).unwrap();
    }

    #[test]
    fn drift_in_content() {
        let t = TempDir::new("drift");
        let ctx = t.ctx();
        let p = FileProvider;
        let v = json!({ "path": "x.txt", "content": "one" });
        let out = p.create(&ctx, &v).unwrap();
        fs::write(t.0.join("out/x.txt"), "two").unwrap();
        match p.read(&ctx, &v, &out).unwrap() {
            Observed::Drifted {
                attributes,
                outputs,
            } => {
                assert_eq!(attributes, vec!["content"]);
                assert_eq!(outputs["sha256"], json!(sha256_hex(b"two")));
            }
            other => panic!("{other:?}"),
        }
        // Recreating it as recorded is no drift.
        p.create(&ctx, &v).unwrap();
        assert!(matches!(
            p.read(&ctx, &v, &out).unwrap(),
            Observed::Same { .. }
        ));
        // Without recorded outputs, the inputs' content is the reference.
        fs::write(t.0.join("out/x.txt"), "three").unwrap();
        assert!(matches!(
            p.read(&ctx, &v, &json!({})).unwrap(),
            Observed::Drifted { .. }
        ));
    }

    #[test]
    fn update_with_another_path_moves_the_file() {
        let t = TempDir::new("move");
        let ctx = t.ctx();
        let p = FileProvider;
        assert!(p.forces_replacement(&json!({}), "path"));
        assert!(!p.forces_replacement(&json!({}), "content"));
        assert!(!p.forces_replacement(&json!({}), "mode"));
        let v1 = json!({ "path": "old.txt", "content": "x" });
        let v2 = json!({ "path": "new.txt", "content": "x" });
        let out = p.create(&ctx, &v1).unwrap();
        p.update(&ctx, &v1, &out, &v2).unwrap();
        assert!(!t.0.join("out/old.txt").exists());
        assert_eq!(fs::read_to_string(t.0.join("out/new.txt")).unwrap(), "x");
    }

    #[test]
    fn refuses_paths_outside_the_output_root() {
        let t = TempDir::new("escape");
        let ctx = t.ctx();
        let p = FileProvider;
        let root = ctx.output_root.display().to_string();
        let m = message(p.validate(&ctx, &json!({ "path": "../x", "content": "" })));
        assert_eq!(m, format!("`../x` is outside the output root {root}"));
        let m = message(p.validate(&ctx, &json!({ "path": "a/../../x", "content": "" })));
        assert_eq!(m, format!("`a/../../x` is outside the output root {root}"));
        let e = p
            .validate(&ctx, &json!({ "path": "/etc/x", "content": "" }))
            .unwrap_err();
        assert_eq!(
            e.message,
            format!("`/etc/x` is an absolute path; `path` is relative to the output root {root}")
        );
        assert!(e.help.is_some());
        let m = message(p.validate(&ctx, &json!({ "path": "a/..", "content": "" })));
        assert!(m.contains("names the output root"), "{m}");
        let m = message(p.validate(&ctx, &json!({ "path": "", "content": "" })));
        assert_eq!(m, "`path` is empty");
        // The creation is refused too, and nothing is written.
        assert!(
            p.create(&ctx, &json!({ "path": "../x", "content": "" }))
                .is_err()
        );
        assert!(!t.0.join("x").exists());
        // Going up and down again inside the root is fine.
        p.validate(&ctx, &json!({ "path": "a/../b/x", "content": "" }))
            .unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symlinked_folder_leading_outside() {
        let t = TempDir::new("symlink");
        let ctx = t.ctx();
        let p = FileProvider;
        fs::create_dir_all(t.0.join("out")).unwrap();
        fs::create_dir_all(t.0.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(t.0.join("elsewhere"), t.0.join("out/link")).unwrap();
        let v = json!({ "path": "link/sub/x.txt", "content": "x" });
        let e = p.validate(&ctx, &v).unwrap_err();
        assert!(
            e.message.starts_with(&format!(
                "`link/sub/x.txt` is outside the output root {}",
                ctx.output_root.display()
            )),
            "{}",
            e.message
        );
        assert!(e.message.contains("symbolic link"), "{}", e.message);
        assert!(p.create(&ctx, &v).is_err());
        assert!(!t.0.join("elsewhere/sub").exists());

        // A link that stays inside the root is fine.
        fs::create_dir_all(t.0.join("out/real")).unwrap();
        std::os::unix::fs::symlink(t.0.join("out/real"), t.0.join("out/inner")).unwrap();
        let v = json!({ "path": "inner/x.txt", "content": "x" });
        p.create(&ctx, &v).unwrap();
        assert_eq!(fs::read_to_string(t.0.join("out/real/x.txt")).unwrap(), "x");
    }

    #[cfg(unix)]
    #[test]
    fn an_output_root_behind_a_symlink_is_fine() {
        let t = TempDir::new("rootlink");
        fs::create_dir_all(t.0.join("real")).unwrap();
        std::os::unix::fs::symlink(t.0.join("real"), t.0.join("out")).unwrap();
        let ctx = t.ctx();
        let v = json!({ "path": "x.txt", "content": "x" });
        FileProvider.create(&ctx, &v).unwrap();
        assert!(t.0.join("real/x.txt").is_file());
    }

    #[test]
    fn checks_field_types() {
        let t = TempDir::new("types");
        let ctx = t.ctx();
        let p = FileProvider;
        assert_eq!(
            message(p.validate(&ctx, &json!({ "content": "" }))),
            "a `file.File` resource needs a `path`"
        );
        assert_eq!(
            message(p.validate(&ctx, &json!({ "path": 3, "content": "" }))),
            "`path` must be a string"
        );
        assert_eq!(
            message(p.validate(&ctx, &json!({ "path": "x" }))),
            "a `file.File` resource needs a `content`"
        );
        assert_eq!(
            message(p.validate(&ctx, &json!({ "path": "x", "content": [1] }))),
            "`content` must be a string"
        );
        for bad in ["0888", "64", "00644", "1644", "rw-r--r--", ""] {
            let m = message(p.validate(&ctx, &json!({ "path": "x", "content": "", "mode": bad })));
            assert!(m.contains("is not an octal permission"), "{bad}: {m}");
        }
        for good in ["0644", "755", "0600"] {
            p.validate(&ctx, &json!({ "path": "x", "content": "", "mode": good }))
                .unwrap();
        }
        assert_eq!(
            message(p.validate(&ctx, &json!({ "path": "x", "content": "", "mode": 644 }))),
            "`mode` must be a string of octal digits"
        );
    }

    #[cfg(unix)]
    #[test]
    fn mode() {
        use std::os::unix::fs::PermissionsExt;
        let t = TempDir::new("mode");
        let ctx = t.ctx();
        let p = FileProvider;
        let file = t.0.join("out/run.sh");
        let mode_of = |f: &Path| fs::metadata(f).unwrap().permissions().mode() & 0o7777;

        let v = json!({ "path": "run.sh", "content": "#!/bin/sh\n", "mode": "0751" });
        let out = p.create(&ctx, &v).unwrap();
        assert_eq!(mode_of(&file), 0o751);
        assert!(matches!(
            p.read(&ctx, &v, &out).unwrap(),
            Observed::Same { .. }
        ));

        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        match p.read(&ctx, &v, &out).unwrap() {
            Observed::Drifted { attributes, .. } => assert_eq!(attributes, vec!["mode"]),
            other => panic!("{other:?}"),
        }
        fs::write(&file, "changed").unwrap();
        match p.read(&ctx, &v, &out).unwrap() {
            Observed::Drifted { attributes, .. } => {
                assert_eq!(attributes, vec!["content", "mode"])
            }
            other => panic!("{other:?}"),
        }

        let v2 = json!({ "path": "run.sh", "content": "#!/bin/sh\n", "mode": "640" });
        let out2 = p.update(&ctx, &v, &out, &v2).unwrap();
        assert_eq!(mode_of(&file), 0o640);
        assert!(matches!(
            p.read(&ctx, &v2, &out2).unwrap(),
            Observed::Same { .. }
        ));

        // Without `mode`, a rewrite keeps the permissions the file had, and they are no drift.
        let v3 = json!({ "path": "run.sh", "content": "new" });
        let out3 = p.update(&ctx, &v2, &out2, &v3).unwrap();
        assert_eq!(mode_of(&file), 0o640);
        assert!(matches!(
            p.read(&ctx, &v3, &out3).unwrap(),
            Observed::Same { .. }
        ));
    }
}
