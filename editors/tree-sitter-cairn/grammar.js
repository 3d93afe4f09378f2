/**
 * @file The Cairn configuration language, for tree-sitter.
 * @license Apache-2.0
 *
 * This grammar follows grammar/cairn.pest, the language's only grammar source: node names are
 * the pest rule names where a rule maps onto one node (`let_item`, `fn_sig`, `if_expr`, ...),
 * and the conventions are the same:
 *
 * - Keywords never run into an identifier character (`format` is one identifier): they are
 *   extracted from `identifier` tokens (`word`).
 * - Keys of fields and objects may be keywords and may contain `-` (`runs-on`, `if`); a member
 *   after `.` may be a keyword but has no `-` (`a.b-1` subtracts).
 * - Separators between items, schema members and object entries are optional (a comma or just
 *   white space); list elements and arguments are separated by commas.
 * - `//` and `/* ... *\/` (which nests) are comments; `///` is a doc comment and stands only
 *   before an item, a schema member or an object entry, as in pest.
 * - Braced bodies are nodes of their own (`block`, `items`, `entries`), for indentation.
 * - Binary operators associate to the left, by the precedence table of src/syntax/lower.rs;
 *   postfix operators bind tighter than prefix ones, and `fn ... =` and `let ... in` bodies
 *   reach as far right as they can.
 *
 * Nested block comments and the text of strings come from src/scanner.c.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const PREC = {
  body: -1, // lambda and `let ... in` bodies
  or: 1,
  and: 2,
  eq: 3,
  cmp: 4,
  coalesce: 5,
  add: 6,
  mul: 7,
  unary: 8,
  postfix: 9,
  call: 10, // `a.f(x)` is a call of a member, not a call of `a.f` read first
};

// The keywords of grammar/cairn.pest (`keyword`), which are also cairn::syntax::KEYWORDS.
const KEYWORDS = [
  'import', 'as', 'param', 'let', 'fn', 'type', 'schema', 'extends', 'check', 'resource', 'for',
  'in', 'if', 'else', 'true', 'false', 'null',
];

const DIGITS = /[0-9](_?[0-9])*/.source;
const FLOAT = `${DIGITS}\\.${DIGITS}([eE][+-]?${DIGITS})?|${DIGITS}[eE][+-]?${DIGITS}`;
const INT = `0x[0-9a-fA-F](_?[0-9a-fA-F])*|0o[0-7](_?[0-7])*|0b[01](_?[01])*|${DIGITS}`;

/**
 * One or more `rule`s separated by commas, with an optional trailing comma.
 * @param {RuleOrLiteral} rule
 */
const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)), optional(','));

/**
 * Zero or more `rule`s separated by commas, with an optional trailing comma.
 * @param {RuleOrLiteral} rule
 */
const commaSep = (rule) => optional(commaSep1(rule));

/**
 * A name of something: a key, a member. Keywords are names there too.
 * @param {GrammarSymbols<string>} $
 * @param {RuleOrLiteral} node
 * @param {boolean} hyphens
 */
const name = ($, node, hyphens) =>
  choice(
    alias($.identifier, node),
    ...(hyphens ? [alias($._hyphenated_name, node)] : []),
    ...KEYWORDS.map((k) => alias(k, node)),
  );

