//! The abstract syntax tree of a Cairn module.
//!
//! This is our own tree, not pest's: every node carries a byte [`Span`] into its file, names are
//! shared `Arc<str>`s so evaluation can reuse them without copying, and function bodies sit behind
//! `Arc` so closures can hold on to them. Doc comments are attached to the items, schema members
//! and object entries they document; every other comment is kept in [`Module::comments`] for the
//! formatter and the language server.

use std::sync::Arc;

use crate::source::FileId;

/// A shared, immutable name or string.
pub type Name = Arc<str>;

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: Name,
    pub span: Span,
}

/// A parsed file.
#[derive(Clone, Debug)]
pub struct Module {
    pub file: FileId,
    pub items: Vec<Item>,
    /// Regular (non-doc) comments in source order.
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub span: Span,
    pub block: bool,
    /// The text without the `//` or `/* */` markers.
    pub text: String,
}

/// The doc comment (`///` lines) in front of an item, schema member or entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// The lines with `///` and one following space removed, joined with `\n`.
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Item {
    /// The file the item is written in (a module can span the files of a package folder).
    pub file: FileId,
    pub doc: Option<Doc>,
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ItemKind {
    Import(Import),
    Param(Param),
    Let(LetDecl),
    Fn(Arc<FnDef>),
    Type(TypeAlias),
    Schema(Schema),
    Resource(Resource),
    For(ForItems),
    If(IfItems),
    /// A top-level field: part of the module document.
    Field(Field),
    /// `...expr` at the top level: the fields of an object added to the module document.
    Spread(Expr),
    /// An item that did not parse; its diagnostic is in the parse result.
    Error,
}

#[derive(Clone, Debug)]
pub struct Import {
    pub target: ImportTarget,
    pub alias: Option<Ident>,
}

#[derive(Clone, Debug)]
pub enum ImportTarget {
    /// `import "./lib/net.cairn"`
    Path { path: String, span: Span },
    /// `import std.k8s`
    Std(Vec<Ident>),
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug)]
pub struct LetDecl {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
}

/// A function: `fn name(a: T) -> R = body` as an item, or `fn(a) = body` as a lambda.
#[derive(Clone, Debug)]
pub struct FnDef {
    /// The file the function is written in (its spans point into it).
    pub file: FileId,
    /// A named `fn` inside a `for` or `if` block: it is not a global, so a call binds its own
    /// name to let it recurse.
    pub local: bool,
    pub name: Option<Ident>,
    pub params: Vec<FnParam>,
    pub ret: Option<TypeExpr>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FnParam {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
}

#[derive(Clone, Debug)]
pub struct TypeAlias {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug)]
pub struct Schema {
    pub name: Ident,
    pub extends: Vec<TypePath>,
    pub members: Vec<SchemaMember>,
}

#[derive(Clone, Debug)]
pub enum SchemaMember {
    Field(SchemaField),
    Check(Check),
}

