//! Each example under examples/<name>/ (and examples/plugins/<name>/) exports to its checked-in
//! expected output, byte for byte (`expected.yaml`, or `expected.json`). `UPDATE_EXAMPLES=1`
//! rewrites the expected files, and the `.wasm` of the WAT plugin example.

use cairn::export::{Format, Selection};

use crate::common::{render_diagnostics, root};

#[test]
fn examples_export_as_expected() {
    let mut checked = 0;
    let mut dirs: Vec<_> = ["examples", "examples/plugins"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(root().join(d))
                .expect("examples/")
                .flatten()
        })
        .map(|e| e.path())
        .filter(|p| p.join("main.cairn").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        // Through the file system, so that the examples' imports and cairn.toml count.
        let mut engine = cairn::Engine::new();
        let out = engine.evaluate_file(dir.join("main.cairn"));
        assert!(
            out.diagnostics.is_empty(),
            "{}: {}",
            dir.display(),
            render_diagnostics(&engine, &out)
        );
        for (name, format) in [
            ("expected.yaml", Format::Yaml),
            ("expected.json", Format::Json),
        ] {
            let path = dir.join(name);
            let creating = name == "expected.yaml" && std::env::var_os("UPDATE_EXAMPLES").is_some();
            if !path.exists() && !creating {
                continue;
            }
            let got = out.render(Selection::Auto, format).expect("render");
            if std::env::var_os("UPDATE_EXAMPLES").is_some() {
                std::fs::write(&path, &got).expect("write");
            }
            let expected = std::fs::read_to_string(&path).expect("expected output");
            assert!(
                got == expected,
                "{}: output differs from {name}",
                dir.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} examples checked");
}

/// The WAT plugin example's checked-in `.wasm` is its `.wat`, assembled.
#[test]
fn the_wat_plugin_example_is_built() {
    let dir = root().join("examples/plugins/wat");
    let built = wat::parse_file(dir.join("text.wat")).expect("text.wat assembles");
    if std::env::var_os("UPDATE_EXAMPLES").is_some() {
        std::fs::write(dir.join("text.wasm"), &built).expect("write");
    }
    let checked_in = std::fs::read(dir.join("text.wasm")).unwrap_or_default();
    assert!(
        checked_in == built,
        "examples/plugins/wat/text.wasm is stale: run `UPDATE_EXAMPLES=1 cargo test --test main examples`"
    );
}
