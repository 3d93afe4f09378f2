//! The `cairn` binary: commands, output and exit codes (0 success, 1 user error, 2 internal).

use std::path::PathBuf;
use std::process::{Command, Output};

fn cairn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cairn")
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cairn-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

const PROGRAM: &str = r#"
param env: "dev" | "prod" = "dev"
param replicas: Int = 1
name: "web"
env: env
replicas: replicas * 2
"#;

#[test]
fn export_writes_yaml_and_json() {
    let f = temp_file("export.cairn", PROGRAM);
    let o = cairn(&["export", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "name: web\nenv: dev\nreplicas: 2\n");

    let o = cairn(&[
        "export",
        f.to_str().unwrap_or_default(),
        "--format",
        "json",
        "--param",
        "env=prod",
        "-p",
        "replicas=3",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\n  \"name\": \"web\",\n  \"env\": \"prod\",\n  \"replicas\": 6\n}\n"
    );
}

#[test]
fn export_to_a_file() {
    let f = temp_file("tofile.cairn", PROGRAM);
    let out = f.with_file_name("out/tofile.yaml");
    let o = cairn(&[
        "export",
        f.to_str().unwrap_or_default(),
        "-o",
        out.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap_or_default(),
        "name: web\nenv: dev\nreplicas: 2\n"
    );
}

#[test]
fn nothing_is_written_when_there_are_errors() {
    let f = temp_file("broken.cairn", "x: nope\n");
    let out = f.with_file_name("broken.yaml");
    std::fs::write(&out, "previous").expect("write");
    let o = cairn(&[
        "export",
        f.to_str().unwrap_or_default(),
        "-o",
        out.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap_or_default(),
        "previous"
    );
    let err = stderr(&o);
    assert!(
        err.contains("E0100") && err.contains("unknown name `nope`"),
        "{err}"
    );
    assert!(err.contains("broken.cairn:1:4"), "{err}");
}

#[test]
fn resources_export_as_a_stream() {
    let f = temp_file(
        "res.cairn",
        "for n in [\"a\", \"b\"] {\n  resource cm[n]: k8s.ConfigMap { apiVersion: \"v1\", kind: \"ConfigMap\", metadata.name: n }\n}\nsummary: 2\n",
    );
    let o = cairn(&["export", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
    );
    let o = cairn(&["export", f.to_str().unwrap_or_default(), "--document"]);
    assert_eq!(stdout(&o), "summary: 2\n");
}

#[test]
fn eval_prints_the_document_or_an_expression() {
    let f = temp_file("eval.cairn", "let xs = [3, 1, 2]\nsorted: sort(xs)\n");
    let o = cairn(&["eval", f.to_str().unwrap_or_default()]);
    assert_eq!(stdout(&o), "sorted:\n  - 1\n  - 2\n  - 3\n");
    let o = cairn(&["eval", f.to_str().unwrap_or_default(), "-e", "sum(xs) * 10"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "60\n");
    let o = cairn(&["eval", f.to_str().unwrap_or_default(), "-e", "xs +"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0001"), "{}", stderr(&o));
}

#[test]
fn json_diagnostics_for_tools() {
    let f = temp_file("jsondiag.cairn", "a: 1 / 0\nb: [1][3]\n");
    let o = cairn(&[
        "export",
        f.to_str().unwrap_or_default(),
        "--diagnostics",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).expect("json on stderr");
    let list = v["diagnostics"].as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["code"], "E0105");
    assert_eq!(list[0]["labels"][0]["line"], 1);
    assert_eq!(list[0]["labels"][0]["column"], 4);
    assert_eq!(list[1]["code"], "E0102");
    assert!(list[1]["help"].is_string());
}

#[test]
fn missing_file_is_a_diagnostic() {
    let o = cairn(&["export", "/nonexistent/nothing.cairn"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0301"), "{}", stderr(&o));
}

#[test]
fn malformed_param_is_a_diagnostic() {
    let f = temp_file("param.cairn", PROGRAM);
    let o = cairn(&[
        "export",
        f.to_str().unwrap_or_default(),
        "--param",
        "novalue",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0400"), "{}", stderr(&o));
    let o = cairn(&[
        "export",
        f.to_str().unwrap_or_default(),
        "--param",
        "replica=2",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("E0115") && err.contains("did you mean `replicas`?"),
        "{err}"
    );
    let o = cairn(&[
        "export",
        f.to_str().unwrap_or_default(),
        "--param",
        "replicas=two",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0116"), "{}", stderr(&o));
}

#[test]
fn help_explains_the_commands() {
    let o = cairn(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("export") && out.contains("eval"), "{out}");
    let o = cairn(&["export", "--help"]);
    let out = stdout(&o);
    assert!(
        out.contains("--param") && out.contains("module document"),
        "{out}"
    );
}

#[test]
fn eval_expressions_see_fields_and_report_in_their_own_text() {
    let f = temp_file(
        "evalscope.cairn",
        "// a comment first\nlet port = 8080\ndatabase: { url: \"postgres://db:${port}\" }\n",
    );
    let o = cairn(&["eval", f.to_str().unwrap_or_default(), "-e", "database.url"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "postgres://db:8080\n");
    let o = cairn(&["eval", f.to_str().unwrap_or_default(), "-e", "port + prot"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("<expression>:1:8"), "{err}");
    assert!(err.contains("did you mean `port`?"), "{err}");
}

#[test]
fn a_program_with_only_conditional_resources_exports_an_empty_stream() {
    let f = temp_file(
        "conditional.cairn",
        "param enabled: Bool = false\ninternal: { password: \"hunter2\" }\nif enabled {\n  resource cm: k8s.ConfigMap { data.mode: \"on\" }\n}\n",
    );
    let o = cairn(&["export", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let o = cairn(&["export", f.to_str().unwrap_or_default(), "--format", "json"]);
    assert_eq!(stdout(&o), "[]\n");
    let o = cairn(&[
        "export",
        f.to_str().unwrap_or_default(),
        "--param",
        "enabled=true",
    ]);
    assert_eq!(stdout(&o), "---\ndata:\n  mode: \"on\"\n");
}

const TYPED: &str = r#"/// Where to deploy.
param env: "dev" | "prod" = "dev"
/// How many replicas.
param replicas: Int(1..=10) = 1
/// A service.
schema Service {
  /// DNS name.
  name: String(matches: "^[a-z]+$")
  port: Int(1..=65535) = 8080
}
let web: Service = { name: "web" }
out: { env: env, replicas: replicas, web: web }
"#;

#[test]
fn params_lists_types_defaults_and_docs() {
    let f = temp_file("typed-params.cairn", TYPED);
    let o = cairn(&["params", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "env: \"dev\" | \"prod\" = \"dev\"\n    Where to deploy.\n    set with --param env=... or CAIRN_PARAM_ENV\nreplicas: Int(1..=10) = 1\n    How many replicas.\n    set with --param replicas=... or CAIRN_PARAM_REPLICAS\n"
    );
    let o = cairn(&["params", f.to_str().unwrap_or_default(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v[1]["ty"], "Int(1..=10)");
}

#[test]
fn params_from_a_file_and_the_environment() {
    let f = temp_file("typed-env.cairn", TYPED);
    let p = temp_file("typed-env.yaml", "replicas: 4\n");
    let o = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "eval",
            f.to_str().unwrap_or_default(),
            "-e",
            "[env, replicas]",
            "--params",
            p.to_str().unwrap_or_default(),
        ])
        .env("CAIRN_PARAM_ENV", "prod")
        .env("CAIRN_PARAM_REPLICAS", "2")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "- prod\n- 4\n");
    let o = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["export", f.to_str().unwrap_or_default()])
        .env("CAIRN_PARAM_REPLICAS", "20")
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("E0116") && err.contains("20 is not in 1..=10"),
        "{err}"
    );
}

#[test]
fn schema_prints_schemas_and_json_schema() {
    let f = temp_file("typed-schema.cairn", TYPED);
    let o = cairn(&["schema", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "/// A service.\nschema Service {\n  /// DNS name.\n  name: String(matches: \"^[a-z]+$\")\n  port: Int(1..=65535) = 8080\n}\n"
    );
    let o = cairn(&[
        "schema",
        f.to_str().unwrap_or_default(),
        "Service",
        "--json-schema",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["$ref"], "#/$defs/Service");
    assert_eq!(
        v["$defs"]["Service"]["properties"]["port"]["maximum"],
        65535
    );
    let o = cairn(&[
        "schema",
        f.to_str().unwrap_or_default(),
        "Servce",
        "--json-schema",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean `Service`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn streamed_resources_print_nothing_when_a_later_one_fails() {
    // The first resources are fine; a later one repeats a key. Nothing may reach stdout.
    let f = temp_file(
        "stream-dup.cairn",
        "for n in [\"a\", \"b\", \"a\"] {\n  resource cm[n]: k8s.ConfigMap { metadata.name: n }\n}\n",
    );
    let o = cairn(&["export", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("E0114"), "{}", stderr(&o));

    let f = temp_file(
        "stream-fn.cairn",
        "for n in [\"a\", \"b\"] {\n  resource cm[n]: k8s.ConfigMap { data: { f: if n == \"b\" { fn(x) = x } else { 1 } } }\n}\n",
    );
    let o = cairn(&["export", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("E0200") && stderr(&o).contains("cm[\"b\"].data.f"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn streamed_export_matches_collected_export() {
    // The CLI streams resources; the library collects them. Both must write the same bytes.
    for example in ["k8s-services", "ci-workflow", "app-config"] {
        let path = crate::common::root().join(format!("examples/{example}/main.cairn"));
        let (_, out) = crate::common::evaluate(&path);
        let docs = out.documents(cairn::export::Selection::Auto);
        for (format, flag) in [
            (cairn::export::Format::Yaml, "yaml"),
            (cairn::export::Format::Json, "json"),
        ] {
            let collected = cairn::export::render(&docs, format).expect("render");
            let o = cairn(&[
                "export",
                path.to_str().unwrap_or_default(),
                "--format",
                flag,
            ]);
            assert_eq!(stdout(&o), collected, "{example} as {flag}");
        }
    }
    let f = temp_file(
        "one.cairn",
        "resource cm: k8s.ConfigMap { data.a: \"1\" }\n",
    );
    assert_eq!(
        stdout(&cairn(&["export", f.to_str().unwrap_or_default()])),
        "---\ndata:\n  a: \"1\"\n"
    );
    // One resource is still a stream, in JSON too: the shape does not depend on the count.
    let o = cairn(&["export", f.to_str().unwrap_or_default(), "-f", "json"]);
    assert_eq!(
        stdout(&o),
        "[\n  {\n    \"data\": {\n      \"a\": \"1\"\n    }\n  }\n]\n"
    );
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    assert_eq!(cairn(&["export"]).status.code(), Some(1));
    assert_eq!(cairn(&["frobnicate"]).status.code(), Some(1));
    assert_eq!(
        cairn(&["export", "x.cairn", "--format", "xml"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(cairn(&["--version"]).status.code(), Some(0));
    assert_eq!(cairn(&["schema", "--help"]).status.code(), Some(0));
}

/// Argument errors read like every other diagnostic: a code, the command line with the
/// argument underlined, a help line.
#[test]
fn argument_errors_are_coded_diagnostics_at_the_argument() {
    let cases: &[&[&str]] = &[
        &["export"],
        &["frobnicate"],
        &["export", "x.cairn", "--bogus"],
        &["plan", "--format", "xml", "x.cairn"],
        &["plan", "--format=xml", "x.cairn"],
        &["export", "no/such/file.cairn"],
    ];
    let mut shown = String::new();
    for args in cases {
        let o = cairn(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stdout(&o).is_empty(), "{args:?}");
        shown.push_str(&format!("$ cairn {}\n{}\n", args.join(" "), stderr(&o)));
        // The same in JSON: one diagnostic with a code and a label on the command line.
        let mut json_args = vec!["--diagnostics", "json"];
        json_args.extend_from_slice(args);
        let o = cairn(&json_args);
        let v: serde_json::Value = serde_json::from_slice(&o.stderr).expect("JSON diagnostics");
        let d = &v["diagnostics"][0];
        assert!(
            d["code"].as_str().is_some_and(|c| c.starts_with("E0")),
            "{v}"
        );
        assert_eq!(d["labels"][0]["file"], "<command line>", "{v}");
        assert!(d["help"].as_str().is_some_and(|h| !h.is_empty()), "{v}");
    }
    insta::assert_snapshot!("argument_errors", shown);
}

#[test]
fn eval_expressions_can_read_resources() {
    let f = temp_file(
        "evalres.cairn",
        "resource db: k8s.X { host: \"db.internal\" }\nfor k in [\"a\"] { resource q[k]: k8s.Y { b: k } }\n",
    );
    let o = cairn(&[
        "eval",
        f.to_str().unwrap_or_default(),
        "-e",
        "[db.host, q[\"a\"].b]",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "- db.internal\n- a\n");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("cairn-cli-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .collect();
    names.sort();
    names
}

const MANIFESTS: &str = r#"
param with_job: Bool = true
resource web: k8s.Deployment { apiVersion: "apps/v1", kind: "Deployment", metadata.name: "web" }
resource ns: k8s.Namespace { apiVersion: "v1", kind: "Namespace", metadata.name: "shop" }
resource svc: k8s.Service { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop" } }
if with_job {
  resource job: k8s.Job { apiVersion: "batch/v1", kind: "Job", metadata.name: "migrate" }
}
resource notes: doc.Note { text: "not a Kubernetes object" }
"#;

#[test]
fn export_to_a_folder_writes_one_file_per_object_in_apply_order() {
    let f = temp_file("manifests.cairn", MANIFESTS);
    let dir = temp_dir("rendered");
    let out = format!("{}/", dir.display());
    let o = cairn(&["export", f.to_str().unwrap_or_default(), "-o", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        listing(&dir),
        [
            "01-namespace-shop.yaml",
            "02-service-shop-web.yaml",
            "03-deployment-web.yaml",
            "04-job-migrate.yaml",
            "05-notes.yaml"
        ]
    );
    let svc = std::fs::read_to_string(dir.join("02-service-shop-web.yaml")).unwrap_or_default();
    assert_eq!(
        svc,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n"
    );
    // A file the user put there stays; a file of the earlier export that is not written again
    // goes.
    std::fs::write(dir.join("README.md"), "mine").unwrap_or_default();
    let o = cairn(&[
        "export",
        f.to_str().unwrap_or_default(),
        "-o",
        &out,
        "--param",
        "with_job=false",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        listing(&dir),
        [
            "01-namespace-shop.yaml",
            "02-service-shop-web.yaml",
            "03-deployment-web.yaml",
            "04-notes.yaml",
            "README.md"
        ]
    );
    // The stream has the same order.
    let o = cairn(&["export", f.to_str().unwrap_or_default()]);
    let text = stdout(&o);
    let kinds: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("kind:") || l.starts_with("text:"))
        .map(|l| l.trim_start_matches("kind: ").trim_start_matches("text: "))
        .collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "Service",
            "Deployment",
            "Job",
            "not a Kubernetes object"
        ]
    );
}

#[test]
fn a_folder_is_a_program() {
    let dir = temp_dir("package");
    std::fs::write(
        dir.join("a.cairn"),
        "let base = 8000\nport: base + offset\n",
    )
    .unwrap_or_default();
    std::fs::write(dir.join("b.cairn"), "let offset = 80\nhost: \"web\"\n").unwrap_or_default();
    let o = cairn(&["export", dir.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "port: 8080\nhost: web\n");
}

#[test]
fn doc_renders_a_module_from_its_doc_comments() {
    let o = cairn(&["doc", "std.lists"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("# std.lists\n\nFunctions over lists"),
        "{text}"
    );
    assert!(
        text.contains("fn chunks(xs: List, size: Int(1..)) -> [List]"),
        "{text}"
    );
    assert!(
        !text.contains("_take"),
        "private names are left out:\n{text}"
    );

    let f = temp_file(
        "documented.cairn",
        "//! Shared settings.\n\n/// A port.\ntype Port = Int(1..=65535)\n/// The default.\nlet port: Port = 80\n",
    );
    let o = cairn(&["doc", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Shared settings."), "{text}");
    assert!(
        text.contains("type Port = Int(1..=65535)\n```\n\nA port."),
        "{text}"
    );

    let o = cairn(&["doc", "std.nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0140"), "{}", stderr(&o));
}

#[test]
fn import_reports_bad_input() {
    let f = temp_file("bad.yaml", "a: [1, 2\n");
    let o = cairn(&["import", "yaml", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0401"), "{}", stderr(&o));
    let f = temp_file(
        "bad.json",
        "{\"definitions\": {\"A\": {\"$ref\": \"#/definitions/B\"}}}",
    );
    let o = cairn(&["import", "jsonschema", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0401"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_cannot_lead_an_import_out_of_the_project() {
    let base = temp_dir("symlink-escape");
    let project = base.join("project");
    std::fs::create_dir_all(&project).unwrap_or_default();
    std::fs::create_dir_all(base.join("elsewhere")).unwrap_or_default();
    std::fs::write(
        base.join("elsewhere/secret.cairn"),
        "let token = \"s3cr3t\"\n",
    )
    .unwrap_or_default();
    std::fs::write(project.join("cairn.toml"), "[project]\nname = \"p\"\n").unwrap_or_default();
    let _ = std::os::unix::fs::symlink(base.join("elsewhere"), project.join("lib"));
    std::fs::write(
        project.join("main.cairn"),
        "import \"./lib/secret.cairn\" as s\nx: s.token\n",
    )
    .unwrap_or_default();
    let o = cairn(&[
        "export",
        project.join("main.cairn").to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("E0142"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("leads outside the project"),
        "{}",
        stderr(&o)
    );
    assert!(!stdout(&o).contains("s3cr3t"));
}

#[test]
fn fmt_formats_files_and_check_lists_them() {
    let dir = temp_dir("fmt");
    std::fs::write(dir.join("a.cairn"), "x:{a:1,b:[1,2]}   // hi\nlet  y=2\n").unwrap_or_default();
    std::fs::write(dir.join("b.cairn"), "z: 1\n").unwrap_or_default();
    let o = cairn(&["fmt", "--check", dir.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("a.cairn") && !stdout(&o).contains("b.cairn"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("1 file is not formatted"),
        "{}",
        stderr(&o)
    );
    let o = cairn(&["fmt", dir.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("a.cairn")).unwrap_or_default(),
        "x: { a: 1, b: [1, 2] } // hi\nlet y = 2\n"
    );
    let o = cairn(&["fmt", "--check", dir.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0));
    // A file with a syntax error is reported, not formatted.
    std::fs::write(dir.join("c.cairn"), "x: [1, 2\n").unwrap_or_default();
    let o = cairn(&["fmt", dir.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0001"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("c.cairn")).unwrap_or_default(),
        "x: [1, 2\n"
    );
}

#[test]
fn the_repository_s_own_cairn_code_is_formatted() {
    let root = env!("CARGO_MANIFEST_DIR");
    let o = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["fmt", "--check", "examples", "stdlib", "benches"])
        .current_dir(root)
        .output()
        .expect("run cairn");
    assert_eq!(
        o.status.code(),
        Some(0),
        "run `cargo run -- fmt examples stdlib benches`:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
