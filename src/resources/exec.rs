//! The `exec` provider (`exec.Command`): resources managed by the user's own commands.
//!
//! # Inputs
//!
//! - `create` (`[String]`, required): the command that creates the resource, as a list: the
//!   program, then its arguments, like `["./scripts/bucket.sh", "create"]`.
//! - `read` (`[String]`, optional): reads the resource back, for drift detection
//!   (`plan --refresh`). Without it, the resource is assumed to be as recorded.
//! - `update` (`[String]`, optional): changes the resource in place. Without it, any change to
//!   the resource replaces it; with it, only a change to `create` does.
//! - `delete` (`[String]`, optional): deletes the resource. Without it, deleting does nothing.
//! - `outputs` (`[String]`, optional): the names of the outputs `create` and `update` must
//!   report; other resources may refer to them.
//! - `env` (`{String: String}`, optional): variables added to the commands' environment.
//! - `dir` (String, optional): the commands' working directory, relative to the project root
//!   (default: the project root). It must stay inside the project (no absolute path, no `..`
//!   or symbolic link leading out) and out of `.cairn/` and `.git/` ([`super::fence`]).
//! - `timeout` (Int, optional): how many seconds one command may run (default: the run's
//!   timeout, 300 s unless configured).
//! - Any other field is an input for the commands: it is passed to them on stdin.
//!
//! # Protocol
//!
//! **Running.** A command runs without a shell: the first element is the program, the others
//! are its arguments, passed as they are (no globbing, no variable expansion, no quoting). A
//! program containing a `/` that is not absolute, like `./scripts/bucket.sh`, is resolved
//! against the project root (not against `dir`); a bare name, like `python3`, is looked up in
//! the `PATH` (the one from `env` if it sets `PATH`). The command inherits Cairn's environment,
//! plus the variables of `env`, plus `CAIRN_OPERATION` set to the operation (`create`, `read`,
//! `update` or `delete`).
//!
//! **Stdin.** The command receives one JSON object on stdin, then end of file:
//!
//! ```json
//! {"operation": "create", "inputs": {...}}
//! {"operation": "read",   "inputs": {...}, "outputs": {...}}
//! {"operation": "update", "inputs": {...}, "outputs": {...}, "old_inputs": {...}}
//! {"operation": "delete", "inputs": {...}, "outputs": {...}}
//! ```
//!
//! `inputs` is the resource's whole body: every field, including `create`, `env`, `outputs`
//! and the others above (for `update`, the new body; `old_inputs` is the body applied
//! before). `outputs` is the object of outputs recorded for the resource (`{}` if none). A
//! command may ignore its stdin.
//!
//! **Stdout.** What the command prints on stdout is read as JSON:
//!
//! - `create`: an object of outputs, like `{"id": "b-123"}`. Nothing at all (or only white
//!   space) means `{}`. Every name listed in `outputs` must be in it.
//! - `update`: an object of outputs, merged over the recorded outputs: a name it prints
//!   replaces the recorded value, a recorded name it leaves out keeps its value. Nothing at all
//!   means `{}`. Every name listed in `outputs` must be in the result.
//! - `read`: `null` if the resource no longer exists; otherwise an object of outputs, merged
//!   over the recorded outputs like `update`'s (nothing at all, or `{}`, means it exists as
//!   recorded).
//! - `delete`: ignored.
//!
//! Anything else (text that is not JSON, an array, `null` from `create` or `update`) is an
//! error. At most 16 MiB of stdout is read.
//!
//! **Exit status.** 0 is success. Anything else is a failure: the operation fails with the
//! exit code (or the signal that killed the command) and the last 4 KB of its stderr. Stderr is
//! ignored on success.
//!
//! **Timeout.** A command still running after `timeout` seconds is killed (SIGKILL), together
//! with every process it started that is still in its process group (on Unix each command runs
//! in a process group of its own); the operation fails. For the same reason, Ctrl-C in the
//! terminal does not reach the command: an interrupted run lets running commands finish.
//!
//! **Background processes.** A command may leave a process running in the background (a
//! server it started). If that process keeps the command's stdout or stderr open, Cairn stops
//! reading them one second after the command exits.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json, json};

use super::provider::{Ctx, Observed, Provider, ProviderError};

/// The `exec` provider.
pub struct ExecProvider;

/// At most this much of a command's stdout is read.
const MAX_STDOUT: usize = 16 * 1024 * 1024;
/// The end of stderr kept for error messages.
const STDERR_TAIL: usize = 4096;
/// How long the pipes are still read after the command exits (a background process it started
/// may hold them open).
const PIPE_GRACE: Duration = Duration::from_secs(1);
/// How much of an invalid stdout an error quotes, in characters.
const QUOTE_CHARS: usize = 200;

/// A resource's inputs, checked.
struct Spec<'a> {
    create: Vec<&'a str>,
    read: Option<Vec<&'a str>>,
    update: Option<Vec<&'a str>>,
    delete: Option<Vec<&'a str>>,
    outputs: Vec<&'a str>,
    env: Vec<(&'a str, &'a str)>,
    dir: Option<&'a str>,
    timeout: Option<Duration>,
}

#[derive(Clone, Copy)]
enum Op {
    Create,
    Read,
    Update,
    Delete,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Read => "read",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

impl Provider for ExecProvider {
    fn name(&self) -> &str {
        "exec"
    }

