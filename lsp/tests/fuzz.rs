//! The `lsp` fuzz target's smoke run (fuzz/src/lsp.rs): the framing layer over the committed
//! seeds (`fuzz/corpus/lsp`) and deterministic mutations of them. The long runs use libFuzzer
//! (fuzz/README.md).

#[path = "../../fuzz/src/lsp.rs"]
mod target;

#[path = "../../fuzz/src/smoke.rs"]
mod smoke;

#[test]
fn lsp_smoke() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/lsp");
    smoke::run("lsp", target::lsp, smoke::seeds(&dir), 128);
}