#[derive(Clone, Debug)]
pub struct SchemaField {
    pub doc: Option<Doc>,
    pub name: Key,
    pub optional: bool,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Check {
    pub doc: Option<Doc>,
    pub cond: Expr,
    pub message: Option<Expr>,
    pub span: Span,
}

/// `resource id[key]: type.path { ... }`
#[derive(Clone, Debug)]
pub struct Resource {
    pub name: Ident,
    pub key: Option<Expr>,
    pub ty: TypePath,
    /// Options for the engine after the type: `exec.Command(protect: true, depends_on: [db])`.
    pub options: Vec<(Ident, Expr)>,
    pub body: Expr,
}

#[derive(Clone, Debug)]
pub struct ForItems {
    pub pattern: ForPattern,
    pub iter: Expr,
    pub filter: Option<Expr>,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub struct IfItems {
    pub cond: Expr,
    pub then: Vec<Item>,
    /// `else { ... }`; an `else if` is an else block holding one `If` item.
    pub otherwise: Option<Vec<Item>>,
}

/// `for x in xs` binds `x`; `for i, x in xs` binds the index (or key) and the value.
#[derive(Clone, Debug)]
pub struct ForPattern {
    pub first: Ident,
    pub second: Option<Ident>,
}

/// `a.b.c: value` in an object literal, a resource body or at the top level.
#[derive(Clone, Debug)]
pub struct Field {
    pub path: Vec<Key>,
    pub value: Expr,
}

/// A key: a bare name or a string, possibly interpolated (a computed key).
#[derive(Clone, Debug)]
pub struct Key {
    pub kind: KeyKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum KeyKind {
    Static(Name),
    Computed(Expr),
}

impl Key {
    /// The key's text when it is not computed.
    pub fn as_static(&self) -> Option<&Name> {
        match &self.kind {
            KeyKind::Static(n) => Some(n),
            KeyKind::Computed(_) => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct TypePath {
    pub segments: Vec<Ident>,
    /// The path as written, segments joined with `.` (`k8s.Deployment`).
    pub text: Name,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// Types

#[derive(Clone, Debug)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeKind {
    Named {
        path: TypePath,
        args: Vec<TypeArg>,
    },
    /// `[T]`, with refinement arguments: `[T](len: 1..)`.
    List(Box<TypeExpr>, Vec<TypeArg>),
    Map(Box<TypeExpr>, Box<TypeExpr>),
    Fn(Vec<TypeExpr>, Box<TypeExpr>),
    Literal(Literal),
    Optional(Box<TypeExpr>),
    Union(Vec<TypeExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Name),
}

#[derive(Clone, Debug)]
pub struct TypeArg {
    pub name: Option<Ident>,
    pub value: TypeArgValue,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeArgValue {
    Range {
        lo: Option<Literal>,
        hi: Option<Literal>,
        inclusive: bool,
    },
    Expr(Expr),
}

// ---------------------------------------------------------------------------------------------
// Expressions

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Coalesce,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Coalesce => "??",
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Lit(Literal),
    /// A string with `${...}` interpolation.
    Interp(Vec<StrPart>),
    List(Vec<Element>),
    /// An object literal. `plain` is set when every entry is `name: value` with a distinct,
    /// non-computed, undotted key: the evaluator then builds the object without merging.
    Object {
        entries: Vec<Entry>,
        plain: bool,
    },
    Var(Name),
    Field {
        target: Box<Expr>,
        name: Ident,
        optional: bool,
    },
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Let {
        decl: Box<LetDecl>,
        body: Box<Expr>,
    },
    Lambda(Arc<FnDef>),
    Paren(Box<Expr>),
}

#[derive(Clone, Debug)]
pub enum StrPart {
    Lit(Name),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub struct Element {
    pub kind: ElementKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ElementKind {
    Expr(Expr),
    Spread(Expr),
    For {
        pattern: ForPattern,
        iter: Expr,
        filter: Option<Expr>,
        body: Box<Element>,
    },
    If {
        cond: Expr,
        body: Box<Element>,
    },
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub doc: Option<Doc>,
    pub kind: EntryKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum EntryKind {
    Field(Field),
    Spread(Expr),
    For {
        pattern: ForPattern,
        iter: Expr,
        filter: Option<Expr>,
        entries: Vec<Entry>,
    },
    If {
        cond: Expr,
        then: Vec<Entry>,
        otherwise: Option<Vec<Entry>>,
    },
    Let(LetDecl),
}

/// The part of an item that names it, for labels: a field's key path, a resource's id and
/// type, a `let`'s name, a block's head.
pub fn item_head(item: &Item) -> Span {
    match &item.kind {
        ItemKind::Field(f) => match (f.path.first(), f.path.last()) {
            (Some(a), Some(b)) => a.span.to(b.span),
            _ => item.span,
        },
        ItemKind::Resource(r) => r.name.span.to(r.ty.span),
        ItemKind::For(f) => Span::new(item.span.start as usize, f.iter.span.end as usize),
        ItemKind::If(i) => Span::new(item.span.start as usize, i.cond.span.end as usize),
        ItemKind::Let(d) => d.name.span,
        ItemKind::Param(p) => p.name.span,
        _ => item.span,
    }
}

/// Calls `f` on each direct child expression of `e` (keys that are computed, elements, entries,
/// operands, bodies), in source order. For passes over the tree (lint rules).
pub fn for_each_child(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    fn keys(path: &[Key], f: &mut dyn FnMut(&Expr)) {
        for k in path {
            if let KeyKind::Computed(e) = &k.kind {
                f(e);
            }
        }
    }
    fn element(el: &Element, f: &mut dyn FnMut(&Expr)) {
        match &el.kind {
            ElementKind::Expr(e) | ElementKind::Spread(e) => f(e),
            ElementKind::For {
                iter, filter, body, ..
            } => {
                f(iter);
                if let Some(c) = filter {
                    f(c);
                }
                element(body, f);
            }
            ElementKind::If { cond, body } => {
                f(cond);
                element(body, f);
            }
        }
    }
    fn entries(list: &[Entry], f: &mut dyn FnMut(&Expr)) {
        for en in list {
            match &en.kind {
                EntryKind::Field(fl) => {
                    keys(&fl.path, f);
                    f(&fl.value);
                }
                EntryKind::Spread(e) => f(e),
                EntryKind::For {
                    iter,
                    filter,
                    entries: inner,
                    ..
                } => {
                    f(iter);
                    if let Some(c) = filter {
                        f(c);
                    }
                    entries(inner, f);
                }
                EntryKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    f(cond);
                    entries(then, f);
                    if let Some(o) = otherwise {
                        entries(o, f);
                    }
                }
                EntryKind::Let(d) => f(&d.value),
            }
        }
    }
    match &e.kind {
        ExprKind::Lit(_) | ExprKind::Var(_) => {}
        ExprKind::Interp(parts) => {
            for p in parts {
                if let StrPart::Expr(x) = p {
                    f(x);
                }
            }
        }
        ExprKind::List(els) => els.iter().for_each(|el| element(el, f)),
        ExprKind::Object { entries: list, .. } => entries(list, f),
        ExprKind::Field { target, .. } => f(target),
        ExprKind::Index { target, index } => {
            f(target);
            f(index);
        }
        ExprKind::Call { callee, args } => {
            f(callee);
            for a in args {
                f(a);
            }
        }
        ExprKind::Unary { operand, .. } => f(operand),
        ExprKind::Binary { lhs, rhs, .. } => {
            f(lhs);
            f(rhs);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            f(cond);
            f(then);
            f(otherwise);
        }
        ExprKind::Let { decl, body } => {
            f(&decl.value);
            f(body);
        }
        ExprKind::Lambda(def) => f(&def.body),
        ExprKind::Paren(x) => f(x),
    }
}
