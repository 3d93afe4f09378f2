//! Schema fields as targets of definition, references and rename.
//!
//! The checker already knows which keys name a field: it pushes expected types into literals
//! and reads fields of values whose type it inferred. While it checks an analysed document it
//! records every such key and member name ([`crate::check::FieldUse`]), so the uses of every
//! field in a document come from the one walk that checks it. A field is identified by where
//! it is declared (an inherited field by its declaration in the schema it comes from), so a
//! same-named field of another schema is another target, and keys of untyped objects are none.

use std::sync::Arc;

use super::{Analysis, Location};
use crate::syntax::ast::Span;
use crate::types::SchemaTy;

impl Analysis {
    /// Every key and member name of the document that names a schema field, with where the
    /// field is declared; sorted by position, each once (a key the checker saw twice is one
    /// use).
    pub(crate) fn field_uses(&self) -> Vec<(Span, Location)> {
        let mut out: Vec<(Span, Location)> = self
            .probe
            .fields
            .iter()
            .map(|u| {
                let (file, span) = u.decl;
                (
                    u.span,
                    Location {
                        file: self.key(file),
                        span,
                    },
                )
            })
            .collect();
        out.sort_by(|a, b| (a.0.start, a.0.end, &a.1).cmp(&(b.0.start, b.0.end, &b.1)));
        out.dedup();
        out
    }

    /// The key or member name at `offset` that names a schema field (a cursor right after it
    /// is on it), and where the field is declared.
    pub(crate) fn field_use_at(&self, offset: usize) -> Option<(Span, Location)> {
        let offset = offset as u32;
        let uses = self.field_uses();
        uses.iter()
            .find(|(s, _)| s.start <= offset && offset < s.end)
            .or_else(|| uses.iter().find(|(s, _)| s.end == offset))
            .cloned()
    }

    /// The schemas of the program that have the field declared at `decl` (its own schema and
    /// those that extend it without redeclaring it), in declaration order.
    pub(crate) fn schemas_with_field(&self, decl: &Location) -> Vec<Arc<SchemaTy>> {
        self.types
            .order
            .iter()
            .filter_map(|n| self.types.schema(n))
            .filter(|s| {
                s.fields.iter().any(|f| {
                    f.span == decl.span
                        && Location {
                            file: self.key(f.file),
                            span: f.span,
                        } == *decl
                })
            })
            .cloned()
            .collect()
    }
}

