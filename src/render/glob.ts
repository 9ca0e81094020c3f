import { compileGlobPattern } from '../core/index.js';

/**
 * Compiles a glob as Argo CD matches directory include/exclude patterns: `*` and `**` match any run of
 * characters including `/`, `?` one character, `[abc]`/`[!a-z]`/`[^a-z]` a class, `{a.yaml,b.yaml}`
 * alternatives (nestable), and `\` escapes. The whole path must match; bad syntax is a UserError.
 */
export function compileGlob(pattern: string, field = 'glob'): RegExp {
  return compileGlobPattern(pattern, { strict: true, context: `directory.${field}`, caretNegates: true });
}
