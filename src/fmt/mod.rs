//! `cairn fmt`: one canonical layout for Cairn source.
//!
//! [`format_source`] parses a file and prints its AST again, interleaving the comments the parser
//! kept ([`Module::comments`](crate::syntax::ast::Module)) by their position in the source. A file
//! with syntax errors is not formatted. Formatting is idempotent, keeps every comment, and never
//! changes meaning: the formatted file parses to the same AST (spans aside). Parentheses are
//! printed exactly where the source has them, and literals are copied from the source text.
//!
//! # Layout rules
//!
//! - **Indentation** is two spaces per level; lines have no trailing white space; the file ends
//!   with exactly one line break (a file without items or comments becomes empty).
//! - **Items** go one per line, and so do schema members, the entries of a multi-line object and
//!   the items of `for` and `if` blocks. Blank lines between them are kept, several collapsed
//!   into one; there are none at the start or the end of the file or of a block. Commas between
//!   items, members and entries are dropped.
//! - **Spacing**: `key: value` with one space after the `:`; one space around binary operators
//!   (`a + b`, `x ?? y`), `=`, `->`, `|` and `in`; none after a prefix operator (`-x`, `!ok`),
//!   around `.`, `?.` and `...`, or inside `()` and `[]`; one inside the braces of a one-line
//!   object (`{ a: 1 }`); a comma is followed by a space.
//! - **Objects and lists** stay on one line when they were written on one line, hold no comment
//!   and end by column 100; otherwise they take one entry per line. In a multi-line list every
//!   element ends with `,`; in a multi-line object entries are separated by line breaks only.
//!   Empty ones are `{}` and `[]`.
//! - **Call arguments and resource options** follow the rule of lists: `f(a, b)` and
//!   `exec.Command(protect: true)`, or one per line, each ending with `,`.
//! - **Hugging**: a list or call that was written with all its elements on the line of the
//!   opening bracket except the last one, which spans lines and ends in a multi-line block (an
//!   object, a list, an `if`, a lambda or a comprehension ending in one), keeps that shape:
//!   `containers: [{` ... `}]`, `merge(base, {` ... `})`, `[for h in hosts: {` ... `}]`.
//! - **`if` expressions** are `if c { a } else { b }` on one line under the rule of objects;
//!   otherwise each branch goes on its own indented line, with `} else {` and `} else if c {`
//!   between them. An `else { if ... }` holding nothing but the `if` is written `else if`. The
//!   `for` and `if` entries of an object follow the same rule: `{ for s in xs { "${s}": 1 } }`.
//! - **Top-level `for` and `if` blocks**, and **schemas**, always take one item (or member) per
//!   line: `for x in xs {`, `} else if c {`, `schema Name extends Base {`; empty ones are `{}`.
//! - **Functions**: `fn name(a: T, b: U) -> R = body` and lambdas `fn(x) = body`, the signature
//!   always on one line.
//! - **Comprehensions**: `[for x in xs if c: e]`, `[for i, x in xs: e]`, `[if c: e]`; a
//!   comprehension's head written on one line stays on one line.
//! - **`let`**: `let x = v` and `let x: T = v in body`.
//! - **Types** are written canonically and on one line: `A | B`, `T?`, `[T]`, `{String: T}`,
//!   `fn(A, B) -> C`, `Int(1..=65535)`, `String(matches: "^[a-z]+$", len: 1..=63)`,
//!   `[T](len: 1..)`. A union or function type inside a union or before `?` is parenthesized
//!   (`(A | B)?`, `A | (fn() -> B)`); other parentheses in types, and empty `()`, are dropped.
//! - **Resources**: `resource id[key]: type.Path(options) { body }`. A body written `= { ... }`
//!   is written `{ ... }` (the same resource); other computed bodies keep `= expr`.
//! - **Line breaks kept as written**: a break after `=` (of `let`, `fn`, `param`, a schema
//!   field's default, a resource body or a lambda), around a binary operator, after the `in` of
//!   `let ... in`, or after the `:` of a comprehension element stays; the continuation line is
//!   indented one level deeper than the line its item, entry or element starts on. A break
//!   written before a binary operator is moved after it. Other line breaks inside expressions
//!   are removed.
//! - **Literals are copied from the source**: strings, also multi-line `"""` strings (their
//!   lines are not re-indented) and interpolated ones (the expressions inside `${...}` are not
//!   formatted), numbers (`0x1F`, `1_000`, `1e6`), quoted keys (`"app.kubernetes.io/name"`) and
//!   import paths. Only the space in `- 5` is removed.
//! - **Doc comments** are written `/// text`, one line each, right before what they document.
//! - **Comments** stay where they were. A comment at the end of a line stays at the end of that
//!   line's content; the comments ending consecutive lines of the same indentation are aligned
//!   one space after the longest of those lines. A comment on a line of its own stays on its own
//!   line, indented like the code it precedes, with a blank line before it kept. Line comments
//!   lose their trailing white space; block comments are copied as they are.

mod writer;

#[cfg(test)]
mod tests;

use crate::Diagnostic;
use crate::source::FileId;
use crate::syntax::ast::*;
use writer::Writer;

/// The column an object or list written on one line must end by to stay on one line.
pub const MAX_WIDTH: usize = 100;

