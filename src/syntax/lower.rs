//! Lowering: pest's parse tree to our AST.
//!
//! Besides the plain translation this is where literal text gets its meaning: escapes are
//! decoded (a bad one is a diagnostic with the exact span), integers are range-checked,
//! multi-line strings lose their indentation, and operator precedence is applied.
//!
//! Invariant: no expression tree is deeper than [`MAX_EXPR_DEPTH`], so every later stage may
//! recurse over expressions without exhausting the stack.

use std::sync::Arc;

use pest::iterators::Pair;

use super::ast::*;
use super::parse::Rule;
use crate::diagnostics::{Diagnostic, codes};
use crate::source::FileId;

/// The deepest expression tree lowering builds; operator chains and brackets both count.
pub const MAX_EXPR_DEPTH: usize = 1000;

pub(crate) struct Lowerer<'c> {
    file: FileId,
    /// Regular comments of the whole file (absolute spans), to keep them out of node spans.
    comments: &'c [Comment],
    /// Byte offset of the text pest saw within the file.
    offset: usize,
    /// An upper bound of the depth of the expression being built.
    depth: usize,
    too_deep_reported: bool,
    pub errors: Vec<Diagnostic>,
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_import
            | Rule::kw_as
            | Rule::kw_param
            | Rule::kw_let
            | Rule::kw_fn
            | Rule::kw_type
            | Rule::kw_schema
            | Rule::kw_extends
            | Rule::kw_check
            | Rule::kw_resource
            | Rule::kw_for
            | Rule::kw_in
            | Rule::kw_if
            | Rule::kw_else
    )
}

/// The children of a pair, without keyword tokens.
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

enum Tok<'i> {
    Prefix(UnaryOp, Span),
    Operand(Pair<'i, Rule>),
    Postfix(Pair<'i, Rule>),
    Infix(BinaryOp),
}

fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq | BinaryOp::Ne => 3,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
        BinaryOp::Coalesce => 5,
        BinaryOp::Add | BinaryOp::Sub => 6,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 7,
    }
}

impl<'c> Lowerer<'c> {
    pub fn new(file: FileId, offset: usize, comments: &'c [Comment]) -> Lowerer<'c> {
        Lowerer {
            file,
            comments,
            offset,
            depth: 0,
            too_deep_reported: false,
            errors: Vec::new(),
        }
    }

    /// The span of a pair without the white space and comments pest lets it end with.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let text = s.as_str();
        let start = self.offset + s.start();
        let mut end = start + text.trim_end().len();
        // A trailing comment: cut it and the white space before it, repeatedly.
        while let Ok(i) = self
            .comments
            .binary_search_by_key(&(end as u32), |c| c.span.end)
        {
            let c_start = self.comments[i].span.start as usize;
            if c_start < start {
                break;
            }
            end = start + text[..c_start - start].trim_end().len();
        }
        Span::new(start, end)
    }

