; Local names: what defines a name and where it is visible. Top-level names (`let`, `fn`,
; `param`, resources, types, imports) are visible in the whole module, before and after their
; definition, so they are not locals; the names bound inside functions, comprehensions, `let ...
; in`, objects and the blocks of a top-level `for` or `if` are.

; Scopes

[
  (fn_item)
  (lambda)
  (let_expr)
  (for_item)
  (for_elem)
  (for_entry)
  (object)
  (items)
  (entries)
] @local.scope

; Definitions

(fn_param
  name: (identifier) @local.definition)

(for_pattern
  (identifier) @local.definition)

(let_expr
  name: (identifier) @local.definition)

(let_entry
  name: (identifier) @local.definition)

(items
  (let_item
    name: (identifier) @local.definition))

; References

(identifier) @local.reference