    fn validate(&self, ctx: &Ctx, inputs: &Json) -> Result<(), ProviderError> {
        let spec = parse(inputs)?;
        if let Some(dir) = spec.dir {
            let root = std::path::absolute(&ctx.root).unwrap_or_else(|_| ctx.root.clone());
            super::fence::working_dir(&root, dir)?;
        }
        Ok(())
    }

    fn outputs(&self, inputs: &Json) -> Vec<String> {
        match inputs.get("outputs") {
            Some(Json::Array(names)) => names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn forces_replacement(&self, inputs: &Json, attribute: &str) -> bool {
        match inputs.get("update") {
            None | Some(Json::Null) => true,
            Some(_) => attribute == "create",
        }
    }

    fn read(&self, ctx: &Ctx, inputs: &Json, outputs: &Json) -> Result<Observed, ProviderError> {
        let spec = parse(inputs)?;
        let Some(argv) = &spec.read else {
            return Ok(Observed::Same {
                outputs: Json::Object(object_or_empty(outputs)),
            });
        };
        let request = json!({
            "operation": "read",
            "inputs": inputs,
            "outputs": object_or_empty(outputs),
        });
        let stdout = run(ctx, &spec, Op::Read, argv, &request)?;
        match parse_stdout(Op::Read, argv, &stdout)? {
            None => Ok(Observed::Missing),
            Some(reported) => Ok(Observed::Same {
                outputs: Json::Object(merge(outputs, reported)),
            }),
        }
    }

    fn create(&self, ctx: &Ctx, inputs: &Json) -> Result<Json, ProviderError> {
        let spec = parse(inputs)?;
        let request = json!({ "operation": "create", "inputs": inputs });
        let stdout = run(ctx, &spec, Op::Create, &spec.create, &request)?;
        let outputs = parse_stdout(Op::Create, &spec.create, &stdout)?.unwrap_or_default();
        check_declared(Op::Create, &spec, &outputs)?;
        Ok(Json::Object(outputs))
    }

    fn update(
        &self,
        ctx: &Ctx,
        old: &Json,
        outputs: &Json,
        new: &Json,
    ) -> Result<Json, ProviderError> {
        let spec = parse(new)?;
        let Some(argv) = &spec.update else {
            return Err(ProviderError::new(
                "this `exec.Command` has no `update` command, so it cannot be changed in place",
            )
            .with_help("add an `update` command, or let the change replace the resource"));
        };
        let request = json!({
            "operation": "update",
            "inputs": new,
            "outputs": object_or_empty(outputs),
            "old_inputs": old,
        });
        let stdout = run(ctx, &spec, Op::Update, argv, &request)?;
        let reported = parse_stdout(Op::Update, argv, &stdout)?.unwrap_or_default();
        let merged = merge(outputs, reported);
        check_declared(Op::Update, &spec, &merged)?;
        Ok(Json::Object(merged))
    }

    fn delete(&self, ctx: &Ctx, inputs: &Json, outputs: &Json) -> Result<(), ProviderError> {
        let spec = parse(inputs)?;
        let Some(argv) = &spec.delete else {
            return Ok(());
        };
        let request = json!({
            "operation": "delete",
            "inputs": inputs,
            "outputs": object_or_empty(outputs),
        });
        run(ctx, &spec, Op::Delete, argv, &request).map(|_| ())
    }
}

/// Checks the inputs.
fn parse(inputs: &Json) -> Result<Spec<'_>, ProviderError> {
    if !inputs.is_object() {
        return Err(ProviderError::new(
            "an `exec.Command` resource takes a record with at least `create`",
        ));
    }
    let field = |name: &str| inputs.get(name).filter(|v| !v.is_null());
    let create = match field("create") {
        Some(v) => command(v, "create")?,
        None => {
            return Err(
                ProviderError::new("an `exec.Command` resource needs a `create` command")
                    .with_help(
                        "add `create = [\"./scripts/thing.sh\", \"create\"]`: the program, then its arguments",
                    ),
            );
        }
    };
    let optional = |name: &str| field(name).map(|v| command(v, name)).transpose();
    let read = optional("read")?;
    let update = optional("update")?;
    let delete = optional("delete")?;
    let outputs = match field("outputs") {
        None => Vec::new(),
        Some(v) => strings(v).ok_or_else(|| {
            ProviderError::new("`outputs` must be a list of strings").with_help(
                "list the names of the outputs `create` reports, like `outputs = [\"id\"]`",
            )
        })?,
    };
    let env = match field("env") {
        None => Vec::new(),
        Some(Json::Object(vars)) => {
            let mut env = Vec::with_capacity(vars.len());
            for (name, value) in vars {
                let Some(value) = value.as_str() else {
                    return Err(ProviderError::new(format!("`env.{name}` must be a string"))
                        .with_help("environment variables are text: quote numbers and booleans"));
                };
                if name.is_empty() || name.contains('=') || name.contains('\0') {
                    return Err(ProviderError::new(format!(
                        "`{name}` cannot be the name of an environment variable"
                    )));
                }
                if value.contains('\0') {
                    return Err(ProviderError::new(format!(
                        "`env.{name}` contains a NUL character"
                    )));
                }
                env.push((name.as_str(), value));
            }
            env
        }
        Some(_) => {
            return Err(ProviderError::new(
                "`env` must be a record of strings, like `env = { REGION = \"eu-west-1\" }`",
            ));
        }
    };
    let dir = match field("dir") {
        None => None,
        Some(Json::String(d)) if !d.is_empty() => Some(d.as_str()),
        Some(_) => {
            return Err(ProviderError::new("`dir` must be a non-empty string")
                .with_help("give the working directory relative to the project root"));
        }
    };
    let timeout = match field("timeout") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(s) if s > 0 => Some(Duration::from_secs(s)),
            _ => {
                return Err(ProviderError::new(format!(
                    "`timeout` must be a positive whole number of seconds, not {v}"
                )));
            }
        },
    };
    Ok(Spec {
        create,
        read,
        update,
        delete,
        outputs,
        env,
        dir,
        timeout,
    })
}

