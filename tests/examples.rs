//! Each example under examples/<name>/ exports to its checked-in expected output, byte for byte
//! (`expected.yaml`, or `expected.json`). `UPDATE_EXAMPLES=1` rewrites the expected files.

use cairn::export::{Format, Selection};

use crate::common::{evaluate, render_diagnostics, root};

#[test]
fn examples_export_as_expected() {
    let mut checked = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("main.cairn").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        let (engine, out) = evaluate(&dir.join("main.cairn"));
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
