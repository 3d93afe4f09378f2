//! Git history through the `cairn` binary, against real repositories made with the git CLI in
//! temporary folders: `--rev`, `cairn diff`, `cairn log`, plan provenance, the apply guards and
//! signed history. Commits have fixed authors and dates, so their ids (and the snapshots) are
//! the same on every run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use insta::assert_snapshot;

/// A repository in a fresh temporary folder.
struct Repo {
    dir: PathBuf,
    commits: u32,
}

impl Repo {
    fn new(name: &str) -> Repo {
        let dir = std::env::temp_dir()
            .join(format!("cairn-git-{}", std::process::id()))
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let r = Repo { dir, commits: 0 };
        r.git(&["init", "-q", "-b", "main"]);
        r.write(".gitignore", ".cairn/\nout/\n");
        r
    }

    fn command(&self, program: &str, n: u32) -> Command {
        let mut c = Command::new(program);
        // A fixed identity and clock, and no user or system configuration.
        let date = format!("2026-01-{:02}T12:00:00Z", n.min(27) + 1);
        c.current_dir(&self.dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Alice")
            .env("GIT_AUTHOR_EMAIL", "alice@example.com")
            .env("GIT_COMMITTER_NAME", "Alice")
            .env("GIT_COMMITTER_EMAIL", "alice@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("NO_COLOR", "1");
        c
    }

    fn git(&self, args: &[&str]) -> String {
        let o = self
            .command("git", self.commits)
            .args(args)
            .output()
            .unwrap_or_else(|e| crate::common::tool_missing("git", e));
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Commits everything; returns the short id.
    fn commit(&mut self, message: &str) -> String {
        self.commits += 1;
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "--short=7", "HEAD"])
    }

    fn cairn(&self, args: &[&str]) -> Output {
        self.command(env!("CARGO_BIN_EXE_cairn"), self.commits)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run cairn: {e}"))
    }

    /// Output of a command that must succeed.
    fn ok(&self, args: &[&str]) -> String {
        let o = self.cairn(args);
        assert!(o.status.success(), "cairn {args:?} failed:\n{}", text(&o));
        text(&o)
    }

    /// Output of a command that must fail with exit code 1, with the lines that diagnostics
    /// wrap joined again.
    fn fails(&self, args: &[&str]) -> String {
        let o = self.cairn(args);
        assert_eq!(o.status.code(), Some(1), "cairn {args:?}:\n{}", text(&o));
        let t = text(&o);
        let t = t.replace("\n  │ ", " ");
        let mut out = String::new();
        for line in t.lines() {
            if line.starts_with("        ") && !out.is_empty() {
                out.push(' ');
                out.push_str(line.trim());
            } else {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(line);
            }
        }
        out
    }

    fn state(&self) -> serde_json::Value {
        let t = std::fs::read_to_string(self.dir.join(".cairn/state.json")).unwrap_or_default();
        serde_json::from_str(&t).unwrap_or_default()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const NET: &str = "/// The port every service listens on.\nlet port = 8080\n";

const MAIN: &str = r#"import "./lib/net.cairn" as net

resource web: file.File { path: "out/web.env", content: "PORT=${net.port}\n" }
resource db: file.File { path: "out/db.env", content: "HOST=db\n" }

replicas: 2
"#;

/// Reformatting, moving a module to another folder and renaming it changes nothing; a changed
/// value does, in text, JSON and Markdown.
#[test]
fn diff_is_semantic() {
    let mut r = Repo::new("diff");
    r.write("lib/net.cairn", NET);
    r.write("main.cairn", MAIN);
    let first = r.commit("first");
    // Moved and renamed module, reformatted entry.
    std::fs::remove_dir_all(r.dir.join("lib")).unwrap_or_default();
    r.write("modules/network.cairn", NET);
    r.write(
        "main.cairn",
        &MAIN
            .replace("./lib/net.cairn", "./modules/network.cairn")
            .replace(
                "resource db: file.File { path: \"out/db.env\", content: \"HOST=db\\n\" }",
                "resource db: file.File {\n  path: \"out/db.env\"\n  content: \"HOST=db\\n\"\n}",
            ),
    );
    let moved = r.commit("move the network module");
    assert_eq!(
        r.ok(&["diff", &first, &moved, "-P", "main.cairn"]),
        format!("No changes between {first} and {moved}: the programs evaluate to the same.\n")
    );
    r.write("modules/network.cairn", &NET.replace("8080", "9090"));
    r.write(
        "main.cairn",
        &std::fs::read_to_string(r.dir.join("main.cairn"))
            .unwrap_or_default()
            .replace("replicas: 2", "replicas: 3\nregion: \"eu\"")
            .replace("resource db", "resource cache: file.File { path: \"out/cache.env\", content: \"\" }\nresource db2"),
    );
    // Against the working tree, then committed.
    let working = r.ok(&["diff", &moved, "-P", "main.cairn"]);
    let changed = r.commit("port 9090, a cache, three replicas");
    let text = r.ok(&["diff", &moved, &changed, "-P", "main.cairn"]);
    assert_eq!(
        working.replace("the working tree", &changed),
        text,
        "the working tree and its commit diff alike"
    );
    assert_snapshot!("diff_text", text);
    assert_snapshot!(
        "diff_markdown",
        r.ok(&[
            "diff",
            &moved,
            &changed,
            "-P",
            "main.cairn",
            "-f",
            "markdown"
        ])
    );
    let json: serde_json::Value =
        serde_json::from_str(&r.ok(&["diff", &moved, &changed, "-P", "main.cairn", "-f", "json"]))
            .unwrap_or_default();
    let kinds: Vec<String> = json["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| format!("{} {}", c["kind"].as_str().unwrap_or(""), c["address"]))
        .collect();
    assert_eq!(
        kinds,
        [
            "added \"cache\"",
            "removed \"db\"",
            "added \"db2\"",
            "changed \"web\""
        ]
    );
    assert_eq!(json["document"][0]["path"], "replicas");
}

/// A package folder whose file is renamed evaluates the same.
#[test]
fn renamed_file_in_a_package() {
    let mut r = Repo::new("rename");
    r.write("infra/a.cairn", "name: \"shop\"\n");
    r.write("infra/b.cairn", "port: 80\n");
    let first = r.commit("package");
    r.git(&["mv", "infra/b.cairn", "infra/ports.cairn"]);
    let renamed = r.commit("rename");
    assert!(
        r.ok(&["diff", &first, &renamed, "-P", "infra"])
            .starts_with("No changes"),
    );
    // `--rev` reads the old revision without touching the working tree.
    assert_eq!(
        r.ok(&["export", "--rev", &first, "infra"]),
        "name: shop\nport: 80\n"
    );
    assert!(!r.dir.join("infra/b.cairn").exists());
}

/// `cairn log`: first parents by default (a merged branch shows as its merge), every parent
/// with `--all`, one resource, and the cache: a commit outside the project is a cache hit.
#[test]
fn log_is_a_semantic_blame() {
    let mut r = Repo::new("log");
    let program = |web: &str, db: &str, gap: &str| {
        format!(
            "resource web: file.File {{ path: \"out/web\", content: \"{web}\" }}\n\n// the database\n// and its file\n{gap}resource db: file.File {{ path: \"out/db\", content: \"{db}\" }}\n"
        )
    };
    r.write("infra/main.cairn", &program("v1", "v1", ""));
    r.commit("Add web and db");
    r.write("README.md", "docs only\n");
    r.commit("Write the README");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("infra/main.cairn", &program("v2", "v1", ""));
    r.commit("web v2");
    r.git(&["checkout", "-q", "main"]);
    r.write("infra/extra.cairn", "// a comment only\n");
    r.write("infra/main.cairn", &program("v1", "v1", "\n\n"));
    r.commit("Reformat");
    r.commits += 1;
    r.git(&["merge", "-q", "--no-ff", "feature", "-m", "Merge feature"]);
    r.write("infra/main.cairn", &program("v2", "v3", "\n\n"));
    r.commit("db v3");
    let o = r.cairn(&["log", "-P", "infra/main.cairn"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_snapshot!("log_all_resources", String::from_utf8_lossy(&o.stdout));
    // 5 first-parent commits, each looked up with its parent (9 lookups), but only 4
    // distinct project trees (the README commit leaves infra/ as it was): 4 evaluations.
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "4 evaluations, 5 cache hits\n"
    );
    assert_snapshot!("log_web", r.ok(&["log", "web", "-P", "infra/main.cairn"]));
    let all = r.ok(&["log", "web", "--all", "-P", "infra/main.cairn"]);
    assert!(all.contains("web v2"), "{all}");
    let json: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(
        &r.cairn(&["log", "db", "-P", "infra/main.cairn", "-f", "json"])
            .stdout,
    ))
    .unwrap_or_default();
    let subjects: Vec<&str> = json
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["commit"]["subject"].as_str())
        .collect();
    assert_eq!(subjects, ["db v3", "Add web and db"]);
    // Following every parent, still newest first.
    let json: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(
        &r.cairn(&[
            "log",
            "web",
            "--all",
            "-P",
            "infra/main.cairn",
            "-f",
            "json",
        ])
        .stdout,
    ))
    .unwrap_or_default();
    let times: Vec<i64> = json
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["commit"]["time"].as_i64())
        .collect();
    assert!(times.len() >= 3, "{json}");
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {times:?}"
    );
    // An address that is malformed, or that the program never had, is an error.
    for (bad, says) in [
        ("cfg[\"nope\"]", "no resource `cfg[\"nope\"]`"),
        ("web[", "a key is written"),
        ("9web", "not a resource address"),
        ("wbe", "did you mean `web`?"),
    ] {
        let out = r.fails(&["log", bad, "-P", "infra/main.cairn"]);
        assert!(out.contains("E0400") && out.contains(says), "{bad}: {out}");
    }
}

