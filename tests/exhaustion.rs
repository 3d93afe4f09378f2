//! Runaway programs end in a coded diagnostic, quickly and within memory: the evaluation's
//! budget (steps and memory, `Engine::limits`), the output limit, the source size limit, and
//! builtins that stay linear (or n log n) however their input is shaped.
//!
//! Each program here once ran for minutes, took gigabytes or aborted the process. They are
//! scaled to run quickly in a debug build: most with small explicit limits, a few at the
//! default limits, which must be reached (or not needed) within a few seconds.

use std::time::{Duration, Instant};

use cairn::eval::Limits;
use cairn::{Engine, MemoryLoader, Outcome};

/// How long a program at the default limits may take in a debug build, on a busy machine.
const REASONABLE: Duration = Duration::from_secs(60);

fn run(src: &str, limits: Option<Limits>) -> (Engine, Outcome, Duration) {
    let mut engine = Engine::new();
    if let Some(l) = limits {
        engine.limits(l);
    }
    let start = Instant::now();
    let out = engine.evaluate_str("runaway.cairn", src);
    (engine, out, start.elapsed())
}

fn codes(out: &Outcome) -> Vec<&'static str> {
    out.diagnostics.iter().map(|d| d.code.id).collect()
}

/// The program ends with exactly one diagnostic, of `code`, with a span and a help line, in
/// reasonable time; returns the text under its primary span.
fn ends_in(src: &str, limits: Option<Limits>, code: &str) -> String {
    let (engine, out, took) = run(src, limits);
    assert_eq!(
        codes(&out),
        [code],
        "{}",
        crate::common::render_diagnostics(&engine, &out)
    );
    assert!(took < REASONABLE, "took {took:?}");
    let d = &out.diagnostics[0];
    assert!(d.help.is_some(), "{} has no help line", d.code.id);
    let label = d
        .primary()
        .unwrap_or_else(|| panic!("{} has no span", d.code.id));
    engine.sources().text(label.file)[label.span.range()].to_string()
}

/// The program evaluates without diagnostics in reasonable time; returns its document.
fn evaluates(src: &str, limits: Option<Limits>) -> cairn::Value {
    let (engine, out, took) = run(src, limits);
    assert!(
        out.diagnostics.is_empty(),
        "{}",
        crate::common::render_diagnostics(&engine, &out)
    );
    assert!(took < REASONABLE, "took {took:?}");
    out.document
}

/// `let a0 = [1, 2]`, then `let aN = [aN-1, aN-1]` up to `a{depth}`: small in memory, 2^depth
/// elements as a tree.
fn doubled(name: &str, depth: usize) -> String {
    let mut src = format!("let {name}0 = [1, 2]\n");
    for i in 1..=depth {
        src.push_str(&format!(
            "let {name}{i} = [{name}{}, {name}{}]\n",
            i - 1,
            i - 1
        ));
    }
    src
}

fn limits(steps: u64, memory: u64) -> Option<Limits> {
    Some(Limits {
        max_steps: steps,
        max_memory: memory,
    })
}

const MIB: u64 = 1024 * 1024;

#[test]
fn shared_structure_doubled_cannot_be_written_out() {
    // At the default limits: each of these built (or wrote) a billion elements.
    let src = doubled("a", 30);
    let at = ends_in(&format!("{src}out: a30\n"), None, "E0152");
    assert_eq!(at, "out: a30");
    for (expr, code) in [
        ("\"${a30}\"", "E0126"),
        ("sha256(to_json(a30))", "E0126"),
        ("sha256(\"x${a30}\")", "E0126"),
        ("to_yaml(a30)", "E0126"),
        ("to_json(a30, 2)", "E0126"),
        ("join([a30], \",\")", "E0126"),
        ("format(\"{}\", a30)", "E0126"),
    ] {
        ends_in(&format!("{src}out: len({expr})\n"), None, code);
    }
    // The module document too, through the export writers: exported as a resource.
    let (_, out, _) = run(
        &format!("{src}resource big: app.Doc {{ items: a30 }}\n"),
        None,
    );
    assert_eq!(codes(&out), ["E0152"]);
}

