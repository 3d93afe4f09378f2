; Indentation, with nvim-treesitter's capture names (Helix: helix/indents.scm). Every bracketed
; construct indents what is inside it; a closing bracket goes back to the opening line's level.

[
  (object)
  (list)
  (block)
  (items)
  (entries)
  (schema)
  (map_type)
  (arguments)
  (fn_sig)
  (resource_opts)
  (type_args)
  (paren)
  (paren_type)
] @indent.begin

[
  "}"
  "]"
  ")"
] @indent.branch @indent.end

(ml_string) @indent.ignore

(block_comment) @indent.auto
