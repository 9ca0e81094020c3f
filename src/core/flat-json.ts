/**
 * JSON text as one flat string. For texts over a few dozen bytes V8's JSON.stringify returns a tree of
 * pieces (a 700-byte object: ~6 of them, ~200 bytes more), which is what a cache would then hold;
 * the round trip through UTF-8 copies it into one. Lossless: JSON.stringify escapes lone surrogates.
 */
export function flatJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString();
}