/// Formats a Cairn source file. Files with syntax errors are not formatted: their diagnostics are
/// returned.
pub fn format_source(file: FileId, src: &str) -> Result<String, Vec<Diagnostic>> {
    let crate::syntax::Parse { module, errors } = crate::syntax::parse(file, src);
    if errors.iter().any(Diagnostic::is_error) {
        grow(move || drop(module));
        return Err(errors);
    }
    // Printing recurses over the tree, and so does dropping it: both happen on a stack segment
    // that is grown as needed.
    Ok(grow(move || {
        let mut p = Printer::new(src, &module.comments);
        p.module(&module.items);
        let out = p.w.finish();
        drop(module);
        out
    }))
}

const STACK_RED_ZONE: usize = 256 * 1024;
const STACK_SIZE: usize = 4 * 1024 * 1024;

/// Runs `f` on a fresh stack segment when this one runs low.
fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, f)
}

/// How a bracketed sequence is laid out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    /// All on one line.
    Flat,
    /// All on the opening line but the last element, which spans lines: `[{` ... `}]`.
    Hug,
    /// One element per line.
    Broken,
}

struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// The first comment not written yet.
    next: usize,
    /// The source offset after the last node or token printed.
    last_end: usize,
    w: Writer,
    /// Everything is printed on one line (inside a one-line construct, or measuring one).
    flat: bool,
    /// The indentation of the line the current item, entry or element starts on.
    stmt: usize,
}

impl<'a> Printer<'a> {
    fn new(src: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer {
            src,
            comments,
            next: 0,
            last_end: 0,
            w: Writer::new(),
            flat: false,
            stmt: 0,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Source positions and comments

    fn text_of(&self, span: Span) -> &'a str {
        self.src.get(span.range()).unwrap_or("")
    }

    fn slice(&self, from: usize, to: usize) -> &'a str {
        if from >= to {
            return "";
        }
        self.src.get(from..to).unwrap_or("")
    }

    fn has_newline(&self, from: usize, to: usize) -> bool {
        self.slice(from, to).contains('\n')
    }

    /// Whether a comment starts in `from..to`.
    fn has_comment(&self, from: usize, to: usize) -> bool {
        let i = self
            .comments
            .partition_point(|c| (c.span.start as usize) < from);
        self.comments
            .get(i)
            .is_some_and(|c| (c.span.start as usize) < to)
    }

    /// Whether a line comment starts in `from..to`.
    fn has_line_comment(&self, from: usize, to: usize) -> bool {
        let i = self
            .comments
            .partition_point(|c| (c.span.start as usize) < from);
        self.comments[i..]
            .iter()
            .take_while(|c| (c.span.start as usize) < to)
            .any(|c| !c.block)
    }

    /// Whether a construct spanning `from..to` may be printed on one line: it is on one line in
    /// the source and holds no comment.
    fn one_line(&self, from: usize, to: usize) -> bool {
        !self.has_newline(from, to) && !self.has_comment(from, to)
    }

    /// The offset of the next token at or after `pos`: white space and comments skipped, and
    /// also commas when `commas`.
    fn skip_trivia(&self, mut pos: usize, commas: bool) -> usize {
        let b = self.src.as_bytes();
        loop {
            while pos < b.len()
                && (matches!(b[pos], b' ' | b'\t' | b'\r' | b'\n') || (commas && b[pos] == b','))
            {
                pos += 1;
            }
            if self
                .src
                .get(pos..)
                .is_some_and(|rest| rest.starts_with('\u{FEFF}'))
            {
                pos += '\u{FEFF}'.len_utf8();
                continue;
            }
            let i = self
                .comments
                .partition_point(|c| (c.span.start as usize) < pos);
            match self.comments.get(i) {
                Some(c) if c.span.start as usize == pos => pos = c.span.end as usize,
                _ => return pos.min(b.len()),
            }
        }
    }

