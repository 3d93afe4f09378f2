; Cairn highlights, with nvim-treesitter's capture names. tree-sitter's own highlighter (and so
; GitHub) and Zed read this file too, falling back on a name's prefix (`keyword.import` is a
; `keyword`). Helix has names of its own: helix/highlights.scm.
;
; No two patterns capture the same node, so highlighters that let the first matching pattern win
; (tree-sitter-highlight) and those that let the last one win (Neovim, Zed, Helix) agree; the
; grammar's tests check it over every Cairn file of the repository. Names used as values
; (references) are left to the editor's default colour or to the language server's semantic
; tokens.

; Comments

(line_comment) @comment

(block_comment) @comment

(doc_comment) @comment.documentation

; Keywords

[
  "import"
  "as"
] @keyword.import

"fn" @keyword.function

[
  "type"
  "schema"
] @keyword.type

[
  "if"
  "else"
] @keyword.conditional

"for" @keyword.repeat

"in" @keyword.operator

[
  "let"
  "param"
  "resource"
  "extends"
  "check"
] @keyword

; Literals

[
  (true)
  (false)
] @boolean

(null) @constant.builtin

(integer) @number

(neg_number) @number

(range_bound
  "-" @number)

(float) @number.float

[
  (string)
  (ml_string)
] @string

(escape_sequence) @string.escape

(interpolation
  [
    "${"
    "}"
  ] @punctuation.special)

; Keys and members

(key_name) @property

(field_expr
  member: (member) @variable.member)

(resource_opt
  name: (identifier) @property)

(type_arg
  name: (identifier) @variable.parameter)

; Definitions

(let_item
  name: (identifier) @variable)

(let_entry
  name: (identifier) @variable)

(let_expr
  name: (identifier) @variable)

(param
  name: (identifier) @variable)

(resource
  name: (identifier) @variable)

(for_pattern
  (identifier) @variable)

(fn_item
  name: (identifier) @function)

(fn_param
  name: (identifier) @variable.parameter)

(type_item
  name: (identifier) @type.definition)

(schema
  name: (identifier) @type.definition)

(import
  alias: (identifier) @module)

(std_path
  (identifier) @module)

; Calls

(call_expr
  function: (identifier) @function.builtin
  (#any-of? @function.builtin
    "base64_decode" "base64_encode" "contains" "ends_with" "flatten" "format" "from_json"
    "from_yaml" "join" "keys" "len" "lower" "max" "merge" "min" "range" "replace" "sha256" "slice"
    "sort" "sort_by" "split" "starts_with" "sum" "to_float" "to_int" "to_json" "to_string"
    "to_yaml" "trim" "type_of" "unique" "unique_by" "upper" "values" "zip"))

(call_expr
  function: (identifier) @function.call
  (#not-any-of? @function.call
    "base64_decode" "base64_encode" "contains" "ends_with" "flatten" "format" "from_json"
    "from_yaml" "join" "keys" "len" "lower" "max" "merge" "min" "range" "replace" "sha256" "slice"
    "sort" "sort_by" "split" "starts_with" "sum" "to_float" "to_int" "to_json" "to_string"
    "to_yaml" "trim" "type_of" "unique" "unique_by" "upper" "values" "zip"))

(call_expr
  method: (member) @function.method.call)

; Types: `k8s.Deployment` is a module and a type.

(type_path
  (identifier) @module
  .
  (identifier))

((type_path
  (identifier) @type.builtin .)
  (#any-of? @type.builtin "Any" "Null" "Bool" "Int" "Float" "String" "List" "Object"))

((type_path
  (identifier) @type .)
  (#not-any-of? @type "Any" "Null" "Bool" "Int" "Float" "String" "List" "Object"))

; Operators and punctuation

(binary_expr
  operator: _ @operator)

(unary_expr
  operator: _ @operator)

[
  "="
  "|"
  "..."
  ".."
  "..="
  "?."
] @operator

(optional_mark) @punctuation.special

[
  "."
  ","
  ":"
  "->"
] @punctuation.delimiter

; Brackets, by the node they belong to: the braces of an interpolation are special (above).

(object
  [
    "{"
    "}"
  ] @punctuation.bracket)

(block
  [
    "{"
    "}"
  ] @punctuation.bracket)

(items
  [
    "{"
    "}"
  ] @punctuation.bracket)

(entries
  [
    "{"
    "}"
  ] @punctuation.bracket)

(schema
  [
    "{"
    "}"
  ] @punctuation.bracket)

(map_type
  [
    "{"
    "}"
  ] @punctuation.bracket)

(list
  [
    "["
    "]"
  ] @punctuation.bracket)

(list_type
  [
    "["
    "]"
  ] @punctuation.bracket)

(index_expr
  [
    "["
    "]"
  ] @punctuation.bracket)

(resource_key
  [
    "["
    "]"
  ] @punctuation.bracket)

(arguments
  [
    "("
    ")"
  ] @punctuation.bracket)

(fn_sig
  [
    "("
    ")"
  ] @punctuation.bracket)

(fn_type
  [
    "("
    ")"
  ] @punctuation.bracket)

(resource_opts
  [
    "("
    ")"
  ] @punctuation.bracket)

(type_args
  [
    "("
    ")"
  ] @punctuation.bracket)

(paren
  [
    "("
    ")"
  ] @punctuation.bracket)

(paren_type
  [
    "("
    ")"
  ] @punctuation.bracket)
