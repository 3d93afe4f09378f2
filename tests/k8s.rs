//! std.k8s: every kind has a program in tests/corpus/k8s; each exports cleanly (snapshot) and
//! its manifests pass an independent validator, `kubernetes-validate --strict` against the
//! Kubernetes version std.k8s is generated from (scripts/test installs it). Error cases in
//! tests/corpus/k8s/errors produce exactly the codes in their `// expect:` header.

use std::collections::BTreeSet;
use std::process::Command;

use cairn::export::{Format, Selection};

use crate::common::{cairn_files, evaluate, render_diagnostics, root};

/// The Kubernetes version of std.k8s (stdlib/k8s/source).
const VERSION: &str = "1.34.0";

fn validator() -> Command {
    let mut c = Command::new("kubernetes-validate");
    c.args(["--strict", "--quiet", "-k", VERSION]);
    c
}

#[test]
fn every_kind_has_an_example_that_passes_the_validator() {
    let files = cairn_files("tests/corpus/k8s");
    let dir = std::env::temp_dir().join(format!("cairn-k8s-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let mut kinds = BTreeSet::new();
    let mut manifests = Vec::new();
    for path in &files {
        let (engine, out) = evaluate(path);
        assert!(
            out.diagnostics.is_empty(),
            "{}:\n{}",
            path.display(),
            render_diagnostics(&engine, &out)
        );
        let yaml = out
            .render(Selection::Auto, Format::Yaml)
            .unwrap_or_else(|e| panic!("{e}"));
        for doc in out.documents(Selection::Auto) {
            if let Some(kind) = cairn::export::kubernetes_kind(doc) {
                kinds.insert(kind.to_string());
            }
        }
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let src = std::fs::read_to_string(path).unwrap_or_default();
        insta::with_settings!({ snapshot_path => "corpus/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("k8s__{name}"), format!("{src}\n==== export (YAML) ====\n{yaml}"));
        });
        let file = dir.join(format!("{name}.yaml"));
        std::fs::write(&file, yaml).unwrap_or_default();
        manifests.push(file);
    }
    let expected: BTreeSet<String> = cairn::importers::k8s_kinds()
        .into_keys()
        .map(|(_, kind)| kind)
        .collect();
    let missing: Vec<&String> = expected.difference(&kinds).collect();
    assert!(missing.is_empty(), "kinds without an example: {missing:?}");

    let out = validator()
        .args(&manifests)
        .output()
        .unwrap_or_else(|e| crate::common::tool_missing("kubernetes-validate", e));
    assert!(
        out.status.success(),
        "kubernetes-validate rejected the exported manifests:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_imported_real_manifests_still_validate_after_the_round_trip() {
    let bin = env!("CARGO_BIN_EXE_cairn");
    let dir = std::env::temp_dir().join(format!("cairn-k8s-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    for name in ["guestbook", "microservices-demo"] {
        let program = dir.join(format!("{name}.cairn"));
        let input = root().join(format!("tests/corpus/import/{name}.yaml"));
        let o = Command::new(bin)
            .args(["import", "yaml"])
            .arg(&input)
            .arg("-o")
            .arg(&program)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let rendered = dir.join(format!("{name}.yaml"));
        let o = Command::new(bin)
            .arg("export")
            .arg(&program)
            .arg("-o")
            .arg(&rendered)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = validator()
            .arg(&rendered)
            .output()
            .unwrap_or_else(|e| crate::common::tool_missing("kubernetes-validate", e));
        assert!(
            out.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn kubernetes_mistakes_are_reported_at_the_value() {
    let files = cairn_files("tests/corpus/k8s/errors");
    assert!(files.len() >= 3, "{} k8s error cases", files.len());
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let expected: BTreeSet<String> = src
            .lines()
            .take_while(|l| l.starts_with("//"))
            .filter_map(|l| l.strip_prefix("// expect:"))
            .flat_map(|r| r.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect();
        let (engine, out) = evaluate(&path);
        let got: BTreeSet<String> = out
            .diagnostics
            .iter()
            .map(|d| d.code.id.to_string())
            .collect();
        assert_eq!(
            got,
            expected,
            "{}:\n{}",
            path.display(),
            render_diagnostics(&engine, &out)
        );
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        insta::with_settings!({ snapshot_path => "corpus/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("k8s_error__{name}"), format!("{src}\n==== diagnostics ====\n{}", render_diagnostics(&engine, &out)));
        });
    }
}
