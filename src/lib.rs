//! Cairn: a typed configuration language and GitOps engine.
//!
//! The library is the product; the `cairn` binary is a thin shell around it. A host program
//! evaluates configuration with an [`Engine`], or in one call with [`from_path`] /
//! [`from_str`], and reads the result as [`Value`]s or straight into its own serde types:
//!
//! ```
//! #[derive(serde::Deserialize)]
//! struct App { name: String, replicas: u32 }
//! let app: App = cairn::from_str(r#"name: "shop", replicas: 1 + 2"#)?;
//! assert_eq!((app.name.as_str(), app.replicas), ("shop", 3));
//! # Ok::<(), cairn::Error>(())
//! ```
//!
//! The pipeline (see ARCHITECTURE.md): [`syntax`] parses, [`eval`] evaluates, [`export`]
//! writes YAML and JSON; every stage reports [`Diagnostic`]s. The core does no I/O of its own:
//! files come in through a [`source::Loader`].

#![forbid(unsafe_code)]

pub mod check;
pub mod diagnostics;
pub mod doc;
mod engine;
pub mod eval;
pub mod export;
pub mod fmt;
pub mod history;
pub mod ide;
pub mod importers;
pub mod lint;
pub mod modules;
pub mod plugin;
pub mod resources;
pub mod source;
pub mod syntax;
pub mod types;
pub mod value;

pub use diagnostics::{Diagnostic, Severity};
pub use engine::{
    Description, ENV_PREFIX, Engine, Error, FieldInfo, LintRun, Outcome, ParamInfo, SchemaInfo,
    from_path, from_str,
};
pub use source::{FsLoader, Loader, MemoryLoader, SourceMap};
pub use value::Value;
