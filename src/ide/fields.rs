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
    /// field is declared; sorted by position, each once.
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
        out.sort_by(|a, b| (a.0.start, a.0.end).cmp(&(b.0.start, b.0.end)));
        out.dedup_by(|a, b| a.0 == b.0);
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
