//! The stdio transport: a framing layer in front of tower-lsp's `Server`.
//!
//! tower-lsp 0.20 stops reading its input at the first message it cannot decode (its framed
//! reader ends after an error), so a float id, a body that is not a JSON object or one that is
//! not UTF-8 ended the server silently; and after `exit` it stopped reading without closing its
//! output, so the next message wedged it. Here every frame is read and checked first:
//!
//! - a body that is not UTF-8 or not JSON is answered with `-32700 Parse error` (id `null`), as
//!   is a header without a usable `Content-Length` (the input is then skipped to the next
//!   `Content-Length`);
//! - a body that is not an object, or whose id is neither an integer nor a string, or that is
//!   neither a request nor a response, is answered with `-32600 Invalid Request` (with the
//!   request's id when it has a valid one, `null` otherwise);
//! - a good message is re-serialised from tower-lsp's own `Request`/`Response` (so the server
//!   can always decode it) and forwarded through an in-memory pipe.
//!
//! Everything written to the output goes through one writer, frame by frame: the server's
//! output is read back frame by frame from its pipe and queued with the answers to bad frames,
//! so the two never interleave inside a frame.
//!
//! The session ends as LSP says: `exit` ends it at once with code 0 when a `shutdown` request
//! came before it and 1 otherwise (nothing after `exit` is read); the end of the input ends it
//! with code 1, after the answers to requests already running are written (for at most
//! [`DRAIN`]).

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp::jsonrpc::{Request, Response};

/// The largest body read; a longer one is skipped and answered with a parse error.
pub const MAX_BODY: usize = 256 << 20;
/// The longest header line.
const MAX_HEADER_LINE: usize = 8 << 10;
/// How long answers still running are waited for once the input has ended.
pub const DRAIN: Duration = Duration::from_secs(2);
/// The size of the pipes to and from the server.
const PIPE: usize = 1 << 16;

/// JSON-RPC's error codes for bad messages.
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;

/// Serves the language server on `input` and `output` until the session ends; returns the exit
/// code the process should end with.
pub async fn serve<I, O>(input: I, output: O) -> i32
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let (service, socket) = crate::service();
    let (to_server, server_in) = tokio::io::duplex(PIPE);
    let (server_out, from_server) = tokio::io::duplex(PIPE);
    let (tx, rx) = mpsc::channel::<Out>(16);

    let server = tower_lsp::Server::new(server_in, server_out, socket).serve(service);
    let relay = relay(from_server, tx.clone());
    let background = async {
        tokio::join!(server, relay);
        // Once the server and the relay are done, the writer finishes on its own.
        std::future::pending::<()>().await
    };
    let reader = async {
        read_in(input, to_server, tx).await;
        // The input ended: the writer ends when the server has answered what it was running.
        tokio::time::sleep(DRAIN).await;
    };
    tokio::select! {
        code = write_out(rx, output) => code.unwrap_or(1),
        () = reader => 1,
        () = background => 1,
    }
}

/// What the writer is given.
enum Out {
    /// A whole frame, header and body.
    Frame(Vec<u8>),
    /// `exit`: write nothing more, end with this code.
    End(i32),
}

/// Writes frames in the order they come; returns the exit code at `End`, `None` when every
/// sender is gone or the output fails.
async fn write_out<O: AsyncWrite + Unpin>(
    mut rx: mpsc::Receiver<Out>,
    mut output: O,
) -> Option<i32> {
    let mut code = None;
    while let Some(out) = rx.recv().await {
        match out {
            Out::Frame(bytes) => {
                if output.write_all(&bytes).await.is_err() || output.flush().await.is_err() {
                    return None;
                }
            }
            Out::End(c) => {
                code = Some(c);
                break;
            }
        }
    }
    let _ = output.flush().await;
    code
}

/// Copies the server's output to the writer, a whole frame at a time.
async fn relay<R: AsyncRead + Unpin>(from_server: R, tx: mpsc::Sender<Out>) {
    let mut frames = Frames::new(from_server, usize::MAX);
    loop {
        match frames.next().await {
            Ok(Frame::Body(body)) => {
                if tx.send(Out::Frame(frame(&body))).await.is_err() {
                    return;
                }
            }
            // Never from tower-lsp's encoder; skipped rather than stopping the output.
            Ok(Frame::Bad(_)) => {}
            Ok(Frame::End) | Err(_) => return,
        }
    }
}