    /// Writes the comments that end before `pos`.
    fn flush_before(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.span.end as usize > pos {
                break;
            }
            self.next += 1;
            self.comment(c);
        }
    }

    /// Writes the comments that follow on the source line of the last thing printed (and end
    /// before `limit`): they stay at the end of the output line.
    fn flush_trailing(&mut self, limit: usize) {
        while let Some(c) = self.comments.get(self.next) {
            let start = c.span.start as usize;
            if c.span.end as usize > limit
                || (start >= self.last_end && self.has_newline(self.last_end, start))
            {
                break;
            }
            self.next += 1;
            self.comment(c);
        }
    }

    fn comment(&mut self, c: &Comment) {
        let (start, end) = (c.span.start as usize, c.span.end as usize);
        let text = self.slice(start, end);
        let text = if c.block { text } else { text.trim_end() };
        // A comment inside a node printed without it (`- /* c */ 5`) is late: it follows the
        // text written so far.
        let late = start < self.last_end;
        let own_line = self.w.at_line_start() || (!late && self.has_newline(self.last_end, start));
        if own_line {
            if !self.w.at_line_start() {
                self.w.line_break(self.stmt + 1);
            }
            if !late && self.slice(self.last_end, start).matches('\n').count() >= 2 {
                self.w.blank_line();
            }
            self.w.text(text);
            let indent = self.w.indent();
            self.w.line_break(indent);
        } else if c.block {
            self.w.space();
            self.w.text(text);
            self.w.space();
        } else {
            self.w.trailing_comment(text);
        }
        self.last_end = self.last_end.max(end);
    }

    /// Skips the comments inside a span printed verbatim: they are part of its text.
    fn skip_comments_within(&mut self, span: Span) {
        while let Some(c) = self.comments.get(self.next) {
            if c.span.start < span.start || c.span.end > span.end {
                break;
            }
            self.next += 1;
        }
    }

    /// Whether the source has an empty line between the last thing printed and `pos`.
    fn blank_before(&self, pos: usize) -> bool {
        self.slice(self.last_end, pos).matches('\n').count() >= 2
    }

    fn set_stmt(&mut self, indent: usize) {
        self.stmt = indent;
        self.w.cont = indent + 1;
    }

    /// Marks the source as printed up to `end`.
    fn done(&mut self, end: usize) {
        self.last_end = self.last_end.max(end);
    }

    // -----------------------------------------------------------------------------------------
    // Tokens

    /// Writes a token that the source has next (comments before it come first); a token the
    /// source does not have there (the formatter adds it) is just written.
    fn tok(&mut self, s: &str) {
        let pos = self.skip_trivia(self.last_end, false);
        self.tok_at(s, pos);
    }

    fn tok_at(&mut self, s: &str, pos: usize) {
        let rest = self.src.get(pos..).unwrap_or("");
        let word = s.bytes().all(|b| b.is_ascii_alphabetic());
        let matches = rest.starts_with(s)
            && !(word
                && rest[s.len()..]
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_'))
            && !(s == "=" && rest.starts_with("=="));
        if matches {
            self.flush_before(pos);
            self.w.text(s);
            self.done(pos + s.len());
        } else {
            self.w.text(s);
        }
    }

    /// Writes a node's source text as it is.
    fn verbatim(&mut self, span: Span) {
        self.flush_before(span.start as usize);
        self.w.text(self.text_of(span));
        self.skip_comments_within(span);
        self.done(span.end as usize);
    }

    fn ident(&mut self, id: &Ident) {
        self.flush_before(id.span.start as usize);
        self.w.text(&id.name);
        self.done(id.span.end as usize);
    }

    fn space(&mut self) {
        self.w.space();
    }

    /// A break before what follows `=`, `in` or a comprehension's `:` when the source has one:
    /// the next line is indented one level deeper than the current item's.
    fn break_or_space(&mut self, next: usize) {
        let kept = !self.flat && self.has_newline(self.last_end, next);
        self.flush_before(next);
        if kept || self.w.needs_newline() {
            self.w.line_break(self.stmt + 1);
        } else {
            self.space();
        }
    }

    /// The width of what `f` prints on one line.
    fn measure(&self, f: impl FnOnce(&mut Printer<'a>)) -> usize {
        let mut p = Printer {
            src: self.src,
            comments: self.comments,
            next: self.next,
            last_end: self.last_end,
            w: Writer::new(),
            flat: true,
            stmt: 0,
        };
        f(&mut p);
        if p.w.buf.contains('\n') {
            return usize::MAX;
        }
        p.w.buf.chars().count()
    }

    /// Whether a construct spanning `from..to` goes on one line, printed by `f`.
    fn fits_flat(&self, from: usize, to: usize, f: impl FnOnce(&mut Printer<'a>)) -> bool {
        if self.flat {
            return true;
        }
        if !self.one_line(from, to) {
            return false;
        }
        let width = self.measure(f);
        self.w.next_col().saturating_add(width) <= MAX_WIDTH
    }

    fn with_flat<R>(&mut self, flat: bool, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = self.flat;
        self.flat = saved || flat;
        let r = f(self);
        self.flat = saved;
        r
    }

    // -----------------------------------------------------------------------------------------
    // Sequences

    /// The elements of a bracketed sequence after its opening bracket (already written):
    /// `elements` separated by `, `, or one per line; then the closing bracket.
    #[allow(clippy::too_many_arguments)]
    fn sequence<T>(
        &mut self,
        layout: Layout,
        elements: &[T],
        start: fn(&T) -> usize,
        print: fn(&mut Self, &T),
        pad: bool,
        trailing_comma: bool,
        close: &str,
    ) {
        match layout {
            Layout::Flat => self.with_flat(true, |p| {
                if pad && !elements.is_empty() {
                    p.space();
                }
                for (i, e) in elements.iter().enumerate() {
                    if i > 0 {
                        p.tok(",");
                        p.space();
                    }
                    print(p, e);
                }
                if pad && !elements.is_empty() {
                    p.space();
                }
                let at = p.skip_trivia(p.last_end, true);
                p.tok_at(close, at);
            }),
            Layout::Hug => {
                // (Only chosen for a last element that spans lines.)
                let Some((last, init)) = elements.split_last() else {
                    return self.block(elements, start, print, trailing_comma, close);
                };
                self.with_flat(true, |p| {
                    for e in init {
                        print(p, e);
                        p.tok(",");
                        p.space();
                    }
                });
                print(self, last);
                let at = self.skip_trivia(self.last_end, true);
                self.tok_at(close, at);
            }
            Layout::Broken => self.block(elements, start, print, trailing_comma, close),
        }
    }

    /// Children one per line, indented one level deeper than the line of the opening bracket
    /// (already written), then the closing bracket on a line of its own.
    fn block<T>(
        &mut self,
        children: &[T],
        start: fn(&T) -> usize,
        print: fn(&mut Self, &T),
        comma: bool,
        close: &str,
    ) {
        let base = self.w.indent();
        let inner = base + 1;
        let saved = self.stmt;
        let first = match children.first() {
            Some(c) => start(c),
            None => self.skip_trivia(self.last_end, true),
        };
        if children.is_empty() && !self.has_comment(self.last_end, first) {
            self.tok_at(close, first);
            return;
        }
        self.flush_trailing(first);
        self.w.open_line(inner);
        for (i, child) in children.iter().enumerate() {
            let at = start(child);
            self.w.line_break(inner);
            self.set_stmt(inner);
            self.flush_before(at);
            if self.blank_before(at) {
                self.w.blank_line();
            }
            grow(|| print(self, child));
            if comma {
                // The source's comma, unless a line comment stands before it: then the comma
                // goes before the comment.
                let at = self.skip_trivia(self.last_end, false);
                if self.has_line_comment(self.last_end, at) {
                    self.w.text(",");
                } else {
                    self.tok_at(",", at);
                }
            }
            let limit = match children.get(i + 1) {
                Some(c) => start(c),
                None => self.skip_trivia(self.last_end, true),
            };
            self.flush_trailing(limit);
        }
        let at = self.skip_trivia(self.last_end, true);
        self.w.line_break(inner);
        self.set_stmt(inner);
        self.flush_before(at);
        self.set_stmt(saved);
        self.w.line_break(base);
        self.tok_at(close, at);
    }

    // -----------------------------------------------------------------------------------------
    // Items

    fn module(&mut self, items: &[Item]) {
        for (i, item) in items.iter().enumerate() {
            let at = item.span.start as usize;
            self.w.line_break(0);
            self.set_stmt(0);
            self.flush_before(at);
            if self.blank_before(at) {
                self.w.blank_line();
            }
            grow(|| self.item(item));
            let limit = items
                .get(i + 1)
                .map_or(self.src.len(), |n| n.span.start as usize);
            self.flush_trailing(limit);
        }
        self.w.line_break(0);
        self.set_stmt(0);
        self.flush_before(usize::MAX);
    }

    fn item_start(item: &Item) -> usize {
        item.span.start as usize
    }

    fn doc(&mut self, doc: &Doc) {
        self.flush_before(doc.span.start as usize);
        for line in doc.text.split('\n') {
            if line.is_empty() {
                self.w.text("///");
            } else {
                self.w.text("/// ");
                self.w.text(line);
            }
            let indent = self.w.indent();
            self.w.line_break(indent);
        }
        self.done(doc.span.end as usize);
    }

    fn item(&mut self, item: &Item) {
        if let Some(doc) = &item.doc {
            self.doc(doc);
        }
        match &item.kind {
            ItemKind::Import(import) => {
                self.tok("import");
                self.space();
                match &import.target {
                    ImportTarget::Path { span, .. } => self.verbatim(*span),
                    ImportTarget::Std(path) => {
                        for (i, id) in path.iter().enumerate() {
                            if i > 0 {
                                self.tok(".");
                            }
                            self.ident(id);
                        }
                    }
                }
                if let Some(alias) = &import.alias {
                    self.space();
                    self.tok("as");
                    self.space();
                    self.ident(alias);
                }
            }
            ItemKind::Param(param) => {
                self.tok("param");
                self.space();
                self.typed_name(&param.name, param.ty.as_ref());
                if let Some(default) = &param.default {
                    self.assign(default);
                }
            }
            ItemKind::Let(decl) => self.let_decl(decl),
            ItemKind::Fn(def) => self.fn_def(def),
            ItemKind::Type(alias) => {
                self.tok("type");
                self.space();
                self.ident(&alias.name);
                self.space();
                self.tok("=");
                self.space();
                self.ty(&alias.ty);
            }
            ItemKind::Schema(schema) => self.schema(schema),
            ItemKind::Resource(r) => self.resource(r),
            ItemKind::For(f) => {
                self.for_head(&f.pattern, &f.iter, f.filter.as_ref());
                self.space();
                self.tok("{");
                self.block(&f.items, Self::item_start, Self::item, false, "}");
            }
            ItemKind::If(i) => self.if_items(i),
            ItemKind::Field(f) => self.field(f),
            ItemKind::Spread(e) => {
                self.tok("...");
                self.expr(e);
            }
            ItemKind::Error => self.verbatim(item.span),
        }
    }

    fn let_decl(&mut self, decl: &LetDecl) {
        self.tok("let");
        self.space();
        self.typed_name(&decl.name, decl.ty.as_ref());
        self.assign(&decl.value);
    }

    /// `name` or `name: Type`.
    fn typed_name(&mut self, name: &Ident, ty: Option<&TypeExpr>) {
        self.ident(name);
        if let Some(ty) = ty {
            self.tok(":");
            self.space();
            self.ty(ty);
        }
    }

    /// ` = value`, breaking after `=` where the source did.
    fn assign(&mut self, value: &Expr) {
        self.space();
        self.tok("=");
        self.break_or_space(value.span.start as usize);
        self.expr(value);
    }

    fn fn_def(&mut self, def: &FnDef) {
        self.tok("fn");
        if let Some(name) = &def.name {
            self.space();
            self.ident(name);
        }
        self.tok("(");
        self.with_flat(true, |p| {
            for (i, param) in def.params.iter().enumerate() {
                if i > 0 {
                    p.tok(",");
                    p.space();
                }
                p.typed_name(&param.name, param.ty.as_ref());
            }
        });
        let at = self.skip_trivia(self.last_end, true);
        self.tok_at(")", at);
        if let Some(ret) = &def.ret {
            self.space();
            self.tok("->");
            self.space();
            self.ty(ret);
        }
        self.assign(&def.body);
    }

    fn schema(&mut self, schema: &Schema) {
        self.tok("schema");
        self.space();
        self.ident(&schema.name);
        if !schema.extends.is_empty() {
            self.space();
            self.tok("extends");
            self.space();
            for (i, path) in schema.extends.iter().enumerate() {
                if i > 0 {
                    self.tok(",");
                    self.space();
                }
                self.type_path(path);
            }
        }
        self.space();
        self.tok("{");
        self.block(
            &schema.members,
            Self::member_start,
            Self::member,
            false,
            "}",
        );
    }

    fn member_start(m: &SchemaMember) -> usize {
        let (doc, span) = match m {
            SchemaMember::Field(f) => (&f.doc, f.span),
            SchemaMember::Check(c) => (&c.doc, c.span),
        };
        doc.as_ref().map_or(span.start, |d| d.span.start) as usize
    }

    fn member(&mut self, m: &SchemaMember) {
        match m {
            SchemaMember::Field(f) => {
                if let Some(doc) = &f.doc {
                    self.doc(doc);
                }
                self.verbatim(f.name.span);
                if f.optional {
                    self.tok("?");
                }
                self.tok(":");
                self.space();
                self.ty(&f.ty);
                if let Some(default) = &f.default {
                    self.assign(default);
                }
            }
            SchemaMember::Check(c) => {
                if let Some(doc) = &c.doc {
                    self.doc(doc);
                }
                self.tok("check");
                self.space();
                self.expr(&c.cond);
                if let Some(message) = &c.message {
                    self.tok(",");
                    self.space();
                    self.expr(message);
                }
            }
        }
    }

    fn resource(&mut self, r: &Resource) {
        self.tok("resource");
        self.space();
        self.ident(&r.name);
        if let Some(key) = &r.key {
            self.tok("[");
            self.expr(key);
            self.tok("]");
        }
        self.tok(":");
        self.space();
        self.type_path(&r.ty);
        if !r.options.is_empty() {
            let open = self.skip_trivia(self.last_end, false);
            let close = match r.options.last() {
                Some((_, v)) => self.skip_trivia(v.span.end as usize, true) + 1,
                None => open,
            };
            let layout = if self.fits_flat(open, close, |p| {
                p.resource_options(&r.options, Layout::Flat)
            }) {
                Layout::Flat
            } else {
                Layout::Broken
            };
            self.resource_options(&r.options, layout);
        }
        if let ExprKind::Object { entries, .. } = &r.body.kind {
            self.space();
            self.object(entries, r.body.span);
            self.done(r.body.span.end as usize);
        } else {
            self.assign(&r.body);
        }
    }

    fn resource_options(&mut self, options: &[(Ident, Expr)], layout: Layout) {
        self.tok("(");
        self.sequence(
            layout,
            options,
            |(name, _)| name.span.start as usize,
            |p, (name, value)| {
                p.ident(name);
                p.tok(":");
                p.space();
                p.expr(value);
            },
            false,
            true,
            ")",
        );
    }

    fn if_items(&mut self, first: &IfItems) {
        let mut cur = first;
        loop {
            self.tok("if");
            self.space();
            self.expr(&cur.cond);
            self.space();
            self.tok("{");
            self.block(&cur.then, Self::item_start, Self::item, false, "}");
            let Some(otherwise) = &cur.otherwise else {
                return;
            };
            self.space();
            self.tok("else");
            self.space();
            // `else { if ... }` is `else if ...`, unless comments stand between them.
            if let [
                Item {
                    doc: None,
                    kind: ItemKind::If(next),
                    span,
                    ..
                },
            ] = otherwise.as_slice()
                && !self.has_comment(self.last_end, span.start as usize)
            {
                cur = next;
                continue;
            }
            self.tok("{");
            self.block(otherwise, Self::item_start, Self::item, false, "}");
            return;
        }
    }

    fn for_head(&mut self, pattern: &ForPattern, iter: &Expr, filter: Option<&Expr>) {
        self.tok("for");
        self.space();
        self.ident(&pattern.first);
        if let Some(second) = &pattern.second {
            self.tok(",");
            self.space();
            self.ident(second);
        }
        self.space();
        self.tok("in");
        self.space();
        self.expr(iter);
        if let Some(filter) = filter {
            self.space();
            self.tok("if");
            self.space();
            self.expr(filter);
        }
    }

    fn field(&mut self, f: &Field) {
        for (i, key) in f.path.iter().enumerate() {
            if i > 0 {
                self.tok(".");
            }
            self.verbatim(key.span);
        }
        self.tok(":");
        self.space();
        self.expr(&f.value);
    }

    fn type_path(&mut self, path: &TypePath) {
        self.flush_before(path.span.start as usize);
        self.w.text(&path.text);
        self.done(path.span.end as usize);
    }

    // -----------------------------------------------------------------------------------------
    // Types

    fn ty(&mut self, t: &TypeExpr) {
        grow(|| self.ty_inner(t));
    }

    fn ty_inner(&mut self, t: &TypeExpr) {
        match &t.kind {
            TypeKind::Named { path, args } => {
                self.type_path(path);
                self.type_args(args);
            }
            TypeKind::List(elem, args) => {
                self.tok("[");
                self.ty(elem);
                self.tok("]");
                self.type_args(args);
            }
            TypeKind::Map(key, value) => {
                self.tok("{");
                self.ty(key);
                self.tok(":");
                self.space();
                self.ty(value);
                self.tok("}");
            }
            TypeKind::Fn(params, ret) => {
                self.tok("fn");
                self.tok("(");
                for (i, param) in params.iter().enumerate() {
                    if i > 0 {
                        self.tok(",");
                        self.space();
                    }
                    self.ty(param);
                }
                let at = self.skip_trivia(self.last_end, true);
                self.tok_at(")", at);
                self.space();
                self.tok("->");
                self.space();
                self.ty(ret);
            }
            TypeKind::Literal(_) => self.verbatim(t.span),
            TypeKind::Optional(inner) => {
                self.ty_term(inner);
                self.tok("?");
            }
            TypeKind::Union(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        self.space();
                        self.tok("|");
                        self.space();
                    }
                    self.ty_term(m);
                }
            }
        }
        self.done(t.span.end as usize);
    }

    /// A type where a union or function type needs parentheses: a union member, or before `?`.
    fn ty_term(&mut self, t: &TypeExpr) {
        if matches!(t.kind, TypeKind::Union(_) | TypeKind::Fn(..)) {
            self.tok("(");
            self.ty(t);
            self.tok(")");
        } else {
            self.ty(t);
        }
    }

    fn type_args(&mut self, args: &[TypeArg]) {
        if args.is_empty() {
            return;
        }
        self.tok("(");
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.tok(",");
                self.space();
            }
            if let Some(name) = &arg.name {
                self.ident(name);
                self.tok(":");
                self.space();
            }
            match &arg.value {
                TypeArgValue::Range { lo, hi, inclusive } => self.range(arg, lo, hi, *inclusive),
                TypeArgValue::Expr(e) => self.expr(e),
            }
            self.done(arg.span.end as usize);
        }
        let at = self.skip_trivia(self.last_end, true);
        self.tok_at(")", at);
    }

    /// A range `lo..=hi`, its bounds as written.
    fn range(
        &mut self,
        arg: &TypeArg,
        lo: &Option<Literal>,
        hi: &Option<Literal>,
        inclusive: bool,
    ) {
        let from = match &arg.name {
            Some(name) => {
                let colon = self.skip_trivia(name.span.end as usize, false);
                self.skip_trivia(colon + 1, false)
            }
            None => arg.span.start as usize,
        };
        self.flush_before(from);
        let mut pos = from;
        let mut text = String::new();
        if lo.is_some() {
            let len = bound_len(self.slice(pos, arg.span.end as usize));
            text.push_str(self.slice(pos, pos + len));
            pos = self.skip_trivia(pos + len, false);
        }
        text.push_str(if inclusive { "..=" } else { ".." });
        pos = self.skip_trivia(pos + if inclusive { 3 } else { 2 }, false);
        if hi.is_some() {
            let len = bound_len(self.slice(pos, arg.span.end as usize));
            text.push_str(self.slice(pos, pos + len));
        }
        self.w.text(&text);
        self.done(arg.span.end as usize);
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    fn expr(&mut self, e: &Expr) {
        grow(|| self.expr_inner(e));
        self.done(e.span.end as usize);
    }

    fn expr_inner(&mut self, e: &Expr) {
        let start = e.span.start as usize;
        match &e.kind {
            ExprKind::Lit(Literal::Int(_) | Literal::Float(_)) => self.number(e.span),
            ExprKind::Lit(_) | ExprKind::Interp(_) => self.verbatim(e.span),
            ExprKind::List(elements) => self.list(elements, e.span),
            ExprKind::Object { entries, .. } => self.object(entries, e.span),
            ExprKind::Var(name) => {
                self.flush_before(start);
                self.w.text(name);
                self.done(e.span.end as usize);
            }
            ExprKind::Field {
                target,
                name,
                optional,
            } => {
                self.expr(target);
                self.tok(if *optional { "?." } else { "." });
                self.ident(name);
            }
            ExprKind::Index { target, index } => {
                self.expr(target);
                self.tok("[");
                self.expr(index);
                self.tok("]");
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                self.call_args(args, e.span.end as usize);
            }
            ExprKind::Unary { op, operand } => {
                self.flush_before(start);
                self.w.text(match op {
                    UnaryOp::Not => "!",
                    UnaryOp::Neg => "-",
                });
                self.done(start + 1);
                self.expr(operand);
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            ExprKind::If { .. } => self.if_expr(e),
            ExprKind::Let { decl, body } => {
                self.let_decl(decl);
                self.space();
                self.tok("in");
                self.break_or_space(body.span.start as usize);
                self.expr(body);
            }
            ExprKind::Lambda(def) => self.fn_def(def),
            ExprKind::Paren(inner) => {
                self.flush_before(start);
                self.w.text("(");
                self.done(start + 1);
                self.expr(inner);
                self.tok(")");
            }
        }
    }

    /// A number literal as written; `- 5` loses its space.
    fn number(&mut self, span: Span) {
        self.flush_before(span.start as usize);
        let text = self.text_of(span);
        match text.strip_prefix('-') {
            Some(rest) => {
                let digits = rest
                    .rfind(|c: char| c.is_whitespace() || c == '/')
                    .map_or(rest, |i| &rest[i + 1..]);
                self.w.text("-");
                self.w.text(digits);
            }
            None => self.w.text(text),
        }
        self.done(span.end as usize);
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) {
        self.expr(lhs);
        let lhs_end = lhs.span.end as usize;
        let rhs_start = rhs.span.start as usize;
        let op_at = self.skip_trivia(self.last_end, false);
        self.flush_before(op_at);
        // A line comment ended the line before the operator: the operator starts the next one.
        let broke_before = self.w.needs_newline() || self.w.at_line_start();
        if broke_before {
            self.w.line_break(self.stmt + 1);
        } else {
            self.space();
        }
        self.tok_at(op.symbol(), op_at);
        let kept = !self.flat && !broke_before && self.has_newline(lhs_end, rhs_start);
        self.flush_before(rhs_start);
        if kept || self.w.needs_newline() {
            self.w.line_break(self.stmt + 1);
        } else {
            self.space();
        }
        self.expr(rhs);
    }

    fn if_expr(&mut self, e: &Expr) {
        let start = e.span.start as usize;
        let end = e.span.end as usize;
        let flat = self.fits_flat(start, end, |p| p.if_expr(e));
        self.with_flat(flat, |p| {
            let mut cur = e;
            loop {
                let ExprKind::If {
                    cond,
                    then,
                    otherwise,
                } = &cur.kind
                else {
                    return;
                };
                p.tok("if");
                p.space();
                p.expr(cond);
                p.space();
                p.branch(then);
                p.space();
                p.tok("else");
                p.space();
                if matches!(otherwise.kind, ExprKind::If { .. })
                    && !p.has_comment(p.last_end, otherwise.span.start as usize)
                {
                    cur = otherwise;
                    continue;
                }
                p.branch(otherwise);
                return;
            }
        });
    }

    /// `{ body }` of an `if` expression: on the line, or the body on a line of its own.
    fn branch(&mut self, body: &Expr) {
        self.tok("{");
        if self.flat {
            self.space();
            self.expr(body);
            self.space();
            let at = self.skip_trivia(self.last_end, false);
            self.tok_at("}", at);
            return;
        }
        self.block(
            std::slice::from_ref(body),
            |b| b.span.start as usize,
            Self::expr,
            false,
            "}",
        );
    }

    fn call_args(&mut self, args: &[Expr], end: usize) {
        let open = self.skip_trivia(self.last_end, false);
        let last = args.last().map(|a| (a.span, self.hugs(a)));
        let layout = self.layout(open, end, last, |p| {
            p.tok("(");
            p.sequence(
                Layout::Flat,
                args,
                |a| a.span.start as usize,
                Self::expr,
                false,
                false,
                ")",
            );
        });
        self.tok_at("(", open);
        self.sequence(
            layout,
            args,
            |a| a.span.start as usize,
            Self::expr,
            false,
            true,
            ")",
        );
    }

    /// The layout of a list or call spanning `open..end` (from its opening to after its closing
    /// bracket), whose last element is `last`.
    fn layout(
        &self,
        open: usize,
        end: usize,
        last: Option<(Span, bool)>,
        flat: impl FnOnce(&mut Printer<'a>),
    ) -> Layout {
        if self.fits_flat(open, end, flat) {
            return Layout::Flat;
        }
        if let Some((span, true)) = last
            && self.one_line(open, span.start as usize)
            && self.one_line(span.end as usize, end)
        {
            return Layout::Hug;
        }
        Layout::Broken
    }

    /// [`Self::hugs`] for a list element: a comprehension hugs when its body does.
    fn element_hugs(&self, el: &Element) -> bool {
        let start = el.span.start as usize;
        match &el.kind {
            ElementKind::Expr(e) => self.hugs(e),
            ElementKind::Spread(e) => self.one_line(start, e.span.start as usize) && self.hugs(e),
            ElementKind::For { body, .. } | ElementKind::If { body, .. } => {
                self.one_line(start, body.span.start as usize) && self.element_hugs(body)
            }
        }
    }

    /// Whether an element can hug the brackets around it: it spans lines, and ends in a block
    /// that is sure to be printed on several lines.
    fn hugs(&self, e: &Expr) -> bool {
        let (s, end) = (e.span.start as usize, e.span.end as usize);
        if !self.has_newline(s, end) {
            return false;
        }
        match &e.kind {
            ExprKind::Object { entries, .. } => !entries.is_empty(),
            ExprKind::List(elements) => !elements.is_empty(),
            ExprKind::If { .. } => true,
            ExprKind::Lambda(def) => {
                self.one_line(s, def.body.span.start as usize) && self.hugs(&def.body)
            }
            _ => false,
        }
    }

    fn list(&mut self, elements: &[Element], span: Span) {
        let (start, end) = (span.start as usize, span.end as usize);
        self.flush_before(start);
        let last = elements.last().map(|el| (el.span, self.element_hugs(el)));
        let layout = self.layout(start, end, last, |p| p.list(elements, span));
        self.tok_at("[", start);
        self.sequence(
            layout,
            elements,
            |el| el.span.start as usize,
            Self::element,
            false,
            true,
            "]",
        );
    }

    fn element(&mut self, el: &Element) {
        grow(|| match &el.kind {
            ElementKind::Expr(e) => self.expr(e),
            ElementKind::Spread(e) => {
                self.tok("...");
                self.expr(e);
            }
            // A comprehension's head written on one line stays on one line, so that hugging
            // (which needs it on the line of the bracket) is decided the same way next time.
            ElementKind::For {
                pattern,
                iter,
                filter,
                body,
            } => {
                let one_line = self.one_line(el.span.start as usize, body.span.start as usize);
                self.with_flat(one_line, |p| {
                    p.for_head(pattern, iter, filter.as_ref());
                    p.tok(":");
                });
                self.break_or_space(body.span.start as usize);
                self.element(body);
            }
            ElementKind::If { cond, body } => {
                let one_line = self.one_line(el.span.start as usize, body.span.start as usize);
                self.with_flat(one_line, |p| {
                    p.tok("if");
                    p.space();
                    p.expr(cond);
                    p.tok(":");
                });
                self.break_or_space(body.span.start as usize);
                self.element(body);
            }
        });
        self.done(el.span.end as usize);
    }

    fn object(&mut self, entries: &[Entry], span: Span) {
        let (start, end) = (span.start as usize, span.end as usize);
        self.flush_before(start);
        let flat = self.fits_flat(start, end, |p| p.object(entries, span));
        self.tok_at("{", start);
        self.entries(entries, flat);
    }

    /// The entries of an object or an entry block, after the `{`, and the `}`.
    fn entries(&mut self, entries: &[Entry], flat: bool) {
        let layout = if flat { Layout::Flat } else { Layout::Broken };
        self.sequence(
            layout,
            entries,
            |e| e.span.start as usize,
            Self::entry,
            true,
            false,
            "}",
        );
    }

    fn entry(&mut self, entry: &Entry) {
        if let Some(doc) = &entry.doc {
            self.doc(doc);
        }
        match &entry.kind {
            EntryKind::Field(f) => self.field(f),
            EntryKind::Spread(e) => {
                self.tok("...");
                self.expr(e);
            }
            EntryKind::Let(decl) => self.let_decl(decl),
            EntryKind::For {
                pattern,
                iter,
                filter,
                entries,
            } => {
                let (start, end) = (entry.span.start as usize, entry.span.end as usize);
                let flat = self.fits_flat(start, end, |p| p.entry(entry));
                self.with_flat(flat, |p| {
                    p.for_head(pattern, iter, filter.as_ref());
                    p.space();
                    p.tok("{");
                    p.entries(entries, flat);
                });
            }
            EntryKind::If { .. } => {
                let (start, end) = (entry.span.start as usize, entry.span.end as usize);
                let flat = self.fits_flat(start, end, |p| p.entry(entry));
                self.with_flat(flat, |p| p.if_entry(&entry.kind, flat));
            }
        }
        self.done(entry.span.end as usize);
    }

    fn if_entry(&mut self, first: &EntryKind, flat: bool) {
        let mut cur = first;
        loop {
            let EntryKind::If {
                cond,
                then,
                otherwise,
            } = cur
            else {
                return;
            };
            self.tok("if");
            self.space();
            self.expr(cond);
            self.space();
            self.tok("{");
            self.entries(then, flat);
            let Some(otherwise) = otherwise else {
                return;
            };
            self.space();
            self.tok("else");
            self.space();
            if let [
                Entry {
                    doc: None,
                    kind: next @ EntryKind::If { .. },
                    span,
                },
            ] = otherwise.as_slice()
                && !self.has_comment(self.last_end, span.start as usize)
            {
                cur = next;
                continue;
            }
            self.tok("{");
            self.entries(otherwise, flat);
            return;
        }
    }
}

/// The length of the number literal (a range bound) at the start of `s`.
fn bound_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let radix = s[i..].starts_with("0x") || s[i..].starts_with("0o") || s[i..].starts_with("0b");
    while let Some(&c) = b.get(i) {
        let exponent_sign =
            (c == b'+' || c == b'-') && !radix && i > 0 && matches!(b[i - 1], b'e' | b'E');
        let fraction = c == b'.' && !radix && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if c.is_ascii_alphanumeric() || c == b'_' || exponent_sign || fraction {
            i += 1;
        } else {
            break;
        }
    }
    i
}
