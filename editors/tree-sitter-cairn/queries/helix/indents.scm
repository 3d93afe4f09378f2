; Indentation with Helix's capture names; the same nodes as ../indents.scm.

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
] @indent

[
  "}"
  "]"
  ")"
] @outdent