#[test]
fn equality_of_shared_structure_is_linear() {
    // Two values doubled 40 times, built apart: equal, and compared in linear time.
    let src = format!(
        "{}{}same: a40 == b40\nother: a40 == [b39, b38]\nfound: contains([b40], a40)\n",
        doubled("a", 40),
        doubled("b", 40)
    );
    let doc = evaluates(&src, limits(10_000, 256 * MIB));
    assert_eq!(doc.get("same"), Some(&cairn::Value::Bool(true)));
    assert_eq!(doc.get("other"), Some(&cairn::Value::Bool(false)));
    assert_eq!(doc.get("found"), Some(&cairn::Value::Bool(true)));
}

#[test]
fn equality_counts_against_the_budget() {
    // Comparing two long lists built apart takes a step per element compared.
    let src = "let a = range(50000)\nlet b = range(50000)\nsame: a == b\n";
    assert_eq!(
        evaluates(src, None).get("same"),
        Some(&cairn::Value::Bool(true))
    );
    let at = ends_in(src, limits(120_000, 256 * MIB), "E0150");
    assert_eq!(at, "a == b");
}

#[test]
fn merging_shared_structure_is_bounded() {
    let mut src = String::from("let o0 = { x: 1 }\n");
    for i in 1..=40 {
        src.push_str(&format!("let o{i} = {{ l: o{}, r: o{} }}\n", i - 1, i - 1));
    }
    src.push_str("out: len(merge(o40, o40))\n");
    ends_in(&src, None, "E0151");
}

#[test]
fn replace_is_refused_before_it_is_built() {
    // 1,000 occurrences of 100,000 bytes: 100 MB, refused before building it.
    let src = "let s = join([for i in range(1000): \"a\"], \"\")\n\
               let to = join([for i in range(100000): \"b\"], \"\")\n\
               out: len(replace(s, \"a\", to))\n";
    let at = ends_in(src, None, "E0126");
    assert_eq!(at, "replace(s, \"a\", to)");
    // Within the string limit but past the memory budget: refused before it is built too.
    let small = "let s = join([for i in range(100): \"a\"], \"\")\n\
                 out: len(replace(s, \"a\", join([for i in range(100000): \"b\"], \"\")))\n";
    ends_in(small, limits(10_000_000, 4 * MIB), "E0151");
}

#[test]
fn a_chain_of_lets_is_linear() {
    // 20,000 lets, each wrapping the one before: once 4.8 GB in the checker.
    let mut src = String::from("let a0 = 1\n");
    for i in 1..=20_000 {
        src.push_str(&format!("let a{i} = [a{}]\n", i - 1));
    }
    let doc = evaluates(&format!("{src}out: len(a20000)\n"), None);
    assert_eq!(doc.get("out"), Some(&cairn::Value::Int(1)));
    // Written out, it nests 20,000 levels deep: as indented JSON, 800 MB.
    ends_in(&format!("{src}out: a20000\n"), None, "E0152");
}

#[test]
fn a_block_of_many_lets_is_checked_with_an_index_and_paid_for() {
    // 20,000 local names, each using the first: every lookup passes all the names after it.
    let mut src = String::from("out: {\n  let a0 = 1\n");
    for i in 1..20_000 {
        src.push_str(&format!("  let a{i} = a0\n"));
    }
    src.push_str("  x: a19999\n}\n");
    let doc = evaluates(&src, None);
    assert_eq!(format!("{:?}", doc.get("out")), "Some({\"x\": 1})");
    // Lookups through long scopes count against the budget.
    ends_in(&src, limits(1_000_000, 256 * MIB), "E0150");
}

