//! Every feature through the real server in this process (tower's `Service`), with snapshots
//! that draw the cursor (`‸`) and the result ranges (`⟦...⟧`) into the source.

mod common;

use common::{Server, completion_list, render, uri};
use serde_json::{Value, json};

const LIB: &str = r#"/// Labels every object of the app carries.
fn labels(app: String) -> {String: String} = { app: app, team: "shop" }

/// The default number of replicas.
let replicas = 2
"#;

async fn complete(name: &str, text: &str) -> String {
    let mut s = Server::start(name).await;
    let (path, clean, pos) = s.open("main.cairn", text).await;
    let v = s.at("textDocument/completion", &path, &pos).await;
    format!(
        "{}\n---\n{}",
        render(&clean, Some(&pos), &[]),
        completion_list(&v)
    )
}

#[tokio::test]
async fn completion_fields_of_a_resource_schema() {
    let out = complete(
        "fields",
        "import std.k8s\n\nresource web: k8s.ConfigMap {\n  metadata: { name: \"web\" }\n  ‸\n}\n",
    )
    .await;
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn completion_nested_fields_leave_out_those_set() {
    let out = complete(
        "nested",
        "import std.k8s\n\nresource web: k8s.ConfigMap {\n  metadata: { name: \"web\", n‸ }\n}\n",
    )
    .await;
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn completion_after_a_dot_in_an_unclosed_object() {
    let out = complete(
        "dot",
        "import std.k8s\n\nresource web: k8s.Deployment {\n  spec.‸\n\nlet after = 1\n",
    )
    .await;
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn completion_members_of_a_value() {
    let out = complete(
        "members",
        "schema Port {\n  name: String\n  port: Int(1..=65535)\n}\nlet p: Port = { name: \"http\", port: 80 }\nx: p.‸\n",
    )
    .await;
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn completion_literals_of_a_union_and_locals() {
    let out = complete(
        "union",
        "schema App {\n  env: \"dev\" | \"prod\"\n}\nparam region: String = \"eu\"\nlet a: App = { env: ‸ }\n",
    )
    .await;
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn completion_locals_params_and_builtins() {
    let out = complete(
        "locals",
        "param count: Int = 3\nfn double(n: Int) -> Int = n * 2\nlet x = let base = 1 in ba‸\n",
    )
    .await;
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn completion_resource_types() {
    let out = complete("types", "import std.k8s\n\nresource web: k8s.Config‸\n").await;
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn completion_module_members_and_import_paths() {
    let mut s = Server::start("modules").await;
    s.root.write("lib.cairn", LIB);
    s.root.write("net/ports.cairn", "let http = 80\n");
    let (path, clean, pos) = s
        .open("main.cairn", "import \"./lib.cairn\"\n\nx: lib.‸\n")
        .await;
    let v = s.at("textDocument/completion", &path, &pos).await;
    let members = format!(
        "{}\n---\n{}",
        render(&clean, Some(&pos), &[]),
        completion_list(&v)
    );
    let (path, clean, pos) = s.open("other.cairn", "import \"./‸\n").await;
    let v = s.at("textDocument/completion", &path, &pos).await;
    let paths = format!(
        "{}\n---\n{}",
        render(&clean, Some(&pos), &[]),
        completion_list(&v)
    );
    insta::assert_snapshot!(format!("{members}\n\n{paths}"));
}

#[tokio::test]
async fn completion_survives_a_syntax_error_elsewhere() {
    let out = complete(
        "broken",
        "import std.k8s\n\nlet broken = 1 + * 2\n\nresource web: k8s.ConfigMap {\n  metadata: { ‸ }\n}\n",
    )
    .await;
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn completion_with_non_ascii_text_before_the_cursor() {
    let out = complete(
        "unicode",
        "import std.k8s\n\nresource web: k8s.ConfigMap {\n  data: { \"é🎉\": \"ü\" }, metadata: { na‸ }\n}\n",
    )
    .await;
    insta::assert_snapshot!(out);
}

async fn hover(name: &str, text: &str) -> String {
    let mut s = Server::start(name).await;
    s.root.write("lib.cairn", LIB);
    let (path, clean, pos) = s.open("main.cairn", text).await;
    let v = s.at("textDocument/hover", &path, &pos).await;
    let ranges = match v.get("range") {
        Some(r) => vec![(r.clone(), String::new())],
        None => Vec::new(),
    };
    format!(
        "{}\n---\n{}",
        render(&clean, Some(&pos), &ranges),
        v["contents"]["value"].as_str().unwrap_or("(none)")
    )
}

#[tokio::test]
async fn hover_a_kubernetes_field_shows_its_doc() {
    let out = hover(
        "hover-k8s",
        "import std.k8s\n\nresource web: k8s.Deployment {\n  metadata: { name: \"web\" }\n  spec: { repl‸icas: 2, selector: {}, template: {} }\n}\n",
    )
    .await;
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn hover_names_show_types_and_docs() {
    let mut outs = Vec::new();
    for (i, text) in [
        "import \"./lib.cairn\"\n\nx: lib.repl‸icas\n",
        "import \"./lib.cairn\"\n\nx: lib.lab‸els(\"web\")\n",
        "let n = 1 + 2\nx: ‸n\n",
        "x: up‸per(\"a\")\n",
        "let items = [1, 2]\nx: [for i in items: i‸ * 2]\n",
    ]
    .iter()
    .enumerate()
    {
        outs.push(hover(&format!("hover-names-{i}"), text).await);
    }
    insta::assert_snapshot!(outs.join("\n\n"));
}

#[tokio::test]
async fn definition_across_files_and_into_the_stdlib() {
    let mut s = Server::start("definition").await;
    let lib = s.root.write("lib.cairn", LIB);
    let (path, clean, pos) = s
        .open(
            "main.cairn",
            "import \"./lib.cairn\"\n\nx: lib.lab‸els(\"web\")\n",
        )
        .await;
    let v = s.at("textDocument/definition", &path, &pos).await;
    assert_eq!(v["uri"], json!(uri(&lib)));
    let lib_text = std::fs::read_to_string(&lib).unwrap_or_default();
    let first = format!(
        "{}\n---\n{}",
        render(&clean, Some(&pos), &[]),
        render(&lib_text, None, &[(v["range"].clone(), String::new())])
    );
    let (path, _, pos) = s
        .open(
            "k.cairn",
            "import std.k8s\n\nresource cm: k8s.Config‸Map { metadata: { name: \"a\" } }\n",
        )
        .await;
    let v = s.at("textDocument/definition", &path, &pos).await;
    let target = v["uri"].as_str().unwrap_or("");
    assert!(target.ends_with("k8s/types.cairn"), "{v}");
    let std_path = tower_lsp::lsp_types::Url::parse(target)
        .ok()
        .and_then(|u| u.to_file_path().ok())
        .unwrap_or_default();
    let std_text = std::fs::read_to_string(std_path).unwrap_or_default();
    let line = v["range"]["start"]["line"].as_u64().unwrap_or(0) as usize;
    let shown = std_text.lines().nth(line).unwrap_or("");
    insta::assert_snapshot!(format!("{first}\n\nstd: {shown}"));
}

#[tokio::test]
async fn references_and_rename_across_the_workspace() {
    let mut s = Server::start("rename").await;
    let lib = s.root.write("lib.cairn", LIB);
    let (main, clean, pos) = s
        .open(
            "main.cairn",
            "import \"./lib.cairn\"\n\nx: lib.lab‸els(\"a\")\ny: lib.labels(\"b\")\n",
        )
        .await;
    let v = s
        .request(
            "textDocument/references",
            json!({ "textDocument": { "uri": uri(&main) }, "position": pos, "context": { "includeDeclaration": true } }),
        )
        .await;
    let mut out = String::new();
    for (p, text) in [(&main, clean.clone()), (&lib, LIB.to_string())] {
        let ranges: Vec<(Value, String)> = v
            .as_array()
            .into_iter()
            .flatten()
            .filter(|l| l["uri"] == json!(uri(p)))
            .map(|l| (l["range"].clone(), String::new()))
            .collect();
        out.push_str(&render(&text, None, &ranges));
        out.push_str("---\n");
    }
    let edit = s
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri(&main) }, "position": pos, "newName": "tags" }),
        )
        .await;
    for (p, text) in [(&main, clean.clone()), (&lib, LIB.to_string())] {
        let ranges: Vec<(Value, String)> = edit["changes"][uri(p)]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["range"].clone(),
                    e["newText"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        out.push_str(&render(&text, None, &ranges));
        out.push_str("---\n");
    }
    let bad = s
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri(&main) }, "position": pos, "newName": "let" }),
        )
        .await;
    out.push_str(&format!("rename to a keyword: {}", bad["error"]["message"]));
    insta::assert_snapshot!(out);
}

const APP: &str = r#"/// One deployed app.
schema App {
  replicas: Int = 1
  name: String
  check replicas > 0, "at least one replica"
}

/// Another schema with a field of the same name.
schema Db {
  replicas: Int = 1
}
"#;

const OTHER: &str =
    "import \"./app.cairn\" as a\n\nlet apps: [a.App] = [{ name: \"one\", replicas: 2 }]\n";

#[tokio::test]
async fn rename_a_schema_field_across_files() {
    // The module and another file that imports it are in the workspace, not open.
    let mut s = Server::start_with(
        "rename-field",
        &[("app.cairn", APP), ("other.cairn", OTHER)],
    )
    .await;
    let lib = s.root.0.join("app.cairn");
    let other = s.root.0.join("other.cairn");
    let (main, clean, pos) = s
        .open(
            "main.cairn",
            "import \"./app.cairn\"\n\nlet web: app.App = { name: \"web\", repli‸cas: 3 }\nresource api: app.App { name: \"api\", \"replicas\": 2 }\nlet db: app.Db = { replicas: 1 }\nlet plain = { replicas: 5 }\nfn scaled(a: app.App) -> Int = a.replicas * 2\nx: scaled({ name: \"x\", replicas: 4 })\n",
        )
        .await;
    let prepared = s.at("textDocument/prepareRename", &main, &pos).await;
    let edit = s
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri(&main) }, "position": pos, "newName": "count" }),
        )
        .await;
    let mut out = render(&clean, Some(&pos), &[(prepared, "prepared".into())]);
    out.push_str("---\n");
    for (p, text) in [
        (&main, clean.clone()),
        (&lib, APP.to_string()),
        (&other, OTHER.to_string()),
    ] {
        let ranges: Vec<(Value, String)> = edit["changes"][uri(p)]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["range"].clone(),
                    e["newText"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        out.push_str(&render(&text, None, &ranges));
        out.push_str("---\n");
    }
    let files = edit["changes"].as_object().map_or(0, |c| c.len());
    out.push_str(&format!("files changed: {files}\n"));
    let taken = s
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri(&main) }, "position": pos, "newName": "name" }),
        )
        .await;
    out.push_str(&format!(
        "rename to another field's name: {}\n",
        taken["error"]["message"]
    ));
    let bad = s
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri(&main) }, "position": pos, "newName": "re-plicas" }),
        )
        .await;
    out.push_str(&format!(
        "rename to a key that is no name: {}",
        bad["error"]["message"]
    ));
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn diagnostics_are_published_after_changes() {
    let mut s = Server::start("diagnostics").await;
    let text = "schema Port {\n  port: Int(1..=65535)\n}\nlet p: Port = { port: 70000 }\nlet unused = 1\nx: p\nlet y = lenght(\"a\")\n";
    let (path, clean, _) = s.open("main.cairn", text).await;
    let d = s.diagnostics(&path).await;
    let ranges: Vec<(Value, String)> = d
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["range"].clone(),
                format!(
                    "{}: {}",
                    d["code"].as_str().unwrap_or(""),
                    d["message"]
                        .as_str()
                        .unwrap_or("")
                        .lines()
                        .next()
                        .unwrap_or("")
                ),
            )
        })
        .collect();
    let first = render(&clean, None, &ranges);
    // An edit that fixes everything clears them; edits in quick succession publish once.
    for (v, t) in [(2, "x: 1\nlet y = {"), (3, "x: 1\n")] {
        s.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri(&path), "version": v }, "contentChanges": [{ "text": t }] }),
        )
        .await;
    }
    let after = s.diagnostics(&path).await;
    insta::assert_snapshot!(format!("{first}\n---\nafter the fix: {after}"));
}