#[test]
fn unknown_revisions_and_empty_repositories() {
    let mut r = Repo::new("unknown");
    r.write("main.cairn", "a: 1\n");
    // No commit yet.
    let empty = r.fails(&["export", "--rev", "HEAD", "main.cairn"]);
    assert!(empty.contains("E0601"), "{empty}");
    assert!(
        empty.contains("the repository has no commits yet"),
        "{empty}"
    );
    // Plans work in an empty repository; apply refuses its uncommitted files.
    r.write(
        "main.cairn",
        "resource f: file.File { path: \"out/f\", content: \"x\" }\n",
    );
    assert!(r.ok(&["plan", "main.cairn"]).contains("1 to create"));
    let dirty = r.fails(&["apply", "main.cairn"]);
    assert!(dirty.contains("E0602"), "{dirty}");
    r.commit("first");
    let o = r.fails(&["export", "--rev", "no-such-branch", "main.cairn"]);
    assert!(o.contains("E0601"), "{o}");
    assert!(
        o.contains("`no-such-branch` is not a revision of this repository"),
        "{o}"
    );
    let o = r.fails(&["diff", "HEAD~5", "-P", "main.cairn"]);
    assert!(o.contains("`HEAD~5` is not a revision"), "{o}");
    // Outside any repository.
    let outside = std::env::temp_dir().join(format!("cairn-nogit-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap_or_default();
    std::fs::write(outside.join("main.cairn"), "a: 1\n").unwrap_or_default();
    let o = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["export", "--rev", "HEAD", "main.cairn"])
        .current_dir(&outside)
        .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("is not inside a Git repository"),
        "{}",
        text(&o)
    );
}

