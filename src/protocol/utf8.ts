/**
 * `text` in UTF-8, cut to at most `maxBytes` at a character boundary, so that
 * what goes on the wire is always valid UTF-8 (a lone surrogate in `text`
 * becomes U+FFFD, as everywhere Node encodes UTF-8).
 */
export function utf8Prefix(text: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to a character's start.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

const ELLIPSIS = '...';

/**
 * `text` as valid UTF-8 of at most `maxBytes`: whole when it fits, else cut
 * at a character boundary and ending with `...` (counted in `maxBytes`).
 */
export function utf8Shorten(text: string, maxBytes: number): string {
  const whole = utf8Prefix(text, maxBytes);
  if (whole.length === Buffer.byteLength(text, 'utf8')) return whole.toString('utf8');
  return utf8Prefix(text, maxBytes - ELLIPSIS.length).toString('utf8') + ELLIPSIS;
}