#[tokio::test]
async fn lint_findings_with_quick_fixes() {
    let mut s = Server::start("actions").await;
    let text = "let count = 1\nx: coutn\n";
    let (path, clean, _) = s.open("main.cairn", text).await;
    let d = s.diagnostics(&path).await;
    let range = d[0]["range"].clone();
    let v = s
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri(&path) }, "range": range, "context": { "diagnostics": d } }),
        )
        .await;
    let mut out = String::new();
    for a in v.as_array().into_iter().flatten() {
        let edits: Vec<(Value, String)> = a["edit"]["changes"][uri(&path)]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["range"].clone(),
                    e["newText"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        out.push_str(&format!(
            "{}\n{}",
            a["title"].as_str().unwrap_or(""),
            render(&clean, None, &edits)
        ));
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn symbols_formatting_tokens_hints_and_signatures() {
    let mut s = Server::start("misc").await;
    let text = "import std.lists\n\n/// A port.\nschema Port {\n  port: Int\n}\nlet  base   = 10\nfn twice(n: Int) = n * 2\nresource p: Port { port: twice(base) }\nx: max(base, ‸)\n";
    let (path, clean, pos) = s.open("main.cairn", text).await;
    let doc = json!({ "textDocument": { "uri": uri(&path) } });
    let symbols = s.request("textDocument/documentSymbol", doc.clone()).await;
    let mut out = String::new();
    fn walk(v: &Value, depth: usize, out: &mut String) {
        for sym in v.as_array().into_iter().flatten() {
            out.push_str(&format!(
                "{}{} kind={} {}\n",
                "  ".repeat(depth),
                sym["name"].as_str().unwrap_or(""),
                sym["kind"],
                sym["detail"].as_str().unwrap_or("")
            ));
            walk(&sym["children"], depth + 1, out);
        }
    }
    walk(&symbols, 0, &mut out);
    let fmt = s
        .request("textDocument/formatting", json!({ "textDocument": { "uri": uri(&path) }, "options": { "tabSize": 2, "insertSpaces": true } }))
        .await;
    out.push_str(&format!(
        "---\nformatted:\n{}",
        fmt[0]["newText"].as_str().unwrap_or("(no edit)")
    ));
    let hints = s
        .request(
            "textDocument/inlayHint",
            json!({ "textDocument": { "uri": uri(&path) }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 99, "character": 0 } } }),
        )
        .await;
    let hint_marks: Vec<(Value, String)> = hints
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                json!({ "start": h["position"], "end": h["position"] }),
                h["label"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.push_str(&format!(
        "---\ninlay hints:\n{}",
        render(&clean, None, &hint_marks)
    ));
    let sig = s.at("textDocument/signatureHelp", &path, &pos).await;
    out.push_str(&format!(
        "---\nsignature: {} (active {})\n",
        sig["signatures"][0]["label"].as_str().unwrap_or("(none)"),
        sig["activeParameter"]
    ));
    let tokens = s.request("textDocument/semanticTokens/full", doc).await;
    out.push_str(&format!(
        "---\nsemantic tokens:\n{}",
        decode_tokens(&clean, &tokens["data"])
    ));
    insta::assert_snapshot!(out);
}

/// Semantic tokens drawn as `⟦text⟧{type}`.
fn decode_tokens(text: &str, data: &Value) -> String {
    let legend = [
        "keyword",
        "string",
        "number",
        "comment",
        "variable",
        "parameter",
        "function",
        "type",
        "namespace",
        "property",
    ];
    let nums: Vec<u64> = data
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    let (mut line, mut col) = (0u64, 0u64);
    let mut ranges = Vec::new();
    for t in nums.chunks(5) {
        let [dl, ds, len, ty, m] = t else { break };
        if *dl > 0 {
            line += dl;
            col = *ds;
        } else {
            col += ds;
        }
        let mut label = legend.get(*ty as usize).copied().unwrap_or("?").to_string();
        if m & 1 == 1 {
            label.push_str(",decl");
        }
        if m & 2 == 2 {
            label.push_str(",builtin");
        }
        ranges.push((
            json!({ "start": { "line": line, "character": col }, "end": { "line": line, "character": col + len } }),
            label,
        ));
    }
    render(text, None, &ranges)
}

#[tokio::test]
async fn hover_and_definition_in_an_incomplete_item() {
    let text = "import \"./lib.cairn\"\n\nlet x = { a: lib.repl‸icas, b: [1, (\n\nlet y = 2\n";
    let out = hover("hover-incomplete", text).await;
    let mut s = Server::start("definition-incomplete").await;
    let lib = s.root.write("lib.cairn", LIB);
    let (path, _, pos) = s.open("main.cairn", text).await;
    let v = s.at("textDocument/definition", &path, &pos).await;
    assert_eq!(v["uri"], json!(uri(&lib)));
    insta::assert_snapshot!(format!(
        "{out}\n---\ndefinition: line {}",
        v["range"]["start"]["line"]
    ));
}

#[tokio::test]
async fn lint_warnings_offer_their_safe_fixes() {
    let mut s = Server::start("lint-fixes").await;
    let text = "import std.lists\n\nlet unused = 1\nx: 1\n";
    let (path, clean, _) = s.open("main.cairn", text).await;
    let d = s.diagnostics(&path).await;
    let ranges: Vec<(Value, String)> = d
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["range"].clone(),
                format!("{} {}", d["severity"], d["code"].as_str().unwrap_or("")),
            )
        })
        .collect();
    let mut out = render(&clean, None, &ranges);
    let all =
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 9, "character": 0 } });
    let v = s
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri(&path) }, "range": all, "context": { "diagnostics": d } }),
        )
        .await;
    for a in v.as_array().into_iter().flatten() {
        let edits: Vec<(Value, String)> = a["edit"]["changes"][uri(&path)]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["range"].clone(),
                    format!("{:?}", e["newText"].as_str().unwrap_or("")),
                )
            })
            .collect();
        out.push_str(&format!(
            "---\n{}\n{}",
            a["title"].as_str().unwrap_or(""),
            render(&clean, None, &edits)
        ));
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn workspace_symbols_come_from_every_file() {
    // lib.cairn is found by scanning the root at `initialize`; main.cairn is opened.
    let mut s = Server::start_with("workspace-symbols", &[("lib.cairn", LIB)]).await;
    let (_, _, _) = s.open("main.cairn", "let label_count = 2\n").await;
    let v = s
        .request("workspace/symbol", json!({ "query": "lab" }))
        .await;
    let mut found: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let file = s["location"]["uri"]
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            format!(
                "{} in {file} line {}",
                s["name"].as_str().unwrap_or(""),
                s["location"]["range"]["start"]["line"]
            )
        })
        .collect();
    found.sort();
    insta::assert_snapshot!(found.join("\n"));
}

