//! The registry of diagnostic codes.
//!
//! Codes are stable: a code is never reused for another problem, and a renamed code keeps a
//! redirect here. `E00xx` are syntax errors, `E01xx` evaluation errors, `E02xx` export errors,
//! `E03xx` embedding errors, `E04xx` command-line errors, `E05xx` plugin errors, `E06xx` Git
//! history errors, `E9xxx` internal errors.
//! docs/diagnostics.md is generated from [`ALL`] and checked by a test.

/// A stable diagnostic code with a one-line title.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    pub id: &'static str,
    pub title: &'static str,
    /// A longer explanation for the docs.
    pub explanation: &'static str,
}

macro_rules! codes {
    ($($name:ident = $id:literal, $title:literal, $explanation:literal;)*) => {
        $(
            #[doc = $title]
            pub const $name: Code = Code { id: $id, title: $title, explanation: $explanation };
        )*
        /// Every code, in order.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    SYNTAX = "E0001", "syntax error",
        "The text does not follow the grammar. The message says what was expected at that point.";
    INVALID_ESCAPE = "E0002", "invalid escape sequence",
        "Strings know the escapes `\\n`, `\\t`, `\\r`, `\\0`, `\\\\`, `\\\"`, `\\$` and `\\u{...}`.";
    UNTERMINATED_STRING = "E0003", "unterminated string",
        "A string was opened with `\"` but not closed on the same line. Use `\"\"\"` for text over several lines.";
    INT_TOO_LARGE = "E0004", "integer literal out of range",
        "Integers are 64-bit signed: from -9223372036854775808 to 9223372036854775807.";
    TOO_DEEP = "E0005", "nesting too deep",
        "Brackets, braces and parentheses nest at most 256 levels deep, so that a pathological file ends in an error instead of exhausting the stack.";
    MISPLACED_DOC = "E0006", "doc comment documents nothing",
        "A `///` doc comment must stand right before an item, a schema member or an object entry. Use `//` for other comments.";
    MULTILINE_STRING = "E0007", "malformed multi-line string",
        "A multi-line string starts with `\"\"\"` followed by a line break. The indentation common to its lines and to the closing `\"\"\"` line is removed.";
    UNTERMINATED_COMMENT = "E0008", "unterminated block comment",
        "A block comment opened with `/*` runs to the end of the file without its `*/`, so everything after it would be ignored. Block comments nest: each `/*` needs its own `*/`.";
    UNKNOWN_NAME = "E0100", "unknown name",
        "The name is not a parameter, `let` binding, function, local variable or builtin in scope.";
    UNKNOWN_FIELD = "E0101", "unknown field",
        "The object has no field of that name. Use `?.` or `??` when a field may be missing.";
    INDEX_OUT_OF_BOUNDS = "E0102", "index out of bounds",
        "A list was indexed past its end. Negative indexes count from the end (`xs[-1]` is the last element), as far back as the first.";
    TYPE_MISMATCH = "E0103", "wrong type of value",
        "An operator, condition, index or builtin received a value of a type it does not accept.";
    INT_OVERFLOW = "E0104", "integer overflow",
        "An integer operation left the 64-bit range. Cairn never wraps around silently.";
    DIVISION_BY_ZERO = "E0105", "division by zero",
        "The right-hand side of `/` or `%` is zero.";
    NOT_CALLABLE = "E0106", "not a function",
        "Only functions, lambdas and builtins can be called.";
    ARITY = "E0107", "wrong number of arguments",
        "A function was called with more or fewer arguments than it declares.";
    INVALID_ARGUMENT = "E0108", "invalid argument",
        "A builtin received an argument it cannot work with, such as a negative count or a malformed pattern.";
    RECURSION_LIMIT = "E0109", "recursion limit reached",
        "Function calls nested deeper than the limit (1,000 calls). This is usually a recursion without a base case.";
    CYCLE = "E0110", "definition depends on itself",
        "A `let`, parameter default or resource refers to itself, directly or through other definitions. The message shows the chain.";
    NULL_ACCESS = "E0111", "field or index of null",
        "A field or index of `null` was taken. Use `?.` to get `null` instead, and `??` to supply a default.";
    DUPLICATE_DEFINITION = "E0114", "duplicate definition",
        "Two top-level definitions share a name. Each parameter, `let`, function, type, schema, resource and import alias needs its own name.";
    UNKNOWN_PARAM = "E0115", "unknown parameter",
        "A value was given (`--param`, the API) for a parameter the program does not declare.";
    INVALID_PARAM = "E0116", "invalid or missing parameter value",
        "A parameter without a default got no value, or its value cannot be read as the declared type.";
    INVALID_KEY = "E0117", "invalid object key",
        "A computed key must evaluate to a string, and a dotted key cannot pass through a value that is not an object.";
    INVALID_SPREAD = "E0118", "invalid spread",
        "`...` in a list takes a list; in an object it takes an object (or null, which adds nothing).";
    DECODE = "E0120", "cannot decode",
        "`from_json`, `from_yaml` or `base64_decode` got text that is not valid in that format.";
    FORMAT = "E0122", "invalid format string",
        "`format` replaces each `{}` with the next argument; the number of `{}` must match the arguments. Write `{{` and `}}` for literal braces.";
    NOT_ITERABLE = "E0125", "not iterable",
        "`for` iterates over a list (values, or index and value) or an object (keys and values).";
    TOO_LARGE = "E0126", "value too large",
        "A string grew past 64 MiB, or a list past 10,000,000 elements. Limits like these keep a runaway program (a string doubled in a loop, say) from exhausting memory.";
    TYPE_EXPECTED = "E0130", "value of the wrong type",
        "A value does not have the type declared for it (on a `let`, a parameter, a function's parameter or result, a schema field or a resource). The message says what was expected and what was found.";
    REFINEMENT = "E0131", "value outside its refinement",
        "A value has the right type but not the declared range, pattern or length: `Int(1..=65535)`, `String(matches: \"^[a-z]+$\")`, `String(len: 1..=63)`, `[T](len: 1..)`.";
    UNKNOWN_SCHEMA_FIELD = "E0132", "field not declared by the schema",
        "Schemas are closed: an object checked against a schema may only have the fields it declares. The help suggests the closest declared field.";
    MISSING_FIELD = "E0133", "required field missing",
        "A schema field without a default that is not optional (`name?: T`) must be given.";
    CHECK_FAILED = "E0134", "schema check failed",
        "A `check` clause of a schema does not hold for a value; the message is the one written after the condition.";
    UNKNOWN_TYPE = "E0135", "unknown type",
        "A type name is not a builtin type (`Bool`, `Int`, `Float`, `String`, `Null`, `Any`, `List`, `Object`), a `type` alias or a `schema` of the program.";
    INVALID_TYPE = "E0136", "invalid type",
        "A refinement does not fit its type (`matches:` on an Int, a range on a Bool), names an unknown option, or has an invalid regular expression; or a schema extends something that is not a schema.";
    TYPE_CYCLE = "E0137", "type defined by itself",
        "A `type` alias refers to itself, or schemas extend each other in a cycle.";
    UNKNOWN_OPTION = "E0138", "unknown resource option",
        "A resource's options (in parentheses after its type: `exec.Command(protect: true)`) are `depends_on`, `protect`, `create_before_destroy` and `sensitive`.";
    MODULE_NOT_FOUND = "E0140", "module not found",
        "An import names a file or folder that does not exist. A path starting with `./` or `../` is relative to the importing file; any other path is looked up in the project's source roots (`roots` in `cairn.toml`); `std.*` names a module of the standard library.";
    IMPORT_CYCLE = "E0141", "import cycle",
        "Modules import each other in a circle. The message lists the whole cycle; move what both need into a third module.";
    OUTSIDE_PROJECT = "E0142", "import outside the project",
        "Imports cannot reach outside the project root (the folder of `cairn.toml`, or of the program when there is none), so a project is self-contained and evaluation cannot read arbitrary files.";
    PRIVATE_NAME = "E0143", "private name",
        "A name starting with `_` is private to its module (and the other files of its package folder); other modules cannot use it.";
    UNKNOWN_MEMBER = "E0144", "not declared by the module",
        "`alias.name` names something the imported module does not declare. A module exports its `let`s, `fn`s, `param`s, `type`s and `schema`s.";
    LIBRARY_ITEM = "E0145", "imported module declares output",
        "A module that is imported may only declare definitions (`let`, `fn`, `param`, `type`, `schema`, `import`): its fields and resources would have nowhere to go. Put them in the program that imports it, or split the file.";
    PROJECT_FILE = "E0146", "invalid cairn.toml",
        "The project file `cairn.toml` could not be read: it is not valid TOML, or it has an unknown key or a value of the wrong type.";
    MODULE_NOT_VALUE = "E0147", "a module is not a value",
        "An import alias names a module, not a value: use its members (`net.port`, `k8s.Deployment`), not the module itself.";
    STEP_LIMIT = "E0150", "evaluation step limit reached",
        "The evaluation took more steps than its budget allows (200,000,000 by default): a step is about one expression evaluated, one element or field built, one pair of values compared. A runaway recursion, a comprehension over a huge range or work that grows exponentially ends here instead of running for minutes. A program that really needs more can raise the budget: `--max-steps` (or `CAIRN_MAX_STEPS`) on the command line, `Engine::limits` when embedding.";
    MEMORY_LIMIT = "E0151", "evaluation memory limit reached",
        "The values the evaluation built add up to more than its budget allows (256 MiB by default): strings, lists and objects count by their size as they are built, whether or not they are kept. A value that doubles in a loop, a string rebuilt again and again, or a comprehension over millions of keys ends here instead of exhausting the machine's memory. A program that really needs more can raise the budget: `--max-memory` (or `CAIRN_MAX_MEMORY`) on the command line, `Engine::limits` when embedding.";
    OUTPUT_TOO_LARGE = "E0152", "output too large",
        "The program's output, written out as YAML or JSON, would pass the memory budget (256 MiB by default). A value used twice is written twice, so a structure shared and doubled 30 times is small in memory but a billion elements in the output. The budget is raised with `--max-memory` (or `Engine::limits`).";
    SOURCE_TOO_LARGE = "E0153", "source file too large",
        "A source file is larger than 16 MiB. Cairn programs are written by people; a file this large (or an endless one, such as a device) is refused before it is read further.";
    TYPE_TOO_LARGE = "E0154", "type too large",
        "A type alias, written out with the aliases it uses, has more than 10,000 parts. Aliases are written out wherever they are used, so an alias that uses the one before it twice (`type T2 = [T1] | {String: T1}`) doubles at every step. Declare a schema instead: a schema is used by name, not written out.";
    NOT_EXPORTABLE = "E0200", "value cannot be exported",
        "Functions cannot be written to YAML or JSON, and JSON has no NaN or infinity.";
    UNKNOWN_VALUE = "E0201", "value known only after apply",
        "An exported document uses an output of a resource that `cairn apply` creates (`db.host` of an `exec` resource): its value does not exist until the resource is applied. `cairn plan` shows it as `(known after apply)`.";
    HOST_TYPE = "E0300", "configuration does not fit the host type",
        "The evaluated value could not be deserialized into the Rust type the host asked for. The message names the path of the value that did not fit.";
    IO = "E0301", "cannot read file",
        "A source file could not be read.";
    INVALID_ARGS = "E0400", "invalid command-line arguments",
        "An argument to the `cairn` command is malformed.";
    IMPORT_FAILED = "E0401", "cannot import",
        "`cairn import` could not read its input: YAML that does not parse (or uses tags such as `!Ref`), or a document that is not a JSON Schema, an OpenAPI document or a CustomResourceDefinition. The message says where.";
    STATE = "E0402", "state unavailable",
        "The recorded state (`.cairn/state.json`) could not be read or written, is from a newer version of Cairn, or is locked by another apply. The message says which; `cairn unlock` removes a stale lock.";
    PLAN = "E0403", "cannot plan or apply",
        "A plan could not be made (a provider rejected a resource's inputs, a refresh failed) or cannot be applied as it is (it was made against an older state, it deletes protected resources or everything). Nothing was changed.";
    APPLY_FAILED = "E0404", "apply failed",
        "An operation failed while applying; its dependents were skipped and everything else finished. What succeeded is recorded in the state, so the next apply continues from there.";
    PLUGIN_LOAD = "E0500", "cannot load plugin",
        "A plugin's `.wasm` file could not be loaded: it is not a WebAssembly module, wasmtime rejects it, or it lacks an export the plugin ABI needs (`memory`, `cairn_alloc`, and a function for every `fn` and `policy` of its manifest). See docs/plugins.md.";
    PLUGIN_MANIFEST = "E0501", "invalid plugin manifest",
        "The `cairn.manifest` custom section of a plugin is missing or malformed, or a signature in it is not valid Cairn (`fn name(param: Type, ...) -> Type`, every parameter and the result typed).";
    PLUGIN_ABI = "E0502", "wrong plugin ABI version",
        "The plugin was built for a version of the plugin ABI that this Cairn does not speak. The version is checked when the plugin is loaded, before any of its code runs.";
    PLUGIN_IMPORT = "E0503", "plugin import not granted",
        "A plugin imports a host function that `cairn.toml` does not grant it (`grant = [\"clock\"]` in its `[plugins.<name>]` entry), or one Cairn does not provide at all: plugins have no filesystem, network or WASI.";
    PLUGIN_TRAP = "E0504", "plugin trapped",
        "A plugin function trapped (an `unreachable`, a division by zero, an access outside its memory, a stack overflow). The plugin's instance starts afresh on the next call.";
    PLUGIN_FUEL = "E0505", "plugin ran out of fuel",
        "A plugin call used all the fuel it gets (about one unit per WebAssembly instruction; `fuel` in cairn.toml, 10,000,000 by default), so an endless loop ends in this error instead of a hang.";
    PLUGIN_MEMORY = "E0506", "plugin exceeded its memory limit",
        "A plugin's linear memory would have grown past its limit (`memory` in cairn.toml, 16 MiB by default).";
    PLUGIN_RESULT = "E0507", "malformed plugin result",
        "A plugin returned bytes that do not follow the plugin ABI's value encoding (an unknown tag, a length past the end, invalid UTF-8, a result outside its memory), or a policy returned something other than a list of decisions.";
    PLUGIN_FAILED = "E0508", "plugin function failed",
        "A plugin function returned an error value: it rejected its arguments. The message is the plugin's.";
    POLICY_DENIED = "E0509", "denied by a policy",
        "A policy of a plugin denied a resource when the plan was made. The message is the policy's; `cairn plan` and `cairn apply` stop with this error.";
    GIT = "E0601", "cannot read Git history",
        "A command that reads Git history (`--rev`, `cairn diff`, `cairn log`, the guards of `cairn apply`) could not: the folder is not in a Git repository, the repository has no commits, the revision names no commit, or a commit it needs is missing (a shallow clone stops before it). The message says which, and the help line what to do.";
    DIRTY_TREE = "E0602", "uncommitted changes",
        "`cairn apply` applies commits: the program's folder has changes that are not committed (modified, added, deleted or untracked files; ignored files and `.cairn/` do not count). Commit them, apply a revision with `--rev`, or pass `--allow-dirty`.";
    NOT_DESCENDANT = "E0603", "not a descendant of the last applied commit",
        "The commit to apply does not descend from the commit applied last: it is either an ancestor of it (applying it rolls back) or on another branch (the histories diverged). Revert the change in a new commit, or pass `--allow-rollback` when rolling back is what you mean.";
    UNSIGNED = "E0604", "commit not signed by an allowed key",
        "With `--require-signed` (or `require-signed = true` under `[git]` in cairn.toml), every commit between the last applied commit and the target must carry an SSH signature by a key of the allowed signers file. The message names each commit refused and why: not signed, signed by an unknown key, a signature that does not verify, or GPG (which Cairn does not verify).";
    INTERNAL = "E9999", "internal error",
        "Cairn itself failed. This is a bug; please report it with the input that caused it.";
}

/// Codes no longer produced, with what became of them; their ids are never reused.
pub const RETIRED: &[(&str, &str)] = &[(
    "E0124",
    "not supported yet: was reported for imports before modules were evaluated",
)];

/// Looks a code up by its id (`"E0100"`).
pub fn by_id(id: &str) -> Option<Code> {
    ALL.iter().copied().find(|c| c.id == id)
}

/// Renders the code index as Markdown (docs/diagnostics.md).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         Generated from `src/diagnostics/codes.rs` by `cargo test`; do not edit by hand.\n\n\
         Every error and warning Cairn reports carries one of these stable codes.\n\n",
    );
    for c in ALL {
        out.push_str(&format!(
            "## {} — {}\n\n{}\n\n",
            c.id, c.title, c.explanation
        ));
    }
    out.push_str("## Retired codes\n\nNo longer reported; never reused.\n\n");
    for (id, what) in RETIRED {
        out.push_str(&format!("- {id}: {what}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_ordered() {
        for w in ALL.windows(2) {
            assert!(w[0].id < w[1].id, "{} then {}", w[0].id, w[1].id);
        }
    }
}
