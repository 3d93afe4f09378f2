//! `constant-condition`: an `if` or a `for ... if` filter whose condition is always the same.
//!
//! Also holds [`constant`], which `check-never-fails` uses.

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::source::FileId;
use crate::syntax::ast::*;
use crate::value::Value;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0005",
    name: "constant-condition",
    group: Group::Correctness,
    level: Level::Warn,
    summary: "The condition of an `if` or of a `for ... if` filter is always true or always false.",
    why: "A condition that cannot change makes one branch dead code: either the `else` (or what the filter drops) never happens, or what it guards never does. It is usually a leftover from debugging (`if true`), or a comparison of the wrong things: two literals, or a name with itself (`env == env`). To switch code on and off, use a `param`.",
    example: "param env = \"dev\"\nreplicas: if env == env { 3 } else { 1 }\nif false {\n  debug: true\n}",
    instead: "param env = \"dev\"\nparam debug = false\nreplicas: if env == \"prod\" { 3 } else { 1 }\nif debug {\n  debug: true\n}",
    fixable: false,
};

pub struct ConstantCondition;
pub static RULE: ConstantCondition = ConstantCondition;

impl Rule for ConstantCondition {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for item in cx.entry_items() {
            items(std::slice::from_ref(item), out);
            crate::lint::walk::item_exprs(item, &mut |e| expr(e, item.file, out));
        }
    }
}

/// What a condition decides.
#[derive(Clone, Copy)]
enum Place {
    If,
    Filter,
}

fn report(cond: &Expr, place: Place, file: FileId, out: &mut Vec<Finding>) {
    let Some(value) = constant(cond) else { return };
    let help = match (place, value) {
        (Place::If, true) => "the other branch never runs: keep only what the condition guards",
        (Place::If, false) => {
            "what it guards never runs: remove it, or use a `param` to switch it on"
        }
        (Place::Filter, true) => "the filter keeps every element: remove it",
        (Place::Filter, false) => "the filter drops every element: fix the condition",
    };
    out.push(Finding::new(
        file,
        cond.span,
        format!("this condition is always {value}"),
        help,
    ));
}

/// Conditions of top-level `if` and `for` blocks.
fn items(list: &[Item], out: &mut Vec<Finding>) {
    for item in list {
        match &item.kind {
            ItemKind::If(i) => {
                report(&i.cond, Place::If, item.file, out);
                items(&i.then, out);
                if let Some(o) = &i.otherwise {
                    items(o, out);
                }
            }
            ItemKind::For(f) => {
                if let Some(c) = &f.filter {
                    report(c, Place::Filter, item.file, out);
                }
                items(&f.items, out);
            }
            _ => {}
        }
    }
}

/// Conditions inside an expression (its subexpressions are visited by the walk).
fn expr(e: &Expr, file: FileId, out: &mut Vec<Finding>) {
    match &e.kind {
        ExprKind::If { cond, .. } => report(cond, Place::If, file, out),
        ExprKind::List(els) => {
            for el in els {
                element(el, file, out);
            }
        }
        ExprKind::Object { entries: list, .. } => entries(list, file, out),
        _ => {}
    }
}

fn element(el: &Element, file: FileId, out: &mut Vec<Finding>) {
    match &el.kind {
        ElementKind::For { filter, body, .. } => {
            if let Some(c) = filter {
                report(c, Place::Filter, file, out);
            }
            element(body, file, out);
        }
        ElementKind::If { cond, body } => {
            report(cond, Place::If, file, out);
            element(body, file, out);
        }
        ElementKind::Expr(_) | ElementKind::Spread(_) => {}
    }
}

fn entries(list: &[Entry], file: FileId, out: &mut Vec<Finding>) {
    for en in list {
        match &en.kind {
            EntryKind::For {
                filter,
                entries: inner,
                ..
            } => {
                if let Some(c) = filter {
                    report(c, Place::Filter, file, out);
                }
                entries(inner, file, out);
            }
            EntryKind::If {
                cond,
                then,
                otherwise,
            } => {
                report(cond, Place::If, file, out);
                entries(then, file, out);
                if let Some(o) = otherwise {
                    entries(o, file, out);
                }
            }
            EntryKind::Field(_) | EntryKind::Spread(_) | EntryKind::Let(_) => {}
        }
    }
}

/// The value a condition always has, when it does not depend on anything: `true`, `!false`,
/// a comparison of two literals, a name compared with itself (`x == x`, `x >= x`), and `||` or
/// `&&` with such an operand that decides (`a || true`).
pub(super) fn constant(e: &Expr) -> Option<bool> {
    stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || constant_inner(e))
}