#[tokio::test]
async fn diagnostic_ranges_count_utf16_units() {
    let mut s = Server::start("utf16").await;
    let (path, clean, _) = s.open("main.cairn", "let s = \"é🎉\" + nope\n").await;
    let d = s.diagnostics(&path).await;
    let ranges: Vec<(Value, String)> = d
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["range"].clone(),
                d["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        d[0]["range"]["start"],
        json!({ "line": 0, "character": 16 })
    );
    insta::assert_snapshot!(render(&clean, None, &ranges));
}

#[tokio::test]
async fn rename_a_local_in_its_scope_only() {
    let mut s = Server::start("rename-local").await;
    let text = "let base = 5\nlet x = let ba‸se = 1 in base + base\nlet y = base\n";
    let (path, clean, pos) = s.open("main.cairn", text).await;
    let prepared = s.at("textDocument/prepareRename", &path, &pos).await;
    let edit = s
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri(&path) }, "position": pos, "newName": "b" }),
        )
        .await;
    let ranges: Vec<(Value, String)> = edit["changes"][uri(&path)]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["range"].clone(),
                e["newText"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    insta::assert_snapshot!(format!(
        "{}\n---\n{}",
        render(&clean, Some(&pos), &[(prepared, "prepared".into())]),
        render(&clean, None, &ranges)
    ));
}