    /// Counts one more level of nesting (`if`-elements, `else if` chains and the like nest
    /// without brackets); past the limit, reports once and returns false.
    fn enter(&mut self, span: Span) -> bool {
        if self.depth >= MAX_EXPR_DEPTH {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                self.error(
                    Diagnostic::error(codes::TOO_DEEP, "nested too deeply")
                        .at(self.file, span, "too deep")
                        .with_help(format!(
                            "constructs may nest at most {MAX_EXPR_DEPTH} deep; split them with `let` or functions"
                        )),
                );
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: Arc::from(pair.as_str()),
            span: self.span(&pair),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Items

    pub fn item(&mut self, pair: Pair<'_, Rule>) -> Item {
        let span = self.span(&pair);
        if !self.enter(span) {
            return Item {
                file: self.file,
                doc: None,
                kind: ItemKind::Error,
                span,
            };
        }
        let item = self.item_inner(pair, span);
        self.depth -= 1;
        item
    }

    fn item_inner(&mut self, pair: Pair<'_, Rule>, span: Span) -> Item {
        let mut docs = Vec::new();
        let mut kind_pair = None;
        for p in pair.into_inner() {
            if p.as_rule() == Rule::doc {
                docs.push(p);
            } else {
                kind_pair = Some(p);
            }
        }
        let doc = self.doc(docs);
        let kind = match kind_pair {
            Some(p) => self.item_kind(p),
            None => ItemKind::Error,
        };
        Item {
            file: self.file,
            doc,
            kind,
            span,
        }
    }

    /// An item inside a top-level `for` or `if` block, where declarations that name things for
    /// the whole file are not allowed.
    fn nested_item(&mut self, pair: Pair<'_, Rule>) -> Item {
        let mut item = self.item(pair);
        if let ItemKind::Fn(f) = &mut item.kind
            && let Some(def) = Arc::get_mut(f)
        {
            def.local = true;
        }
        let what = match &item.kind {
            ItemKind::Param(_) => Some("param"),
            ItemKind::Type(_) => Some("type"),
            ItemKind::Schema(_) => Some("schema"),
            ItemKind::Import(_) => Some("import"),
            _ => None,
        };
        if let Some(what) = what {
            self.error(
                Diagnostic::error(
                    codes::SYNTAX,
                    format!("`{what}` is only allowed at the top level"),
                )
                .at(self.file, item.span, "inside a `for` or `if` block")
                .with_help(format!(
                    "move the `{what}` out of the block; `let` and `fn` may stay inside"
                )),
            );
        }
        item
    }

    fn doc(&self, docs: Vec<Pair<'_, Rule>>) -> Option<Doc> {
        let first = docs.first()?;
        let mut span = self.span(first);
        let mut lines = Vec::new();
        for d in &docs {
            span = span.to(self.span(d));
            let text = d.as_str().strip_prefix("///").unwrap_or(d.as_str());
            let text = text.strip_prefix(' ').unwrap_or(text);
            lines.push(text.trim_end_matches('\r').to_string());
        }
        Some(Doc {
            text: lines.join("\n"),
            span,
        })
    }

    fn item_kind(&mut self, pair: Pair<'_, Rule>) -> ItemKind {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::field_item => ItemKind::Field(self.field(pair)),
            Rule::spread => match pair.into_inner().next() {
                Some(e) => ItemKind::Spread(self.expr(e)),
                None => ItemKind::Error,
            },
            Rule::import => {
                let mut target = None;
                let mut alias = None;
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::string => {
                            let s = self.span(&p);
                            let path = match self.string(p).kind {
                                ExprKind::Lit(Literal::Str(s)) => s.to_string(),
                                _ => {
                                    self.error(
                                        Diagnostic::error(
                                            codes::SYNTAX,
                                            "an import path cannot be interpolated",
                                        )
                                        .at(self.file, s, "interpolated path")
                                        .with_help("write the path as a plain string"),
                                    );
                                    String::new()
                                }
                            };
                            target = Some(ImportTarget::Path { path, span: s });
                        }
                        Rule::std_path => {
                            target = Some(ImportTarget::Std(
                                children(p).map(|i| self.ident(i)).collect(),
                            ))
                        }
                        Rule::ident => alias = Some(self.ident(p)),
                        _ => {}
                    }
                }
                match target {
                    Some(target) => ItemKind::Import(Import { target, alias }),
                    None => ItemKind::Error,
                }
            }
            Rule::param => {
                let mut name = None;
                let mut ty = None;
                let mut default = None;
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::type_expr => ty = Some(self.type_expr(p)),
                        Rule::expr => default = Some(self.expr(p)),
                        _ => {}
                    }
                }
                match name {
                    Some(name) => ItemKind::Param(Param { name, ty, default }),
                    None => ItemKind::Error,
                }
            }
            Rule::let_item => match self.let_decl(pair) {
                Some(d) => ItemKind::Let(d),
                None => ItemKind::Error,
            },
            Rule::fn_item => {
                let mut it = children(pair);
                let (Some(name), Some(sig), Some(body)) = (it.next(), it.next(), it.next()) else {
                    return ItemKind::Error;
                };
                let name = self.ident(name);
                let (params, ret) = self.fn_sig(sig);
                let body = self.expr(body);
                ItemKind::Fn(Arc::new(FnDef {
                    file: self.file,
                    local: false,
                    name: Some(name),
                    params,
                    ret,
                    body,
                    span,
                }))
            }
            Rule::type_item => {
                let mut it = children(pair);
                let (Some(name), Some(ty)) = (it.next(), it.next()) else {
                    return ItemKind::Error;
                };
                ItemKind::Type(TypeAlias {
                    name: self.ident(name),
                    ty: self.type_expr(ty),
                })
            }
            Rule::schema => {
                let mut name = None;
                let mut extends = Vec::new();
                let mut members = Vec::new();
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::type_path => extends.push(self.type_path(p)),
                        Rule::schema_member => members.extend(self.schema_member(p)),
                        _ => {}
                    }
                }
                match name {
                    Some(name) => ItemKind::Schema(Schema {
                        name,
                        extends,
                        members,
                    }),
                    None => ItemKind::Error,
                }
            }
            Rule::resource => {
                let mut name = None;
                let mut key = None;
                let mut ty = None;
                let mut body = None;
                let mut options = Vec::new();
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::resource_key => {
                            key = children(p).next().map(|e| self.expr(e));
                        }
                        Rule::type_path => ty = Some(self.type_path(p)),
                        Rule::resource_opts => {
                            for opt in children(p) {
                                let mut parts = children(opt);
                                if let (Some(n), Some(v)) = (parts.next(), parts.next()) {
                                    let n = self.ident(n);
                                    options.push((n, self.expr(v)));
                                }
                            }
                        }
                        Rule::object => body = Some(self.object(p)),
                        Rule::expr => body = Some(self.expr(p)),
                        _ => {}
                    }
                }
                match (name, ty, body) {
                    (Some(name), Some(ty), Some(body)) => ItemKind::Resource(Resource {
                        name,
                        key,
                        ty,
                        options,
                        body,
                    }),
                    _ => ItemKind::Error,
                }
            }
            Rule::for_item => {
                let mut pattern = None;
                let mut iter = None;
                let mut filter = None;
                let mut items = Vec::new();
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::for_pattern => pattern = Some(self.for_pattern(p)),
                        Rule::expr => iter = Some(self.expr(p)),
                        Rule::for_filter => filter = children(p).next().map(|e| self.expr(e)),
                        Rule::item => items.push(self.nested_item(p)),
                        _ => {}
                    }
                }
                match (pattern, iter) {
                    (Some(pattern), Some(iter)) => ItemKind::For(ForItems {
                        pattern,
                        iter,
                        filter,
                        items,
                    }),
                    _ => ItemKind::Error,
                }
            }
            Rule::if_item => self.if_item(pair),
            _ => ItemKind::Error,
        }
    }

    fn if_item(&mut self, pair: Pair<'_, Rule>) -> ItemKind {
        let mut cond = None;
        let mut then = Vec::new();
        let mut otherwise = None;
        for p in children(pair) {
            match p.as_rule() {
                Rule::expr => cond = Some(self.expr(p)),
                Rule::item => then.push(self.nested_item(p)),
                Rule::if_item => {
                    let span = self.span(&p);
                    let kind = self.if_item(p);
                    otherwise = Some(vec![Item {
                        file: self.file,
                        doc: None,
                        kind,
                        span,
                    }]);
                }
                Rule::else_items => {
                    otherwise = Some(children(p).map(|i| self.nested_item(i)).collect());
                }
                _ => {}
            }
        }
        match cond {
            Some(cond) => ItemKind::If(IfItems {
                cond,
                then,
                otherwise,
            }),
            None => ItemKind::Error,
        }
    }

    fn let_decl(&mut self, pair: Pair<'_, Rule>) -> Option<LetDecl> {
        let mut name = None;
        let mut ty = None;
        let mut value = None;
        for p in children(pair) {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::type_expr => ty = Some(self.type_expr(p)),
                Rule::expr => value = Some(self.expr(p)),
                _ => {}
            }
        }
        Some(LetDecl {
            name: name?,
            ty,
            value: value?,
        })
    }

    fn fn_sig(&mut self, pair: Pair<'_, Rule>) -> (Vec<FnParam>, Option<TypeExpr>) {
        let mut params = Vec::new();
        let mut ret = None;
        for p in children(pair) {
            match p.as_rule() {
                Rule::fn_param => {
                    let mut it = children(p);
                    if let Some(name) = it.next() {
                        let name = self.ident(name);
                        let ty = it.next().map(|t| self.type_expr(t));
                        params.push(FnParam { name, ty });
                    }
                }
                Rule::type_expr => ret = Some(self.type_expr(p)),
                _ => {}
            }
        }
        (params, ret)
    }

    fn schema_member(&mut self, pair: Pair<'_, Rule>) -> Option<SchemaMember> {
        let mut docs = Vec::new();
        let mut member = None;
        for p in pair.into_inner() {
            if p.as_rule() == Rule::doc {
                docs.push(p);
            } else {
                member = Some(p);
            }
        }
        let doc = self.doc(docs);
        let member = member?;
        let span = self.span(&member);
        match member.as_rule() {
            Rule::check => {
                let mut it = children(member);
                let cond = self.expr(it.next()?);
                let message = it.next().map(|m| self.string(m));
                Some(SchemaMember::Check(Check {
                    doc,
                    cond,
                    message,
                    span,
                }))
            }
            Rule::schema_field => {
                let mut name = None;
                let mut optional = false;
                let mut ty = None;
                let mut default = None;
                for p in children(member) {
                    match p.as_rule() {
                        Rule::key => name = Some(self.key(p)),
                        Rule::optional_mark => optional = true,
                        Rule::type_expr => ty = Some(self.type_expr(p)),
                        Rule::expr => default = Some(self.expr(p)),
                        _ => {}
                    }
                }
                Some(SchemaMember::Field(SchemaField {
                    doc,
                    name: name?,
                    optional,
                    ty: ty?,
                    default,
                    span,
                }))
            }
            _ => None,
        }
    }

    fn for_pattern(&self, pair: Pair<'_, Rule>) -> ForPattern {
        let mut it = children(pair);
        let first = it.next().map(|p| self.ident(p)).unwrap_or(Ident {
            name: Arc::from("_"),
            span: Span::default(),
        });
        let second = it.next().map(|p| self.ident(p));
        ForPattern { first, second }
    }

    fn field(&mut self, pair: Pair<'_, Rule>) -> Field {
        let mut path = Vec::new();
        let mut value = None;
        for p in children(pair) {
            match p.as_rule() {
                Rule::key_path => path = children(p).map(|k| self.key(k)).collect(),
                Rule::expr => value = Some(self.expr(p)),
                _ => {}
            }
        }
        Field {
            path,
            value: value.unwrap_or(Expr {
                kind: ExprKind::Lit(Literal::Null),
                span: Span::default(),
            }),
        }
    }

    fn key(&mut self, pair: Pair<'_, Rule>) -> Key {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return Key {
                kind: KeyKind::Static(Arc::from("")),
                span,
            };
        };
        match inner.as_rule() {
            Rule::string => {
                let e = self.string(inner);
                match e.kind {
                    ExprKind::Lit(Literal::Str(s)) => Key {
                        kind: KeyKind::Static(s),
                        span,
                    },
                    _ => Key {
                        kind: KeyKind::Computed(e),
                        span,
                    },
                }
            }
            _ => Key {
                kind: KeyKind::Static(Arc::from(inner.as_str())),
                span,
            },
        }
    }

    fn type_path(&self, pair: Pair<'_, Rule>) -> TypePath {
        let span = self.span(&pair);
        let segments: Vec<Ident> = children(pair).map(|p| self.ident(p)).collect();
        let text: Vec<&str> = segments.iter().map(|s| &*s.name).collect();
        TypePath {
            text: Arc::from(text.join(".")),
            segments,
            span,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Types

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut terms: Vec<TypeExpr> = children(pair).map(|p| self.type_term(p)).collect();
        if terms.len() == 1 {
            terms.pop().unwrap_or(TypeExpr {
                kind: TypeKind::Union(Vec::new()),
                span,
            })
        } else {
            TypeExpr {
                kind: TypeKind::Union(terms),
                span,
            }
        }
    }

    fn type_term(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let mut result: Option<TypeExpr> = None;
        for p in children(pair) {
            let span = self.span(&p);
            if p.as_rule() == Rule::optional_mark {
                if let Some(inner) = result.take() {
                    let span = inner.span.to(span);
                    result = Some(TypeExpr {
                        kind: TypeKind::Optional(Box::new(inner)),
                        span,
                    });
                }
            } else {
                result = Some(self.type_primary(p));
            }
        }
        result.unwrap_or(TypeExpr {
            kind: TypeKind::Union(Vec::new()),
            span: Span::default(),
        })
    }

    fn type_primary(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::type_expr => return self.type_expr(pair),
            Rule::type_literal => {
                let Some(inner) = pair.into_inner().next() else {
                    return TypeExpr {
                        kind: TypeKind::Literal(Literal::Null),
                        span,
                    };
                };
                let lit = match inner.as_rule() {
                    Rule::string => match self.string(inner).kind {
                        ExprKind::Lit(l) => l,
                        _ => {
                            self.error(
                                Diagnostic::error(
                                    codes::SYNTAX,
                                    "a literal type cannot be interpolated",
                                )
                                .at(
                                    self.file,
                                    span,
                                    "interpolated string",
                                ),
                            );
                            Literal::Null
                        }
                    },
                    Rule::neg_number | Rule::int_lit | Rule::float_lit => {
                        self.number_literal(inner.as_str(), span)
                    }
                    Rule::true_lit => Literal::Bool(true),
                    Rule::false_lit => Literal::Bool(false),
                    _ => Literal::Null,
                };
                TypeKind::Literal(lit)
            }
            Rule::list_type => {
                let mut elem = None;
                let mut args = Vec::new();
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::type_expr => elem = Some(self.type_expr(p)),
                        Rule::type_args => args = children(p).map(|a| self.type_arg(a)).collect(),
                        _ => {}
                    }
                }
                match elem {
                    Some(t) => TypeKind::List(Box::new(t), args),
                    None => TypeKind::Union(Vec::new()),
                }
            }
            Rule::map_type => {
                let mut it = children(pair);
                match (it.next(), it.next()) {
                    (Some(k), Some(v)) => {
                        TypeKind::Map(Box::new(self.type_expr(k)), Box::new(self.type_expr(v)))
                    }
                    _ => TypeKind::Union(Vec::new()),
                }
            }
            Rule::fn_type => {
                let mut types: Vec<TypeExpr> = children(pair).map(|t| self.type_expr(t)).collect();
                let ret = types.pop();
                match ret {
                    Some(ret) => TypeKind::Fn(types, Box::new(ret)),
                    None => TypeKind::Union(Vec::new()),
                }
            }
            Rule::named_type => {
                let mut path = None;
                let mut args = Vec::new();
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::type_path => path = Some(self.type_path(p)),
                        Rule::type_args => {
                            for a in children(p) {
                                args.push(self.type_arg(a));
                            }
                        }
                        _ => {}
                    }
                }
                match path {
                    Some(path) => TypeKind::Named { path, args },
                    None => TypeKind::Union(Vec::new()),
                }
            }
            _ => TypeKind::Union(Vec::new()),
        };
        TypeExpr { kind, span }
    }

    fn type_arg(&mut self, pair: Pair<'_, Rule>) -> TypeArg {
        let span = self.span(&pair);
        let mut name = None;
        let mut value = TypeArgValue::Range {
            lo: None,
            hi: None,
            inclusive: false,
        };
        for p in children(pair) {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::range => {
                    let mut lo = None;
                    let mut hi = None;
                    let mut inclusive = false;
                    let mut seen_op = false;
                    for r in children(p) {
                        let rspan = self.span(&r);
                        match r.as_rule() {
                            Rule::range_op => {
                                inclusive = r.as_str() == "..=";
                                seen_op = true;
                            }
                            Rule::range_bound => {
                                let lit = self.number_literal(r.as_str(), rspan);
                                if seen_op {
                                    hi = Some(lit);
                                } else {
                                    lo = Some(lit);
                                }
                            }
                            _ => {}
                        }
                    }
                    value = TypeArgValue::Range { lo, hi, inclusive };
                }
                Rule::expr => value = TypeArgValue::Expr(self.expr(p)),
                _ => {}
            }
        }
        TypeArg { name, value, span }
    }

    fn number_literal(&mut self, text: &str, span: Span) -> Literal {
        let clean: String = text.chars().filter(|c| *c != '_').collect();
        let is_float = !clean.starts_with("0x")
            && !clean.starts_with("-0x")
            && (clean.contains('.') || clean.contains('e') || clean.contains('E'));
        if is_float {
            return Literal::Float(clean.parse().unwrap_or(0.0));
        }
        match parse_int(&clean) {
            Some(i) => Literal::Int(i),
            None => {
                self.int_too_large(span);
                Literal::Int(0)
            }
        }
    }

    fn int_too_large(&mut self, span: Span) {
        self.error(
            Diagnostic::error(codes::INT_TOO_LARGE, "integer literal out of range")
                .at(self.file, span, "does not fit in 64 bits")
                .with_help("integers range from -9223372036854775808 to 9223372036854775807; use a float or a string for larger numbers"),
        );
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    pub fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let toks: Vec<Tok<'_>> = pair
            .into_inner()
            .map(|p| match p.as_rule() {
                Rule::op_not => Tok::Prefix(UnaryOp::Not, self.span(&p)),
                Rule::op_neg => Tok::Prefix(UnaryOp::Neg, self.span(&p)),
                Rule::field | Rule::opt_field | Rule::index | Rule::call => Tok::Postfix(p),
                Rule::op_coalesce => Tok::Infix(BinaryOp::Coalesce),
                Rule::op_or => Tok::Infix(BinaryOp::Or),
                Rule::op_and => Tok::Infix(BinaryOp::And),
                Rule::op_eq => Tok::Infix(BinaryOp::Eq),
                Rule::op_ne => Tok::Infix(BinaryOp::Ne),
                Rule::op_lt => Tok::Infix(BinaryOp::Lt),
                Rule::op_le => Tok::Infix(BinaryOp::Le),
                Rule::op_gt => Tok::Infix(BinaryOp::Gt),
                Rule::op_ge => Tok::Infix(BinaryOp::Ge),
                Rule::op_add => Tok::Infix(BinaryOp::Add),
                Rule::op_sub => Tok::Infix(BinaryOp::Sub),
                Rule::op_mul => Tok::Infix(BinaryOp::Mul),
                Rule::op_div => Tok::Infix(BinaryOp::Div),
                Rule::op_rem => Tok::Infix(BinaryOp::Rem),
                _ => Tok::Operand(p),
            })
            .collect();
        let cost = toks.len().saturating_sub(1) / 2 + 1;
        self.depth += cost;
        if self.depth > MAX_EXPR_DEPTH {
            self.depth -= cost;
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                self.error(
                    Diagnostic::error(codes::TOO_DEEP, "expression is nested too deeply")
                        .at(self.file, span, "too deep")
                        .with_help(format!(
                            "an expression may nest at most {MAX_EXPR_DEPTH} operators and brackets deep; split it with `let`"
                        )),
                );
            }
            return Expr {
                kind: ExprKind::Lit(Literal::Null),
                span,
            };
        }
        let mut toks = toks.into_iter().peekable();
        let e = self.binary(&mut toks, 0);
        self.depth -= cost;
        e
    }

    fn binary<'i>(
        &mut self,
        toks: &mut std::iter::Peekable<std::vec::IntoIter<Tok<'i>>>,
        min_prec: u8,
    ) -> Expr {
        let mut lhs = self.unary(toks);
        loop {
            let op = match toks.peek() {
                Some(Tok::Infix(op)) if precedence(*op) >= min_prec => *op,
                _ => break,
            };
            toks.next();
            let rhs = self.binary(toks, precedence(op) + 1);
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        lhs
    }

    fn unary<'i>(&mut self, toks: &mut std::iter::Peekable<std::vec::IntoIter<Tok<'i>>>) -> Expr {
        let mut prefixes = Vec::new();
        while let Some(Tok::Prefix(op, span)) = toks.peek() {
            prefixes.push((*op, *span));
            toks.next();
        }
        let Some(Tok::Operand(p)) = toks.next() else {
            return Expr {
                kind: ExprKind::Lit(Literal::Null),
                span: Span::default(),
            };
        };
        let has_postfix = matches!(toks.peek(), Some(Tok::Postfix(_)));
        // `-9223372036854775808` is in range although its magnitude alone is not.
        let mut e = if p.as_rule() == Rule::int_lit
            && !has_postfix
            && prefixes.last().is_some_and(|(op, _)| *op == UnaryOp::Neg)
        {
            let (_, neg_span) = prefixes.pop().unwrap_or((UnaryOp::Neg, Span::default()));
            let span = neg_span.to(self.span(&p));
            let text = format!("-{}", p.as_str());
            let lit = self.number_literal(&text, span);
            Expr {
                kind: ExprKind::Lit(lit),
                span,
            }
        } else {
            self.primary(p)
        };
        while let Some(Tok::Postfix(_)) = toks.peek() {
            let Some(Tok::Postfix(p)) = toks.next() else {
                break;
            };
            e = self.postfix(e, p);
        }
        for (op, span) in prefixes.into_iter().rev() {
            let span = span.to(e.span);
            e = Expr {
                kind: ExprKind::Unary {
                    op,
                    operand: Box::new(e),
                },
                span,
            };
        }
        e
    }

    fn postfix(&mut self, target: Expr, pair: Pair<'_, Rule>) -> Expr {
        let span = target.span.to(self.span(&pair));
        let kind = match pair.as_rule() {
            Rule::field | Rule::opt_field => {
                let optional = pair.as_rule() == Rule::opt_field;
                let Some(name) = pair.into_inner().next() else {
                    return target;
                };
                ExprKind::Field {
                    target: Box::new(target),
                    name: self.ident(name),
                    optional,
                }
            }
            Rule::index => {
                let Some(index) = pair.into_inner().next() else {
                    return target;
                };
                ExprKind::Index {
                    target: Box::new(target),
                    index: Box::new(self.expr(index)),
                }
            }
            Rule::call => ExprKind::Call {
                callee: Box::new(target),
                args: pair.into_inner().map(|a| self.expr(a)).collect(),
            },
            _ => return target,
        };
        Expr { kind, span }
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        if !self.enter(span) {
            return null(span);
        }
        let e = self.primary_inner(pair, span);
        self.depth -= 1;
        e
    }

    fn primary_inner(&mut self, pair: Pair<'_, Rule>, span: Span) -> Expr {
        let kind = match pair.as_rule() {
            Rule::null_lit => ExprKind::Lit(Literal::Null),
            Rule::true_lit => ExprKind::Lit(Literal::Bool(true)),
            Rule::false_lit => ExprKind::Lit(Literal::Bool(false)),
            Rule::int_lit | Rule::float_lit => {
                ExprKind::Lit(self.number_literal(pair.as_str(), span))
            }
            Rule::string => return self.string(pair),
            Rule::ml_string => return self.ml_string(pair),
            Rule::ident => ExprKind::Var(Arc::from(pair.as_str())),
            Rule::paren => match pair.into_inner().next() {
                Some(e) => ExprKind::Paren(Box::new(self.expr(e))),
                None => ExprKind::Lit(Literal::Null),
            },
            Rule::list => ExprKind::List(pair.into_inner().map(|e| self.element(e)).collect()),
            Rule::object => return self.object(pair),
            Rule::if_expr => {
                let mut parts = children(pair);
                let (Some(c), Some(t), Some(o)) = (parts.next(), parts.next(), parts.next()) else {
                    return Expr {
                        kind: ExprKind::Lit(Literal::Null),
                        span,
                    };
                };
                let cond = self.expr(c);
                let then = self.expr(t);
                let otherwise = match o.as_rule() {
                    Rule::block => match o.into_inner().next() {
                        Some(e) => self.expr(e),
                        None => Expr {
                            kind: ExprKind::Lit(Literal::Null),
                            span,
                        },
                    },
                    _ => self.primary(o),
                };
                ExprKind::If {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                }
            }
            Rule::let_expr => {
                let mut name = None;
                let mut ty = None;
                let mut exprs = Vec::new();
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::type_expr => ty = Some(self.type_expr(p)),
                        Rule::expr => exprs.push(self.expr(p)),
                        _ => {}
                    }
                }
                let body = exprs.pop();
                let value = exprs.pop();
                match (name, value, body) {
                    (Some(name), Some(value), Some(body)) => ExprKind::Let {
                        decl: Box::new(LetDecl { name, ty, value }),
                        body: Box::new(body),
                    },
                    _ => ExprKind::Lit(Literal::Null),
                }
            }
            Rule::lambda => {
                let mut it = children(pair);
                let (Some(sig), Some(body)) = (it.next(), it.next()) else {
                    return Expr {
                        kind: ExprKind::Lit(Literal::Null),
                        span,
                    };
                };
                let (params, ret) = self.fn_sig(sig);
                let body = self.expr(body);
                ExprKind::Lambda(Arc::new(FnDef {
                    file: self.file,
                    local: false,
                    name: None,
                    params,
                    ret,
                    body,
                    span,
                }))
            }
            Rule::expr => return self.expr(pair),
            _ => ExprKind::Lit(Literal::Null),
        };
        Expr { kind, span }
    }

    fn element(&mut self, pair: Pair<'_, Rule>) -> Element {
        let span = self.span(&pair);
        if !self.enter(span) {
            return Element {
                kind: ElementKind::Expr(null(span)),
                span,
            };
        }
        let e = self.element_inner(pair, span);
        self.depth -= 1;
        e
    }

    fn element_inner(&mut self, pair: Pair<'_, Rule>, span: Span) -> Element {
        let kind = match pair.as_rule() {
            Rule::spread => match pair.into_inner().next() {
                Some(e) => ElementKind::Spread(self.expr(e)),
                None => ElementKind::Expr(null(span)),
            },
            Rule::for_elem => {
                let mut pattern = None;
                let mut iter = None;
                let mut filter = None;
                let mut body = None;
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::for_pattern => pattern = Some(self.for_pattern(p)),
                        Rule::expr if iter.is_none() => iter = Some(self.expr(p)),
                        Rule::for_filter => filter = children(p).next().map(|e| self.expr(e)),
                        _ => body = Some(self.element(p)),
                    }
                }
                match (pattern, iter, body) {
                    (Some(pattern), Some(iter), Some(body)) => ElementKind::For {
                        pattern,
                        iter,
                        filter,
                        body: Box::new(body),
                    },
                    _ => ElementKind::Expr(null(span)),
                }
            }
            Rule::if_elem => {
                let mut it = children(pair);
                match (it.next(), it.next()) {
                    (Some(c), Some(b)) => ElementKind::If {
                        cond: self.expr(c),
                        body: Box::new(self.element(b)),
                    },
                    _ => ElementKind::Expr(null(span)),
                }
            }
            _ => ElementKind::Expr(self.expr(pair)),
        };
        Element { kind, span }
    }

    pub(crate) fn object(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let entries: Vec<Entry> = pair.into_inner().map(|e| self.entry(e)).collect();
        let mut keys: Vec<&str> = Vec::with_capacity(entries.len());
        let plain = entries.iter().all(|e| match &e.kind {
            EntryKind::Field(Field { path, .. }) => match path.as_slice() {
                [
                    Key {
                        kind: KeyKind::Static(k),
                        ..
                    },
                ] if !keys.contains(&&**k) => {
                    keys.push(k);
                    true
                }
                _ => false,
            },
            _ => false,
        });
        Expr {
            kind: ExprKind::Object { entries, plain },
            span,
        }
    }

    fn entry(&mut self, pair: Pair<'_, Rule>) -> Entry {
        let span = self.span(&pair);
        if !self.enter(span) {
            return Entry {
                doc: None,
                kind: EntryKind::Spread(null(span)),
                span,
            };
        }
        let e = self.entry_inner(pair, span);
        self.depth -= 1;
        e
    }

    fn entry_inner(&mut self, pair: Pair<'_, Rule>, span: Span) -> Entry {
        let mut docs = Vec::new();
        let mut inner = None;
        for p in pair.into_inner() {
            if p.as_rule() == Rule::doc {
                docs.push(p);
            } else {
                inner = Some(p);
            }
        }
        let doc = self.doc(docs);
        let kind = match inner {
            Some(p) => self.entry_kind(p),
            None => EntryKind::Spread(null(span)),
        };
        Entry { doc, kind, span }
    }

    fn entry_kind(&mut self, pair: Pair<'_, Rule>) -> EntryKind {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::field_entry => EntryKind::Field(self.field(pair)),
            Rule::spread => EntryKind::Spread(match pair.into_inner().next() {
                Some(e) => self.expr(e),
                None => null(span),
            }),
            Rule::let_entry => match self.let_decl(pair) {
                Some(d) => EntryKind::Let(d),
                None => EntryKind::Spread(null(span)),
            },
            Rule::for_entry => {
                let mut pattern = None;
                let mut iter = None;
                let mut filter = None;
                let mut entries = Vec::new();
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::for_pattern => pattern = Some(self.for_pattern(p)),
                        Rule::expr => iter = Some(self.expr(p)),
                        Rule::for_filter => filter = children(p).next().map(|e| self.expr(e)),
                        Rule::entry => entries.push(self.entry(p)),
                        _ => {}
                    }
                }
                match (pattern, iter) {
                    (Some(pattern), Some(iter)) => EntryKind::For {
                        pattern,
                        iter,
                        filter,
                        entries,
                    },
                    _ => EntryKind::Spread(null(span)),
                }
            }
            Rule::if_entry => self.if_entry(pair),
            _ => EntryKind::Spread(null(span)),
        }
    }

    fn if_entry(&mut self, pair: Pair<'_, Rule>) -> EntryKind {
        let span = self.span(&pair);
        let mut cond = None;
        let mut then = Vec::new();
        let mut otherwise = None;
        for p in children(pair) {
            match p.as_rule() {
                Rule::expr => cond = Some(self.expr(p)),
                Rule::entry => then.push(self.entry(p)),
                Rule::if_entry => {
                    let espan = self.span(&p);
                    let kind = self.if_entry(p);
                    otherwise = Some(vec![Entry {
                        doc: None,
                        kind,
                        span: espan,
                    }]);
                }
                Rule::else_entries => {
                    otherwise = Some(children(p).map(|e| self.entry(e)).collect());
                }
                _ => {}
            }
        }
        match cond {
            Some(cond) => EntryKind::If {
                cond,
                then,
                otherwise,
            },
            None => EntryKind::Spread(null(span)),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Strings

    /// A `"..."` string: a literal when it has no interpolation.
    fn string(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let mut parts: Vec<StrPart> = Vec::new();
        let mut text = String::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::str_text => text.push_str(p.as_str()),
                Rule::escape => {
                    let espan = self.span(&p);
                    self.unescape_into(p.as_str(), espan, &mut text);
                }
                Rule::interp => {
                    if !text.is_empty() {
                        parts.push(StrPart::Lit(Arc::from(std::mem::take(&mut text))));
                    }
                    if let Some(e) = p.into_inner().next() {
                        parts.push(StrPart::Expr(self.expr(e)));
                    }
                }
                _ => {}
            }
        }
        finish_string(parts, text, span)
    }

    fn unescape_into(&mut self, esc: &str, span: Span, out: &mut String) {
        let c = match esc {
            "\\n" => '\n',
            "\\t" => '\t',
            "\\r" => '\r',
            "\\0" => '\0',
            "\\\\" => '\\',
            "\\\"" => '"',
            "\\$" => '$',
            _ => {
                if let Some(hex) = esc.strip_prefix("\\u{").and_then(|h| h.strip_suffix('}')) {
                    let valid_digits = !hex.is_empty()
                        && hex.len() <= 6
                        && hex.chars().all(|c| c.is_ascii_hexdigit());
                    let (message, help) = if !valid_digits {
                        (
                            format!("invalid escape `{esc}`"),
                            "`\\u{...}` takes 1 to 6 hexadecimal digits, like `\\u{e9}` or `\\u{1F600}`",
                        )
                    } else if let Some(c) =
                        u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                    {
                        out.push(c);
                        return;
                    } else {
                        (
                            format!("`{esc}` is not a Unicode scalar value"),
                            "code points go up to 10FFFF, without the surrogates D800 to DFFF",
                        )
                    };
                    self.error(
                        Diagnostic::error(codes::INVALID_ESCAPE, message)
                            .at(self.file, span, "here")
                            .with_help(help),
                    );
                    return;
                }
                let shown = if esc == "\\\n" {
                    "\\ at the end of a line"
                } else {
                    esc
                };
                self.error(
                    Diagnostic::error(codes::INVALID_ESCAPE, format!("invalid escape `{shown}`"))
                        .at(self.file, span, "unknown escape")
                        .with_help("valid escapes are \\n \\t \\r \\0 \\\\ \\\" \\$ and \\u{1F600}; write \\\\ for a backslash"),
                );
                return;
            }
        };
        out.push(c);
    }

    /// A `"""` string. The opening line must be empty; the indentation common to the content
    /// lines and the closing `"""` line is removed; a closing `"""` on its own line leaves the
    /// string ending in a line break.
    fn ml_string(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        // Segments of raw (still escaped) text and interpolations, split into lines.
        enum Seg<'i> {
            Raw(&'i str, usize),
            Interp(Pair<'i, Rule>),
        }
        let mut lines: Vec<Vec<Seg<'_>>> = vec![Vec::new()];
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ml_text | Rule::escape => {
                    let base = self.offset + p.as_span().start();
                    let s = p.as_span().as_str();
                    let mut start = 0;
                    if p.as_rule() == Rule::escape {
                        if let Some(l) = lines.last_mut() {
                            l.push(Seg::Raw(s, base));
                        }
                        continue;
                    }
                    for (i, _) in s.match_indices('\n') {
                        // A CRLF file gives the same string as an LF file.
                        let line = s[start..i].strip_suffix('\r').unwrap_or(&s[start..i]);
                        if let Some(l) = lines.last_mut() {
                            l.push(Seg::Raw(line, base + start));
                        }
                        lines.push(Vec::new());
                        start = i + 1;
                    }
                    if start < s.len()
                        && let Some(l) = lines.last_mut()
                    {
                        l.push(Seg::Raw(&s[start..], base + start));
                    }
                }
                Rule::interp => {
                    if let Some(l) = lines.last_mut() {
                        l.push(Seg::Interp(p));
                    }
                }
                _ => {}
            }
        }
        let is_blank = |line: &Vec<Seg<'_>>| {
            line.iter().all(|s| match s {
                Seg::Raw(t, _) => t.trim_matches([' ', '\t', '\r']).is_empty(),
                Seg::Interp(_) => false,
            })
        };
        let indent_of = |line: &Vec<Seg<'_>>| match line.first() {
            Some(Seg::Raw(t, _)) => t.len() - t.trim_start_matches([' ', '\t']).len(),
            _ => 0,
        };
        if lines.len() < 2 || !is_blank(&lines[0]) {
            let message = if lines.len() < 2 {
                "a multi-line string must start a new line after its opening `\"\"\"`"
            } else {
                "text after an opening `\"\"\"`"
            };
            self.error(
                Diagnostic::error(codes::MULTILINE_STRING, message)
                    .at(
                        self.file,
                        Span::new(span.start as usize, span.start as usize + 3),
                        "the opening `\"\"\"` must end its line",
                    )
                    .with_help(
                        "start the text on the next line, or use a `\"...\"` string for one line",
                    ),
            );
            return null(span);
        }
        lines.remove(0);
        let closing_blank = lines.last().is_some_and(is_blank);
        let mut indent = usize::MAX;
        for (i, line) in lines.iter().enumerate() {
            let last = i + 1 == lines.len();
            if !is_blank(line) || (last && closing_blank) {
                let n = if is_blank(line) {
                    match line.first() {
                        Some(Seg::Raw(t, _)) => t.len(),
                        _ => 0,
                    }
                } else {
                    indent_of(line)
                };
                indent = indent.min(n);
            }
        }
        if indent == usize::MAX {
            indent = 0;
        }
        if closing_blank {
            // The closing line: its indentation is not content, but the break before it is.
            if let Some(last) = lines.last_mut() {
                last.clear();
            }
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let count = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            let blank = is_blank(&line);
            let mut skip = indent;
            for seg in line {
                match seg {
                    Seg::Raw(t, base) => {
                        let t = if blank {
                            ""
                        } else {
                            let ws = t.len() - t.trim_start_matches([' ', '\t']).len();
                            let cut = skip.min(ws);
                            skip = 0;
                            &t[cut..]
                        };
                        if t.starts_with('\\') && t.len() > 1 {
                            self.unescape_into(t, Span::new(base, base + t.len()), &mut text);
                        } else {
                            text.push_str(t);
                        }
                    }
                    Seg::Interp(p) => {
                        skip = 0;
                        if !text.is_empty() {
                            parts.push(StrPart::Lit(Arc::from(std::mem::take(&mut text))));
                        }
                        if let Some(e) = p.into_inner().next() {
                            parts.push(StrPart::Expr(self.expr(e)));
                        }
                    }
                }
            }
            if i + 1 < count {
                text.push('\n');
            }
        }
        finish_string(parts, text, span)
    }
}

fn finish_string(mut parts: Vec<StrPart>, text: String, span: Span) -> Expr {
    if parts.is_empty() {
        return Expr {
            kind: ExprKind::Lit(Literal::Str(Arc::from(text))),
            span,
        };
    }
    if !text.is_empty() {
        parts.push(StrPart::Lit(Arc::from(text)));
    }
    Expr {
        kind: ExprKind::Interp(parts),
        span,
    }
}

fn null(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Lit(Literal::Null),
        span,
    }
}

/// Parses an integer literal (underscores removed; optional leading `-`; `0x`, `0o`, `0b`).
fn parse_int(text: &str) -> Option<i64> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b") {
        (2, d)
    } else {
        (10, body)
    };
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude == 1u64 << 63 {
            Some(i64::MIN)
        } else {
            i64::try_from(magnitude).ok().map(|m| -m)
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}
