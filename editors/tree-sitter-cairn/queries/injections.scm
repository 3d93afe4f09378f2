; Languages inside Cairn: comments (TODO and the like), the regular expression of
; `String(matches: "...")`, and the text given to `from_json` and `from_yaml`.

([
  (line_comment)
  (block_comment)
] @injection.content
  (#set! injection.language "comment"))

(type_arg
  name: (identifier) @_name
  value: (string
    (string_content) @injection.content)
  (#eq? @_name "matches")
  (#set! injection.language "regex")
  (#set! injection.combined))

(call_expr
  function: (identifier) @_function
  arguments: (arguments
    .
    [
      (string
        (string_content) @injection.content)
      (ml_string
        (string_content) @injection.content)
    ])
  (#eq? @_function "from_json")
  (#set! injection.language "json")
  (#set! injection.combined))

(call_expr
  function: (identifier) @_function
  arguments: (arguments
    .
    [
      (string
        (string_content) @injection.content)
      (ml_string
        (string_content) @injection.content)
    ])
  (#eq? @_function "from_yaml")
  (#set! injection.language "yaml")
  (#set! injection.combined))