/// A command field: a non-empty list of strings whose first one is not empty.
fn command<'a>(v: &'a Json, name: &str) -> Result<Vec<&'a str>, ProviderError> {
    let bad = || {
        ProviderError::new(format!(
            "`{name}` must be a non-empty list of strings: the program, then its arguments"
        ))
        .with_help(format!(
            "commands run without a shell, like `{name} = [\"./scripts/thing.sh\", \"{name}\"]`; to use shell syntax, write `[\"sh\", \"-c\", \"...\"]`"
        ))
    };
    let argv = strings(v).ok_or_else(bad)?;
    match argv.first() {
        None | Some(&"") => return Err(bad()),
        Some(_) => {}
    }
    if argv.iter().any(|a| a.contains('\0')) {
        return Err(ProviderError::new(format!(
            "`{name}` contains a NUL character"
        )));
    }
    Ok(argv)
}

fn strings(v: &Json) -> Option<Vec<&str>> {
    v.as_array()?.iter().map(Json::as_str).collect()
}

fn object_or_empty(v: &Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap_or_default()
}

/// `reported` over `recorded`.
fn merge(recorded: &Json, reported: Map<String, Json>) -> Map<String, Json> {
    let mut merged = object_or_empty(recorded);
    merged.extend(reported);
    merged
}