#[test]
fn unique_and_the_list_functions_are_linear() {
    let src = "import std.lists\n\
               a: len(unique(range(100000)))\n\
               b: len(lists.unique(range(100000)))\n\
               c: len(lists.chunks(range(100000), 10))\n\
               d: len(unique_by(range(100000), fn(x) = x % 7))\n\
               e: len(lists.take(range(100000), 99999))\n\
               f: len(lists.drop(range(100000), 1))\n";
    let doc = evaluates(src, None);
    let int = |k: &str| doc.get(k).cloned();
    assert_eq!(int("a"), Some(cairn::Value::Int(100_000)));
    assert_eq!(int("b"), Some(cairn::Value::Int(100_000)));
    assert_eq!(int("c"), Some(cairn::Value::Int(10_000)));
    assert_eq!(int("d"), Some(cairn::Value::Int(7)));
    assert_eq!(int("e"), Some(cairn::Value::Int(99_999)));
    assert_eq!(int("f"), Some(cairn::Value::Int(99_999)));
    // Shared values are hashed once: unique over a list of values doubled 40 times.
    let shared = format!(
        "{}out: len(unique([a40, a40, a39, a40]))\n",
        doubled("a", 40)
    );
    assert_eq!(
        evaluates(&shared, limits(10_000, 256 * MIB)).get("out"),
        Some(&cairn::Value::Int(2))
    );
}

#[test]
fn a_ten_million_key_object_runs_out_of_memory() {
    // At the default limits: once 17 s and 2 GB.
    let src = "out: len({for i in range(10000000) { \"k${i}\": i }})\n";
    let at = ends_in(src, None, "E0151");
    assert!(at.contains("k${i}"), "{at}");
}

#[test]
fn recursion_and_comprehensions_run_out_of_steps() {
    let fib = "fn f(n) = if n < 2 { n } else { f(n - 1) + f(n - 2) }\nout: f(60)\n";
    ends_in(fib, limits(1_000_000, 256 * MIB), "E0150");
    let loops = "out: len([for i in range(1000000) if i % 2 == 0: i])\n";
    ends_in(loops, limits(100_000, 256 * MIB), "E0150");
    // One diagnostic, even with more items after the one that ran out.
    let many = "a: len([for i in range(1000000): i])\nb: len([for i in range(1000000): i])\n";
    ends_in(many, limits(100_000, 256 * MIB), "E0150");
}

#[test]
fn strings_and_lists_built_again_and_again_run_out_of_memory() {
    // Each element a new copy of a long string, or of a long list.
    let strings = "let s = join([for i in range(100000): \"x\"], \"\")\n\
                   out: len([for i in range(1000): s + \"${i}\"])\n";
    ends_in(strings, limits(10_000_000, 16 * MIB), "E0151");
    let lists = "let xs = range(10000)\nout: len([for i in range(1000): xs + [i]])\n";
    ends_in(lists, limits(10_000_000, 16 * MIB), "E0151");
    let split = "let s = join([for i in range(100000): \"ab\"], \"\")\nout: len(split(s, \"\"))\n";
    ends_in(split, limits(10_000_000, MIB), "E0151");
}

#[test]
fn yaml_aliases_are_counted_as_they_are_read() {
    // One anchor of 10,000 elements used 10,000 times: 100 million elements from 90 KB.
    let anchor: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
    let aliases = vec!["*a"; 10_000].join(", ");
    let yaml = format!("a: &a [{}]\\nb: [{aliases}]", anchor.join(", "));
    let src = format!("out: len(from_yaml(\"{yaml}\").b)\n");
    ends_in(&src, limits(100_000_000, 8 * MIB), "E0151");
    // A small one reads as before.
    let small = "out: from_yaml(\"a: &a [1, 2]\\nb: [*a, *a]\").b\n";
    assert_eq!(
        format!("{:?}", evaluates(small, None).get("out")),
        "Some([[1, 2], [1, 2]])"
    );
}

#[test]
fn a_resource_referring_to_many_instances_is_linear() {
    // Each reference was searched for among those recorded before: quadratic, over a minute.
    let src = "for i in range(50000) {\n  resource r[i]: app.Thing { index: i }\n}\n\
               resource all: app.Index { items: [for i in range(50000): r[i].index] }\n";
    let (engine, out, took) = run(src, None);
    assert!(
        out.diagnostics.is_empty(),
        "{}",
        crate::common::render_diagnostics(&engine, &out)
    );
    assert!(took < REASONABLE, "took {took:?}");
    let all = out.resources.iter().find(|r| &*r.name == "all");
    assert_eq!(all.map(|r| r.deps.len()), Some(50_000));
}