/// A dirty tree is refused, naming the files; `--allow-dirty` applies it.
#[test]
fn apply_refuses_a_dirty_tree() {
    let mut r = Repo::new("dirty");
    r.write("cairn.toml", "[project]\nname = \"d\"\n");
    r.write(
        "main.cairn",
        "resource f: file.File { path: \"out/f\", content: \"1\" }\n",
    );
    r.commit("first");
    r.write(
        "main.cairn",
        "resource f: file.File { path: \"out/f\", content: \"2\" }\n",
    );
    r.write("notes.cairn", "// new\n");
    let o = r.fails(&["apply", "main.cairn"]);
    assert!(
        o.contains("the project has uncommitted changes: main.cairn, notes.cairn"),
        "{o}"
    );
    assert!(!r.dir.join("out/f").exists(), "nothing was applied");
    // The plan says so too.
    assert!(
        r.ok(&["plan", "main.cairn"])
            .contains("with uncommitted changes")
    );
    r.ok(&["apply", "main.cairn", "--allow-dirty"]);
    assert_eq!(
        std::fs::read_to_string(r.dir.join("out/f")).unwrap_or_default(),
        "2"
    );
    // `--rev` applies a commit whatever the working tree holds.
    r.ok(&["apply", "--rev", "HEAD", "main.cairn"]);
    assert_eq!(
        std::fs::read_to_string(r.dir.join("out/f")).unwrap_or_default(),
        "1"
    );
}