/// The part of a key to replace when renaming: inside the quotes of a quoted key, the whole
/// span otherwise.
pub(crate) fn rename_span(text: &str, span: Span) -> Span {
    match text.get(span.range()) {
        Some(s) if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') => {
            Span::new(span.start as usize + 1, span.end as usize - 1)
        }
        _ => span,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use crate::ide::{FileKey, Workspace};
    use crate::source::MemoryLoader;
    use crate::syntax::ast::Span;

    const CURSOR: char = '‸';

    /// A workspace with `files` open; the one with a `‸` gives the cursor.
    fn workspace(files: &[(&str, &str)]) -> (Workspace, PathBuf, usize) {
        let mut ws = Workspace::new(Arc::new(MemoryLoader::new()));
        let mut at = None;
        for (name, text) in files {
            let path = PathBuf::from(format!("/w/{name}"));
            if let Some(i) = text.find(CURSOR) {
                at = Some((path.clone(), i));
            }
            ws.set(path, text.replace(CURSOR, ""));
        }
        let (path, offset) = at.expect("a file has a cursor");
        (ws, path, offset)
    }

    /// The text of `path` with `⟦...⟧` around each span.
    fn marked(ws: &Workspace, path: &Path, spans: &[Span]) -> String {
        let text = ws.text(path).expect("open");
        let mut out = String::new();
        let mut last = 0;
        let mut spans = spans.to_vec();
        spans.sort_by_key(|s| s.start);
        for s in spans {
            out.push_str(&text[last..s.start as usize]);
            out.push('⟦');
            out.push_str(&text[s.range()]);
            out.push('⟧');
            last = s.end as usize;
        }
        out.push_str(&text[last..]);
        out
    }

    /// The references at the cursor, marked in each file (in the order given).
    fn references(files: &[(&str, &str)]) -> Vec<String> {
        let (ws, path, offset) = workspace(files);
        let refs = ws.references(&path, offset, true);
        files
            .iter()
            .map(|(name, _)| {
                let p = PathBuf::from(format!("/w/{name}"));
                let spans: Vec<Span> = refs
                    .iter()
                    .filter(|l| l.file == FileKey::Path(p.clone()))
                    .map(|l| l.span)
                    .collect();
                marked(&ws, &p, &spans)
            })
            .collect()
    }

    /// Every typed position of a field, with a same-named field of another schema and an
    /// untyped object; `‸` is where `{CURSOR}` goes.
    const TYPED: &str = r#"schema App {
  replicas: Int = 1
  name: String = "a"
  check replicas > 0
}
schema Other {
  replicas: Int = 1
}
schema Stack {
  app: App = {}
  apps: [App] = []
}
let a: App = { R1: 3 }
resource web: App { replicas: 2 }
let s: Stack = { app: { replicas: 4 }, apps: [{ replicas: 5 }] }
let d: Stack = { app.replicas: 6 }
fn scale(x: App) -> Int = x.replicas * 2
let n = scale({ "replicas": 7 })
let r = a.replicas
let o: Other = { replicas: 8 }
let u = { replicas: 9 }
let other = o.replicas
let list: [App] = [{ replicas: 10 }, { name: "b" }]
"#;

    const EXPECTED: &str = r#"schema App {
  ⟦replicas⟧: Int = 1
  name: String = "a"
  check ⟦replicas⟧ > 0
}
schema Other {
  replicas: Int = 1
}
schema Stack {
  app: App = {}
  apps: [App] = []
}
let a: App = { ⟦replicas⟧: 3 }
resource web: App { ⟦replicas⟧: 2 }
let s: Stack = { app: { ⟦replicas⟧: 4 }, apps: [{ ⟦replicas⟧: 5 }] }
let d: Stack = { app.⟦replicas⟧: 6 }
fn scale(x: App) -> Int = x.⟦replicas⟧ * 2
let n = scale({ ⟦"replicas"⟧: 7 })
let r = a.⟦replicas⟧
let o: Other = { replicas: 8 }
let u = { replicas: 9 }
let other = o.replicas
let list: [App] = [{ ⟦replicas⟧: 10 }, { name: "b" }]
"#;

    #[test]
    fn references_of_a_field_from_its_declaration() {
        let text = TYPED.replace("R1", "replicas").replacen(
            "  replicas: Int = 1\n  name",
            "  repl‸icas: Int = 1\n  name",
            1,
        );
        assert_eq!(references(&[("main.cairn", &text)]), vec![EXPECTED]);
    }

    #[test]
    fn references_of_a_field_from_a_key_and_a_member() {
        let text = TYPED.replace("R1", "re‸plicas");
        assert_eq!(references(&[("main.cairn", &text)]), vec![EXPECTED]);
        let text = TYPED
            .replace("R1", "replicas")
            .replace("let r = a.replicas", "let r = a.replicas‸");
        assert_eq!(references(&[("main.cairn", &text)]), vec![EXPECTED]);
    }

    #[test]
    fn a_same_named_field_of_another_schema_is_another_target() {
        let text = TYPED
            .replace("R1", "replicas")
            .replace("{ replicas: 8 }", "{ ‸replicas: 8 }");
        let out = references(&[("main.cairn", &text)]);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].contains("schema Other {\n  ⟦replicas⟧: Int = 1")
                && out[0].contains("{ ⟦replicas⟧: 8 }")
                && out[0].contains("o.⟦replicas⟧")
                && out[0].matches('⟦').count() == 3,
            "{}",
            out[0]
        );
    }

    #[test]
    fn keys_of_untyped_objects_are_no_target() {
        let text = TYPED
            .replace("R1", "replicas")
            .replace("{ replicas: 9 }", "{ repl‸icas: 9 }");
        let (ws, path, offset) = workspace(&[("main.cairn", &text)]);
        assert_eq!(ws.references(&path, offset, true), vec![]);
        assert_eq!(ws.prepare_rename(&path, offset), None);
        assert!(ws.rename(&path, offset, "count").is_err());
    }

    #[test]
    fn definition_of_a_key_is_the_field() {
        let text = TYPED.replace("R1", "re‸plicas");
        let (ws, path, offset) = workspace(&[("main.cairn", &text)]);
        let an = ws.analysis_at(&path, offset).expect("analysis");
        let def = an.definition(offset).expect("a definition");
        let decl = ws
            .text(&path)
            .expect("open")
            .find("replicas")
            .expect("declared") as u32;
        assert_eq!(def.file, FileKey::Path(path));
        assert_eq!((def.span.start, def.span.end), (decl, decl + 8));
    }

    #[test]
    fn rename_a_field_keeps_quotes_and_refuses_conflicts() {
        let text = TYPED.replace("R1", "re‸plicas");
        let (ws, path, offset) = workspace(&[("main.cairn", &text)]);
        let prepared = ws.prepare_rename(&path, offset).expect("renameable");
        assert_eq!(
            marked(&ws, &path, &[prepared]).lines().nth(12),
            Some("let a: App = { ⟦replicas⟧: 3 }")
        );
        let edits = ws.rename(&path, offset, "count").expect("renamed");
        assert_eq!(edits.len(), 1);
        let mut renamed = ws.text(&path).expect("open").to_string();
        let mut list = edits[0].1.clone();
        list.sort_by_key(|e| std::cmp::Reverse(e.span.start));
        for e in list {
            renamed.replace_range(e.span.range(), &e.new_text);
        }
        let expected = EXPECTED
            .replace("⟦replicas⟧", "count")
            .replace("⟦\"replicas\"⟧", "\"count\"");
        assert_eq!(renamed, expected);
        assert_eq!(
            ws.rename(&path, offset, "name"),
            Err("`App` already has a field `name`".to_string())
        );
        assert_eq!(
            ws.rename(&path, offset, "1x"),
            Err("`1x` is not a valid name".to_string())
        );
    }

    #[test]
    fn a_quoted_key_is_prepared_inside_its_quotes() {
        let text = TYPED
            .replace("R1", "replicas")
            .replace("{ \"replicas\": 7 }", "{ \"repl‸icas\": 7 }");
        let (ws, path, offset) = workspace(&[("main.cairn", &text)]);
        let prepared = ws.prepare_rename(&path, offset).expect("renameable");
        assert!(
            marked(&ws, &path, &[prepared]).contains("{ \"⟦replicas⟧\": 7 }"),
            "{prepared:?}"
        );
    }

    #[test]
    fn references_of_a_field_across_files() {
        let lib = "schema App {\n  replicas: Int = 1\n}\nschema Db {\n  replicas: Int = 1\n}\n";
        let main = "import \"./lib.cairn\"\n\nlet a: lib.App = { repl‸icas: 2 }\nlet db: lib.Db = { replicas: 3 }\nresource web: lib.App { replicas: 4 }\nx: a.replicas\n";
        let unrelated = "schema App {\n  replicas: Int = 1\n}\nlet a: App = { replicas: 5 }\n";
        let out = references(&[
            ("lib.cairn", lib),
            ("main.cairn", main),
            ("unrelated.cairn", unrelated),
        ]);
        assert_eq!(
            out,
            vec![
                "schema App {\n  ⟦replicas⟧: Int = 1\n}\nschema Db {\n  replicas: Int = 1\n}\n"
                    .to_string(),
                "import \"./lib.cairn\"\n\nlet a: lib.App = { ⟦replicas⟧: 2 }\nlet db: lib.Db = { replicas: 3 }\nresource web: lib.App { ⟦replicas⟧: 4 }\nx: a.⟦replicas⟧\n".to_string(),
                unrelated.to_string(),
            ]
        );
    }

    #[test]
    fn an_inherited_field_is_its_parents() {
        let lib = "schema Base {\n  replicas: Int = 1\n}\n";
        let main = "import \"./lib.cairn\"\n\nschema App extends lib.Base {\n  size: Int = 1\n  check replicas >= size\n}\nlet a: App = { repl‸icas: 2 }\n";
        let out = references(&[("lib.cairn", lib), ("main.cairn", main)]);
        assert_eq!(
            out,
            vec![
                "schema Base {\n  ⟦replicas⟧: Int = 1\n}\n".to_string(),
                "import \"./lib.cairn\"\n\nschema App extends lib.Base {\n  size: Int = 1\n  check ⟦replicas⟧ >= size\n}\nlet a: App = { ⟦replicas⟧: 2 }\n".to_string(),
            ]
        );
        let (ws, path, offset) = workspace(&[("lib.cairn", lib), ("main.cairn", main)]);
        assert_eq!(
            ws.rename(&path, offset, "size"),
            Err("`App` already has a field `size`".to_string())
        );
    }
}
