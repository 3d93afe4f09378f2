//! `cairn import yaml` on real manifests: the program it writes evaluates and exports the same
//! documents, typed with std.k8s.

use cairn::importers::{self, yaml};

use crate::common::root;

const MANIFESTS: &[&str] = &["guestbook.yaml", "microservices-demo.yaml"];

/// The documents as JSON text: strict about types (`1` vs `1.0`) and key order.
fn strict(v: &cairn::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[test]
fn imported_manifests_export_the_same_documents() {
    for name in MANIFESTS {
        let path = root().join("tests/corpus/import").join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let source = importers::yaml_program(&[(name.to_string(), text.clone())])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let input = [yaml::Input { name, text: &text }];
        let expected = yaml::read_documents(&input).unwrap_or_else(|e| panic!("{name}: {e}"));

        let mut engine = cairn::Engine::new();
        let out = engine.evaluate_str("imported.cairn", &source);
        assert!(
            !out.has_errors(),
            "{name}: the imported program fails:\n{}",
            crate::common::render_diagnostics(&engine, &out)
        );
        let got: Vec<String> = out.resources.iter().map(|r| strict(&r.body)).collect();
        let want: Vec<String> = expected.iter().map(strict).collect();
        assert_eq!(got.len(), want.len(), "{name}: document count");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{name}: document {} differs", i + 1);
        }
        // Every object is of a kind std.k8s knows, so every one is typed.
        let typed = source.matches(": k8s.").count();
        let untyped = source.matches(": k8s.Object").count();
        assert_eq!(typed, want.len(), "{name}: every resource is typed");
        assert_eq!(untyped, 0, "{name}: no resource falls back to k8s.Object");
        insta::with_settings!({ snapshot_path => "corpus/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("import__{}", name.trim_end_matches(".yaml")), source);
        });
    }
}

#[test]
fn the_cli_round_trip_gives_the_same_documents_in_apply_order() {
    let dir = std::env::temp_dir().join(format!("cairn-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let bin = env!("CARGO_BIN_EXE_cairn");
    for name in MANIFESTS {
        let input = root().join("tests/corpus/import").join(name);
        let program = dir.join(format!("{name}.cairn"));
        let o = std::process::Command::new(bin)
            .args(["import", "yaml"])
            .arg(&input)
            .arg("-o")
            .arg(&program)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = std::process::Command::new(bin)
            .arg("export")
            .arg(&program)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let exported = String::from_utf8_lossy(&o.stdout).to_string();
        let text = std::fs::read_to_string(&input).unwrap_or_default();
        let read = |t: &str, n: &str| {
            yaml::read_documents(&[yaml::Input { name: n, text: t }])
                .unwrap_or_else(|e| panic!("{n}: {e}"))
        };
        let mut got: Vec<String> = read(&exported, "export").iter().map(strict).collect();
        let mut want: Vec<String> = read(&text, name).iter().map(strict).collect();
        // The export is in apply order (Services before Deployments), the input is not.
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn a_document_that_does_not_fit_its_type_is_left_untyped() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  futureField: true\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";
    let source = importers::yaml_program(&[("x.yaml".into(), text.into())])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        source.contains("resource web_deployment: k8s.Object {"),
        "{source}"
    );
    assert!(
        source.contains("resource web_service: k8s.Service {"),
        "{source}"
    );
    let out = cairn::Engine::new().evaluate_str("x.cairn", &source);
    assert!(!out.has_errors());
    assert_eq!(out.resources.len(), 2);
}

#[test]
fn plain_yaml_becomes_the_module_document() {
    let text = "name: web\nports: [80, 443]\nowner: null\n";
    let source = importers::yaml_program(&[("app.yaml".into(), text.into())])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(source, "name: \"web\"\nports: [80, 443]\nowner: null\n");
}

#[test]
fn a_custom_resource_is_typed_by_its_crd() {
    let dir = std::env::temp_dir().join(format!("cairn-crd-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("types")).unwrap_or_default();
    let bin = env!("CARGO_BIN_EXE_cairn");
    let crd = root().join("tests/corpus/crd/crontab-crd.yaml");
    let o = std::process::Command::new(bin)
        .args(["import", "jsonschema"])
        .arg(&crd)
        .arg("-o")
        .arg(dir.join("types/crontab.cairn"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let program = r#"import "./types/crontab.cairn" as ct

resource nightly: ct.CronTab {
  metadata: { name: "nightly", labels.team: "data" }
  spec: { cronSpec: "0 3 * * *", image: "reports:1.2", replicas: 2, concurrency: "Forbid" }
}
"#;
    std::fs::write(dir.join("main.cairn"), program).unwrap_or_default();
    let o = std::process::Command::new(bin)
        .arg("export")
        .arg(dir.join("main.cairn"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "---\napiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: nightly\n  labels:\n    team: data\nspec:\n  cronSpec: \"0 3 * * *\"\n  image: reports:1.2\n  replicas: 2\n  concurrency: Forbid\n"
    );
    // The CRD's constraints hold: a bad schedule, too many replicas and an unknown policy.
    let bad = program
        .replace("0 3 * * *", "every night")
        .replace("replicas: 2", "replicas: 20")
        .replace("\"Forbid\"", "\"Never\"");
    std::fs::write(dir.join("main.cairn"), bad).unwrap_or_default();
    let o = std::process::Command::new(bin)
        .arg("export")
        .arg(dir.join("main.cairn"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("3 errors reported"), "{err}");
    assert!(err.contains("E0131") && err.contains("E0130"), "{err}");
}