/// What one frame of the input became.
#[derive(Debug, PartialEq, Eq)]
pub enum Triaged {
    /// A body forwarded to the server (re-serialised, so tower-lsp can decode it).
    Forwarded(Vec<u8>),
    /// The error response answered to a bad frame.
    Answered(Vec<u8>),
    /// `exit`, with the code the process ends with; nothing after it is read.
    Exit(i32),
}

/// What one read from the input becomes; `None` at the end of the input. `shutdown` says
/// whether a `shutdown` request came before (for `exit`'s code).
fn triage_one(read: std::io::Result<Frame>, shutdown: &mut bool) -> Option<Triaged> {
    Some(match read {
        Err(_) | Ok(Frame::End) => return None,
        Ok(Frame::Bad(why)) => Triaged::Answered(error(PARSE_ERROR, Value::Null, &why)),
        Ok(Frame::Body(body)) => match check(&body) {
            Err(answer) => Triaged::Answered(answer),
            Ok(msg) if msg.method.as_deref() == Some("exit") => {
                Triaged::Exit(if *shutdown { 0 } else { 1 })
            }
            Ok(msg) => {
                *shutdown |= msg.method.as_deref() == Some("shutdown") && msg.request;
                Triaged::Forwarded(msg.body)
            }
        },
    })
}

/// Reads `input` as the server's reader does, without a server: what each frame became, in
/// order, up to `exit`. For the fuzz target (fuzz/src/lsp.rs) and tests.
pub async fn triage(input: &[u8]) -> Vec<Triaged> {
    let mut frames = Frames::new(input, MAX_BODY);
    let mut shutdown = false;
    let mut out = Vec::new();
    while let Some(t) = triage_one(frames.next().await, &mut shutdown) {
        let exit = matches!(t, Triaged::Exit(_));
        out.push(t);
        if exit {
            break;
        }
    }
    out
}

