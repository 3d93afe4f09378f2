//! Inference of expression types, and assignability between types.

use std::sync::Arc;

use super::{Checker, Fit, literal_value};
use crate::diagnostics::{Diagnostic, codes, did_you_mean};
use crate::syntax::ast::*;
use crate::types::{SchemaTy, Ty, check_refinement};
use crate::value::Value;

impl<'m> Checker<'m> {
    /// The type of an expression; reports the errors it can be sure of along the way.
    pub(crate) fn infer(&mut self, e: &Expr) -> Ty {
        let t = stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || self.infer_inner(e));
        self.observe(e, None, Some(&t));
        t
    }

    fn infer_inner(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Lit(Literal::Null) => Ty::Null,
            ExprKind::Lit(l) => Ty::Lit(literal_value(l)),
            ExprKind::Interp(parts) => {
                for p in parts {
                    if let StrPart::Expr(x) = p {
                        self.infer(x);
                    }
                }
                Ty::String
            }
            ExprKind::List(elements) => {
                let mut elem: Option<Ty> = None;
                for el in elements {
                    let t = self.element(el);
                    elem = Some(match elem {
                        None => t,
                        Some(prev) => Ty::join(prev, t),
                    });
                }
                Ty::List(Box::new(elem.map_or(Ty::Any, |t| t.widen_literals()))).bounded()
            }
            ExprKind::Object { entries, plain } => {
                let mut fields: Vec<(Name, Ty)> = Vec::new();
                let mut dynamic = !*plain;
                let mark = self.scope.len();
                for entry in entries {
                    match &entry.kind {
                        EntryKind::Field(f) => {
                            self.infer_keys(&f.path);
                            let t = self.infer(&f.value);
                            if let ([k], true) = (f.path.as_slice(), *plain)
                                && let Some(name) = k.as_static()
                            {
                                fields.push((name.clone(), t.widen_literals()));
                            }
                        }
                        EntryKind::Spread(x) => {
                            dynamic = true;
                            self.infer(x);
                        }
                        EntryKind::Let(d) => {
                            let t = self.let_decl(d);
                            self.scope.push((d.name.name.clone(), t));
                        }
                        EntryKind::For { .. } | EntryKind::If { .. } => {
                            dynamic = true;
                            self.object_entries(std::slice::from_ref(entry), &mut |c, v, _| {
                                c.infer(v);
                            });
                        }
                    }
                }
                self.scope.truncate(mark);
                if dynamic {
                    Ty::Map(Box::new(Ty::Any))
                } else {
                    Ty::Record(Arc::new(fields)).bounded()
                }
            }
            ExprKind::Var(name) => self.lookup(name, e.span),
            ExprKind::Field {
                target,
                name,
                optional,
            } => {
                if let Some(unit) = self.module_member(target) {
                    return self.member_type(unit, target, name);
                }
                let t = self.infer(target);
                self.field_type(&t, name, *optional, target.span)
            }
            ExprKind::Index { target, index } => {
                let t = self.infer(target);
                let i = self.infer(index);
                match (base(&t), &i) {
                    (Ty::List(elem), _) => (**elem).clone(),
                    (Ty::Map(elem), _) => (**elem).clone(),
                    (Ty::Record(fields), Ty::Lit(Value::Str(k))) => fields
                        .iter()
                        .find(|(n, _)| n == k)
                        .map_or(Ty::Any, |(_, t)| t.clone()),
                    _ => Ty::Any,
                }
            }
            ExprKind::Call { callee, args } => {
                let f = self.infer(callee);
                // The declaration of a called function, when it is known by name: its
                // parameters' names and type spans make the messages precise.
                let decl = match &callee.kind {
                    ExprKind::Var(name) => self.fn_decl(name),
                    ExprKind::Field { target, name, .. } => match self.module_member(target) {
                        Some(unit) => match self.globals.get(&(unit, name.name.clone())) {
                            Some((super::Global::Fn(f), _)) => Some((*f).clone()),
                            _ => None,
                        },
                        None => None,
                    },
                    _ => None,
                };
                let mark = self.diagnostics.len();
                let arg_types: Vec<Ty> = match &f {
                    Ty::Fn(params, _) if params.len() == args.len() => {
                        // Typed parameters check their arguments like declarations.
                        let params = params.clone();
                        args.iter()
                            .zip(params.iter())
                            .enumerate()
                            .map(|(i, (a, p))| {
                                if p.is_any() {
                                    self.infer(a)
                                } else {
                                    let (root, declared) = match decl
                                        .as_ref()
                                        .and_then(|d| Some((d.file, d.params.get(i)?)))
                                    {
                                        Some((file, fp)) => (
                                            fp.name.name.to_string(),
                                            fp.ty.as_ref().map_or((self.file, callee.span), |t| {
                                                (file, t.span)
                                            }),
                                        ),
                                        None => (String::new(), (self.file, callee.span)),
                                    };
                                    self.check_rooted(&root, a, p, declared);
                                    p.clone()
                                }
                            })
                            .collect()
                    }
                    _ => args.iter().map(|a| self.infer(a)).collect(),
                };
                // A wrong argument to a plugin function: the help shows the manifest's
                // signature (the label shows where it is declared).
                if let Some(d) = &decl
                    && let Some(p) = self.program.plugin_of(d.file)
                    && let Some(name) = &d.name
                    && let Some(sig) = p.manifest.functions.iter().find(|f| *f.name == *name.name)
                {
                    for diag in &mut self.diagnostics[mark..] {
                        if diag.labels.iter().any(|l| !l.primary && l.file == d.file) {
                            diag.help =
                                Some(format!("plugin {} declares `{}`", p.path, sig.signature));
                        }
                    }
                }
                match (&callee.kind, &f) {
                    (ExprKind::Var(name), _) if self.is_builtin(name) => {
                        builtin_result(name, &arg_types)
                    }
                    (_, Ty::Fn(_, ret)) => (**ret).clone(),
                    _ => Ty::Any,
                }
            }
            ExprKind::Unary { op, operand } => {
                let t = self.infer(operand);
                match op {
                    UnaryOp::Not => {
                        if self.fit(&t, &Ty::Bool) == Fit::No {
                            let found = t.widen();
                            self.operator_error(
                                operand.span,
                                format!("`!` needs a Bool, found {found}"),
                                format!("this is {}", super::article(&found.to_string())),
                                "compare explicitly, for example `x == null` or `len(xs) == 0`",
                            );
                        }
                        Ty::Bool
                    }
                    UnaryOp::Neg => match t.widen() {
                        Ty::Int => Ty::Int,
                        Ty::Float => Ty::Float,
                        Ty::Any => Ty::Any,
                        other if !matches!(other, Ty::Union(_)) => {
                            self.operator_error(
                                operand.span,
                                format!("`-` needs a number, found {other}"),
                                format!("this is {}", super::article(&other.to_string())),
                                "negate an Int or a Float; convert text with to_int(...) or to_float(...)",
                            );
                            Ty::Any
                        }
                        _ => Ty::Any,
                    },
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.span),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.condition(cond);
                let a = self.infer(then);
                let b = self.infer(otherwise);
                Ty::join(a, b)
            }
            ExprKind::Let { decl, body } => {
                let t = self.let_decl(decl);
                self.scope.push((decl.name.name.clone(), t));
                let r = self.infer(body);
                self.scope.pop();
                r
            }
            ExprKind::Lambda(def) => self.fn_def(def, true),
            ExprKind::Paren(inner) => self.infer(inner),
        }
    }

    /// The definition of the function a name refers to, if it is a top-level or local `fn`.
    fn fn_decl(&self, name: &Name) -> Option<std::sync::Arc<FnDef>> {
        if self.scope.contains(name) {
            return self
                .local_fns
                .iter()
                .rev()
                .find(|f| f.name.as_ref().is_some_and(|n| n.name == *name))
                .cloned();
        }
        match self.global(name) {
            Some(super::Global::Fn(f)) => Some((*f).clone()),
            _ => None,
        }
    }

    /// The module `target` names, when it is an import alias not hidden by a local name.
    pub(crate) fn module_member(&self, target: &Expr) -> Option<crate::modules::UnitId> {
        let ExprKind::Var(alias) = &target.kind else {
            return None;
        };
        if self.scope.contains(alias) || self.global(alias).is_some() {
            return None;
        }
        self.program.import(self.unit(), alias)
    }

    /// The type of `alias.name`: a `let`, `param` or `fn` of an imported module. Private and
    /// unknown names are reported.
    fn member_type(&mut self, unit: crate::modules::UnitId, target: &Expr, name: &Ident) -> Ty {
        let module = self.program.units[unit].name.clone();
        if crate::modules::is_private(&name.name) {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::PRIVATE_NAME,
                    format!("`{}` is private to module `{module}`", name.name),
                )
                .at(self.file, name.span, "private")
                .with_help("names starting with `_` are private to their module; use what the module exports"),
            );
            return Ty::Any;
        }
        if self.globals.contains_key(&(unit, name.name.clone())) {
            return self.global_type(unit, &name.name);
        }
        if self.others.contains(&(unit, name.name.clone())) {
            // A type or schema used as a value: the evaluator says so.
            return Ty::Any;
        }
        let exported: Vec<&str> = self
            .globals
            .keys()
            .filter(|(u, n)| *u == unit && !crate::modules::is_private(n))
            .map(|(_, n)| &**n)
            .collect();
        let alias = match &target.kind {
            ExprKind::Var(a) => a.to_string(),
            _ => String::new(),
        };
        let mut d = Diagnostic::error(
            codes::UNKNOWN_MEMBER,
            format!("module `{module}` has no `{}`", name.name),
        )
        .at(self.file, name.span, format!("not declared by `{alias}`"));
        d = match did_you_mean(&name.name, exported.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{alias}.{s}`?")),
            None => {
                let mut names = exported.clone();
                names.sort_unstable();
                d.with_help(if names.is_empty() {
                    "it exports no values".to_string()
                } else {
                    format!("it exports {}", names.join(", "))
                })
            }
        };
        self.diagnostics.push(d);
        Ty::Any
    }

    fn is_builtin(&self, name: &Name) -> bool {
        !self.scope.contains(name)
            && self.global(name).is_none()
            && crate::eval::BUILTINS.iter().any(|b| b.name == &**name)
    }

    fn element(&mut self, el: &Element) -> Ty {
        match &el.kind {
            ElementKind::Expr(x) => self.infer(x),
            ElementKind::Spread(x) => match base(&self.infer(x)) {
                Ty::List(t) => (**t).clone(),
                _ => Ty::Any,
            },
            ElementKind::For {
                pattern,
                iter,
                filter,
                body,
            } => {
                let mark = self.enter_for(pattern, iter, filter.as_ref());
                let t = self.element(body);
                self.scope.truncate(mark);
                t
            }
            ElementKind::If { cond, body } => {
                self.condition(cond);
                self.element(body)
            }
        }
    }

    /// The type of `t.name`, reporting a field that certainly does not exist.
    fn field_type(&mut self, t: &Ty, name: &Ident, optional: bool, target: Span) -> Ty {
        match base(t) {
            Ty::Record(fields) => match fields.iter().find(|(n, _)| *n == name.name) {
                Some((_, t)) => t.clone(),
                None if optional || self.lenient => Ty::Null,
                None => {
                    let keys: Vec<&str> = fields.iter().map(|(n, _)| &**n).collect();
                    self.unknown_field(name, &keys, None);
                    Ty::Any
                }
            },
            Ty::Schema(s) => {
                let Some(schema) = self.types.table().schema(s).cloned() else {
                    return Ty::Any;
                };
                match schema.field(&name.name) {
                    Some(f) => {
                        self.observe_field(name.span, &schema, f);
                        f.ty.clone()
                    }
                    None if optional => Ty::Null,
                    None => {
                        let keys: Vec<&str> = schema.fields.iter().map(|f| &*f.name).collect();
                        self.unknown_field(name, &keys, Some(&schema));
                        Ty::Any
                    }
                }
            }
            Ty::Map(elem) => {
                if optional {
                    Ty::optional((**elem).clone())
                } else {
                    (**elem).clone()
                }
            }
            Ty::Union(members) => {
                // A field of `T?`: the field of T (or null, with `?.`). Without `?.`, a null
                // is an error the evaluator reports; a field T does not have is one now.
                let non_null: Vec<Ty> = members
                    .iter()
                    .filter(|m| !matches!(m, Ty::Null))
                    .cloned()
                    .collect();
                match non_null.as_slice() {
                    [one] => {
                        let f = self.field_type(one, name, optional, target);
                        if optional { Ty::optional(f) } else { f }
                    }
                    _ => Ty::Any,
                }
            }
            Ty::Null if optional => Ty::Null,
            Ty::Lit(_) | Ty::Int | Ty::Float | Ty::Bool | Ty::String | Ty::List(_) => {
                let found = t.widen();
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!(
                            "cannot read field `{}` of {}",
                            name.name,
                            super::article(&found.to_string())
                        ),
                    )
                    .at(
                        self.file,
                        target,
                        format!("this is {}", super::article(&found.to_string())),
                    )
                    .with_help("only objects have fields"),
                );
                Ty::Any
            }
            _ => Ty::Any,
        }
    }

    fn unknown_field(&mut self, name: &Ident, keys: &[&str], schema: Option<&SchemaTy>) {
        let what = match schema {
            Some(s) => format!("`{}` has no field `{}`", s.name, name.name),
            None => format!("no field `{}` in this object", name.name),
        };
        let mut d =
            Diagnostic::error(codes::UNKNOWN_FIELD, what).at(self.file, name.span, "unknown field");
        if let Some(s) = schema {
            d = d.also(s.file, s.span, "schema declared here");
        }
        d = match did_you_mean(&name.name, keys.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "the fields are: {}; use `?.` for a field that may be missing",
                keys.join(", ")
            )),
        };
        self.diagnostics.push(d);
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Ty {
        // On the left of `??`, a field an object literal lacks is a null, not an error (a
        // schema's undeclared field still is: that is a typo).
        let saved = self.lenient;
        self.lenient = op == BinaryOp::Coalesce;
        let l = self.infer(lhs);
        self.lenient = saved;
        let r = self.infer(rhs);
        let (lw, rw) = (l.widen(), r.widen());
        let known = |t: &Ty| {
            matches!(
                t,
                Ty::Int
                    | Ty::Float
                    | Ty::String
                    | Ty::Bool
                    | Ty::Null
                    | Ty::List(_)
                    | Ty::Record(_)
                    | Ty::Schema(_)
            )
        };
        let sure = known(&lw) && known(&rw);
        match op {
            BinaryOp::And | BinaryOp::Or => {
                for (t, x) in [(&l, lhs), (&r, rhs)] {
                    if self.fit(t, &Ty::Bool) == Fit::No {
                        let found = t.widen();
                        self.operator_error(
                            x.span,
                            format!("`{}` needs Bool operands, found {found}", op.symbol()),
                            format!("this is {}", super::article(&found.to_string())),
                            "compare explicitly, for example `x != null` or `len(xs) > 0`",
                        );
                    }
                }
                Ty::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => Ty::Bool,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let numeric = |t: &Ty| matches!(t, Ty::Int | Ty::Float);
                let comparable = (numeric(&lw) && numeric(&rw))
                    || (lw.same(&rw) && matches!(lw, Ty::String | Ty::Bool));
                if sure && !comparable {
                    self.operator_error(
                        span,
                        format!("cannot apply `{}` to {lw} and {rw}", op.symbol()),
                        format!("{lw} {} {rw}", op.symbol()),
                        "compare numbers with numbers and strings with strings; convert with to_int(...), to_float(...) or to_string(...)",
                    );
                }
                Ty::Bool
            }
            BinaryOp::Coalesce => match l {
                Ty::Null => r,
                Ty::Union(members) => {
                    let rest: Vec<Ty> = members
                        .into_iter()
                        .filter(|m| !matches!(m, Ty::Null))
                        .collect();
                    rest.into_iter().fold(r, Ty::join)
                }
                other => Ty::join(other, r),
            },
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                match (&lw, &rw) {
                    (Ty::Int, Ty::Int) => Ty::Int,
                    (Ty::Int | Ty::Float, Ty::Int | Ty::Float) => Ty::Float,
                    (Ty::String, Ty::String) if op == BinaryOp::Add => Ty::String,
                    (Ty::List(a), Ty::List(b)) if op == BinaryOp::Add => {
                        Ty::List(Box::new(Ty::join((**a).clone(), (**b).clone())))
                    }
                    _ if sure => {
                        let help = if op == BinaryOp::Add
                            && (matches!(lw, Ty::String) || matches!(rw, Ty::String))
                        {
                            "convert with to_string(...), or use interpolation: \"${a}${b}\""
                        } else if op == BinaryOp::Add {
                            "`+` adds numbers and joins two strings or two lists"
                        } else {
                            "both sides must be numbers"
                        };
                        self.operator_error(
                            span,
                            format!("cannot apply `{}` to {lw} and {rw}", op.symbol()),
                            format!("{lw} {} {rw}", op.symbol()),
                            help,
                        );
                        Ty::Any
                    }
                    _ => Ty::Any,
                }
            }
        }
    }

    fn operator_error(&mut self, at: Span, message: String, label: String, help: &str) {
        self.diagnostics.push(
            Diagnostic::error(codes::TYPE_MISMATCH, message)
                .at(self.file, at, label)
                .with_help(help),
        );
    }

    /// Whether a value of type `actual` is a value of type `expected`.
    pub(crate) fn fit(&self, actual: &Ty, expected: &Ty) -> Fit {
        use Fit::*;
        match (actual, expected) {
            (_, Ty::Any) => Yes,
            (Ty::Any, _) => Maybe,
            (Ty::Union(ms), _) => {
                let fits: Vec<Fit> = ms.iter().map(|m| self.fit(m, expected)).collect();
                if fits.iter().all(|f| *f == Yes) {
                    Yes
                } else if fits.iter().all(|f| *f == No) {
                    No
                } else {
                    Maybe
                }
            }
            (_, Ty::Union(ms)) => {
                let fits: Vec<Fit> = ms.iter().map(|m| self.fit(actual, m)).collect();
                if fits.contains(&Yes) {
                    Yes
                } else if fits.contains(&Maybe) {
                    Maybe
                } else {
                    No
                }
            }
            (Ty::Lit(v), Ty::Refined(b, r)) => match self.fit(actual, b) {
                No => No,
                _ => {
                    if check_refinement(v, r).is_ok() {
                        Yes
                    } else {
                        No
                    }
                }
            },
            (_, Ty::Refined(b, _)) => match self.fit(actual, b) {
                No => No,
                _ => Maybe,
            },
            (Ty::Refined(b, _), _) => self.fit(b, expected),
            (Ty::Lit(a), Ty::Lit(b)) => {
                if a == b && a.type_name() == b.type_name() {
                    Yes
                } else {
                    No
                }
            }
            (Ty::Lit(_), _) => self.fit(&actual.widen(), expected),
            (Ty::String, Ty::Lit(Value::Str(_)))
            | (Ty::Int, Ty::Lit(Value::Int(_)))
            | (Ty::Float, Ty::Lit(Value::Float(_)))
            | (Ty::Bool, Ty::Lit(Value::Bool(_))) => Maybe,
            (Ty::Null, Ty::Null)
            | (Ty::Bool, Ty::Bool)
            | (Ty::Int, Ty::Int)
            | (Ty::Int, Ty::Float)
            | (Ty::Float, Ty::Float)
            | (Ty::String, Ty::String) => Yes,
            (Ty::Fn(ap, ar), Ty::Fn(ep, er)) => {
                if ap.len() != ep.len() {
                    return No;
                }
                // Parameters go the other way: the function must accept what callers pass.
                let params = ap
                    .iter()
                    .zip(ep)
                    .map(|(a, e)| self.fit(e, a))
                    .fold(Yes, worst);
                worst(params, self.fit(ar, er))
            }
            (Ty::List(a), Ty::List(b)) => self.fit(a, b),
            (Ty::Map(a), Ty::Map(b)) => self.fit(a, b),
            (Ty::Map(_), Ty::Schema(_) | Ty::Record(_)) => Maybe,
            (Ty::Record(fields), Ty::Map(b)) => {
                fields.iter().map(|(_, t)| self.fit(t, b)).fold(Yes, worst)
            }
            (Ty::Record(fields), Ty::Schema(name)) => {
                let Some(schema) = self.types.table().schema(name) else {
                    return Maybe;
                };
                let mut fit = Yes;
                for (k, t) in fields.iter() {
                    match schema.field(k) {
                        Some(f) => fit = worst(fit, self.fit(t, &f.ty)),
                        None => return No,
                    }
                }
                for f in &schema.fields {
                    if !f.optional
                        && f.default.is_none()
                        && !fields.iter().any(|(k, _)| *k == f.name)
                    {
                        return No;
                    }
                }
                fit
            }
            (Ty::Record(a), Ty::Record(b)) => {
                let mut fit = Yes;
                for (k, t) in a.iter() {
                    match b.iter().find(|(n, _)| n == k) {
                        Some((_, u)) => fit = worst(fit, self.fit(t, u)),
                        None => return No,
                    }
                }
                fit
            }
            (Ty::Schema(a), Ty::Schema(b)) if a == b => Yes,
            (Ty::Schema(a), Ty::Schema(b)) => {
                let table = self.types.table();
                match (table.schema(a), table.schema(b)) {
                    (Some(sa), Some(sb)) => {
                        if sa.fields.iter().any(|f| sb.field(&f.name).is_none()) {
                            No
                        } else {
                            Maybe
                        }
                    }
                    _ => Maybe,
                }
            }
            (Ty::Schema(name), Ty::Map(b)) => {
                let Some(schema) = self.types.table().schema(name) else {
                    return Maybe;
                };
                schema
                    .fields
                    .iter()
                    .map(|f| self.fit(&f.ty, b))
                    .fold(Yes, worst)
            }
            _ => No,
        }
    }
}

fn worst(a: Fit, b: Fit) -> Fit {
    match (a, b) {
        (Fit::No, _) | (_, Fit::No) => Fit::No,
        (Fit::Maybe, _) | (_, Fit::Maybe) => Fit::Maybe,
        _ => Fit::Yes,
    }
}

/// A type without its refinement.
fn base(t: &Ty) -> &Ty {
    match t {
        Ty::Refined(b, _) => base(b),
        other => other,
    }
}

impl Ty {
    /// Literal types widened to their base type, inside lists and records too: the type a
    /// binding of a literal has (`let port = 80` is an Int).
    pub(crate) fn widen_literals(self) -> Ty {
        match self {
            Ty::Lit(_) => self.widen(),
            Ty::Union(ms) => {
                ms.into_iter()
                    .map(Ty::widen_literals)
                    .fold(Ty::Union(Vec::new()), |acc, t| {
                        if matches!(&acc, Ty::Union(v) if v.is_empty()) {
                            t
                        } else {
                            Ty::join(acc, t)
                        }
                    })
            }
            other => other,
        }
    }
}

/// The result type of a builtin, from its argument types.
fn builtin_result(name: &str, args: &[Ty]) -> Ty {
    let elem = |i: usize| match args.get(i).map(base) {
        Some(Ty::List(t)) => (**t).clone(),
        _ => Ty::Any,
    };
    match name {
        "len" => Ty::Int,
        "keys" | "split" => Ty::List(Box::new(Ty::String)),
        "values" | "flatten" | "zip" => Ty::List(Box::new(Ty::Any)),
        "range" => Ty::List(Box::new(Ty::Int)),
        "contains" | "starts_with" | "ends_with" => Ty::Bool,
        "upper" | "lower" | "trim" | "join" | "replace" | "to_string" | "format" | "to_json"
        | "to_yaml" | "base64_encode" | "base64_decode" | "sha256" | "type_of" => Ty::String,
        "to_int" => Ty::Int,
        "to_float" => Ty::Float,
        "sort" | "sort_by" | "unique" | "unique_by" | "slice" => {
            args.first().map_or(Ty::Any, |t| t.clone().widen_literals())
        }
        "min" | "max" => {
            if args.len() == 1 {
                elem(0)
            } else {
                args.iter()
                    .cloned()
                    .map(Ty::widen_literals)
                    .reduce(Ty::join)
                    .unwrap_or(Ty::Any)
            }
        }
        "sum" => match elem(0).widen() {
            Ty::Int => Ty::Int,
            Ty::Float => Ty::Float,
            _ => Ty::Any,
        },
        "merge" => Ty::Map(Box::new(Ty::Any)),
        _ => Ty::Any,
    }
}