/// The last applied commit is recorded; an older one is a rollback, another branch has
/// diverged; both need `--allow-rollback`.
#[test]
fn rollbacks_and_diverged_branches() {
    let mut r = Repo::new("rollback");
    let body = |v: &str| format!("resource f: file.File {{ path: \"out/f\", content: \"{v}\" }}\n");
    r.write("main.cairn", &body("1"));
    let one = r.commit("one");
    r.write("main.cairn", &body("2"));
    let two = r.commit("two");
    r.ok(&["apply", "main.cairn"]);
    let full = r.git(&["rev-parse", "HEAD"]);
    assert_eq!(r.state()["revision"], full.as_str());
    let o = r.fails(&["apply", "--rev", &one, "main.cairn"]);
    assert!(o.contains("E0603"), "{o}");
    assert!(
        o.contains(&format!(
            "commit {one} is an ancestor of the last applied commit {two}: applying it rolls back 1 commit"
        )),
        "{o}"
    );
    assert_eq!(
        std::fs::read_to_string(r.dir.join("out/f")).unwrap_or_default(),
        "2"
    );
    r.ok(&["apply", "--rev", &one, "main.cairn", "--allow-rollback"]);
    assert_eq!(
        std::fs::read_to_string(r.dir.join("out/f")).unwrap_or_default(),
        "1"
    );
    assert_eq!(r.state()["revision"], r.git(&["rev-parse", &one]).as_str());
    // Forward again, then a branch that does not contain it.
    r.ok(&["apply", "main.cairn"]);
    r.git(&["checkout", "-q", "-b", "other", &one]);
    r.write("main.cairn", &body("other"));
    let other = r.commit("other");
    let o = r.fails(&["apply", "main.cairn"]);
    assert!(
        o.contains(&format!(
            "commit {other} does not descend from the last applied commit {two}: the histories diverged"
        )),
        "{o}"
    );
    // A revert is a new commit that descends: no flag needed.
    r.git(&["checkout", "-q", "main"]);
    r.commits += 1;
    r.git(&["revert", "--no-edit", "HEAD"]);
    r.ok(&["apply", "main.cairn"]);
    assert_eq!(
        std::fs::read_to_string(r.dir.join("out/f")).unwrap_or_default(),
        "1"
    );
}

/// `cairn plan` names the commits since the last apply that introduced each change.
#[test]
fn plan_provenance() {
    let mut r = Repo::new("provenance");
    let program = |a: &str, b: &str| {
        format!(
            "resource a: file.File {{ path: \"out/a\", content: \"{a}\" }}\nresource b: file.File {{ path: \"out/b\", content: \"{b}\" }}\n"
        )
    };
    r.write("main.cairn", &program("1", "1"));
    r.commit("first");
    r.ok(&["apply", "main.cairn"]);
    r.write("main.cairn", &program("2", "1"));
    r.commit("Change a");
    r.write("README", "unrelated\n");
    r.commit("Docs");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("main.cairn", &program("2", "2"));
    r.commit("Change b on a branch");
    r.git(&["checkout", "-q", "main"]);
    r.commits += 1;
    r.git(&["merge", "-q", "--no-ff", "feature", "-m", "Merge feature"]);
    assert_snapshot!("plan_provenance", r.ok(&["plan", "main.cairn"]));
    let json: serde_json::Value =
        serde_json::from_str(&r.ok(&["plan", "main.cairn", "-f", "json"])).unwrap_or_default();
    assert_eq!(
        json["changes"][1]["introduced_by"][0]["subject"],
        "Change b on a branch"
    );
    assert_eq!(json["revision"], r.git(&["rev-parse", "HEAD"]).as_str());
}