#[test]
fn type_aliases_that_double_are_refused() {
    // Each alias uses the one before twice: written out, the 40th has 2^40 parts.
    let mut src = String::from("type T0 = Int\n");
    for i in 1..=40 {
        src.push_str(&format!(
            "type T{i} = [T{}] | {{String: T{}}}\n",
            i - 1,
            i - 1
        ));
    }
    src.push_str("let data: T40 = []\nout: data\n");
    let at = ends_in(&src, None, "E0154");
    assert_eq!(at, "T12");
}

#[test]
fn long_names_get_no_suggestion() {
    // A 30,000-character name misspelled: the edit distance once took 7 GB.
    let name = "a".repeat(30_000);
    let src = format!("let {name} = 1\nout: {name}b\n");
    let (_, out, took) = run(&src, None);
    assert_eq!(codes(&out), ["E0100"]);
    assert!(took < REASONABLE, "took {took:?}");
    let help = out.diagnostics[0].help.clone().unwrap_or_default();
    assert!(!help.contains("did you mean"), "{help}");
}

#[test]
fn source_files_are_limited_to_16_mib() {
    let big = format!("x: 1\n{}", " ".repeat(cairn::source::MAX_SOURCE));
    // Held in memory by the host.
    let (_, out, _) = run(&big, None);
    assert_eq!(codes(&out), ["E0153"]);
    assert!(out.diagnostics[0].help.is_some());
    // Through a loader, as a module.
    let mut files = MemoryLoader::new();
    files.insert("main.cairn", "import \"./big.cairn\" as big\nx: big.y\n");
    files.insert("big.cairn", big.clone());
    let mut engine = Engine::with_loader(files);
    let out = engine.evaluate_file("main.cairn");
    assert!(codes(&out).contains(&"E0153"), "{:?}", codes(&out));
    // An endless file is refused without reading it to the end.
    let mut engine = Engine::new();
    let start = Instant::now();
    let out = engine.evaluate_file("/dev/zero");
    assert_eq!(codes(&out), ["E0153"]);
    assert!(start.elapsed() < REASONABLE);
    // Just under the limit is read.
    let fits = format!("x: 1\n{}", " ".repeat(cairn::source::MAX_SOURCE - 10));
    let (_, out, _) = run(&fits, None);
    assert!(out.diagnostics.is_empty(), "{:?}", codes(&out));
}

#[test]
fn the_writers_keep_to_their_limit() {
    use cairn::export::{ExportError, Format, render_limited};
    let list = cairn::Value::list((0..1000).map(cairn::Value::Int).collect());
    for format in [Format::Yaml, Format::Json] {
        assert_eq!(
            render_limited(&[&list], format, 100),
            Err(ExportError::TooLarge(100))
        );
        assert!(render_limited(&[&list], format, 100_000).is_ok());
    }
    assert_eq!(
        cairn::export::json::to_string_limited(&list, None, 10),
        Err(ExportError::TooLarge(10))
    );
    // A text of many lines, nested deep, takes more written out than in memory.
    let mut v = cairn::Value::str(&"line\n".repeat(10_000));
    for _ in 0..200 {
        v = cairn::Value::list(vec![cairn::Value::str("x"), v]);
    }
    assert_eq!(
        cairn::export::yaml::to_string_limited(&v, 1_000_000),
        Err(ExportError::TooLarge(1_000_000))
    );
}

#[test]
fn normal_programs_are_far_from_the_limits() {
    // Every example and eval corpus program evaluates with a budget a hundred times smaller
    // than the default.
    let small = limits(2_000_000, 2 * MIB);
    let mut files = crate::common::cairn_files("tests/corpus/eval");
    files.extend(crate::common::cairn_files("tests/corpus/types"));
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        if src.starts_with("// expect:") {
            continue;
        }
        let mut engine = Engine::new();
        engine.limits(small.unwrap_or_default());
        for (k, v) in crate::common::header_params(&src) {
            engine.param_text(k, v);
        }
        let out = engine.evaluate_str("case.cairn", &src);
        assert!(
            out.diagnostics.is_empty(),
            "{}: {}",
            path.display(),
            crate::common::render_diagnostics(&engine, &out)
        );
    }
}

