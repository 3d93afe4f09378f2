//! Reference documentation from doc comments (`cairn doc`): a module's types, schemas,
//! functions, values and parameters, with their doc comments, as Markdown.
//!
//! A module's own description is the `//!` comment at the top of its files. Private names
//! (starting with `_`) are left out. docs/stdlib.md is this output for every module of the
//! standard library.

use crate::modules::{Program, UnitId, is_private};
use crate::source::SourceMap;
use crate::syntax::ast::{Item, ItemKind, SchemaMember};
use crate::types::type_text;

/// Renders the reference of module `unit` as Markdown, under a heading of `level` (1 = `#`).
pub fn module_markdown(
    program: &Program,
    unit: UnitId,
    sources: &SourceMap,
    title: &str,
    level: usize,
) -> String {
    module_markdown_of(program, unit, sources, title, level, |_| true)
}

/// Like [`module_markdown`], for the items of the files `keep` accepts (by name).
fn module_markdown_of(
    program: &Program,
    unit: UnitId,
    sources: &SourceMap,
    title: &str,
    level: usize,
    keep: impl Fn(&str) -> bool,
) -> String {
    let h = |n: usize| "#".repeat(level + n);
    let mut out = format!("{} {title}\n\n", h(0));
    let Some(u) = program.units.get(unit) else {
        return out;
    };
    for &f in u.files.iter().filter(|f| keep(sources.name(**f))) {
        let about = module_comment(sources.text(f));
        if !about.is_empty() {
            out.push_str(&about);
            out.push_str("\n\n");
        }
    }
    let items: Vec<&Item> = program
        .module
        .items
        .iter()
        .filter(|i| program.unit_of(i.file) == unit && keep(sources.name(i.file)))
        .collect();
    let src = |i: &Item, span: crate::syntax::ast::Span| -> String {
        sources
            .text(i.file)
            .get(span.range())
            .unwrap_or_default()
            .to_string()
    };
    let mut sections: [(&str, Vec<String>); 5] = [
        ("Parameters", Vec::new()),
        ("Types", Vec::new()),
        ("Schemas", Vec::new()),
        ("Functions", Vec::new()),
        ("Values", Vec::new()),
    ];
    for item in &items {
        let doc = item
            .doc
            .as_ref()
            .map(|d| format!("{}\n\n", d.text.trim()))
            .unwrap_or_default();
        match &item.kind {
            ItemKind::Param(p) if !is_private(&p.name.name) => {
                let ty = p.ty.as_ref().map(type_text).unwrap_or_default();
                let default = p
                    .default
                    .as_ref()
                    .map(|d| format!(" = {}", src(item, d.span)))
                    .unwrap_or_default();
                let ty = if ty.is_empty() {
                    String::new()
                } else {
                    format!(": {ty}")
                };
                sections[0].1.push(format!(
                    "{} `{}`\n\n```cairn\nparam {}{ty}{default}\n```\n\n{doc}",
                    h(2),
                    p.name.name,
                    p.name.name
                ));
            }
            ItemKind::Type(t) if !is_private(&t.name.name) => {
                sections[1].1.push(format!(
                    "{} `{}`\n\n```cairn\ntype {} = {}\n```\n\n{doc}",
                    h(2),
                    t.name.name,
                    t.name.name,
                    type_text(&t.ty)
                ));
            }
            ItemKind::Schema(s) if !is_private(&s.name.name) => {
                let mut text = format!("{} `{}`\n\n{doc}", h(2), s.name.name);
                if !s.extends.is_empty() {
                    let ext: Vec<String> =
                        s.extends.iter().map(|e| format!("`{}`", e.text)).collect();
                    text.push_str(&format!("Extends {}.\n\n", ext.join(", ")));
                }
                let mut rows = Vec::new();
                let mut checks = 0;
                for m in &s.members {
                    match m {
                        SchemaMember::Field(f) => {
                            let name = f.name.as_static().map(|n| n.to_string());
                            let name = name.unwrap_or_else(|| src(item, f.name.span));
                            let mut ty = type_text(&f.ty);
                            if f.optional {
                                ty.push('?');
                            }
                            let default = f
                                .default
                                .as_ref()
                                .map(|d| format!("`{}`", src(item, d.span)))
                                .unwrap_or_default();
                            let about = f
                                .doc
                                .as_ref()
                                .map(|d| d.text.split_whitespace().collect::<Vec<_>>().join(" "))
                                .unwrap_or_default();
                            rows.push(format!(
                                "| `{}` | `{}` | {} | {} |",
                                name,
                                ty.replace('|', "\\|"),
                                default.replace('|', "\\|"),
                                about.replace('|', "\\|")
                            ));
                        }
                        SchemaMember::Check(_) => checks += 1,
                    }
                }
                if !rows.is_empty() {
                    text.push_str("| field | type | default | description |\n|---|---|---|---|\n");
                    text.push_str(&rows.join("\n"));
                    text.push_str("\n\n");
                }
                if checks > 0 {
                    text.push_str(&format!(
                        "{checks} `check` clause{}.\n\n",
                        if checks == 1 { "" } else { "s" }
                    ));
                }
                sections[2].1.push(text);
            }
            ItemKind::Fn(f) => {
                let Some(name) = &f.name else { continue };
                if is_private(&name.name) {
                    continue;
                }
                let params: Vec<String> = f
                    .params
                    .iter()
                    .map(|p| match &p.ty {
                        Some(t) => format!("{}: {}", p.name.name, type_text(t)),
                        None => p.name.name.to_string(),
                    })
                    .collect();
                let ret = f
                    .ret
                    .as_ref()
                    .map(|t| format!(" -> {}", type_text(t)))
                    .unwrap_or_default();
                sections[3].1.push(format!(
                    "{} `{}`\n\n```cairn\nfn {}({}){ret}\n```\n\n{doc}",
                    h(2),
                    name.name,
                    name.name,
                    params.join(", ")
                ));
            }
            ItemKind::Let(d) if !is_private(&d.name.name) => {
                let ty =
                    d.ty.as_ref()
                        .map(|t| format!(": {}", type_text(t)))
                        .unwrap_or_default();
                sections[4].1.push(format!(
                    "{} `{}`\n\n```cairn\nlet {}{ty}\n```\n\n{doc}",
                    h(2),
                    d.name.name,
                    d.name.name
                ));
            }
            _ => {}
        }
    }
    for (title, mut entries) in sections {
        if entries.is_empty() {
            continue;
        }
        entries.sort();
        out.push_str(&format!("{} {title}\n\n", h(1)));
        for e in entries {
            out.push_str(&e);
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The `//!` lines at the top of a file, without their markers.
pub fn module_comment(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("//!") {
            lines.push(rest.strip_prefix(' ').unwrap_or(rest).trim_end());
        } else if t.is_empty() && lines.is_empty() {
            continue;
        } else {
            break;
        }
    }
    lines.join("\n")
}

/// The reference of the whole standard library (docs/stdlib.md). The generated Kubernetes
/// types of std.k8s are listed by kind only; `cairn doc std.k8s` prints every type with its
/// field docs.
pub fn stdlib_markdown() -> String {
    let mut out = String::from(
        "# The standard library\n\n\
         Generated from the doc comments of `stdlib/` by `cargo test` (`UPDATE_STDLIB=1` \
         rewrites it); do not edit by hand. `cairn doc std.<module>` prints the same for one \
         module.\n\n\
         The standard library is written in Cairn and embedded in the `cairn` binary: \
         `import std.lists` works the same everywhere. The builtin functions \
         ([builtins.md](builtins.md)) are always in scope and need no import.\n\n",
    );
    for m in crate::modules::stdlib::MODULES {
        let mut engine = crate::Engine::with_loader(crate::MemoryLoader::new());
        let file = engine
            .sources_mut()
            .add("<doc>", format!("import std.{} as module\n", m.name));
        let (program, _) = engine.program(file);
        let Some(unit) = program.import(0, "module") else {
            continue;
        };
        let title = format!("std.{}", m.name);
        let generated = |name: &str| name.ends_with("/types.cairn") && m.name == "k8s";
        out.push_str(&module_markdown_of(
            &program,
            unit,
            engine.sources(),
            &title,
            2,
            |name| !generated(name),
        ));
        out.push_str("\n\n");
        if m.name == "k8s" {
            out.push_str("### Kubernetes kinds\n\n| schema | apiVersion | kind |\n|---|---|---|\n");
            for ((api, kind), schema) in crate::importers::k8s_kinds() {
                out.push_str(&format!("| `k8s.{schema}` | `{api}` | `{kind}` |\n"));
            }
            let types = program
                .module
                .items
                .iter()
                .filter(|i| {
                    program.unit_of(i.file) == unit && generated(engine.sources().name(i.file))
                })
                .filter(|i| matches!(i.kind, ItemKind::Schema(_) | ItemKind::Type(_)))
                .count();
            out.push_str(&format!(
                "\nwith {types} schemas and types in all (every nested type of these kinds), each \
                 field documented: `cairn doc std.k8s` prints them.\n\n"
            ));
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
