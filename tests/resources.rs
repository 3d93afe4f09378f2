//! The resource engine through the `cairn` binary: plans for every kind of change (snapshots
//! of tests/corpus/plan), apply, the lock, saved plans, failures, and crash safety.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::root;

fn cairn(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("run cairn: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fresh project folder with a `cairn.toml`.
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("cairn-res-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("cairn.toml"), "[project]\nname = \"t\"\n").unwrap_or_default();
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
}

/// tests/corpus/plan: each case applies the part before `// ==== then ====`, optionally
/// changes files on disk (`// tamper: PATH=TEXT`, `// remove: PATH`), then plans the part
/// after (with `--refresh` when it says `// refresh`). The snapshot shows the plan as text and
/// as Markdown.
#[test]
fn plans_for_every_kind_of_change() {
    let files = crate::common::cairn_files("tests/corpus/plan");
    assert!(files.len() >= 7, "{} plan cases", files.len());
    for path in files {
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let (before, after) = src
            .split_once("// ==== then ====\n")
            .unwrap_or_else(|| panic!("{name}: no `// ==== then ====` line"));
        let dir = project(&format!("plan-{name}"));
        write(&dir, "main.cairn", before);
        let o = cairn(&dir, &["apply", "main.cairn"]);
        assert!(
            o.status.success(),
            "{name}: first apply failed:\n{}",
            text(&o)
        );
        for line in after.lines().take_while(|l| l.starts_with("//")) {
            if let Some((p, t)) = line
                .strip_prefix("// tamper: ")
                .and_then(|r| r.split_once('='))
            {
                write(&dir, p, t);
            }
            if let Some(p) = line.strip_prefix("// remove: ") {
                std::fs::remove_file(dir.join(p)).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        write(&dir, "main.cairn", after);
        let refresh = after.lines().any(|l| l == "// refresh");
        let mut args = vec!["plan", "main.cairn"];
        if refresh {
            args.push("--refresh");
        }
        let plan = cairn(&dir, &args);
        assert!(
            plan.status.success(),
            "{name}: plan failed:\n{}",
            text(&plan)
        );
        args.extend(["--format", "markdown"]);
        let md = cairn(&dir, &args);
        let shown = format!(
            "{src}\n==== plan ====\n{}\n==== markdown ====\n{}",
            String::from_utf8_lossy(&plan.stdout),
            String::from_utf8_lossy(&md.stdout)
        );
        assert!(
            !String::from_utf8_lossy(&plan.stdout).contains("s3cr3t")
                && !String::from_utf8_lossy(&md.stdout).contains("s3cr3t"),
            "{name}: a sensitive value was printed"
        );
        insta::with_settings!({ snapshot_path => "corpus/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("plan__{name}"), shown);
        });
        // Applying the plan leaves nothing to do (drift included).
        let mut apply = vec!["apply", "main.cairn", "--allow-protected-delete"];
        if refresh {
            apply.push("--refresh");
        }
        let o = cairn(&dir, &apply);
        assert!(o.status.success(), "{name}: apply failed:\n{}", text(&o));
        let again = cairn(
            &dir,
            &["plan", "main.cairn", "--refresh", "--detailed-exitcode"],
        );
        assert_eq!(
            again.status.code(),
            Some(0),
            "{name}: not converged:\n{}",
            text(&again)
        );
    }
}

const SLOW: &str = r#"
resource slow: exec.Command { create: ["sh", "-c", "sleep 2; echo '{}'"] }
"#;

#[test]
fn a_second_apply_waits_for_no_one_it_fails_on_the_lock() {
    let dir = project("lock");
    write(&dir, "main.cairn", SLOW);
    let first = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["apply", "main.cairn"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // Wait for the first to hold the lock.
    for _ in 0..100 {
        if dir.join(".cairn/lock.json").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let state_before = std::fs::read_to_string(dir.join(".cairn/state.json")).unwrap_or_default();
    write(
        &dir,
        "other.cairn",
        "resource x: file.File { path: \"x.txt\", content: \"x\" }\n",
    );
    let second = cairn(&dir, &["apply", "other.cairn"]);
    let out = text(&second);
    assert_eq!(second.status.code(), Some(1), "{out}");
    assert!(out.contains("E0402") && out.contains("locked by"), "{out}");
    assert!(
        !dir.join("x.txt").exists(),
        "the second apply changed something"
    );
    let mut first = first;
    let status = first.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
    let state = std::fs::read_to_string(dir.join(".cairn/state.json")).unwrap_or_default();
    assert!(
        state.contains("\"slow\"") && !state.contains("\"x\""),
        "{state_before}\n{state}"
    );
    assert!(
        !dir.join(".cairn/lock.json").exists(),
        "the lock was left behind"
    );
    // A lock left by a dead apply is removed with `cairn unlock`, with a warning.
    write(
        &dir.join(".cairn"),
        "lock.json",
        r#"{"owner":"ci","pid":1,"host":"runner","operation":"apply","acquired":"2026-01-01T00:00:00Z","lease_until":"2026-01-01T01:00:00Z"}"#,
    );
    let o = cairn(&dir, &["apply", "main.cairn"]);
    assert!(text(&o).contains("its lease has"), "{}", text(&o));
    let o = cairn(&dir, &["unlock"]);
    assert!(
        o.status.success() && text(&o).contains("warning: removed the lock held by ci"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_saved_plan_is_refused_once_the_state_moved_on() {
    let dir = project("saved");
    write(
        &dir,
        "main.cairn",
        "resource a: file.File { path: \"a.txt\", content: \"1\" }\n",
    );
    let o = cairn(&dir, &["plan", "main.cairn", "--out", "plan.json"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = cairn(&dir, &["apply", "main.cairn"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = cairn(&dir, &["apply", "plan.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("E0403") && text(&o).contains("made against state serial 0"),
        "{}",
        text(&o)
    );
    // A fresh saved plan applies.
    write(
        &dir,
        "main.cairn",
        "resource a: file.File { path: \"a.txt\", content: \"2\" }\n",
    );
    let o = cairn(&dir, &["plan", "main.cairn", "--out", "plan.json"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = cairn(&dir, &["apply", "plan.json"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("a.txt")).unwrap_or_default(),
        "2"
    );
}

#[test]
fn resources_cannot_reach_the_state_git_or_outside_the_project() {
    let dir = project("fences");
    write(
        &dir,
        "main.cairn",
        "resource a: file.File { path: \"a.txt\", content: \"1\" }\n",
    );
    let o = cairn(&dir, &["apply", "main.cairn"]);
    assert!(o.status.success(), "{}", text(&o));
    let state = std::fs::read(dir.join(".cairn/state.json")).expect("state");
    let cases = [
        (
            "resource s: file.File { path: \".cairn/state.json\", content: \"{}\" }",
            "in the project's",
        ),
        (
            "resource s: file.File { path: \"x/../.cairn/lock.json\", content: \"{}\" }",
            "in the project's",
        ),
        (
            "resource s: file.File { path: \".git/hooks/pre-commit\", content: \"x\" }",
            "in the project's",
        ),
        (
            "resource s: file.File { path: \"b.txt\", content: \"x\", mdoe: \"0600\" }",
            "did you mean `mode`?",
        ),
        (
            "resource s: exec.Command { create: [\"true\"], dir: \"../..\" }",
            "outside the project root",
        ),
        (
            "resource s: exec.Command { create: [\"true\"], dir: \"/\" }",
            "absolute path",
        ),
        (
            "resource s: exec.Command { create: [\"true\"], dir: \".cairn\" }",
            "in the project's",
        ),
    ];
    for (program, says) in cases {
        write(&dir, "main.cairn", &format!("{program}\n"));
        for command in ["plan", "apply"] {
            let o = cairn(&dir, &[command, "main.cairn"]);
            assert_eq!(o.status.code(), Some(1), "{program}: {}", text(&o));
            assert!(text(&o).contains(says), "{program}: {}", text(&o));
            assert!(
                text(&o).contains("main.cairn:1"),
                "points at the resource: {}",
                text(&o)
            );
        }
        assert_eq!(
            std::fs::read(dir.join(".cairn/state.json")).expect("state"),
            state,
            "{program}"
        );
    }
    assert!(!dir.join("b.txt").exists());
    assert!(!dir.join(".git").exists());
}

#[test]
fn a_plan_saved_before_the_first_apply_applies() {
    let dir = project("saved-first");
    write(
        &dir,
        "main.cairn",
        "resource a: file.File { path: \"a.txt\", content: \"1\" }\n",
    );
    let o = cairn(&dir, &["plan", "main.cairn", "--out", "plan.json"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = cairn(&dir, &["apply", "plan.json"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("a.txt")).unwrap_or_default(),
        "1"
    );
    // Applied once: the same saved plan is stale now.
    let o = cairn(&dir, &["apply", "plan.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("E0403"), "{}", text(&o));
}

#[test]
fn a_saved_plan_outside_the_project_is_applied_in_its_project() {
    let dir = project("saved-outside");
    write(
        &dir,
        "main.cairn",
        "resource a: file.File { path: \"a.txt\", content: \"1\" }\n",
    );
    let elsewhere = project("saved-outside-plans");
    let plan = elsewhere.join("plan.json");
    let plan = plan.to_str().unwrap_or_default();
    let o = cairn(&dir, &["plan", "main.cairn", "--out", plan]);
    assert!(o.status.success(), "{}", text(&o));
    // Applied from the folder of the plan, not of the project.
    let o = cairn(&elsewhere, &["apply", plan]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("a.txt")).unwrap_or_default(),
        "1"
    );
    assert!(dir.join(".cairn/state.json").exists());
    assert!(!elsewhere.join(".cairn").exists() && !elsewhere.join("a.txt").exists());
    // A plan for a project that is not here is refused.
    let moved = std::fs::read_to_string(elsewhere.join("plan.json"))
        .unwrap_or_default()
        .replace(&*dir.to_string_lossy(), "/nonexistent/project");
    write(&elsewhere, "moved.json", &moved);
    let o = cairn(&elsewhere, &["apply", "moved.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("which is not here"), "{}", text(&o));
}

#[test]
fn an_interrupted_create_is_reported_as_adopted() {
    let dir = project("adopted");
    write(
        &dir,
        "main.cairn",
        "resource a: file.File { path: \"a.txt\", content: \"1\" }\n",
    );
    let o = cairn(&dir, &["apply", "main.cairn"]);
    assert!(o.status.success(), "{}", text(&o));
    // As a run killed between its create and its save leaves it: the file made, the
    // resource pending.
    let path = dir.join(".cairn/state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default()).expect("json");
    let a = &mut state["resources"]["a"];
    a["status"] = "pending".into();
    a["operation"] = "create".into();
    a["started"] = "2026-01-01T00:00:00Z".into();
    a["outputs"] = serde_json::Value::Null;
    std::fs::write(&path, serde_json::to_string(&state).expect("json")).expect("w");
    let o = cairn(&dir, &["apply", "main.cairn"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("a: adopted"), "{}", text(&o));
    assert!(!text(&o).contains("a: created"), "{}", text(&o));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default()).expect("json");
    assert_eq!(state["resources"]["a"]["status"], "applied", "{state}");
}

#[test]
fn a_state_at_the_last_serial_is_never_saved_again() {
    let dir = project("last-serial");
    write(
        &dir,
        "main.cairn",
        "resource a: file.File { path: \"a.txt\", content: \"1\" }\n",
    );
    let o = cairn(&dir, &["apply", "main.cairn"]);
    assert!(o.status.success(), "{}", text(&o));
    // Push the serial to the end of the range by hand.
    let path = dir.join(".cairn/state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default()).expect("json");
    state["serial"] = serde_json::json!(u64::MAX);
    std::fs::write(&path, serde_json::to_string(&state).expect("json")).expect("w");
    write(
        &dir,
        "main.cairn",
        "resource a: file.File { path: \"a.txt\", content: \"2\" }\n",
    );
    let o = cairn(&dir, &["plan", "main.cairn", "--out", "plan.json"]);
    assert!(o.status.success(), "{}", text(&o));
    let before = std::fs::read(&path).expect("state");
    for args in [&["apply", "main.cairn"][..], &["apply", "plan.json"][..]] {
        let o = cairn(&dir, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains("E0402") && text(&o).contains("largest there is"),
            "{args:?}: {}",
            text(&o)
        );
        assert_eq!(std::fs::read(&path).expect("state"), before, "{args:?}");
        // Nothing was done that the state could not record.
        assert_eq!(
            std::fs::read_to_string(dir.join("a.txt")).unwrap_or_default(),
            "1"
        );
    }
}

#[test]
fn a_failure_skips_its_dependents_and_the_rest_finishes() {
    let dir = project("failure");
    write(
        &dir,
        "main.cairn",
        r#"
resource bad: exec.Command { create: ["sh", "-c", "echo 'no disk' >&2; exit 3"], outputs: ["id"] }
resource after_bad: file.File { path: "after.txt", content: "${bad.id}" }
resource fine: file.File { path: "fine.txt", content: "ok" }
"#,
    );
    let o = cairn(&dir, &["apply", "main.cairn"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("Apply: 1 done, 1 failed, 1 skipped."), "{out}");
    assert!(
        out.contains("E0404") && out.contains("exit code 3") && out.contains("no disk"),
        "{out}"
    );
    assert!(dir.join("fine.txt").exists() && !dir.join("after.txt").exists());
}

#[test]
fn guards_protect_resources_and_refuse_deleting_everything() {
    let dir = project("guards");
    write(
        &dir,
        "main.cairn",
        "resource a: file.File(protect: true) { path: \"a.txt\", content: \"a\" }\nresource b: file.File { path: \"b.txt\", content: \"b\" }\n",
    );
    assert!(cairn(&dir, &["apply", "main.cairn"]).status.success());
    write(
        &dir,
        "main.cairn",
        "resource b: file.File { path: \"b.txt\", content: \"b\" }\n",
    );
    let o = cairn(&dir, &["apply", "main.cairn"]);
    assert!(
        text(&o).contains("deletes protected resources: a"),
        "{}",
        text(&o)
    );
    assert!(dir.join("a.txt").exists());
    // Protection is kept in state: it holds although `a` left the program.
    write(&dir, "main.cairn", "x: 1\n");
    let o = cairn(&dir, &["apply", "main.cairn", "--allow-protected-delete"]);
    assert!(
        text(&o).contains("deletes every resource (2)"),
        "{}",
        text(&o)
    );
    let o = cairn(
        &dir,
        &[
            "apply",
            "main.cairn",
            "--allow-protected-delete",
            "--allow-delete-all",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!dir.join("a.txt").exists() && !dir.join("b.txt").exists());
}

#[test]
fn state_problems_and_unknown_values_are_diagnostics() {
    let dir = project("corrupt");
    write(
        &dir,
        "main.cairn",
        "resource a: file.File { path: \"a.txt\", content: \"a\" }\n",
    );
    std::fs::create_dir_all(dir.join(".cairn")).unwrap_or_default();
    write(&dir.join(".cairn"), "state.json", "{ not json");
    let o = cairn(&dir, &["plan", "main.cairn"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("E0402"), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join(".cairn/state.json")).unwrap_or_default(),
        "{ not json",
        "a corrupt state is never replaced"
    );
    // An exported manifest cannot use a value known only after apply.
    let dir = project("unknown");
    write(
        &dir,
        "main.cairn",
        "resource db: exec.Command { create: [\"./db.sh\"], outputs: [\"host\"] }\nresource cm: k8s.ConfigMap { apiVersion: \"v1\", kind: \"ConfigMap\", metadata.name: \"db\", data.HOST: db.host }\n",
    );
    let o = cairn(&dir, &["export", "main.cairn"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("E0201") && text(&o).contains("`cm.data.HOST` uses `db.host`"),
        "{}",
        text(&o)
    );
}

/// Applies 200 exec resources in a child process and kills it at random moments (at least 20
/// times while it is working), applying again each time: the state always loads, the end
/// state equals a clean apply, and no resource is ever created twice.
#[cfg(unix)]
#[test]
fn a_killed_apply_loses_nothing_and_creates_nothing_twice() {
    let script = root().join("tests/fixtures/crash/res.sh");
    let program = format!(
        r#"for i in range(200) {{
  resource r[i]: exec.Command(depends_on: if i % 10 == 0 {{ [] }} else {{ [r[i - 1]] }}) {{
    create: ["{s}", "create", "r${{i}}"]
    read: ["{s}", "read", "r${{i}}"]
    delete: ["{s}", "delete", "r${{i}}"]
  }}
}}
"#,
        s = script.display()
    );
    let clean = project("crash-clean");
    let crash_dir = clean.join("objects");
    std::fs::create_dir_all(&crash_dir).unwrap_or_default();
    write(&clean, "main.cairn", &program);
    let o = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["apply", "main.cairn"])
        .current_dir(&clean)
        .env("CRASH_DIR", &crash_dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", text(&o));
    let resources = |dir: &Path| -> serde_json::Value {
        let s = std::fs::read_to_string(dir.join(".cairn/state.json")).unwrap_or_default();
        let v: serde_json::Value =
            serde_json::from_str(&s).unwrap_or_else(|e| panic!("the state does not load: {e}"));
        v["resources"].clone()
    };
    let expected = resources(&clean);
    assert_eq!(expected.as_object().map(|o| o.len()), Some(200));

    let dir = project("crash");
    let objects = dir.join("objects");
    std::fs::create_dir_all(&objects).unwrap_or_default();
    write(&dir, "main.cairn", &program);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut kills = 0;
    let mut runs = 0;
    while kills < 20 {
        runs += 1;
        assert!(runs < 200, "could not interrupt an apply 20 times");
        let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["apply", "main.cairn"])
            .current_dir(&dir)
            .env("CRASH_DIR", &objects)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(std::time::Duration::from_millis(30 + next() % 400));
        let finished = child.try_wait().ok().flatten().is_some();
        if !finished {
            let _ = child.kill();
            kills += 1;
        }
        let _ = child.wait();
        // Commands of the killed apply run in their own process group: let them end.
        std::thread::sleep(std::time::Duration::from_millis(150));
        // The state always loads.
        let _ = resources(&dir);
        let _ = std::fs::remove_file(dir.join(".cairn/lock.json"));
        if finished {
            // Start over so that later kills land in the middle of work again.
            assert_eq!(resources(&dir), expected);
            let _ = std::fs::remove_dir_all(dir.join(".cairn"));
            let _ = std::fs::remove_dir_all(&objects);
            std::fs::create_dir_all(&objects).unwrap_or_default();
        }
    }
    let o = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["apply", "main.cairn"])
        .current_dir(&dir)
        .env("CRASH_DIR", &objects)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        resources(&dir),
        expected,
        "the end state differs from a clean apply"
    );
    let creates = std::fs::read_to_string(objects.join("creates")).unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    for name in creates.lines() {
        assert!(seen.insert(name), "{name} was created twice");
    }
    for i in 0..200 {
        assert!(objects.join(format!("r{i}")).exists(), "r{i} is missing");
    }
}

#[test]
fn the_graph_tracks_keyed_instances_and_depends_on() {
    let dir = project("graph");
    write(
        &dir,
        "main.cairn",
        r#"
resource db: exec.Command { create: ["./db.sh"], outputs: ["host"] }
for s in ["web", "api"] {
  resource cfg[s]: file.File { path: "${s}.env", content: "DB=${db.host}" }
  resource svc[s]: exec.Command(depends_on: [cfg[s]]) { create: ["./start.sh", s] }
}
resource report: file.File { path: "report.txt", content: svc["web"].create[1] }
resource a: file.File { path: "a.txt", content: "a" }
resource b: file.File { path: "a.txt", content: "b" }
"#,
    );
    let o = cairn(&dir, &["graph", "main.cairn"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "db (exec.Command)\ncfg[\"web\"] (file.File)\n  <- db\nsvc[\"web\"] (exec.Command)\n  <- cfg[\"web\"]  (depends_on)\ncfg[\"api\"] (file.File)\n  <- db\nsvc[\"api\"] (exec.Command)\n  <- cfg[\"api\"]  (depends_on)\nreport (file.File)\n  <- svc[\"web\"]\na (file.File)\nb (file.File)\n"
    );
    let o = cairn(&dir, &["graph", "main.cairn", "--format", "dot"]);
    let dot = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(dot.starts_with("digraph resources {"), "{dot}");
    assert!(
        dot.contains("\"cfg[\\\"web\\\"]\" -> \"svc[\\\"web\\\"]\" [style=dashed];"),
        "{dot}"
    );
    // Two files at one path are refused before anything runs.
    let o = cairn(&dir, &["plan", "main.cairn"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("both write the file `a.txt`"),
        "{}",
        text(&o)
    );
}

#[test]
fn target_limits_the_run_and_ctrl_c_stops_new_work() {
    let dir = project("target");
    write(
        &dir,
        "main.cairn",
        r#"
resource base: file.File { path: "base.txt", content: "base" }
resource app: file.File { path: "app.txt", content: "app ${base.sha256}" }
resource other: file.File { path: "other.txt", content: "other" }
"#,
    );
    let o = cairn(&dir, &["apply", "main.cairn", "--target", "app"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.join("base.txt").exists() && dir.join("app.txt").exists());
    assert!(
        !dir.join("other.txt").exists(),
        "--target applied more than asked"
    );
    assert!(text(&o).contains("[2/2]"), "{}", text(&o));

    // Ctrl-C: the running operation finishes and is recorded; nothing new starts.
    let dir = project("interrupt");
    write(
        &dir,
        "main.cairn",
        r#"
resource first: exec.Command { create: ["sh", "-c", "sleep 1; echo '{}'"] }
resource second: exec.Command(depends_on: [first]) { create: ["sh", "-c", "touch second-ran; echo '{}'"] }
"#,
    );
    let child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["apply", "main.cairn"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(std::time::Duration::from_millis(400));
    // The shell's builtin `kill`: a minimal system has no `kill` program.
    let _ = Command::new("/bin/sh")
        .args(["-c", "kill -s INT \"$0\"", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("1 done") && shown.contains("not started (interrupted)"),
        "{shown}"
    );
    assert!(
        !dir.join("second-ran").exists(),
        "work started after Ctrl-C"
    );
    let state = std::fs::read_to_string(dir.join(".cairn/state.json")).unwrap_or_default();
    assert!(
        state.contains("\"first\"") && !state.contains("\"second\""),
        "{state}"
    );
    assert!(!dir.join(".cairn/lock.json").exists());
}
