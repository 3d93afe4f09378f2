//! Compiled plugins, kept in memory for the life of a [`super::Host`].
//!
//! Compiling a module with Cranelift takes about a millisecond for a small plugin
//! (`cargo bench --bench plugin`), so a run compiles its plugins afresh. A host that lives
//! longer — the language server re-analysing a document, `cairn log` and `cairn diff`
//! evaluating many revisions — keeps what it compiled, keyed by the SHA-256 of the `.wasm`
//! bytes, and compiles each distinct plugin once.
//!
//! Nothing is written to disk. Compiled machine code read back from a file cannot be
//! verified (wasmtime runs it as it is), so a file cache would let anyone who can write the
//! folder — a pull request that commits it — run native code outside the sandbox, or change
//! what a program means. An earlier version kept such a cache in `.cairn/cache/plugins/`;
//! that folder is now ignored and can be deleted.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use super::LoadError;

/// How many distinct modules a host keeps; past that it starts again from empty (a long-lived
/// host whose plugin keeps changing would otherwise grow without bound).
const MAX_MODULES: usize = 64;

/// The modules one host has compiled, by the hash of their bytes.
#[derive(Default)]
pub(super) struct Compiled {
    modules: Mutex<HashMap<[u8; 32], Module>>,
}

impl Compiled {
    /// The module compiled from `wasm` by `engine`, and whether it was compiled before.
    pub(super) fn get_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
    ) -> Result<(Module, bool), LoadError> {
        let key: [u8; 32] = Sha256::digest(wasm).into();
        if let Some(module) = self.lock().get(&key) {
            return Ok((module.clone(), true));
        }
        // Compiled outside the lock: two threads loading the same new plugin at once both
        // compile it, which is harmless, rather than one waiting on the other.
        let module = Module::new(engine, wasm).map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        let mut modules = self.lock();
        if modules.len() >= MAX_MODULES {
            modules.clear();
        }
        modules.insert(key, module.clone());
        Ok((module, false))
    }

    /// How many modules are kept.
    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Module>> {
        // A panic while holding the lock cannot leave the map half-updated (each operation
        // is one call), so a poisoned lock is still usable.
        self.modules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
