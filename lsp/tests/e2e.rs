//! The real `cairn-lsp` binary over stdio: initialize, open a document, complete, hover, go to
//! a definition, shut down; exit codes; malformed messages answered with JSON-RPC errors.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any answer may take before the test fails (instead of hanging).
const ANSWER: Duration = Duration::from_secs(60);

/// The real binary, its input, and the messages it writes (read on a thread, so a server that
/// does not answer fails the test rather than hanging it).
struct Lsp {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Receiver<Value>,
}

impl Lsp {
    fn start() -> Lsp {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cairn-lsp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn cairn-lsp");
        let stdin = child.stdin.take();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            while let Some(v) = read(&mut out) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Lsp {
            child,
            stdin,
            out: rx,
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    /// A body in a frame of its own length.
    fn send_body(&mut self, body: &[u8]) {
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(body);
        self.send_raw(&frame);
    }

    /// The next response (server notifications and requests are skipped).
    fn next_response(&mut self) -> Value {
        loop {
            let v = self.out.recv_timeout(ANSWER).expect("an answer in time");
            if v.get("method").is_none() {
                return v;
            }
        }
    }

    /// The response to request `id`.
    fn response(&mut self, id: i64) -> Value {
        let v = self.next_response();
        assert_eq!(v["id"], json!(id), "{v}");
        v
    }

    fn initialize(&mut self) {
        self.send(
            &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "processId": null, "rootUri": null, "capabilities": {} } }),
        );
        let init = self.response(1);
        assert_eq!(init["result"]["serverInfo"]["name"], "cairn-lsp");
        self.send(&json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }));
    }

    /// The exit status, if the process ends within `limit`.
    fn ends_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        // A failed test leaves no server behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(out: &mut impl BufRead) -> Option<Value> {
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse().ok()?;
        }
    }
    let mut body = vec![0; len];
    out.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).expect("the server writes JSON"))
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

    let mut lsp = Lsp::start();
    lsp.send(
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "processId": null, "rootUri": null, "capabilities": {} } }),
    );
    let init = lsp.response(1);
    assert_eq!(init["result"]["serverInfo"]["name"], "cairn-lsp");
    assert_eq!(init["result"]["capabilities"]["hoverProvider"], true);
    lsp.send(&json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }));
    lsp.send(
        &json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": uri, "languageId": "cairn", "version": 1, "text": text } } }),
    );

    // Completion in `metadata: { ‸name: ... }`: the fields of ObjectMeta.
    let doc = json!({ "uri": uri });
    lsp.send(
        &json!({ "jsonrpc": "2.0", "id": 2, "method": "textDocument/completion", "params": { "textDocument": doc, "position": { "line": 4, "character": 14 } } }),
    );
    let c = lsp.response(2);
    let labels: Vec<&str> = c["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(labels.contains(&"namespace"), "{labels:?}");

    // Hover over `port` in the interpolation: a let of type Int.
    lsp.send(
        &json!({ "jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": { "textDocument": doc, "position": { "line": 5, "character": 20 } } }),
    );
    let h = lsp.response(3);
    let shown = h["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(shown.contains("let port: Int"), "{h}");

    // Definition of `port` there: line 2.
    lsp.send(
        &json!({ "jsonrpc": "2.0", "id": 4, "method": "textDocument/definition", "params": { "textDocument": doc, "position": { "line": 5, "character": 20 } } }),
    );
    let d = lsp.response(4);
    assert_eq!(d["result"]["uri"], json!(uri));
    assert_eq!(
        d["result"]["range"]["start"],
        json!({ "line": 2, "character": 4 })
    );

    // Shutdown, then exit with the input still open: the process ends at once, with 0.
    lsp.send(&json!({ "jsonrpc": "2.0", "id": 5, "method": "shutdown" }));
    let s = lsp.response(5);
    assert_eq!(s["result"], Value::Null);
    lsp.send(&json!({ "jsonrpc": "2.0", "method": "exit" }));
    let status = lsp
        .ends_within(Duration::from_secs(1))
        .expect("the server ends within a second of exit");
    assert_eq!(status.code(), Some(0), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exit_without_shutdown_exits_with_1() {
    let mut lsp = Lsp::start();
    lsp.initialize();
    lsp.send(&json!({ "jsonrpc": "2.0", "method": "exit" }));
    let status = lsp
        .ends_within(Duration::from_secs(1))
        .expect("the server ends within a second of exit");
    assert_eq!(status.code(), Some(1), "{status}");
}

#[test]
fn the_end_of_the_input_ends_the_server_with_1() {
    let mut lsp = Lsp::start();
    lsp.initialize();
    lsp.stdin = None;
    let status = lsp
        .ends_within(ANSWER)
        .expect("the server ends when its input does");
    assert_eq!(status.code(), Some(1), "{status}");
}

#[test]
fn messages_after_exit_are_not_read() {
    let mut lsp = Lsp::start();
    lsp.initialize();
    lsp.send(&json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown" }));
    lsp.response(2);
    // Exit and more in one write: nothing waits for the rest.
    let mut bytes = Vec::new();
    for msg in [
        json!({ "jsonrpc": "2.0", "method": "exit" }),
        json!({ "jsonrpc": "2.0", "id": 3, "method": "shutdown" }),
        json!({ "jsonrpc": "2.0", "method": "exit" }),
    ] {
        let body = msg.to_string();
        bytes.extend_from_slice(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }
    lsp.send_raw(&bytes);
    let status = lsp
        .ends_within(Duration::from_secs(1))
        .expect("the server ends within a second of exit");
    assert_eq!(status.code(), Some(0), "{status}");
}

/// Every malformed message gets its JSON-RPC error, and the server goes on answering.
#[test]
fn malformed_messages_are_answered_and_the_server_goes_on() {
    let mut lsp = Lsp::start();
    lsp.initialize();
    let hover = |id: i64| json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": { "textDocument": { "uri": "file:///nowhere/x.cairn" }, "position": { "line": 0, "character": 0 } } });
    let float_id = hover(0).to_string().replace("\"id\":0", "\"id\":1.5");
    assert!(float_id.contains("1.5"), "{float_id}");
    let cases: Vec<(&str, Vec<u8>, i64)> = vec![
        ("a float id", float_id.into_bytes(), -32600),
        ("an empty array", b"[]".to_vec(), -32600),
        ("a number", b"5".to_vec(), -32600),
        (
            "invalid UTF-8",
            b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"\xff\xfe\"}".to_vec(),
            -32700,
        ),
        ("not JSON", b"{\"jsonrpc\":".to_vec(), -32700),
        (
            "a string id of a bad request",
            b"{\"jsonrpc\":\"1.0\",\"id\":\"s\",\"method\":\"x\"}".to_vec(),
            -32600,
        ),
    ];
    let mut id = 10;
    for (what, body, code) in cases {
        lsp.send_body(&body);
        let e = lsp.next_response();
        assert_eq!(e["error"]["code"], json!(code), "{what}: {e}");
        let want_id = if what.starts_with("a string id") {
            json!("s")
        } else {
            Value::Null
        };
        assert_eq!(e["id"], want_id, "{what}: {e}");
        id += 1;
        lsp.send(&hover(id));
        let h = lsp.response(id);
        assert!(h.get("error").is_none(), "{what}, then hover: {h}");
    }

    // A header without a usable Content-Length: a parse error, then the input is read again
    // from the next header.
    lsp.send_raw(b"Content-Length: twelve\r\n\r\n{\"jsonrpc\":\"2.0\"}");
    let e = lsp.next_response();
    assert_eq!(e["error"]["code"], json!(-32700), "{e}");
    assert_eq!(e["id"], Value::Null, "{e}");
    lsp.send(&hover(99));
    let h = lsp.response(99);
    assert!(h.get("error").is_none(), "bad header, then hover: {h}");

    lsp.send(&json!({ "jsonrpc": "2.0", "id": 100, "method": "shutdown" }));
    assert_eq!(lsp.response(100)["result"], Value::Null);
    lsp.send(&json!({ "jsonrpc": "2.0", "method": "exit" }));
    let status = lsp
        .ends_within(Duration::from_secs(1))
        .expect("the server ends within a second of exit");
    assert_eq!(status.code(), Some(0), "{status}");
}