/// A document of about 2 MB: many small items, non-ASCII text, and one line of 200 KB.
fn big_document() -> (String, String) {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 1_800_000 {
        text.push_str(&format!(
            "/// Block {i}: é\nlet name{i} = \"svc-{i}-é𝄞 ${{{i}}}\"\nfn f{i}(x: Int) -> Int = x + {i} // 𝄞\nlet obj{i} = {{ name: name{i}, port: f{i}({i}), tags: [\"a\", \"b\"] }}\n\n"
        ));
        i += 1;
    }
    let mut wide = String::from("let wide = [");
    let mut j = 0;
    while wide.len() < 200_000 {
        wide.push_str(&format!("\"é𝄞{j}\", name{}, ", j % i));
        j += 1;
    }
    let prefix = wide.clone();
    wide.push_str("name0]\n");
    text.push_str(&wide);
    text.push_str("let last = wide\n");
    (text, prefix)
}

/// Semantic tokens of a 2 MB document are produced, with the right UTF-16 positions at the end
/// of its long line and of the file. The times are printed (`cargo test --workspace --locked
/// semantic_tokens_of_a_large -- --nocapture`); nothing here asserts on them.
#[tokio::test]
async fn semantic_tokens_of_a_large_document() {
    let (text, prefix) = big_document();
    assert!(text.len() > 2_000_000, "{}", text.len());
    let mut s = Server::start("big").await;
    let path = s.root.write("big.cairn", &text);
    s.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&path), "languageId": "cairn", "version": 1, "text": text } }),
    )
    .await;
    let t = std::time::Instant::now();
    s.at(
        "textDocument/hover",
        &path,
        &json!({ "line": 1, "character": 5 }),
    )
    .await;
    let analysis = t.elapsed();
    let t = std::time::Instant::now();
    let tokens = s
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": uri(&path) } }),
        )
        .await;
    let elapsed = t.elapsed();
    eprintln!(
        "{} bytes: hover (the analysis) {analysis:?}, semantic tokens {elapsed:?}",
        text.len()
    );
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .expect("tokens")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    // Absolute positions: (line, UTF-16 column, length, type).
    let mut abs = Vec::new();
    let (mut line, mut col) = (0, 0);
    for t in data.chunks(5) {
        let [dl, ds, len, ty, _] = t else {
            panic!("a token is 5 numbers")
        };
        if *dl > 0 {
            line += dl;
            col = *ds;
        } else {
            col += ds;
        }
        abs.push((line, col, *len, *ty));
    }
    assert!(abs.len() > 200_000, "{}", abs.len());
    let lines = text.lines().count() as u64;
    let variable = 4;
    // `wide` in the last line, and `name0` at the end of the long line before it.
    assert_eq!(abs[abs.len() - 1], (lines - 1, 11, 4, variable));
    let col = prefix.encode_utf16().count() as u64;
    assert_eq!(abs[abs.len() - 4], (lines - 2, col, 5, variable));
}
