//! The real `cairn-lsp` binary over stdio: initialize, open a document, complete, hover, go to
//! a definition, shut down.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

fn send(stdin: &mut impl Write, msg: &Value) {
    let body = msg.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
    stdin.flush().expect("flush");
}

fn read(out: &mut impl BufRead) -> Value {
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        out.read_line(&mut line).expect("header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse().expect("length");
        }
    }
    let mut body = vec![0; len];
    out.read_exact(&mut body).expect("body");
    serde_json::from_slice(&body).expect("json")
}

/// The response to request `id`, skipping notifications.
fn response(out: &mut impl BufRead, id: i64) -> Value {
    loop {
        let v = read(out);
        if v["id"] == json!(id) && v.get("method").is_none() {
            return v;
        }
    }
}

#[test]
fn the_binary_answers_over_stdio() {
    let dir = std::env::temp_dir().join(format!("cairn-lsp-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("main.cairn");
    let text = "import std.k8s\n\nlet port = 8080\nresource cm: k8s.ConfigMap {\n  metadata: { name: \"web\" }\n  data: { port: \"${port}\" }\n}\n";
    std::fs::write(&path, text).expect("write");
    let uri = tower_lsp::lsp_types::Url::from_file_path(&path)
        .expect("uri")
        .to_string();

    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn-lsp"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cairn-lsp");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));

    send(
        &mut stdin,
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "processId": null, "rootUri": null, "capabilities": {} } }),
    );
    let init = response(&mut out, 1);
    assert_eq!(init["result"]["serverInfo"]["name"], "cairn-lsp");
    assert_eq!(init["result"]["capabilities"]["hoverProvider"], true);
    send(
        &mut stdin,
        &json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }),
    );
    send(
        &mut stdin,
        &json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": uri, "languageId": "cairn", "version": 1, "text": text } } }),
    );

    // Completion in `metadata: { ‸name: ... }`: the fields of ObjectMeta.
    let doc = json!({ "uri": uri });
    send(
        &mut stdin,
        &json!({ "jsonrpc": "2.0", "id": 2, "method": "textDocument/completion", "params": { "textDocument": doc, "position": { "line": 4, "character": 14 } } }),
    );
    let c = response(&mut out, 2);
    let labels: Vec<&str> = c["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(labels.contains(&"namespace"), "{labels:?}");

    // Hover over `port` in the interpolation: a let of type Int.
    send(
        &mut stdin,
        &json!({ "jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": { "textDocument": doc, "position": { "line": 5, "character": 20 } } }),
    );
    let h = response(&mut out, 3);
    let shown = h["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(shown.contains("let port: Int"), "{h}");

    // Definition of `port` there: line 2.
    send(
        &mut stdin,
        &json!({ "jsonrpc": "2.0", "id": 4, "method": "textDocument/definition", "params": { "textDocument": doc, "position": { "line": 5, "character": 20 } } }),
    );
    let d = response(&mut out, 4);
    assert_eq!(d["result"]["uri"], json!(uri));
    assert_eq!(
        d["result"]["range"]["start"],
        json!({ "line": 2, "character": 4 })
    );

    send(
        &mut stdin,
        &json!({ "jsonrpc": "2.0", "id": 5, "method": "shutdown" }),
    );
    let s = response(&mut out, 5);
    assert_eq!(s["result"], Value::Null);
    send(&mut stdin, &json!({ "jsonrpc": "2.0", "method": "exit" }));
    drop(stdin);
    let status = child.wait().expect("exit");
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}