fn constant_inner(e: &Expr) -> Option<bool> {
    match &e.kind {
        ExprKind::Lit(Literal::Bool(b)) => Some(*b),
        ExprKind::Paren(x) => constant(x),
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => constant(operand).map(|b| !b),
        ExprKind::Binary { op, lhs, rhs } => match op {
            BinaryOp::Or => match (constant(lhs), constant(rhs)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            BinaryOp::And => match (constant(lhs), constant(rhs)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => compare(*op, lhs, rhs),
            _ => None,
        },
        _ => None,
    }
}

fn compare(op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Option<bool> {
    if let (Some(a), Some(b)) = (literal(lhs), literal(rhs)) {
        return match op {
            BinaryOp::Eq => Some(a == b),
            BinaryOp::Ne => Some(a != b),
            // Ordering values of different types is an error, not a constant.
            _ => {
                let ord = a.compare(&b)?;
                Some(match op {
                    BinaryOp::Lt => ord.is_lt(),
                    BinaryOp::Le => ord.is_le(),
                    BinaryOp::Gt => ord.is_gt(),
                    _ => ord.is_ge(),
                })
            }
        };
    }
    if same_place(lhs, rhs) {
        return Some(matches!(op, BinaryOp::Eq | BinaryOp::Le | BinaryOp::Ge));
    }
    None
}

/// The value of a literal operand.
fn literal(e: &Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Paren(x) => literal(x),
        ExprKind::Lit(l) => Some(match l {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(i) => Value::Int(*i),
            Literal::Float(x) => Value::Float(*x),
            Literal::Str(s) => Value::Str(s.clone()),
        }),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match literal(operand)? {
            Value::Int(i) => i.checked_neg().map(Value::Int),
            Value::Float(x) => Some(Value::Float(-x)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether two operands name the same value: the same name, or the same fields of it.
fn same_place(a: &Expr, b: &Expr) -> bool {
    match (&a.kind, &b.kind) {
        (ExprKind::Paren(x), _) => same_place(x, b),
        (_, ExprKind::Paren(y)) => same_place(a, y),
        (ExprKind::Var(x), ExprKind::Var(y)) => x == y,
        (
            ExprKind::Field {
                target: t1,
                name: n1,
                optional: o1,
            },
            ExprKind::Field {
                target: t2,
                name: n2,
                optional: o2,
            },
        ) => n1.name == n2.name && o1 == o2 && same_place(t1, t2),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    fn names(src: &str) -> Vec<String> {
        super::super::unused_binding::lint_valid(src, "constant-condition")
    }

    #[test]
    fn examples() {
        super::super::unused_binding::assert_examples(&super::INFO);
    }

    #[test]
    fn fires() {
        assert_eq!(
            names("x: if true { 1 } else { 2 }\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("if false {\n  a: 1\n}\n"),
            ["this condition is always false"]
        );
        assert_eq!(
            names("x: if !true { 1 } else { 2 }\n"),
            ["this condition is always false"]
        );
        assert_eq!(
            names("x: if 1 == 1 { 1 } else { 2 }\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("x: if \"a\" != \"b\" { 1 } else { 2 }\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("x: if 2 < 1 { 1 } else { 2 }\n"),
            ["this condition is always false"]
        );
        assert_eq!(
            names("let env = \"a\"\nx: if env == env { 1 } else { 2 }\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("let o = { a: 1 }\nx: if o.a != (o.a) { 1 } else { 2 }\n"),
            ["this condition is always false"]
        );
        // Elements, entries, filters, `else if`, nested blocks.
        assert_eq!(
            names("x: [1, if true: 2]\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("x: [for a in [1] if false: a]\n"),
            ["this condition is always false"]
        );
        assert_eq!(
            names("x: { if 1 == 2 { a: 1 } else { b: 2 } }\n"),
            ["this condition is always false"]
        );
        assert_eq!(
            names("x: { for k in [\"a\"] if true { \"${k}\": 1 } }\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("for r in [1] if true {\n  a: r\n}\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("let n = 1\nx: if n > 1 { 1 } else if true { 2 } else { 3 }\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("param d = false\nif d {\n  a: 1\n} else {\n  if true {\n    b: 2\n  }\n}\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("param d = false\nx: if d || true { 1 } else { 2 }\n"),
            ["this condition is always true"]
        );
        assert_eq!(
            names("x: if 1 == 1.0 { 1 } else { 2 }\n"),
            ["this condition is always true"]
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(names("param debug = false\nif debug {\n  a: 1\n}\n").is_empty());
        assert!(names("let env = \"a\"\nx: if env == \"prod\" { 1 } else { 2 }\n").is_empty());
        assert!(names("let a = 1\nlet b = 2\nx: if a == b { 1 } else { 2 }\n").is_empty());
        assert!(names("let o = { a: 1, b: 1 }\nx: if o.a == o.b { 1 } else { 2 }\n").is_empty());
        assert!(names("param d = false\nx: if d && true { 1 } else { 2 }\n").is_empty());
        assert!(names("x: [for a in [1, 2] if a > 1: a]\n").is_empty());
        // Not a condition: a boolean value.
        assert!(names("x: true\ny: [true, 1 == 1]\n").is_empty());
        // Schema checks belong to `check-never-fails`.
        assert!(names("schema S { a: Int, check a == a }\nx: 1\n").is_empty());
    }
}
