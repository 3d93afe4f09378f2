//! Cairn's fuzz targets: the bodies live in [`targets`], shared with the test suite's smoke run
//! (`tests/fuzz.rs`), and [`lsp`], shared with `lsp/tests/fuzz.rs`; `fuzz_targets/` has one libFuzzer entry point per target.

pub mod lsp;
pub mod targets;
