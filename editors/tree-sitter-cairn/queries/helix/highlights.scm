; Cairn highlights with Helix's scope names. Helix lets the last matching pattern win, so the
; general patterns come first. The same captures as ../highlights.scm, renamed.

(identifier) @variable

; Comments

(line_comment) @comment.line

(block_comment) @comment.block

(doc_comment) @comment.line.documentation

; Keywords

[
  "import"
  "as"
] @keyword.control.import

"fn" @keyword.function

[
  "type"
  "schema"
] @keyword.storage.type

[
  "if"
  "else"
] @keyword.control.conditional

"for" @keyword.control.repeat

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
] @constant.builtin.boolean

(null) @constant.builtin

(integer) @constant.numeric.integer

(neg_number) @constant.numeric

(range_bound
  "-" @constant.numeric)

(float) @constant.numeric.float

[
  (string)
  (ml_string)
] @string

(escape_sequence) @constant.character.escape

; Keys and members

(key_name) @variable.other.member

(member) @variable.other.member

(resource_opt
  name: (identifier) @variable.other.member)

(type_arg
  name: (identifier) @variable.parameter)

; Definitions

(fn_item
  name: (identifier) @function)

(fn_param
  name: (identifier) @variable.parameter)

(type_item
  name: (identifier) @type)

(schema
  name: (identifier) @type)

(import
  alias: (identifier) @namespace)

(std_path
  (identifier) @namespace)

; Calls

(call_expr
  function: (identifier) @function)

(call_expr
  method: (member) @function)

(call_expr
  function: (identifier) @function.builtin
  (#any-of? @function.builtin
    "base64_decode" "base64_encode" "contains" "ends_with" "flatten" "format" "from_json"
    "from_yaml" "join" "keys" "len" "lower" "max" "merge" "min" "range" "replace" "sha256" "slice"
    "sort" "sort_by" "split" "starts_with" "sum" "to_float" "to_int" "to_json" "to_string"
    "to_yaml" "trim" "type_of" "unique" "unique_by" "upper" "values" "zip"))

; Types: `k8s.Deployment` is a namespace and a type.

(type_path
  (identifier) @namespace)

(type_path
  (identifier) @type .)

((type_path
  (identifier) @type.builtin .)
  (#any-of? @type.builtin "Any" "Null" "Bool" "Int" "Float" "String" "List" "Object"))

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

[
  "("
  ")"
  "["
  "]"
  "{"
  "}"
] @punctuation.bracket

(interpolation
  [
    "${"
    "}"
  ] @punctuation.special)
