// The external scanner of the Cairn grammar: what regular tokens cannot say.
//
// - Block comments nest (`/* a /* b */ c */`), as in grammar/cairn.pest.
// - The text of strings is read here, so that `//` and `/*` inside a string stay text (the
//   comment tokens are valid everywhere) and a `$` not followed by `{` is text too. One-line
//   text stops at `"`, `\`, `${` and a line break; multi-line text stops at `"""`, `\` and
//   `${`, so a `"` or `""` inside it is text.
//
// The scanner keeps no state between tokens.

#include "tree_sitter/parser.h"

#include <stdbool.h>

enum TokenType {
  BLOCK_COMMENT,
  STRING_CONTENT,
  ML_STRING_CONTENT,
  ERROR_SENTINEL,
};

void *tree_sitter_cairn_external_scanner_create(void) { return NULL; }

void tree_sitter_cairn_external_scanner_destroy(void *payload) { (void)payload; }

unsigned tree_sitter_cairn_external_scanner_serialize(void *payload, char *buffer) {
  (void)payload;
  (void)buffer;
  return 0;
}

void tree_sitter_cairn_external_scanner_deserialize(void *payload, const char *buffer,
                                                    unsigned length) {
  (void)payload;
  (void)buffer;
  (void)length;
}

static void advance(TSLexer *lexer) { lexer->advance(lexer, false); }

// Text of a one-line string, up to (not including) `"`, `\`, `${` or a line break.
static bool scan_string_content(TSLexer *lexer) {
  bool has_content = false;
  for (;;) {
    lexer->mark_end(lexer);
    int32_t c = lexer->lookahead;
    if (lexer->eof(lexer) || c == '"' || c == '\\' || c == '\n') {
      break;
    }
    if (c == '$') {
      advance(lexer);
      if (lexer->lookahead == '{') {
        break;
      }
      has_content = true;
      continue;
    }
    advance(lexer);
    has_content = true;
  }
  lexer->result_symbol = STRING_CONTENT;
  return has_content;
}

// Text of a multi-line string, up to (not including) `"""`, `\` or `${`.
static bool scan_ml_string_content(TSLexer *lexer) {
  bool has_content = false;
  for (;;) {
    lexer->mark_end(lexer);
    int32_t c = lexer->lookahead;
    if (lexer->eof(lexer) || c == '\\') {
      break;
    }
    if (c == '$') {
      advance(lexer);
      if (lexer->lookahead == '{') {
        break;
      }
      has_content = true;
      continue;
    }
    if (c == '"') {
      advance(lexer);
      if (lexer->lookahead == '"') {
        advance(lexer);
        if (lexer->lookahead == '"') {
          break;
        }
      }
      has_content = true;
      continue;
    }
    advance(lexer);
    has_content = true;
  }
  lexer->result_symbol = ML_STRING_CONTENT;
  return has_content;
}

// A block comment, nested ones included; white space before it is skipped.
static bool scan_block_comment(TSLexer *lexer) {
  while (lexer->lookahead == ' ' || lexer->lookahead == '\t' || lexer->lookahead == '\r' ||
         lexer->lookahead == '\n' || lexer->lookahead == 0xFEFF) {
    lexer->advance(lexer, true);
  }
  if (lexer->lookahead != '/') {
    return false;
  }
  advance(lexer);
  if (lexer->lookahead != '*') {
    return false;
  }
  advance(lexer);
  unsigned depth = 1;
  while (depth > 0) {
    if (lexer->eof(lexer)) {
      return false;
    }
    int32_t c = lexer->lookahead;
    advance(lexer);
    if (c == '/' && lexer->lookahead == '*') {
      advance(lexer);
      depth++;
    } else if (c == '*' && lexer->lookahead == '/') {
      advance(lexer);
      depth--;
    }
  }
  lexer->mark_end(lexer);
  lexer->result_symbol = BLOCK_COMMENT;
  return true;
}

bool tree_sitter_cairn_external_scanner_scan(void *payload, TSLexer *lexer,
                                             const bool *valid_symbols) {
  (void)payload;
  bool recovering = valid_symbols[ERROR_SENTINEL];
  if (!recovering && valid_symbols[STRING_CONTENT]) {
    return scan_string_content(lexer);
  }
  if (!recovering && valid_symbols[ML_STRING_CONTENT]) {
    return scan_ml_string_content(lexer);
  }
  if (valid_symbols[BLOCK_COMMENT]) {
    return scan_block_comment(lexer);
  }
  return false;
}