/// A shallow clone: `log` stops at its boundary with a note, and apply explains that it cannot
/// see the last applied commit.
#[test]
fn shallow_clones() {
    let mut r = Repo::new("shallow-origin");
    for i in 1..=4 {
        r.write(
            "main.cairn",
            &format!("resource f: file.File {{ path: \"out/f\", content: \"{i}\" }}\n"),
        );
        r.commit(&format!("v{i}"));
    }
    let first = r.git(&["rev-list", "--max-parents=0", "HEAD"]);
    let clone = Repo {
        dir: r.dir.with_file_name("shallow-clone"),
        commits: r.commits,
    };
    let _ = std::fs::remove_dir_all(&clone.dir);
    r.git(&[
        "clone",
        "-q",
        "--depth",
        "2",
        &format!("file://{}", r.dir.display()),
        &clone.dir.display().to_string(),
    ]);
    let log = clone.ok(&["log", "-P", "main.cairn"]);
    assert!(log.contains("v4"), "{log}");
    assert!(log.contains("a shallow clone stops here"), "{log}");
    assert!(!log.contains("v2"), "{log}");
    // State that names a commit the clone does not have.
    std::fs::create_dir_all(clone.dir.join(".cairn")).unwrap_or_default();
    clone.ok(&["apply", "main.cairn"]);
    let mut state = clone.state();
    state["revision"] = serde_json::Value::String(first);
    std::fs::write(clone.dir.join(".cairn/state.json"), state.to_string()).unwrap_or_default();
    let o = clone.fails(&["apply", "main.cairn"]);
    assert!(o.contains("is not in this repository"), "{o}");
    assert!(o.contains("shallow clone"), "{o}");
}

fn keygen(path: &Path, comment: &str) {
    let o = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| crate::common::tool_missing("ssh-keygen", e));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `--require-signed` (here from cairn.toml): SSH-signed commits by an allowed key pass and are
/// recorded; an unsigned commit and one signed by another key are refused, each named.
#[test]
fn signed_history() {
    let mut r = Repo::new("signed");
    let keys = r.dir.with_file_name("signed-keys");
    let _ = std::fs::remove_dir_all(&keys);
    std::fs::create_dir_all(&keys).unwrap_or_default();
    keygen(&keys.join("alice"), "alice");
    keygen(&keys.join("mallory"), "mallory");
    let alice = std::fs::read_to_string(keys.join("alice.pub")).unwrap_or_default();
    let allowed = keys.join("allowed_signers");
    std::fs::write(&allowed, format!("alice@example.com {alice}")).unwrap_or_default();
    r.write(
        "cairn.toml",
        &format!(
            "[project]\nname = \"s\"\n\n[git]\nrequire-signed = true\nallowed-signers = \"{}\"\n",
            allowed.display()
        ),
    );
    let sign = |r: &mut Repo, key: Option<&str>, message: &str| {
        r.commits += 1;
        r.git(&["add", "-A"]);
        let mut args = vec!["-c", "gpg.format=ssh"];
        let k = key.map(|k| format!("user.signingkey={}", keys.join(k).display()));
        if let Some(k) = &k {
            args.extend(["-c", k.as_str(), "commit", "-q", "-S", "-m", message]);
        } else {
            args.extend(["commit", "-q", "-m", message]);
        }
        r.git(&args);
        r.git(&["rev-parse", "--short=7", "HEAD"])
    };
    let file = |v: &str| format!("resource f: file.File {{ path: \"out/f\", content: \"{v}\" }}\n");
    r.write("main.cairn", &file("1"));
    sign(&mut r, Some("alice"), "signed by alice");
    r.ok(&["apply", "main.cairn"]);
    assert_eq!(r.state()["signed_by"], "alice@example.com");
    r.write("main.cairn", &file("2"));
    let unsigned = sign(&mut r, None, "unsigned");
    r.write("main.cairn", &file("3"));
    let mallory = sign(&mut r, Some("mallory"), "by mallory");
    r.write("main.cairn", &file("4"));
    sign(&mut r, Some("alice"), "alice again");
    let o = r.fails(&["apply", "main.cairn"]);
    assert!(o.contains("E0604"), "{o}");
    assert!(
        o.contains(&format!(
            "commit {unsigned} (unsigned) is refused: not signed"
        )),
        "{o}"
    );
    assert!(
        o.contains(&format!(
            "commit {mallory} (by mallory) is refused: signed by a key that is not in the allowed signers file"
        )),
        "{o}"
    );
    assert!(!o.contains("alice again"), "{o}");
    assert_eq!(
        std::fs::read_to_string(r.dir.join("out/f")).unwrap_or_default(),
        "1"
    );
    // With mallory's key allowed too, only the unsigned commit is refused.
    let m = std::fs::read_to_string(keys.join("mallory.pub")).unwrap_or_default();
    std::fs::write(
        &allowed,
        format!("alice@example.com {alice}mallory@example.com {m}"),
    )
    .unwrap_or_default();
    let o = r.fails(&["apply", "main.cairn"]);
    assert!(o.contains("(unsigned) is refused"), "{o}");
    assert!(!o.contains("by mallory"), "{o}");
}

