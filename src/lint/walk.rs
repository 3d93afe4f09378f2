//! Walking a program's expressions, for lint rules.

use crate::syntax::ast::*;

/// Calls `f` on every expression of an item, outermost first.
pub fn item_exprs(item: &Item, f: &mut dyn FnMut(&Expr)) {
    match &item.kind {
        ItemKind::Let(d) => expr(&d.value, f),
        ItemKind::Param(p) => {
            if let Some(d) = &p.default {
                expr(d, f)
            }
        }
        ItemKind::Fn(d) => expr(&d.body, f),
        ItemKind::Field(fl) => expr(&fl.value, f),
        ItemKind::Spread(e) => expr(e, f),
        ItemKind::Resource(r) => {
            if let Some(k) = &r.key {
                expr(k, f);
            }
            for (_, e) in &r.options {
                expr(e, f);
            }
            expr(&r.body, f);
        }
        ItemKind::For(x) => {
            expr(&x.iter, f);
            if let Some(c) = &x.filter {
                expr(c, f);
            }
            for i in &x.items {
                item_exprs(i, f);
            }
        }
        ItemKind::If(x) => {
            expr(&x.cond, f);
            for i in &x.then {
                item_exprs(i, f);
            }
            for i in x.otherwise.iter().flatten() {
                item_exprs(i, f);
            }
        }
        ItemKind::Schema(s) => {
            for m in &s.members {
                match m {
                    SchemaMember::Field(fl) => {
                        if let Some(d) = &fl.default {
                            expr(d, f);
                        }
                    }
                    SchemaMember::Check(c) => expr(&c.cond, f),
                }
            }
        }
        ItemKind::Type(_) | ItemKind::Import(_) | ItemKind::Error => {}
    }
}

/// Calls `f` on `e` and every expression inside it.
pub fn expr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || expr_inner(e, f))
}

fn expr_inner(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    crate::syntax::ast::for_each_child(e, &mut |c| expr(c, f));
}