fn cli(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env_remove("CAIRN_MAX_STEPS")
        .env_remove("CAIRN_MAX_MEMORY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("run cairn");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn program(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cairn-exhaustion-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn the_cli_sets_the_budget_by_flag_or_environment() {
    let f = program("loop.cairn", "count: len([for i in range(100000): i])\n");
    let f = f.to_str().unwrap_or_default();
    let (code, out, _) = cli(&["eval", f], &[]);
    assert_eq!((code, out.as_str()), (Some(0), "count: 100000\n"));
    for command in ["export", "eval", "graph", "lint"] {
        let (code, _, err) = cli(&[command, f, "--max-steps", "10_000"], &[]);
        assert_eq!(code, Some(1), "{command}: {err}");
        assert!(
            err.contains("E0150") && err.contains("10,000 steps"),
            "{command}: {err}"
        );
    }
    let (code, _, err) = cli(&["export", f], &[("CAIRN_MAX_STEPS", "10000")]);
    assert_eq!(code, Some(1));
    assert!(err.contains("E0150"), "{err}");
    // The flag wins over the environment.
    let (code, _, err) = cli(
        &["export", f, "--max-steps", "1000000"],
        &[("CAIRN_MAX_STEPS", "10000")],
    );
    assert_eq!(code, Some(0), "{err}");
    // Memory, with a unit.
    let (code, _, err) = cli(&["export", f, "--max-memory", "1MiB"], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("E0151") && err.contains("1 MiB"), "{err}");
    let (code, _, err) = cli(&["export", f], &[("CAIRN_MAX_MEMORY", "512K")]);
    assert_eq!(code, Some(1));
    assert!(err.contains("E0151") && err.contains("512 KiB"), "{err}");
    // Malformed values are usage errors.
    let (code, _, err) = cli(&["export", f, "--max-memory", "12XB"], &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--max-memory"), "{err}");
    let (code, _, err) = cli(&["export", f], &[("CAIRN_MAX_MEMORY", "lots")]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("E0400") && err.contains("CAIRN_MAX_MEMORY"),
        "{err}"
    );
}

#[test]
fn the_cli_refuses_an_output_past_the_limit() {
    // Small in memory, large written out; nothing is written to the file.
    let f = program("wide.cairn", &format!("{}items: a15\n", doubled("a", 15)));
    let f = f.to_str().unwrap_or_default();
    let target =
        std::env::temp_dir().join(format!("cairn-exhaustion-out-{}.yaml", std::process::id()));
    let target = target.to_str().unwrap_or_default();
    let (code, _, err) = cli(&["export", f, "-o", target, "--max-memory", "64KiB"], &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("E0152"), "{err}");
    assert!(!std::path::Path::new(target).exists());
    let (code, _, err) = cli(&["export", f, "-o", target], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(std::path::Path::new(target).exists());
    let _ = std::fs::remove_file(target);
    // The same value as an expression of `cairn eval -e`.
    let (code, _, err) = cli(
        &["eval", f, "-e", "[a15, a15]", "--max-memory", "64KiB"],
        &[],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("E0152"), "{err}");
    // At the default limits, a value doubled 40 times ends at once.
    let big = program("huge.cairn", &format!("{}items: a40\n", doubled("a", 40)));
    let start = Instant::now();
    let (code, _, err) = cli(&["export", big.to_str().unwrap_or_default()], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("E0152"), "{err}");
    assert!(start.elapsed() < REASONABLE);
}

#[test]
fn the_cli_refuses_an_endless_source() {
    let start = Instant::now();
    let (code, _, err) = cli(&["--diagnostics", "json", "export", "/dev/zero"], &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("\"E0153\""), "{err}");
    assert!(start.elapsed() < REASONABLE);
}