module.exports = grammar({
  name: 'cairn',

  externals: ($) => [
    $.block_comment,
    $.string_content,
    $._ml_string_content,
    // Never produced: valid only while the parser recovers from an error, which tells the
    // scanner not to read string text then.
    $._error_sentinel,
  ],

  // White space is pest's: spaces, tabs, line breaks and the byte order mark.
  extras: ($) => [/[ \t\r\n]/, '\uFEFF', $.line_comment, $.block_comment],

  word: ($) => $.identifier,

  supertypes: ($) => [$._expression, $._type],

  conflicts: ($) => [
    // pest backtracks out of an optional tail whose first token turns out to start the next
    // item (`import std.lists` then `as: 1`; an `if` block then `else: 1`; `check c,` then the
    // member `b: T`); GLR keeps both readings until one fails. (It also accepts
    // `check c, "k": T`, where pest takes `"k"` for the message and fails at the `:`.)
    [$.import],
    [$.if_item],
    [$.if_entry],
    [$.check],
  ],

  rules: {
    source_file: ($) => repeat(seq($._item, optional(','))),

    // -------------------------------------------------------------------------------------
    // Comments

    line_comment: (_) => token(choice(seq('//', /[^\/\n].*/), seq('////', /.*/), '//')),

    doc_comment: (_) => token(seq('///', optional(/[^\/\n].*/))),

    // -------------------------------------------------------------------------------------
    // Items

    _item: ($) =>
      seq(
        repeat($.doc_comment),
        choice(
          $.field_item,
          $.spread,
          $.import,
          $.param,
          $.let_item,
          $.fn_item,
          $.type_item,
          $.schema,
          $.resource,
          $.for_item,
          $.if_item,
        ),
      ),

    import: ($) =>
      seq(
        'import',
        field('path', choice($.string, $.std_path)),
        optional(seq('as', field('alias', $.identifier))),
      ),

    std_path: ($) => seq($.identifier, repeat(seq('.', $.identifier))),

    param: ($) =>
      seq(
        'param',
        field('name', $.identifier),
        optional(seq(':', field('type', $._type))),
        optional(seq('=', field('default', $._expression))),
      ),

    let_item: ($) =>
      seq(
        'let',
        field('name', $.identifier),
        optional(seq(':', field('type', $._type))),
        '=',
        field('value', $._expression),
      ),

    fn_item: ($) =>
      seq(
        'fn',
        field('name', $.identifier),
        field('signature', $.fn_sig),
        '=',
        field('body', $._expression),
      ),

    fn_sig: ($) =>
      seq(
        '(',
        commaSep($.fn_param),
        ')',
        optional(seq('->', field('return_type', $._type))),
      ),

    fn_param: ($) =>
      seq(field('name', $.identifier), optional(seq(':', field('type', $._type)))),

    type_item: ($) =>
      seq('type', field('name', $.identifier), '=', field('type', $._type)),

    schema: ($) =>
      seq(
        'schema',
        field('name', $.identifier),
        optional(seq('extends', $.type_path, repeat(seq(',', $.type_path)))),
        '{',
        repeat(seq($._schema_member, optional(','))),
        '}',
      ),

    _schema_member: ($) => seq(repeat($.doc_comment), choice($.check, $.schema_field)),

    check: ($) =>
      seq(
        'check',
        field('condition', $._expression),
        optional(seq(',', field('message', choice($.ml_string, $.string)))),
      ),

    schema_field: ($) =>
      seq(
        field('key', $._key),
        optional($.optional_mark),
        ':',
        field('type', $._type),
        optional(seq('=', field('default', $._expression))),
      ),

    optional_mark: (_) => '?',

    resource: ($) =>
      seq(
        'resource',
        field('name', $.identifier),
        optional(field('key', $.resource_key)),
        ':',
        field('type', $.type_path),
        optional(field('options', $.resource_opts)),
        choice(field('body', $.object), seq('=', field('value', $._expression))),
      ),

    resource_key: ($) => seq('[', $._expression, ']'),

    resource_opts: ($) => seq('(', commaSep($.resource_opt), ')'),

    resource_opt: ($) => seq(field('name', $.identifier), ':', field('value', $._expression)),

    for_item: ($) =>
      seq(
        'for',
        field('pattern', $.for_pattern),
        'in',
        field('iterable', $._expression),
        optional(field('filter', $.for_filter)),
        field('body', $.items),
      ),

    if_item: ($) =>
      seq(
        'if',
        field('condition', $._expression),
        field('consequence', $.items),
        optional(seq('else', field('alternative', choice($.if_item, $.items)))),
      ),

    // The braces of a top-level `for` or `if` and the items in them (pest's `else_items` is
    // one of these).
    items: ($) => seq('{', repeat(seq($._item, optional(','))), '}'),

    field_item: ($) => seq(field('key', $.key_path), ':', field('value', $._expression)),

    for_pattern: ($) => seq($.identifier, optional(seq(',', $.identifier))),

    for_filter: ($) => seq('if', $._expression),

    _key: ($) => choice(name($, $.key_name, true), $.string),

    key_path: ($) => seq($._key, repeat(seq('.', $._key))),

    // A key with a `-` in it (`runs-on`); keys without one are identifiers or keywords.
    _hyphenated_name: (_) => /[A-Za-z_][A-Za-z0-9_]*-[A-Za-z0-9_-]*/,

    // -------------------------------------------------------------------------------------
    // Types

    _type: ($) => choice($.union_type, $._type_term),

    // A union inside a function type's result belongs to the result: `fn() -> A | B`.
    union_type: ($) => prec(1, seq($._type_term, repeat1(seq('|', $._type_term)))),

    _type_term: ($) =>
      choice(
        $.optional_type,
        $.literal_type,
        $.list_type,
        $.map_type,
        $.fn_type,
        $.paren_type,
        $.named_type,
      ),

    // `?` binds tighter than anything around a type: `fn() -> T?` returns `T?`, as in pest.
    optional_type: ($) => prec(1, seq(field('type', $._type_term), $.optional_mark)),

    literal_type: ($) =>
      choice($.string, $.float, $.neg_number, $.integer, $.true, $.false, $.null),

    neg_number: (_) => token(seq('-', choice(new RegExp(FLOAT), new RegExp(INT)))),

    list_type: ($) =>
      seq('[', field('element', $._type), ']', optional(field('arguments', $.type_args))),

    map_type: ($) => seq('{', field('key', $._type), ':', field('value', $._type), '}'),

    fn_type: ($) =>
      prec.right(
        seq(
          'fn',
          '(',
          commaSep(field('parameter', $._type)),
          ')',
          '->',
          field('return_type', $._type),
        ),
      ),

    paren_type: ($) => seq('(', $._type, ')'),

    named_type: ($) =>
      seq(field('name', $.type_path), optional(field('arguments', $.type_args))),

    type_path: ($) => seq($.identifier, repeat(seq('.', $.identifier))),

    type_args: ($) => seq('(', commaSep($.type_arg), ')'),

    type_arg: ($) =>
      seq(
        optional(seq(field('name', $.identifier), ':')),
        field('value', choice($.range, $._expression)),
      ),

    range: ($) =>
      seq(
        optional(field('start', $.range_bound)),
        choice('..=', '..'),
        optional(field('end', $.range_bound)),
      ),

    range_bound: ($) => seq(optional('-'), choice($.float, $.integer)),

    // -------------------------------------------------------------------------------------
    // Expressions

    _expression: ($) =>
      choice(
        $.binary_expr,
        $.unary_expr,
        $.field_expr,
        $.index_expr,
        $.call_expr,
        $.if_expr,
        $.let_expr,
        $.lambda,
        $.null,
        $.true,
        $.false,
        $.float,
        $.integer,
        $.ml_string,
        $.string,
        $.list,
        $.object,
        $.paren,
        $.identifier,
      ),

    binary_expr: ($) =>
      choice(
        ...[
          ['||', PREC.or],
          ['&&', PREC.and],
          ['==', PREC.eq],
          ['!=', PREC.eq],
          ['<=', PREC.cmp],
          ['>=', PREC.cmp],
          ['<', PREC.cmp],
          ['>', PREC.cmp],
          ['??', PREC.coalesce],
          ['+', PREC.add],
          ['-', PREC.add],
          ['*', PREC.mul],
          ['/', PREC.mul],
          ['%', PREC.mul],
        ].map(([op, p]) =>
          prec.left(
            /** @type {number} */ (p),
            seq(
              field('left', $._expression),
              field('operator', /** @type {string} */ (op)),
              field('right', $._expression),
            ),
          ),
        ),
      ),

    unary_expr: ($) =>
      prec(PREC.unary, seq(field('operator', choice('!', '-')), field('operand', $._expression))),

    field_expr: ($) =>
      prec(
        PREC.postfix,
        seq(
          field('value', $._expression),
          field('operator', choice('.', '?.')),
          field('member', name($, $.member, false)),
        ),
      ),

    index_expr: ($) =>
      prec(
        PREC.postfix,
        seq(field('value', $._expression), '[', field('index', $._expression), ']'),
      ),

    // A call through a member (`lists.chunk(xs, 2)`, a module's function) names its `method`,
    // so that queries can tell it from a member that is only read.
    call_expr: ($) =>
      choice(
        prec(PREC.postfix, seq(field('function', $._expression), field('arguments', $.arguments))),
        prec(
          PREC.call,
          seq(
            field('value', $._expression),
            field('operator', choice('.', '?.')),
            field('method', name($, $.member, false)),
            field('arguments', $.arguments),
          ),
        ),
      ),

    arguments: ($) => seq('(', commaSep($._expression), ')'),

    paren: ($) => seq('(', $._expression, ')'),

    if_expr: ($) =>
      seq(
        'if',
        field('condition', $._expression),
        field('consequence', $.block),
        'else',
        field('alternative', choice($.if_expr, $.block)),
      ),

    block: ($) => seq('{', $._expression, '}'),

    let_expr: ($) =>
      prec.right(
        PREC.body,
        seq(
          'let',
          field('name', $.identifier),
          optional(seq(':', field('type', $._type))),
          '=',
          field('value', $._expression),
          'in',
          field('body', $._expression),
        ),
      ),

    lambda: ($) =>
      prec.right(
        PREC.body,
        seq('fn', field('signature', $.fn_sig), '=', field('body', $._expression)),
      ),

    list: ($) => seq('[', commaSep($._element), ']'),

    _element: ($) => choice($.spread, $.for_elem, $.if_elem, $._expression),

    spread: ($) => seq('...', $._expression),

    for_elem: ($) =>
      seq(
        'for',
        field('pattern', $.for_pattern),
        'in',
        field('iterable', $._expression),
        optional(field('filter', $.for_filter)),
        ':',
        field('element', $._element),
      ),

    if_elem: ($) =>
      seq('if', field('condition', $._expression), ':', field('element', $._element)),

    object: ($) => seq('{', repeat(seq($._entry, optional(','))), '}'),

    _entry: ($) =>
      seq(
        repeat($.doc_comment),
        choice($.field_entry, $.spread, $.for_entry, $.if_entry, $.let_entry),
      ),

    field_entry: ($) => seq(field('key', $.key_path), ':', field('value', $._expression)),

    for_entry: ($) =>
      seq(
        'for',
        field('pattern', $.for_pattern),
        'in',
        field('iterable', $._expression),
        optional(field('filter', $.for_filter)),
        field('body', $.entries),
      ),

    if_entry: ($) =>
      seq(
        'if',
        field('condition', $._expression),
        field('consequence', $.entries),
        optional(seq('else', field('alternative', choice($.if_entry, $.entries)))),
      ),

    // The braces of an object's `for` or `if` and the entries in them (pest's
    // `else_entries` is one of these).
    entries: ($) => seq('{', repeat(seq($._entry, optional(','))), '}'),

    let_entry: ($) =>
      seq(
        'let',
        field('name', $.identifier),
        optional(seq(':', field('type', $._type))),
        '=',
        field('value', $._expression),
      ),

    // -------------------------------------------------------------------------------------
    // Literals

    identifier: (_) => /[A-Za-z_][A-Za-z0-9_]*/,

    null: (_) => 'null',
    true: (_) => 'true',
    false: (_) => 'false',

    float: (_) => new RegExp(FLOAT),
    integer: (_) => new RegExp(INT),

    // The text between the quotes is read by the scanner (`string_content`); a string does not
    // cross a line break.
    string: ($) =>
      seq(
        '"',
        repeat(choice($.string_content, $.escape_sequence, $.interpolation)),
        token.immediate('"'),
      ),

    // `"""`, then anything up to the closing `"""`; the scanner reads the text.
    ml_string: ($) =>
      seq(
        '"""',
        repeat(
          choice(
            alias($._ml_string_content, $.string_content),
            $.escape_sequence,
            $.interpolation,
          ),
        ),
        token.immediate('"""'),
      ),

    // Escapes are checked when lowering, so any character may follow a backslash here.
    escape_sequence: (_) =>
      token.immediate(seq('\\', choice(/u\{[^}"\n]*\}/, /./, '\n'))),

    interpolation: ($) => seq(token.immediate('${'), $._expression, '}'),
  },
});
