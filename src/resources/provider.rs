//! The provider interface: how a kind of resource is read, created, updated and deleted.
//!
//! Values cross this boundary as JSON (`serde_json::Value`): what the state file records and
//! what the `exec` protocol speaks. A resource's *inputs* are its evaluated body; its *outputs*
//! are what the provider reports after creating or updating it (an id, a host name), which
//! other resources may use.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde_json::Value as Json;

/// What a provider operation gets besides the resource's values.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The project root: relative paths are resolved against it.
    pub root: PathBuf,
    /// Where `file` resources may write (the project's output root); paths outside are refused.
    pub output_root: PathBuf,
    /// How long one operation may take (the `exec` provider kills a command after it).
    pub timeout: Duration,
    /// Set when the run is being interrupted (Ctrl-C): long operations may stop early.
    pub cancel: Arc<AtomicBool>,
}

impl Ctx {
    pub fn new(root: impl Into<PathBuf>) -> Ctx {
        let root = root.into();
        Ctx {
            output_root: root.clone(),
            root,
            timeout: Duration::from_secs(300),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// A failed provider operation.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderError {
    /// What went wrong, in one sentence.
    pub message: String,
    /// What the operation printed on its error stream, if anything (trimmed).
    pub stderr: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl ProviderError {
    pub fn new(message: impl Into<String>) -> ProviderError {
        ProviderError {
            message: message.into(),
            stderr: None,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> ProviderError {
        self.help = Some(help.into());
        self
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(e) = &self.stderr {
            write!(f, "\nstderr:\n{e}")?;
        }
        Ok(())
    }
}

/// What reading a resource found.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// It no longer exists (deleted outside Cairn).
    Missing,
    /// It is as recorded; `outputs` are its current outputs.
    Same { outputs: Json },
    /// It exists but differs from what was applied, in these input attributes.
    Drifted {
        attributes: Vec<String>,
        outputs: Json,
    },
}

/// A kind of resource. Implementations must be usable from several threads at once: apply
/// runs independent operations in parallel.
pub trait Provider: Send + Sync {
    /// Its name: the first part of resource types it manages (`exec` for `exec.Command`).
    fn name(&self) -> &str;

    /// Checks a resource's inputs before anything runs (at plan time): a missing field, a path
    /// outside the output root. The message says what to change.
    fn validate(&self, ctx: &Ctx, inputs: &Json) -> Result<(), ProviderError>;

    /// The outputs the resource will have after apply (unknown until then).
    fn outputs(&self, inputs: &Json) -> Vec<String>;

    /// Whether a change to this input attribute (a top-level field of the body) cannot be
    /// applied in place, so the resource must be replaced. `inputs` are the new inputs (an
    /// `exec` resource without an `update` command replaces on any change).
    fn forces_replacement(&self, inputs: &Json, attribute: &str) -> bool;

    /// Reads the resource as it is now, for drift detection (`plan --refresh`).
    fn read(&self, ctx: &Ctx, inputs: &Json, outputs: &Json) -> Result<Observed, ProviderError>;

    /// Creates it; returns its outputs.
    fn create(&self, ctx: &Ctx, inputs: &Json) -> Result<Json, ProviderError>;

    /// Changes it in place from `old` inputs to `new` ones; returns its outputs.
    fn update(
        &self,
        ctx: &Ctx,
        old: &Json,
        outputs: &Json,
        new: &Json,
    ) -> Result<Json, ProviderError>;

    /// Deletes it.
    fn delete(&self, ctx: &Ctx, inputs: &Json, outputs: &Json) -> Result<(), ProviderError>;
}
