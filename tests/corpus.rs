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
    ("E0153", "exhaustion::source_files_are_limited_to_16_mib"),
    ("E0400", "cli::malformed_param_is_a_diagnostic"),
    ("E0401", "cli::import_reports_bad_input"),
    (
        "E0201",
        "resources::state_problems_and_unknown_values_are_diagnostics",
    ),
    (
        "E0402",
        "resources::a_second_apply_waits_for_no_one_it_fails_on_the_lock",
    ),
    (
        "E0403",
        "resources::a_saved_plan_is_refused_once_the_state_moved_on",
    ),
    (
        "E0404",
        "resources::a_failure_skips_its_dependents_and_the_rest_finishes",
    ),
    ("E0601", "history::unknown_revisions_and_empty_repositories"),
    ("E0602", "history::apply_refuses_a_dirty_tree"),
    ("E0603", "history::rollbacks_and_diverged_branches"),
    ("E0604", "history::signed_history"),
    (
        "E0500",
        "plugin::load_problems_are_diagnostics_at_the_import",
    ),
    (
        "E0501",
        "plugin::load_problems_are_diagnostics_at_the_import",
    ),
    (
        "E0502",
        "plugin::load_problems_are_diagnostics_at_the_import",
    ),
    (
        "E0503",
        "plugin::load_problems_are_diagnostics_at_the_import",
    ),
    (
        "E0504",
        "plugin::every_fault_is_a_clean_diagnostic_within_its_limit",
    ),
    (
        "E0505",
        "plugin::every_fault_is_a_clean_diagnostic_within_its_limit",
    ),
    (
        "E0506",
        "plugin::every_fault_is_a_clean_diagnostic_within_its_limit",
    ),
    (
        "E0507",
        "plugin::every_fault_is_a_clean_diagnostic_within_its_limit",
    ),
    (
        "E0508",
        "plugin::every_fault_is_a_clean_diagnostic_within_its_limit",
    ),
    ("E0509", "plugin::a_denying_policy_points_at_the_resource"),
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
    let projects = crate::common::root().join("tests/corpus/projects");
    for case in std::fs::read_dir(&projects).into_iter().flatten().flatten() {
        files.extend(
            project_files(&case.path())
                .iter()
                .map(|f| case.path().join(f)),
        );
    }
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

/// The files of a project case, relative to its folder, sorted (for the snapshot).
fn project_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.map(|e| e.path()).unwrap_or_default();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "ENTRY") {
                out.push(p.strip_prefix(dir).unwrap_or(&p).to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// tests/corpus/projects: multi-file projects, one folder each. The entry is the path in the
/// folder's `ENTRY` file, else `main.cairn`, else the folder itself (a package). An entry with
/// an `// expect:` header must produce exactly those codes; any other must export cleanly. The
/// snapshot shows every file of the project and the result.
#[test]
fn project_corpus() {
    let base = crate::common::root().join("tests/corpus/projects");
    let mut cases: Vec<std::path::PathBuf> = std::fs::read_dir(&base)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "{} project cases", cases.len());
    for case in cases {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        // Paths relative to the repository, so snapshots do not depend on where it is.
        let rel = std::path::Path::new("tests/corpus/projects").join(&name);
        let entry = match std::fs::read_to_string(case.join("ENTRY")) {
            Ok(e) => rel.join(e.trim()),
            Err(_) if case.join("main.cairn").exists() => rel.join("main.cairn"),
            Err(_) => rel.clone(),
        };
        let mut expected = BTreeSet::new();
        let mut listing = String::new();
        for f in project_files(&case) {
            let text = std::fs::read_to_string(case.join(&f)).unwrap_or_default();
            expected.extend(expected_codes(&text));
            listing.push_str(&format!("==== {} ====\n{text}\n", f.display()));
        }
        let mut engine = cairn::Engine::new();
        let out = engine.evaluate_file(&entry);
        let result = if expected.is_empty() {
            assert!(
                out.diagnostics.is_empty(),
                "{name} should evaluate cleanly:\n{}",
                render_diagnostics(&engine, &out)
            );
            format!("==== export (YAML) ====\n{}", exported(&out))
        } else {
            assert_diagnostics(&case, &engine, &out, &expected);
            format!(
                "==== diagnostics ====\n{}",
                render_diagnostics(&engine, &out)
            )
        };
        let snapshot = format!("entry: {}\n{listing}{result}", entry.display());
        insta::with_settings!({ snapshot_path => "corpus/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("project__{name}"), snapshot);
        });
    }
}
