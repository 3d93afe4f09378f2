//! Corpus tests. Each file in tests/corpus/eval is a program that must evaluate without
//! diagnostics; its snapshot shows the source next to the exported YAML. Each file in
//! tests/corpus/errors is a broken program whose header names the codes it must produce
//! (`// expect: E0100 E0101`); its snapshot shows the rendered diagnostics.

use std::collections::BTreeSet;

use cairn::diagnostics::codes;
use cairn::export::{Format, Selection};

use crate::common::{cairn_files, evaluate, render_diagnostics};

fn exported(out: &cairn::Outcome) -> String {
    out.render(Selection::Auto, Format::Yaml)
        .unwrap_or_else(|e| format!("<export failed: {e}>"))
}

#[test]
fn eval_corpus() {
    let files = cairn_files("tests/corpus/eval");
    assert!(
        files.len() >= 20,
        "the eval corpus has {} files",
        files.len()
    );
    for path in files {
        let (engine, out) = evaluate(&path);
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            out.diagnostics.is_empty(),
            "{} produced diagnostics:\n{}",
            path.display(),
            render_diagnostics(&engine, &out)
        );
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let snapshot = format!("{src}\n==== export (YAML) ====\n{}", exported(&out));
        insta::with_settings!({ snapshot_path => "corpus/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("eval__{name}"), snapshot);
        });
    }
}

/// The codes named by `// expect:` header lines.
fn expected_codes(src: &str) -> BTreeSet<String> {
    src.lines()
        .take_while(|l| l.starts_with("//"))
        .filter_map(|l| l.strip_prefix("// expect:"))
        .flat_map(|rest| {
            rest.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The codes produced are exactly those expected, and each diagnostic has a span and a help line.
fn assert_diagnostics(
    path: &std::path::Path,
    engine: &cairn::Engine,
    out: &cairn::Outcome,
    expected: &BTreeSet<String>,
) {
    let got: BTreeSet<String> = out
        .diagnostics
        .iter()
        .map(|d| d.code.id.to_string())
        .collect();
    assert_eq!(
        &got,
        expected,
        "{}: codes differ; diagnostics:\n{}",
        path.display(),
        render_diagnostics(engine, out)
    );
    for d in &out.diagnostics {
        assert!(
            d.help.is_some(),
            "{}: {} has no help line",
            path.display(),
            d.code.id
        );
        assert!(
            !d.labels.is_empty(),
            "{}: {} has no span",
            path.display(),
            d.code.id
        );
    }
}

#[test]
fn error_corpus() {
    let files = cairn_files("tests/corpus/errors");
    assert!(
        files.len() >= 40,
        "the error corpus has {} files",
        files.len()
    );
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let expected = expected_codes(&src);
        assert!(
            !expected.is_empty(),
            "{} has no `// expect:` header",
            path.display()
        );
        let (engine, out) = evaluate(&path);
        assert_diagnostics(&path, &engine, &out, &expected);
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let snapshot = format!(
            "{src}\n==== diagnostics ====\n{}",
            render_diagnostics(&engine, &out)
        );
        insta::with_settings!({ snapshot_path => "corpus/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("error__{name}"), snapshot);
        });
    }
}

/// tests/corpus/types: well-typed programs (no `// expect:` header) export like eval cases;
/// ill-typed ones (with a header) produce exactly the codes named, like error cases.
#[test]
fn types_corpus() {
    let files = cairn_files("tests/corpus/types");
    assert!(
        files.len() >= 60,
        "the types corpus has {} files",
        files.len()
    );
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let expected = expected_codes(&src);
        let (engine, out) = evaluate(&path);
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let snapshot = if expected.is_empty() {
            assert!(
                out.diagnostics.is_empty(),
                "{} should be well-typed:\n{}",
                path.display(),
                render_diagnostics(&engine, &out)
            );
            format!("{src}\n==== export (YAML) ====\n{}", exported(&out))
        } else {
            assert_diagnostics(&path, &engine, &out, &expected);
            format!(
                "{src}\n==== diagnostics ====\n{}",
                render_diagnostics(&engine, &out)
            )
        };
        insta::with_settings!({ snapshot_path => "corpus/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("types__{name}"), snapshot);
        });
    }
}

/// Codes that no program can produce; each is tested by the named test instead.
const TESTED_ELSEWHERE: &[(&str, &str)] = &[
    ("E0300", "embed::host_type_mismatch_is_a_diagnostic"),
    ("E0301", "cli::missing_file_is_a_diagnostic"),
    ("E0400", "cli::malformed_param_is_a_diagnostic"),
    (
        "E9999",
        "cli: a crash exits 2 (only reachable through a bug)",
    ),
];

#[test]
fn every_code_has_an_error_case() {
    let mut covered = BTreeSet::new();
    let mut files = cairn_files("tests/corpus/errors");
    files.extend(cairn_files("tests/corpus/types"));
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        covered.extend(expected_codes(&src));
    }
    for (code, _) in TESTED_ELSEWHERE {
        covered.insert(code.to_string());
    }
    let missing: Vec<&str> = codes::ALL
        .iter()
        .map(|c| c.id)
        .filter(|id| !covered.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an error case: {missing:?}"
    );
}
