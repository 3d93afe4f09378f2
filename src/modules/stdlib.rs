//! The standard library: modules written in Cairn under `stdlib/`, embedded into the binary so
//! a program gets the same library wherever it runs. `import std.lists` imports `lists`.
//!
//! Native functions (the builtins in `src/eval/builtins.rs`) are always in scope; the modules
//! here are plain Cairn built on them, and documented from their doc comments by `cairn doc`
//! (docs/stdlib.md is generated from them).

/// A module of the standard library.
pub struct StdModule {
    /// Its name after `std.`.
    pub name: &'static str,
    /// Its files: (file name, text).
    pub files: &'static [(&'static str, &'static str)],
}

/// Every module of the standard library.
pub const MODULES: &[StdModule] = &[
    StdModule {
        name: "k8s",
        files: &[
            (
                "helpers.cairn",
                include_str!("../../stdlib/k8s/helpers.cairn"),
            ),
            ("types.cairn", include_str!("../../stdlib/k8s/types.cairn")),
        ],
    },
    StdModule {
        name: "lists",
        files: &[("lists.cairn", include_str!("../../stdlib/lists.cairn"))],
    },
    StdModule {
        name: "strings",
        files: &[("strings.cairn", include_str!("../../stdlib/strings.cairn"))],
    },
];

/// The module `std.<name>`.
pub fn module(name: &str) -> Option<&'static StdModule> {
    MODULES.iter().find(|m| m.name == name)
}