/// Every command that reads sources reads them at `--rev`, imports included, while the working
/// tree holds something else.
#[test]
fn every_command_reads_a_revision() {
    let mut r = Repo::new("every");
    r.write(
        "lib/names.cairn",
        "/// The release.\nlet release = \"v1\"\n",
    );
    r.write(
        "main.cairn",
        "import \"./lib/names.cairn\" as names\n\n/// How many copies.\nparam copies: Int = 1\n\n/// A server.\nschema Server {\n  name: String\n}\n\nresource f: file.File { path: \"out/f\", content: names.release }\n\nrelease: names.release\n",
    );
    r.commit("v1");
    // The working tree moves on (and is not even well-formed).
    r.write("lib/names.cairn", "let release = \"v2\"\n");
    r.write("main.cairn", "this is not cairn\n");
    let at = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--rev", "HEAD"]);
        r.ok(&a)
    };
    assert_eq!(at(&["eval", "main.cairn"]), "release: v1\n");
    assert_eq!(at(&["eval", "main.cairn", "-e", "names.release"]), "v1\n");
    assert!(at(&["export", "main.cairn", "--document"]).contains("release: v1"));
    assert!(at(&["params", "main.cairn"]).contains("copies"));
    assert!(at(&["schema", "main.cairn"]).contains("Server"));
    assert!(at(&["doc", "lib/names.cairn"]).contains("The release."));
    assert!(at(&["graph", "main.cairn"]).contains("f"));
    assert!(at(&["plan", "main.cairn"]).contains("+ content = \"v1\""));
    let lint = r.cairn(&["lint", "main.cairn", "--rev", "HEAD"]);
    assert!(lint.status.success(), "{}", text(&lint));
    assert!(text(&lint).contains("0 errors"), "{}", text(&lint));
    let fmt = r.cairn(&["fmt", "--check", "--rev", "HEAD", "."]);
    assert!(fmt.status.success(), "{}", text(&fmt));
    // The working tree is as it was.
    assert_eq!(
        std::fs::read_to_string(r.dir.join("main.cairn")).unwrap_or_default(),
        "this is not cairn\n"
    );
    assert!(!r.dir.join("out").exists());
}

/// The embedding API reads a revision too.
#[test]
fn engine_at_a_revision() {
    let mut r = Repo::new("embed");
    r.write("app.cairn", "port: 80\n");
    r.commit("80");
    r.write("app.cairn", "port: 8080\n");
    r.commit("8080");
    let mut engine = cairn::Engine::at_revision(&r.dir, "HEAD~1").unwrap_or_else(|e| panic!("{e}"));
    let out = engine.evaluate_file(r.dir.join("app.cairn"));
    assert!(!out.has_errors());
    assert_eq!(out.document.get("port"), Some(&cairn::Value::Int(80)));
    let e = cairn::Engine::at_revision(&r.dir, "nope").err();
    assert!(matches!(
        e,
        Some(cairn::history::Error::UnknownRevision { .. })
    ));
}

/// A plugin is read from the revision like any source: its `.wasm` comes out of the tree.
#[test]
fn plugins_at_a_revision() {
    let mut r = Repo::new("plugin");
    let example = crate::common::root().join("examples/plugins/wat");
    for f in ["main.cairn", "text.wasm", "cairn.toml"] {
        std::fs::copy(example.join(f), r.dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    r.commit("plugin");
    std::fs::remove_file(r.dir.join("text.wasm")).unwrap_or_default();
    let out = r.ok(&["export", "--rev", "HEAD", "main.cairn"]);
    assert!(out.starts_with("banner: SHOP SERVICES\n"), "{out}");
}
