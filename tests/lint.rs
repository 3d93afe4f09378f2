//! The linter: every rule documents itself with an example that fires and a fix that does
//! not; docs/lint-rules.md is generated from the rules; SARIF output validates against the
//! SARIF 2.1.0 schema; configuration and suppressions work through `cairn lint`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cairn::lint::{self, rules};

use crate::common::root;

#[test]
fn every_rule_is_documented_and_its_examples_behave() {
    assert!(rules::ALL.len() >= 20, "{} rules", rules::ALL.len());
    let mut codes = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for r in rules::ALL {
        let i = r.info();
        assert!(codes.insert(i.code), "code {} twice", i.code);
        assert!(names.insert(i.name), "name {} twice", i.name);
        for text in [i.summary, i.why] {
            assert!(
                !text.is_empty() && !text.contains("being written"),
                "{}: undocumented",
                i.name
            );
        }
        let fired = lint::lint_str(i.example);
        assert!(
            fired.iter().any(|(n, _)| n == i.name),
            "{}: its example does not fire it: {fired:?}",
            i.name
        );
        let fired = lint::lint_str(i.instead);
        assert!(
            !fired.iter().any(|(n, _)| n == i.name),
            "{}: the fixed example still fires it: {fired:?}",
            i.name
        );
    }
}

#[test]
fn lint_rules_reference_is_current() {
    let path = root().join("docs/lint-rules.md");
    let generated = lint::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/lint-rules.md is stale: run `UPDATE_DOCS=1 cargo test --test main lint` and commit it"
    );
}

fn cairn(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("run cairn: {e}"))
}

fn project(name: &str, toml: &str, main: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("cairn-lint-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("cairn.toml"), toml).unwrap_or_default();
    std::fs::write(dir.join("main.cairn"), main).unwrap_or_default();
    dir
}

const FINDINGS: &str = r#"import std.k8s

let unused = 1
resource web: k8s.Deployment {
  metadata.name: "web"
  spec: {
    selector.matchLabels.app: "web"
    template: {
      metadata.labels.app: "web"
      spec.containers: [{ name: "web", image: "nginx" }]
    }
  }
}
x: { a: 1, a: 2 }
"#;

#[test]
fn sarif_output_validates_against_the_sarif_schema() {
    let dir = project("sarif", "[project]\nname = \"s\"\n", FINDINGS);
    let o = cairn(&dir, &["lint", "main.cairn", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON: {e}\n{}", String::from_utf8_lossy(&o.stderr)));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sarif-schema-2.1.0.json"))
            .unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(results.len() >= 3, "{results:#?}");
    assert!(
        results
            .iter()
            .all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64())
    );
}

#[test]
fn configuration_levels_and_suppressions() {
    // Defaults: warnings only, exit 0.
    let dir = project("levels", "[project]\nname = \"l\"\n", FINDINGS);
    let o = cairn(&dir, &["lint"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("duplicate-key") && err.contains("image-tag"),
        "{err}"
    );
    // A rule off, a group raised to error: exit 1.
    let dir = project(
        "levels2",
        "[project]\nname = \"l\"\n\n[lint]\n\"duplicate-key\" = \"off\"\nkubernetes = \"error\"\n",
        FINDINGS,
    );
    let o = cairn(&dir, &["lint"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        !err.contains("duplicate-key") && err.contains("× "),
        "{err}"
    );
    // An unknown rule in cairn.toml is an error with a suggestion.
    let dir = project(
        "levels3",
        "[lint]\n\"duplicate-keys\" = \"off\"\n",
        FINDINGS,
    );
    let o = cairn(&dir, &["lint"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("did you mean `duplicate-key`"), "{err}");
    // A suppression silences one finding; a stale one is reported.
    let suppressed = FINDINGS.replace(
        "x: { a: 1, a: 2 }",
        "x: { a: 1, a: 2 } // cairn:allow(duplicate-key): kept for the demo\n// cairn:allow(image-tag): nothing here\ny: 1",
    );
    let dir = project("suppress", "", &suppressed);
    let o = cairn(&dir, &["lint", "--format", "json"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(!out.contains("L0006") && out.contains("L0100"), "{out}");
}

#[test]
fn fix_applies_the_safe_fixes_and_keeps_what_is_allowed() {
    let program = r#"import std.lists

let unused = 1
// cairn:allow(unused-binding): kept for the next release
let later = 2
fn helper(x: Int) -> Int = x * 2
port: 8080
"#;
    let dir = project("fix", "[project]\nname = \"f\"\n", program);
    let before = cairn(&dir, &["export", "main.cairn"]);
    let o = cairn(&dir, &["lint", "--fix"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(err.contains("applied 3 fixes"), "{err}");
    let fixed = std::fs::read_to_string(dir.join("main.cairn")).unwrap_or_default();
    // Whole lines go; the blank line that separated the import stays (`cairn fmt` tidies it).
    assert_eq!(
        fixed,
        "\n// cairn:allow(unused-binding): kept for the next release\nlet later = 2\nport: 8080\n"
    );
    let o = cairn(&dir, &["lint"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("0 errors, 0 warnings"));
    let after = cairn(&dir, &["export", "main.cairn"]);
    assert_eq!(before.stdout, after.stdout, "fixing changed the output");
}