/// Reads the client's frames: answers bad ones, forwards good ones, stops at `exit` (sending
/// `End`) or at the end of the input.
async fn read_in<I, W>(input: I, mut to_server: W, tx: mpsc::Sender<Out>)
where
    I: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut frames = Frames::new(input, MAX_BODY);
    let mut shutdown = false;
    while let Some(t) = triage_one(frames.next().await, &mut shutdown) {
        match t {
            Triaged::Exit(code) => {
                let _ = tx.send(Out::End(code)).await;
                return;
            }
            Triaged::Answered(answer) => {
                if tx.send(Out::Frame(frame(&answer))).await.is_err() {
                    return;
                }
            }
            Triaged::Forwarded(body) => {
                if to_server.write_all(&frame(&body)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A body with its header.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// A JSON-RPC error response.
fn error(code: i64, id: Value, data: &str) -> Vec<u8> {
    let message = if code == PARSE_ERROR {
        "Parse error"
    } else {
        "Invalid Request"
    };
    json!({ "jsonrpc": "2.0", "error": { "code": code, "message": message, "data": data }, "id": id })
        .to_string()
        .into_bytes()
}

/// A message that tower-lsp can decode.
#[derive(Debug)]
struct Checked {
    /// The message re-serialised from tower-lsp's own type.
    body: Vec<u8>,
    /// A request's or notification's method.
    method: Option<String>,
    /// A request (a method and an id), not a notification or a response.
    request: bool,
}

/// Checks a body: `Ok` with what to forward, or `Err` with the error response to send back.
fn check(body: &[u8]) -> Result<Checked, Vec<u8>> {
    let text = std::str::from_utf8(body).map_err(|e| {
        error(
            PARSE_ERROR,
            Value::Null,
            &format!("the body is not UTF-8: {e}"),
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        error(
            PARSE_ERROR,
            Value::Null,
            &format!("the body is not JSON: {e}"),
        )
    })?;
    let invalid = |id: &Value, why: &str| error(INVALID_REQUEST, id.clone(), why);
    let Value::Object(map) = &value else {
        let what = match value {
            Value::Array(_) => "an array (batches are not supported)",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(invalid(
            &Value::Null,
            &format!("a message is a JSON object, not {what}"),
        ));
    };
    let id = match map.get("id") {
        None => Value::Null,
        Some(id @ Value::String(_)) => id.clone(),
        Some(id @ Value::Number(n)) if n.is_i64() => id.clone(),
        Some(other) => {
            return Err(invalid(
                &Value::Null,
                &format!("an id is an integer (64 bits) or a string, not {other}"),
            ));
        }
    };
    let has_id = map.contains_key("id");
    match map.get("method") {
        Some(Value::String(method)) => {
            let method = method.clone();
            let request: Request =
                serde_json::from_value(value).map_err(|e| invalid(&id, &e.to_string()))?;
            let body = serde_json::to_vec(&request).map_err(|e| invalid(&id, &e.to_string()))?;
            Ok(Checked {
                body,
                method: Some(method),
                request: has_id,
            })
        }
        Some(_) => Err(invalid(&id, "a method is a string")),
        // A response to one of the server's requests; a bad one is answered with a null id,
        // not with its own (the client would take it for the answer to its request).
        None if has_id && (map.contains_key("result") || map.contains_key("error")) => {
            let response: Response =
                serde_json::from_value(value).map_err(|e| invalid(&Value::Null, &e.to_string()))?;
            let body =
                serde_json::to_vec(&response).map_err(|e| invalid(&Value::Null, &e.to_string()))?;
            Ok(Checked {
                body,
                method: None,
                request: false,
            })
        }
        None => Err(invalid(
            &id,
            "a message has a method (a request or a notification) or an id and a result or an error (a response)",
        )),
    }
}

/// One read from a framed input.
#[derive(Debug, PartialEq, Eq)]
enum Frame {
    /// A body, as many bytes as its `Content-Length` said.
    Body(Vec<u8>),
    /// A header that gives no usable length, or a body over the limit: why.
    Bad(String),
    /// The end of the input (a frame cut short by it is dropped).
    End,
}

/// `Content-Length` frames read from a byte stream, with recovery: after a bad header the input
/// is skipped to the next `Content-Length`.
struct Frames<R> {
    input: R,
    buf: Vec<u8>,
    /// Where the unread bytes of `buf` start.
    start: usize,
    max_body: usize,
    /// Skip to the next `Content-Length` before reading a header.
    resync: bool,
}

impl<R: AsyncRead + Unpin> Frames<R> {
    fn new(input: R, max_body: usize) -> Frames<R> {
        Frames {
            input,
            buf: Vec::new(),
            start: 0,
            max_body,
            resync: false,
        }
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Reads more input; `false` at its end.
    async fn fill(&mut self) -> std::io::Result<bool> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.reserve(PIPE);
        Ok(self.input.read_buf(&mut self.buf).await? > 0)
    }

    /// The next header line without its line break; `Err(())` for one too long (of which only
    /// the first byte is consumed: the resynchronisation looks for a header inside the rest);
    /// `None` at the end of the input.
    async fn line(&mut self) -> std::io::Result<Option<Result<Vec<u8>, ()>>> {
        loop {
            let newline = self.unread().iter().position(|&b| b == b'\n');
            if newline.unwrap_or(self.unread().len()) > MAX_HEADER_LINE + 1 {
                self.start += 1;
                return Ok(Some(Err(())));
            }
            if let Some(n) = newline {
                let mut line = self.unread()[..n].to_vec();
                self.start += n + 1;
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(Ok(line)));
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }

    /// Skips the input up to the next `Content-Length`; `false` at the end of the input.
    async fn skip_to_header(&mut self) -> std::io::Result<bool> {
        const KEY: &[u8] = b"Content-Length";
        loop {
            if let Some(n) = self.unread().windows(KEY.len()).position(|w| w == KEY) {
                self.start += n;
                return Ok(true);
            }
            // Keep what could be the start of the key.
            self.start = self.buf.len().saturating_sub(KEY.len() - 1).max(self.start);
            if !self.fill().await? {
                return Ok(false);
            }
        }
    }

    /// The next frame.
    async fn next(&mut self) -> std::io::Result<Frame> {
        if std::mem::take(&mut self.resync) && !self.skip_to_header().await? {
            return Ok(Frame::End);
        }
        // The last Content-Length header decides; a line that is not a header matters only when
        // there is no usable length.
        let mut length: Option<Result<usize, String>> = None;
        let mut garbage: Option<String> = None;
        let mut any = false;
        loop {
            match self.line().await? {
                None => return Ok(Frame::End),
                Some(Err(())) => {
                    self.resync = true;
                    return Ok(Frame::Bad(format!(
                        "a header line is longer than {MAX_HEADER_LINE} bytes"
                    )));
                }
                // Blank lines between frames are skipped; one after a header ends it.
                Some(Ok(line)) if line.is_empty() => {
                    if any {
                        break;
                    }
                }
                Some(Ok(line)) => {
                    any = true;
                    let text = String::from_utf8_lossy(&line);
                    match text.split_once(':') {
                        Some((name, value))
                            if name.trim().eq_ignore_ascii_case("content-length") =>
                        {
                            let value = value.trim();
                            length = Some(value.parse::<usize>().map_err(|_| {
                                format!("the Content-Length {value:?} is not a number of bytes")
                            }));
                        }
                        Some(_) => {}
                        None => {
                            garbage.get_or_insert_with(|| format!("{text:?} is not a header"));
                        }
                    }
                }
            }
        }
        let n = match (length, garbage) {
            (Some(Ok(n)), _) => n,
            (Some(Err(why)), _) | (None, Some(why)) => {
                self.resync = true;
                return Ok(Frame::Bad(why));
            }
            (None, None) => {
                self.resync = true;
                return Ok(Frame::Bad("a header has no Content-Length".into()));
            }
        };
        if n > self.max_body {
            // Skip the body as it comes, without keeping it.
            let mut left = n;
            while left > 0 {
                if self.unread().is_empty() && !self.fill().await? {
                    return Ok(Frame::End);
                }
                let k = left.min(self.unread().len());
                self.start += k;
                left -= k;
            }
            return Ok(Frame::Bad(format!(
                "a body of {n} bytes is over the limit of {} bytes",
                self.max_body
            )));
        }
        while self.unread().len() < n {
            if !self.fill().await? {
                return Ok(Frame::End);
            }
        }
        let body = self.unread()[..n].to_vec();
        self.start += n;
        Ok(Frame::Body(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Frame> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut f = Frames::new(input, 100);
            let mut out = Vec::new();
            loop {
                match f.next().await.expect("read") {
                    Frame::End => return out,
                    other => out.push(other),
                }
            }
        })
    }

    fn answer(r: Result<Checked, Vec<u8>>) -> Value {
        match r {
            Ok(c) => panic!("accepted: {:?}", String::from_utf8_lossy(&c.body)),
            Err(e) => serde_json::from_slice(&e).expect("json"),
        }
    }

    #[test]
    fn frames_are_read_and_bad_headers_skipped() {
        let mut input = b"Content-Length: 2\r\n\r\n{}\r\nContent-Length: x\r\n\r\n[]junkContent-Length: 3\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[1]Content-Length: 101\r\n\r\n".to_vec();
        input.extend_from_slice(&[b'7'; 101]);
        input.extend_from_slice(b"Content-Length: 1\r\n\r\n8Content-Length: 5\r\n\r\n{");
        let got = frames(&input);
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(got[0], Frame::Body(b"{}".to_vec()));
        assert!(
            matches!(&got[1], Frame::Bad(w) if w.contains("\"x\"")),
            "{got:?}"
        );
        assert_eq!(got[2], Frame::Body(b"[1]".to_vec()));
        // The body over the limit is skipped; a body cut short by the end is dropped.
        assert!(
            matches!(&got[3], Frame::Bad(w) if w.contains("limit")),
            "{got:?}"
        );
        assert_eq!(got[4], Frame::Body(b"8".to_vec()));
    }

    #[test]
    fn a_header_without_length_is_bad() {
        let got = frames(b"Content-Type: a\r\n\r\n{}Content-Length: 1\r\n\r\n5");
        assert!(matches!(&got[0], Frame::Bad(w) if w.contains("no Content-Length")));
        assert_eq!(got[1], Frame::Body(b"5".to_vec()));
    }

    #[test]
    fn a_line_that_is_not_a_header_is_ignored_next_to_a_length() {
        let got =
            frames(b"junk\r\nContent-Length: 1\r\n\r\n5junk\r\n\r\nContent-Length: 1\r\n\r\n6");
        assert_eq!(got[0], Frame::Body(b"5".to_vec()));
        assert!(
            matches!(&got[1], Frame::Bad(w) if w.contains("\"junk\" is not a header")),
            "{got:?}"
        );
        assert_eq!(got[2], Frame::Body(b"6".to_vec()));
    }

    #[test]
    fn a_long_header_line_is_bad() {
        let mut input = vec![b'x'; MAX_HEADER_LINE + 10];
        input.extend_from_slice(b"Content-Length: 1\r\n\r\n5");
        let got = frames(&input);
        assert!(matches!(&got[0], Frame::Bad(_)), "{got:?}");
        assert_eq!(got[1], Frame::Body(b"5".to_vec()));
    }

    #[test]
    fn bodies_are_checked() {
        let a = answer(check(
            b"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"hover\"}",
        ));
        assert_eq!(a["error"]["code"], INVALID_REQUEST);
        assert_eq!(a["id"], Value::Null);
        for body in [&b"[]"[..], b"5", b"\"s\"", b"null"] {
            let a = answer(check(body));
            assert_eq!(a["error"]["code"], INVALID_REQUEST, "{a}");
        }
        for body in [&b"\xff\xfe"[..], b"{", b""] {
            let a = answer(check(body));
            assert_eq!(a["error"]["code"], PARSE_ERROR, "{a}");
            assert_eq!(a["id"], Value::Null);
        }
        // A valid id is kept; a bad version or a missing method is an invalid request.
        let a = answer(check(b"{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"x\"}"));
        assert_eq!(
            (a["error"]["code"].clone(), a["id"].clone()),
            (json!(INVALID_REQUEST), json!(7))
        );
        let a = answer(check(b"{\"jsonrpc\":\"2.0\",\"id\":\"a\"}"));
        assert_eq!(a["id"], "a");
        let a = answer(check(
            b"{\"jsonrpc\":\"2.0\",\"id\":9223372036854775808,\"method\":\"x\"}",
        ));
        assert_eq!(a["id"], Value::Null);
        let a = answer(check(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":5}"));
        assert_eq!(a["id"], Value::Null);
    }

    /// Answers to bad frames and the server's own output, many at once, come out as whole
    /// frames; `exit` after `shutdown` ends the session with 0.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn output_frames_never_interleave() {
        let (mut client, server_io) = tokio::io::duplex(1 << 16);
        let (server_in, server_out) = tokio::io::split(server_io);
        let session = tokio::spawn(serve(server_in, server_out));
        let (client_in, mut client_out) = tokio::io::split(&mut client);
        let mut frames = Frames::new(client_in, usize::MAX);
        let msg = |v: Value| frame(v.to_string().as_bytes());

        client_out
            .write_all(&msg(json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": { "capabilities": {} } })))
            .await
            .expect("write");
        // Nothing else before the answer to `initialize` (LSP's rule; tower-lsp refuses
        // requests that come earlier).
        loop {
            let Frame::Body(body) = frames.next().await.expect("read") else {
                panic!("a whole frame")
            };
            let v: Value = serde_json::from_slice(&body).expect("json");
            if v["id"] == 0 {
                break;
            }
        }
        let mut input = msg(json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }));
        const N: i64 = 50;
        for i in 1..=N {
            input.extend(frame(b"[]"));
            input.extend(msg(json!({ "jsonrpc": "2.0", "id": i, "method": "textDocument/hover", "params": { "textDocument": { "uri": "file:///nowhere/x.cairn" }, "position": { "line": 0, "character": 0 } } })));
        }
        input.extend(msg(
            json!({ "jsonrpc": "2.0", "id": N + 1, "method": "shutdown" }),
        ));
        let writer = async {
            client_out.write_all(&input).await.expect("write");
            client_out
        };
        // Every response, in whatever order they come (requests run concurrently).
        let reader = async {
            let (mut errors, mut answers) = (0, 0);
            while errors + answers < 2 * N + 1 {
                let Frame::Body(body) = frames.next().await.expect("read") else {
                    panic!("a whole frame")
                };
                let v: Value = serde_json::from_slice(&body).expect("a frame is one JSON value");
                if v["error"]["code"] == INVALID_REQUEST && v["id"].is_null() {
                    errors += 1;
                } else if v.get("method").is_none() && v.get("result").is_some() {
                    answers += 1;
                }
            }
            (errors, answers)
        };
        let reader = tokio::time::timeout(Duration::from_secs(60), reader);
        let (mut client_out, counts) = tokio::join!(writer, reader);
        // The bad frames; the hovers and `shutdown`.
        assert_eq!(counts.expect("every answer in time"), (N, N + 1));
        client_out
            .write_all(&msg(json!({ "jsonrpc": "2.0", "method": "exit" })))
            .await
            .expect("write");
        assert_eq!(session.await.expect("session"), 0);
    }

    #[test]
    fn good_messages_are_forwarded() {
        let c = check(b"{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"shutdown\",\"extra\":1}")
            .expect("accepted");
        assert_eq!(c.method.as_deref(), Some("shutdown"));
        assert!(c.request);
        let v: Value = serde_json::from_slice(&c.body).expect("json");
        assert_eq!(
            v,
            json!({ "jsonrpc": "2.0", "id": "x", "method": "shutdown" })
        );
        let c = check(b"{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}").expect("accepted");
        assert!(!c.request);
        let c = check(b"{\"jsonrpc\":\"2.0\",\"id\":-3,\"result\":null}").expect("accepted");
        assert_eq!(c.method, None);
    }
}
