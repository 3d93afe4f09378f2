; Local names for Helix: a reference to a local takes the highlight named after
; `@local.definition.` (a parameter stays a parameter where it is used). The same scopes and
; definitions as ../locals.scm.

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
  name: (identifier) @local.definition.variable.parameter)

(for_pattern
  (identifier) @local.definition.variable)

(let_expr
  name: (identifier) @local.definition.variable)

(let_entry
  name: (identifier) @local.definition.variable)

(items
  (let_item
    name: (identifier) @local.definition.variable))

; References

(identifier) @local.reference