/// Fails if some names of `outputs` are missing.
fn check_declared(
    op: Op,
    spec: &Spec<'_>,
    outputs: &Map<String, Json>,
) -> Result<(), ProviderError> {
    let missing: Vec<String> = spec
        .outputs
        .iter()
        .filter(|n| !outputs.contains_key(**n))
        .map(|n| format!("`{n}`"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let argv = if let (Op::Update, Some(u)) = (op, &spec.update) {
        u
    } else {
        &spec.create
    };
    let (noun, list) = if missing.len() == 1 {
        ("output", missing.join(""))
    } else {
        ("outputs", missing.join(", "))
    };
    Err(ProviderError::new(format!(
        "the `{}` command `{}` did not report the declared {noun} {list}",
        op.as_str(),
        argv[0]
    ))
    .with_help(format!(
        "it must print a JSON object with every name in `outputs` on stdout, like {{\"{}\": ...}}",
        spec.outputs.first().copied().unwrap_or("id")
    )))
}

/// Reads a command's stdout: `None` for `null` (only from `read`), otherwise an object.
fn parse_stdout(
    op: Op,
    argv: &[&str],
    stdout: &[u8],
) -> Result<Option<Map<String, Json>>, ProviderError> {
    let what = || format!("the `{}` command `{}`", op.as_str(), argv[0]);
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Ok(Some(Map::new()));
    }
    let text = String::from_utf8_lossy(stdout);
    let quote = || {
        let trimmed = text.trim();
        let mut q: String = trimmed.chars().take(QUOTE_CHARS).collect();
        if trimmed.chars().nth(QUOTE_CHARS).is_some() {
            q.push('…');
        }
        q
    };
    let expected = match op {
        Op::Read => "a JSON object of outputs, or `null` if the resource no longer exists",
        _ => "a JSON object of outputs (or nothing)",
    };
    let value: Json = serde_json::from_slice(stdout).map_err(|e| {
        ProviderError::new(format!(
            "{} printed invalid JSON on stdout ({e}): `{}`",
            what(),
            quote()
        ))
        .with_help(format!(
            "stdout must hold only {expected}; print messages on stderr"
        ))
    })?;
    match value {
        Json::Object(map) => Ok(Some(map)),
        Json::Null if matches!(op, Op::Read) => Ok(None),
        other => Err(ProviderError::new(format!(
            "{} printed {} on stdout instead of a JSON object: `{}`",
            what(),
            kind(&other),
            quote()
        ))
        .with_help(format!("stdout must hold only {expected}"))),
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Runs one command with `request` on its stdin; returns its stdout.
fn run(
    ctx: &Ctx,
    spec: &Spec<'_>,
    op: Op,
    argv: &[&str],
    request: &Json,
) -> Result<Vec<u8>, ProviderError> {
    let what = || format!("the `{}` command `{}`", op.as_str(), argv[0]);
    let root = std::path::absolute(&ctx.root).unwrap_or_else(|_| ctx.root.clone());
    let cwd = match spec.dir {
        Some(d) => super::fence::working_dir(&root, d)?,
        None => root.clone(),
    };
    if !cwd.is_dir() {
        return Err(ProviderError::new(format!(
            "cannot run {}: its working directory {} is not a folder",
            what(),
            cwd.display()
        ))
        .with_help("`dir` is relative to the project root; create the folder or fix `dir`"));
    }
    let program = resolve_program(&root, argv[0]);
    let mut cmd = Command::new(&program);
    cmd.args(&argv[1..])
        .current_dir(&cwd)
        .env("CAIRN_OPERATION", op.as_str())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in &spec.env {
        cmd.env(name, value);
    }
    #[cfg(unix)]
    {
        // A process group of its own, so a timeout can kill everything the command started.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| spawn_error(&root, argv[0], &program, &e))?;

    // Writes stdin from a thread while stdout and stderr are read by two others, so a command
    // that prints a lot before reading its input cannot deadlock against us. A command that
    // exits without reading its stdin makes the write fail: that is fine.
    let request = serde_json::to_vec(request).unwrap_or_default();
    if let Some(mut stdin) = child.stdin.take() {
        thread::spawn(move || {
            let _ = stdin.write_all(&request);
        });
    }
    let stdout = Collector::start(child.stdout.take(), Keep::Head(MAX_STDOUT));
    let stderr = Collector::start(child.stderr.take(), Keep::Tail(STDERR_TAIL));

    let timeout = spec.timeout.unwrap_or(ctx.timeout);
    let status = match wait(&mut child, timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            kill(&mut child);
            let stderr = stderr.finish(PIPE_GRACE);
            let mut e = ProviderError::new(format!(
                "{} timed out after {} s",
                what(),
                timeout.as_secs_f64()
            ))
            .with_help(
                "it was killed with the processes it started; if it needs longer, raise the resource's `timeout` (in seconds)",
            );
            e.stderr = tail_text(&stderr.data);
            return Err(e);
        }
        Err(err) => {
            kill(&mut child);
            return Err(ProviderError::new(format!(
                "cannot wait for {}: {err}",
                what()
            )));
        }
    };
    let out = stdout.finish(PIPE_GRACE);
    let err = stderr.finish(PIPE_GRACE);
    if !status.success() {
        let mut e = ProviderError::new(format!("{} {}", what(), failure(status)));
        e.stderr = tail_text(&err.data);
        return Err(e);
    }
    if out.overflowed {
        return Err(ProviderError::new(format!(
            "{} printed more than {} MiB on stdout",
            what(),
            MAX_STDOUT / (1024 * 1024)
        ))
        .with_help("stdout must hold only a JSON object of outputs; print logs on stderr"));
    }
    Ok(out.data)
}

/// A program path with a `/` that is not absolute is relative to the project root; a bare name
/// is left to the `PATH` lookup.
fn resolve_program(root: &Path, program: &str) -> PathBuf {
    let path = Path::new(program);
    let has_separator = program.contains('/') || (cfg!(windows) && program.contains('\\'));
    if has_separator && path.is_relative() {
        root.join(path)
    } else {
        path.to_path_buf()
    }
}

fn spawn_error(root: &Path, argv0: &str, program: &Path, e: &std::io::Error) -> ProviderError {
    let is_path = program != Path::new(argv0) || Path::new(argv0).is_absolute();
    match e.kind() {
        std::io::ErrorKind::NotFound if is_path && program.is_file() => ProviderError::new(
            format!("cannot run `{argv0}`: its interpreter was not found"),
        )
        .with_help(format!(
            "{} exists; check the program named on its `#!` line",
            program.display()
        )),
        std::io::ErrorKind::NotFound if is_path => {
            ProviderError::new(format!("cannot run `{argv0}`: not found")).with_help(format!(
                "a program path with a `/` is relative to the project root {}: there is no {}",
                root.display(),
                program.display()
            ))
        }
        std::io::ErrorKind::NotFound => {
            ProviderError::new(format!("cannot run `{argv0}`: not found")).with_help(format!(
                "`{argv0}` is looked up in the folders of PATH: install it, or give its path; a path with a `/`, like `./scripts/{argv0}`, is relative to the project root {}",
                root.display()
            ))
        }
        std::io::ErrorKind::PermissionDenied => {
            ProviderError::new(format!("cannot run `{argv0}`: permission denied")).with_help(
                format!(
                    "make it executable: `chmod +x {}` (and `git update-index --chmod=+x` if it is in git)",
                    program.display()
                ),
            )
        }
        _ => ProviderError::new(format!("cannot run `{argv0}`: {e}")),
    }
}

/// Waits for the child until `timeout`; `None` when it is still running then.
fn wait(child: &mut Child, timeout: Duration) -> std::io::Result<Option<ExitStatus>> {
    // A timeout too large to add is no limit.
    let deadline = Instant::now().checked_add(timeout);
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        let left = deadline.map_or(pause, |d| d.saturating_duration_since(now));
        if left.is_zero() {
            return Ok(None);
        }
        thread::sleep(pause.min(left));
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

/// Kills the child and, on Unix, every process left in its process group; reaps the child.
fn kill(child: &mut Child) {
    #[cfg(unix)]
    {
        // The child leads its own process group (`process_group(0)`), and is not reaped yet, so
        // the group id cannot have been reused. Signalling a group needs kill(2) with a negative
        // id, which safe std does not offer. The shell's builtin `kill` does it: `sh` is on every
        // Unix system, while a `kill` program is not (a minimal Debian has none).
        let _ = Command::new("/bin/sh")
            .args(["-c", "kill -s KILL -- \"-$0\"", &child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Why a command failed, after "the `create` command `x`".
fn failure(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("failed with exit code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}");
        }
    }
    format!("failed ({status})")
}

/// The end of stderr as trimmed text, at most `STDERR_TAIL` bytes, starting on a character.
fn tail_text(bytes: &[u8]) -> Option<String> {
    let mut start = bytes.len().saturating_sub(STDERR_TAIL);
    // Skips UTF-8 continuation bytes, so the text does not start in the middle of a character.
    while start < bytes.len() && start > 0 && (bytes[start] & 0xC0) == 0x80 {
        start += 1;
    }
    let text = String::from_utf8_lossy(&bytes[start..]);
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// What part of a stream to keep.
#[derive(Clone, Copy)]
enum Keep {
    /// The first n bytes; more sets `overflowed`.
    Head(usize),
    /// At least the last n bytes.
    Tail(usize),
}

#[derive(Default)]
struct Collected {
    data: Vec<u8>,
    overflowed: bool,
}

/// Reads a pipe on a thread of its own.
struct Collector {
    buf: Arc<Mutex<Collected>>,
    done: mpsc::Receiver<()>,
}

impl Collector {
    fn start(pipe: Option<impl Read + Send + 'static>, keep: Keep) -> Collector {
        let buf = Arc::new(Mutex::new(Collected::default()));
        let (tx, done) = mpsc::channel();
        if let Some(mut pipe) = pipe {
            let shared = Arc::clone(&buf);
            thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                loop {
                    let n = match pipe.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let Ok(mut c) = shared.lock() else { break };
                    match keep {
                        Keep::Head(max) => {
                            let room = max.saturating_sub(c.data.len());
                            if n > room {
                                c.overflowed = true;
                            }
                            c.data.extend_from_slice(&chunk[..n.min(room)]);
                        }
                        Keep::Tail(max) => {
                            c.data.extend_from_slice(&chunk[..n]);
                            if c.data.len() > 4 * max {
                                let cut = c.data.len() - max;
                                c.data.drain(..cut);
                            }
                        }
                    }
                }
                let _ = tx.send(());
            });
        }
        // Without a pipe, `tx` is dropped here and `finish` returns at once.
        Collector { buf, done }
    }

    /// What was read once the pipe is closed, or after `grace` if it stays open.
    fn finish(self, grace: Duration) -> Collected {
        let _ = self.done.recv_timeout(grace);
        match self.buf.lock() {
            Ok(mut c) => std::mem::take(&mut *c),
            Err(_) => Collected::default(),
        }
    }
}

/// The fixtures and most commands here are POSIX `sh` scripts.
#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::fs;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A fresh folder under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            static N: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let dir = std::env::temp_dir().join(format!(
                "cairn-exec-test-{name}-{}-{nanos}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn path(&self, name: &str) -> String {
            self.0.join(name).to_string_lossy().into_owned()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// The crate root as project root, so `./tests/fixtures/exec/...` resolves.
    fn ctx() -> Ctx {
        Ctx::new(env!("CARGO_MANIFEST_DIR"))
    }

    const FIXTURES: &str = "./tests/fixtures/exec";

    fn fixture(name: &str) -> String {
        format!("{FIXTURES}/{name}")
    }

    #[test]
    fn validates_inputs() {
        let p = ExecProvider;
        let c = ctx();
        let m = |v: Json| p.validate(&c, &v).unwrap_err().message;
        assert_eq!(
            m(json!({})),
            "an `exec.Command` resource needs a `create` command"
        );
        assert_eq!(
            m(json!({ "create": [] })),
            "`create` must be a non-empty list of strings: the program, then its arguments"
        );
        assert_eq!(
            m(json!({ "create": "echo hi" })),
            "`create` must be a non-empty list of strings: the program, then its arguments"
        );
        assert_eq!(
            m(json!({ "create": ["x"], "read": [1] })),
            "`read` must be a non-empty list of strings: the program, then its arguments"
        );
        assert_eq!(
            m(json!({ "create": ["x"], "outputs": "id" })),
            "`outputs` must be a list of strings"
        );
        assert_eq!(
            m(json!({ "create": ["x"], "env": { "A": 1 } })),
            "`env.A` must be a string"
        );
        assert_eq!(
            m(json!({ "create": ["x"], "timeout": 0 })),
            "`timeout` must be a positive whole number of seconds, not 0"
        );
        assert_eq!(
            m(json!({ "create": ["x"], "dir": 3 })),
            "`dir` must be a non-empty string"
        );
        p.validate(
            &c,
            &json!({
                "create": ["x", "a"], "read": null, "update": ["y"], "outputs": ["id"],
                "env": { "A": "1" }, "dir": "sub", "timeout": 5, "anything": [1, { "b": 2 }],
            }),
        )
        .unwrap();
    }

    #[test]
    fn replacement_and_outputs() {
        let p = ExecProvider;
        let without = json!({ "create": ["x"], "outputs": ["id", "url"] });
        assert!(p.forces_replacement(&without, "create"));
        assert!(p.forces_replacement(&without, "size"));
        assert!(p.forces_replacement(&without, "delete"));
        let with = json!({ "create": ["x"], "update": ["y"] });
        assert!(p.forces_replacement(&with, "create"));
        assert!(!p.forces_replacement(&with, "size"));
        assert!(!p.forces_replacement(&with, "update"));
        assert!(!p.forces_replacement(&with, "dir"));
        assert_eq!(p.outputs(&without), vec!["id", "url"]);
        assert!(p.outputs(&with).is_empty());
    }

    /// The full cycle against `resource.sh`, which keeps its resources as files.
    #[test]
    fn create_read_update_delete() {
        let t = TempDir::new("crud");
        let p = ExecProvider;
        let c = ctx();
        let script = fixture("resource.sh");
        let inputs = |content: &str| {
            json!({
                "create": [script, "create"],
                "read": [script, "read"],
                "update": [script, "update"],
                "delete": [script, "delete"],
                "outputs": ["id", "path"],
                "env": { "STATE_DIR": t.path("store") },
                "name": "alpha",
                "content": content,
            })
        };
        let v1 = inputs("one");
        p.validate(&c, &v1).unwrap();
        let out = p.create(&c, &v1).unwrap();
        assert_eq!(out["id"], json!("alpha"));
        let file = t.0.join("store/alpha");
        assert_eq!(out["path"], json!(file.to_string_lossy()));
        assert_eq!(fs::read_to_string(&file).unwrap(), "one");
        // The log shows what each command received.
        let log = fs::read_to_string(t.0.join("store/log")).unwrap();
        assert_eq!(log, "create alpha create\n");

        match p.read(&c, &v1, &out).unwrap() {
            Observed::Same { outputs } => {
                assert_eq!(outputs["id"], json!("alpha"));
                assert_eq!(outputs["content"], json!("one"));
                assert_eq!(outputs["path"], out["path"]);
            }
            other => panic!("{other:?}"),
        }

        let v2 = inputs("two");
        let out2 = p.update(&c, &v1, &out, &v2).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "two");
        // `update` printed only `updated`: the recorded outputs are kept.
        assert_eq!(out2["id"], json!("alpha"));
        assert_eq!(out2["path"], out["path"]);
        assert_eq!(out2["updated"], json!("one -> two"));

        p.delete(&c, &v2, &out2).unwrap();
        assert!(!file.exists());
        assert_eq!(p.read(&c, &v2, &out2).unwrap(), Observed::Missing);
        let log = fs::read_to_string(t.0.join("store/log")).unwrap();
        assert_eq!(
            log,
            "create alpha create\nread alpha read\nupdate alpha update\ndelete alpha delete\nread alpha read\n"
        );
    }

    #[test]
    fn without_read_update_or_delete() {
        let p = ExecProvider;
        let c = ctx();
        let v = json!({ "create": ["sh", "-c", "echo '{\"id\": 7}'"] });
        let out = p.create(&c, &v).unwrap();
        assert_eq!(out, json!({ "id": 7 }));
        assert_eq!(
            p.read(&c, &v, &out).unwrap(),
            Observed::Same {
                outputs: out.clone()
            }
        );
        p.delete(&c, &v, &out).unwrap();
        let e = p.update(&c, &v, &out, &v).unwrap_err();
        assert!(
            e.message.contains("has no `update` command"),
            "{}",
            e.message
        );
    }

    #[test]
    fn empty_stdout_is_no_outputs() {
        let p = ExecProvider;
        let c = ctx();
        assert_eq!(
            p.create(&c, &json!({ "create": ["true"] })).unwrap(),
            json!({})
        );
        assert_eq!(
            p.create(
                &c,
                &json!({ "create": ["sh", "-c", "echo; echo '  {}  '"] })
            )
            .unwrap(),
            json!({})
        );
    }

    #[test]
    fn counts_creates() {
        let t = TempDir::new("count");
        let p = ExecProvider;
        let c = ctx();
        let count = t.path("count");
        for i in 0..3 {
            let v = json!({
                "create": [fixture("count.sh"), "create", format!("r{i}")],
                "delete": [fixture("count.sh"), "delete", format!("r{i}")],
                "outputs": ["id"],
                "env": { "COUNT_FILE": count },
            });
            let out = p.create(&c, &v).unwrap();
            assert_eq!(out["id"], json!(format!("r{i}")));
            if i == 2 {
                p.delete(&c, &v, &out).unwrap();
            }
        }
        let lines = fs::read_to_string(&count).unwrap();
        assert_eq!(lines, "create r0\ncreate r1\ncreate r2\ndelete r2\n");
    }

    #[test]
    fn environment_and_working_directory() {
        let t = TempDir::new("env");
        fs::create_dir_all(t.0.join("sub")).unwrap();
        let mut c = ctx();
        c.root = t.0.clone();
        let v = json!({
            "create": ["sh", "-c", "printf '{\"dir\": \"%s\", \"op\": \"%s\", \"x\": \"%s\"}' \"$(pwd -P)\" \"$CAIRN_OPERATION\" \"$X\""],
            "env": { "X": "y z" },
            "dir": "sub",
        });
        let out = ExecProvider.create(&c, &v).unwrap();
        let real = fs::canonicalize(t.0.join("sub")).unwrap();
        assert_eq!(out["dir"], json!(real.to_string_lossy()));
        assert_eq!(out["op"], json!("create"));
        assert_eq!(out["x"], json!("y z"));

        let v = json!({ "create": ["true"], "dir": "nope" });
        let e = ExecProvider.create(&c, &v).unwrap_err();
        assert!(e.message.contains("is not a folder"), "{}", e.message);
    }

    #[test]
    fn a_failing_command_reports_its_exit_code_and_stderr() {
        let e = ExecProvider
            .create(&ctx(), &json!({ "create": [fixture("fail.sh"), "create"] }))
            .unwrap_err();
        assert_eq!(
            e.message,
            "the `create` command `./tests/fixtures/exec/fail.sh` failed with exit code 3"
        );
        assert_eq!(
            e.stderr.as_deref(),
            Some("fail.sh: the widget is broken\nfail.sh: giving up")
        );
        assert!(
            e.to_string()
                .contains("stderr:\nfail.sh: the widget is broken")
        );
    }

    #[test]
    fn stderr_keeps_its_last_4_kb() {
        let v = json!({ "create": ["sh", "-c",
            "i=0; while [ $i -lt 3000 ]; do echo \"line $i é\" >&2; i=$((i+1)); done; exit 1"] });
        let e = ExecProvider.create(&ctx(), &v).unwrap_err();
        let stderr = e.stderr.unwrap();
        assert!(stderr.len() <= STDERR_TAIL, "{}", stderr.len());
        assert!(stderr.len() > STDERR_TAIL - 20, "{}", stderr.len());
        assert!(stderr.ends_with("line 2999 é"), "{stderr}");
        assert!(!stderr.contains('\u{fffd}'));
    }

    #[test]
    fn invalid_json_is_quoted() {
        let e = ExecProvider
            .create(&ctx(), &json!({ "create": [fixture("bad_json.sh")] }))
            .unwrap_err();
        assert!(
            e.message.starts_with(
                "the `create` command `./tests/fixtures/exec/bad_json.sh` printed invalid JSON on stdout ("
            ),
            "{}",
            e.message
        );
        assert!(
            e.message.ends_with("): `created the bucket {id: b-1}`"),
            "{}",
            e.message
        );
        assert!(e.help.unwrap().contains("stderr"));

        // Long output is cut at 200 characters.
        let v = json!({ "create": ["sh", "-c", "printf 'x%.0s' $(seq 1 500)"] });
        let e = ExecProvider.create(&ctx(), &v).unwrap_err();
        let quoted = e.message.rsplit('`').nth(1).unwrap();
        assert_eq!(quoted, format!("{}…", "x".repeat(200)));

        // JSON that is not an object.
        let v = json!({ "create": ["sh", "-c", "echo '[1, 2]'"] });
        let e = ExecProvider.create(&ctx(), &v).unwrap_err();
        assert_eq!(
            e.message,
            "the `create` command `sh` printed an array on stdout instead of a JSON object: `[1, 2]`"
        );
        // `null` means "gone" only for `read`.
        let v = json!({ "create": ["sh", "-c", "echo null"] });
        let e = ExecProvider.create(&ctx(), &v).unwrap_err();
        assert!(
            e.message.contains("printed null on stdout"),
            "{}",
            e.message
        );
    }

    #[test]
    fn missing_declared_outputs_are_named() {
        let v = json!({
            "create": [fixture("no_output.sh")],
            "outputs": ["id", "url", "region"],
        });
        let e = ExecProvider.create(&ctx(), &v).unwrap_err();
        assert_eq!(
            e.message,
            "the `create` command `./tests/fixtures/exec/no_output.sh` did not report the declared outputs `url`, `region`"
        );
        let v = json!({ "create": [fixture("no_output.sh")], "outputs": ["id", "url"] });
        let e = ExecProvider.create(&ctx(), &v).unwrap_err();
        assert_eq!(
            e.message,
            "the `create` command `./tests/fixtures/exec/no_output.sh` did not report the declared output `url`"
        );
        // `update` outputs are merged over the recorded ones before the check.
        let v = json!({
            "create": [fixture("no_output.sh")],
            "update": [fixture("no_output.sh")],
            "outputs": ["id", "url"],
        });
        let out = ExecProvider
            .update(&ctx(), &v, &json!({ "url": "u" }), &v)
            .unwrap();
        assert_eq!(out, json!({ "url": "u", "id": "x-1" }));
        let e = ExecProvider.update(&ctx(), &v, &json!({}), &v).unwrap_err();
        assert_eq!(
            e.message,
            "the `update` command `./tests/fixtures/exec/no_output.sh` did not report the declared output `url`"
        );
    }

    #[test]
    fn a_missing_program_is_reported() {
        let c = ctx();
        let e = ExecProvider
            .create(&c, &json!({ "create": ["cairn-no-such-program-x"] }))
            .unwrap_err();
        assert_eq!(e.message, "cannot run `cairn-no-such-program-x`: not found");
        assert!(e.help.unwrap().contains("PATH"));

        let e = ExecProvider
            .create(&c, &json!({ "create": ["./scripts/nope.sh"] }))
            .unwrap_err();
        assert_eq!(e.message, "cannot run `./scripts/nope.sh`: not found");
        let help = e.help.unwrap();
        assert!(help.contains("relative to the project root"), "{help}");
        assert!(help.contains("scripts/nope.sh"), "{help}");
    }

    #[test]
    fn a_program_that_is_not_executable_is_reported() {
        use std::os::unix::fs::PermissionsExt;
        let t = TempDir::new("noexec");
        let script = t.0.join("x.sh");
        fs::write(&script, "#!/bin/sh\necho {}\n").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).unwrap();
        let mut c = ctx();
        c.root = t.0.clone();
        let e = ExecProvider
            .create(&c, &json!({ "create": ["./x.sh"] }))
            .unwrap_err();
        assert_eq!(e.message, "cannot run `./x.sh`: permission denied");
        assert!(e.help.unwrap().contains("chmod +x"));

        fs::write(&script, "#!/no/such/interpreter\n").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        let e = ExecProvider
            .create(&c, &json!({ "create": ["./x.sh"] }))
            .unwrap_err();
        assert_eq!(
            e.message,
            "cannot run `./x.sh`: its interpreter was not found"
        );
    }

    /// The command sleeps 30 s in a child process; a 1 s timeout kills both at 1 s.
    #[test]
    fn a_timeout_kills_the_command_and_its_children() {
        let t = TempDir::new("timeout");
        let pid_file = t.path("pid");
        let v = json!({
            "create": [fixture("sleep.sh")],
            "env": { "PID_FILE": pid_file },
            "timeout": 1,
        });
        let start = Instant::now();
        let e = ExecProvider.create(&ctx(), &v).unwrap_err();
        let elapsed = start.elapsed();
        assert_eq!(
            e.message,
            "the `create` command `./tests/fixtures/exec/sleep.sh` timed out after 1 s"
        );
        assert!(e.help.unwrap().contains("`timeout`"));
        assert_eq!(e.stderr.as_deref(), Some("sleep.sh: sleeping"));
        assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
        assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");

        let pids = fs::read_to_string(&pid_file).unwrap();
        for pid in pids.split_whitespace() {
            assert!(gone(pid), "process {pid} is still running");
        }
    }

    /// Whether the process is gone (or a zombie nobody reaped yet: it no longer runs).
    fn gone(pid: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let running = if cfg!(target_os = "linux") {
                match fs::read_to_string(format!("/proc/{pid}/stat")) {
                    Err(_) => false,
                    // The state follows the parenthesized command name.
                    Ok(stat) => !stat
                        .rsplit_once(')')
                        .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
                }
            } else {
                Command::new("/bin/sh")
                    .args(["-c", "kill -0 \"$0\"", pid])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !running {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_huge_timeout_is_no_limit() {
        let v = json!({ "create": ["true"], "timeout": u64::MAX });
        assert_eq!(ExecProvider.create(&ctx(), &v).unwrap(), json!({}));
    }

    #[test]
    fn the_run_timeout_applies_without_a_timeout_field() {
        let mut c = ctx();
        c.timeout = Duration::from_millis(300);
        let start = Instant::now();
        let e = ExecProvider
            .create(&c, &json!({ "create": ["sleep", "30"] }))
            .unwrap_err();
        assert_eq!(
            e.message,
            "the `create` command `sleep` timed out after 0.3 s"
        );
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    /// Large input the command never reads, large output before it reads: no deadlock.
    #[test]
    fn large_stdin_and_stdout_do_not_deadlock() {
        let big = "x".repeat(1 << 20);
        let v = json!({ "create": ["sh", "-c", "echo '{\"ok\": true}'"], "blob": big });
        assert_eq!(
            ExecProvider.create(&ctx(), &v).unwrap(),
            json!({ "ok": true })
        );

        let v = json!({
            "create": ["sh", "-c",
                "head -c 300000 /dev/zero | tr '\\0' ' '; wc -c >&2; echo '{\"ok\": 1}'"],
            "blob": big,
        });
        assert_eq!(ExecProvider.create(&ctx(), &v).unwrap(), json!({ "ok": 1 }));
    }

    /// A background process holding stdout open does not keep the operation waiting.
    #[test]
    fn a_background_process_does_not_block() {
        let start = Instant::now();
        let v = json!({ "create": ["sh", "-c", "sleep 3 & echo '{\"id\": 1}'"] });
        assert_eq!(ExecProvider.create(&ctx(), &v).unwrap(), json!({ "id": 1 }));
        assert!(start.elapsed() < Duration::from_millis(2500));
    }

    #[test]
    fn the_request_on_stdin() {
        let v = json!({
            "create": ["sh", "-c", "cat"],
            "update": ["sh", "-c", "cat"],
            "read": ["sh", "-c", "cat"],
            "size": 3,
        });
        let c = ctx();
        let out = ExecProvider.create(&c, &v).unwrap();
        assert_eq!(out, json!({ "operation": "create", "inputs": v }));
        let recorded = json!({ "id": "a" });
        let new =
            json!({ "create": ["sh", "-c", "cat"], "update": ["sh", "-c", "cat"], "size": 4 });
        let out = ExecProvider.update(&c, &v, &recorded, &new).unwrap();
        assert_eq!(
            out,
            json!({ "id": "a", "operation": "update", "inputs": new, "outputs": recorded, "old_inputs": v })
        );
        match ExecProvider.read(&c, &v, &recorded).unwrap() {
            Observed::Same { outputs } => assert_eq!(
                outputs,
                json!({ "id": "a", "operation": "read", "inputs": v, "outputs": recorded })
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_command_killed_by_a_signal() {
        let v = json!({ "create": ["sh", "-c", "echo dying >&2; kill -s TERM $$"] });
        let e = ExecProvider.create(&ctx(), &v).unwrap_err();
        assert_eq!(
            e.message,
            "the `create` command `sh` was killed by signal 15"
        );
        assert_eq!(e.stderr.as_deref(), Some("dying"));
    }
}
