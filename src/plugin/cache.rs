//! Compiled plugins, cached between runs.
//!
//! Compiling a module with Cranelift takes milliseconds to seconds; loading a compiled one
//! takes well under a millisecond. The host decides where compiled modules live (a
//! [`PluginCache`]); the CLI uses [`FsCache`], `<project>/.cairn/cache/plugins/<key>.cwasm`.
//!
//! The key is the SHA-256 of the `.wasm` bytes and of wasmtime's compatibility hash (its
//! version and every setting that changes the machine code), so a changed plugin, a new
//! wasmtime or another configuration never picks up a stale entry.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use super::LoadError;

/// Where compiled modules are kept. `root` is the project root of the program being loaded.
pub trait PluginCache: Send + Sync {
    /// The bytes stored under `key`, if any.
    fn load(&self, root: &Path, key: &str) -> Option<Vec<u8>>;
    /// Stores `bytes` under `key`; failing to store is not an error (the next run compiles
    /// again).
    fn store(&self, root: &Path, key: &str, bytes: &[u8]);
}

/// Keeps compiled modules in `<root>/.cairn/cache/plugins/`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsCache;

impl FsCache {
    fn path(root: &Path, key: &str) -> PathBuf {
        let root = if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root
        };
        root.join(".cairn/cache/plugins")
            .join(format!("{key}.cwasm"))
    }
}

impl PluginCache for FsCache {
    fn load(&self, root: &Path, key: &str) -> Option<Vec<u8>> {
        std::fs::read(FsCache::path(root, key)).ok()
    }

    fn store(&self, root: &Path, key: &str, bytes: &[u8]) {
        let path = FsCache::path(root, key);
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        // Written whole under a temporary name and renamed, so a reader never sees half a
        // file, and two runs storing the same key at once do no harm.
        let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// The cache key of a module compiled by `engine`.
pub fn key(engine: &Engine, wasm: &[u8]) -> String {
    struct Feed(Sha256);
    impl std::hash::Hasher for Feed {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut feed = Feed(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut feed);
    feed.0.update(b"\0cairn-plugin\0");
    feed.0.update(wasm);
    feed.0
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compiles `wasm`, or loads it compiled from `cache`; the flag says whether it came from
/// the cache.
pub(super) fn compile(
    engine: &Engine,
    cache: Option<&dyn PluginCache>,
    root: &Path,
    wasm: &[u8],
) -> Result<(Module, bool), LoadError> {
    let key = cache.map(|_| key(engine, wasm));
    if let (Some(cache), Some(key)) = (cache, &key)
        && let Some(bytes) = cache.load(root, key)
        && let Some(module) = deserialize(engine, &bytes)
    {
        return Ok((module, true));
    }
    let module = Module::new(engine, wasm).map_err(|e| LoadError::Compile(format!("{e:#}")))?;
    if let (Some(cache), Some(key)) = (cache, &key)
        && let Ok(bytes) = module.serialize()
    {
        cache.store(root, key, &bytes);
    }
    Ok((module, false))
}

/// Loads a module that [`compile`] serialized earlier.
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, bytes: &[u8]) -> Option<Module> {
    // SAFETY: `Module::deserialize` runs the machine code in `bytes` without verifying it, so
    // the bytes must come from `Module::serialize` of a compatible engine. They do: a cache is
    // only ever written by `compile` above, with `Module::serialize`, under a key that hashes
    // the WebAssembly source together with the engine's compatibility hash, and wasmtime
    // itself refuses bytes whose header names another version or configuration. A cache
    // folder is as trusted as the project it is in (whoever can write `.cairn/` can also
    // change the program and the plugins themselves).
    unsafe { Module::deserialize(engine, bytes) }.ok()
}
