//! The fuzz targets' bodies: each takes arbitrary bytes and checks what must hold for every
//! input. The same functions run under libFuzzer (`fuzz/fuzz_targets/`, `cargo +nightly fuzz
//! run <target>`) and, over the committed seed corpora and mutations of them, in the test
//! suite (`tests/fuzz.rs`), so a crash the fuzzer finds stays a regression test once its input
//! is added to the corpus.
//!
//! A target fails by panicking; every assertion here is an invariant of Cairn, not of the
//! input.

use cairn::diagnostics::Diagnostic;
use cairn::source::FileId;
use cairn::{Engine, MemoryLoader};

/// Inputs larger than this are cut: the targets look for crashes, not for slow large inputs
/// (those are the benchmarks' and the budget's business).
pub const MAX_INPUT: usize = 64 * 1024;

/// A target: bytes in, a panic when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target, by name, as the test suite and `fuzz/README.md` list them.
pub const TARGETS: &[(&str, Target)] = &[
    ("parse", parse),
    ("eval", eval),
    ("fmt", fmt),
    ("yaml", yaml),
    ("abi", abi),
    ("state", state),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(&data[..data.len().min(MAX_INPUT)]).ok()
}

/// An engine over memory (no files, no environment) with a budget small enough that a runaway
/// input ends in a diagnostic within milliseconds: the targets look for crashes, and the
/// budget's own tests (tests/exhaustion.rs) check that it holds.
fn engine() -> Engine {
    let mut engine = Engine::with_loader(MemoryLoader::new());
    engine.limits(cairn::eval::Limits {
        max_steps: 2_000_000,
        max_memory: 64 * 1024 * 1024,
    });
    engine
}

/// Every diagnostic has a code, a primary label inside the source on character boundaries,
/// and a help line.
fn check_diagnostic(src: &str, d: &Diagnostic, whose: &str) {
    assert!(
        !d.code.id.is_empty(),
        "{whose}: a diagnostic without a code: {d:?}"
    );
    let primary = d.primary();
    assert!(primary.is_some(), "{whose}: no primary label: {d:?}");
    for l in &d.labels {
        if l.file != FileId(0) {
            continue;
        }
        let (start, end) = (l.span.start as usize, l.span.end as usize);
        assert!(
            start <= end && end <= src.len(),
            "{whose}: span out of the source: {d:?}"
        );
        assert!(
            src.is_char_boundary(start) && src.is_char_boundary(end),
            "{whose}: span splits a character: {d:?}"
        );
    }
}

/// The parser: never panics, every error is a well-formed diagnostic.
pub fn parse(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let parsed = cairn::syntax::parse(FileId(0), src);
    for e in &parsed.errors {
        check_diagnostic(src, e, "parse");
    }
}

/// Parse, link, check and evaluate in memory (no files, no environment): never panics; the
/// diagnostics are well formed and render; a program without errors exports.
pub fn eval(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let mut engine = engine();
    let out = engine.evaluate_str("main.cairn", src);
    for d in &out.diagnostics {
        check_diagnostic(src, d, "eval");
        let _ = cairn::diagnostics::render::plain(d, engine.sources());
    }
    if !out.has_errors() {
        let _ = cairn::export::yaml::to_string(&out.document);
    }
}

/// The formatter: formatting is idempotent, keeps every comment's text, and keeps the meaning
/// (a program that evaluates evaluates to the same document once formatted).
pub fn fmt(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let Ok(once) = cairn::fmt::format_source(FileId(0), src) else {
        return;
    };
    let twice = cairn::fmt::format_source(FileId(0), &once);
    assert_eq!(twice.as_deref(), Ok(once.as_str()), "fmt is not idempotent");
    let before = cairn::syntax::parse(FileId(0), src);
    let after = cairn::syntax::parse(FileId(0), &once);
    let comments = |p: &cairn::syntax::Parse| -> Vec<String> {
        p.module
            .comments
            .iter()
            .map(|c| c.text.trim().to_string())
            .collect()
    };
    assert_eq!(
        comments(&before),
        comments(&after),
        "fmt lost or changed a comment"
    );
    let evaluate = |text: &str| {
        let mut engine = engine();
        let out = engine.evaluate_str("main.cairn", text);
        (!out.has_errors()).then_some(out.document)
    };
    if let Some(doc) = evaluate(src) {
        assert_eq!(
            evaluate(&once),
            Some(doc),
            "fmt changed what the program means"
        );
    }
}

/// The YAML importer: what it imports evaluates back to the documents it read.
pub fn yaml(data: &[u8]) {
    use cairn::importers::yaml::{Input, Options, import, read_documents};
    let Some(src) = text(data) else { return };
    let inputs = [Input {
        name: "in.yaml",
        text: src,
    }];
    let Ok(imported) = import(&inputs, &Options::default()) else {
        return;
    };
    let Ok(documents) = read_documents(&inputs) else {
        panic!("import succeeded but the documents cannot be read again");
    };
    let mut engine = engine();
    let out = engine.evaluate_str("main.cairn", &imported.source);
    assert!(
        !out.has_errors(),
        "the imported program has errors: {:?}\n{}",
        out.diagnostics,
        imported.source
    );
    let exported: Vec<cairn::Value> = if out.declares_resources {
        out.resources.iter().map(|r| r.body.clone()).collect()
    } else {
        vec![out.document.clone()]
    };
    assert_eq!(
        exported, documents,
        "the import does not round-trip:\n{}",
        imported.source
    );
}

/// The plugin ABI decoder: never panics; what it decodes encodes back to the same bytes.
pub fn abi(data: &[u8]) {
    use cairn::plugin::abi::{Returned, decode_result, encode};
    let Ok(Returned::Value(v)) = decode_result(data) else {
        return;
    };
    let mut again = Vec::new();
    encode(&v, &mut again).expect("a decoded value encodes");
    assert_eq!(again, data, "decode then encode changed the bytes");
}

/// The state file reader: never panics; a state it reads is written and read back the same.
pub fn state(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let path = std::path::Path::new("state.json");
    let Ok(st) = cairn::resources::state::parse_state(path, src) else {
        return;
    };
    let json = serde_json::to_string(&st).expect("a state serializes");
    let back = cairn::resources::state::parse_state(path, &json).expect("a written state reads");
    assert_eq!(back, st, "the state does not round-trip");
}
