//! The integration tests: one binary over the corpus folders and the public surfaces.
//!
//! - `corpus`: tests/corpus/eval (programs and their exported output) and tests/corpus/errors
//!   (broken programs and their diagnostics), as insta snapshots.
//! - `robustness`: every corpus file cut at every byte; pathological nesting and recursion.
//! - `roundtrip`: exported YAML and JSON read back (serde_json, serde_yaml_ng and PyYAML) equal
//!   the evaluated value.
//! - `docs`: every example in docs/ runs; generated docs are current.
//! - `examples`: examples/ export to their checked-in expected output.
//! - `cli`: the `cairn` binary's commands, output and exit codes.
//! - `embed`: the Rust embedding API.
//! - `types`: JSON Schema export, typed parameters, the types of the embedding API.
//! - `plugin`: WebAssembly plugins: calls, policies, the sandbox's limits and faults, the cache.
//! - `fuzz`: the fuzz targets (fuzz/src/targets.rs) over their seed corpora and mutations.
//! - `exhaustion`: runaway programs end in a diagnostic, quickly and within memory (the
//!   evaluation's budget, the output and source limits, linear builtins).

mod cli;
mod common;
mod corpus;
mod docs;
mod embed;
mod examples;
mod exhaustion;
mod fuzz;
mod history;
mod import;
mod k8s;
mod lint;
mod plugin;
mod resources;
mod robustness;
mod roundtrip;
mod stdlib;
mod types;
