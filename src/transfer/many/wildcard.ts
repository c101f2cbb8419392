/**
 * Wildcards in object names and local paths, as gcloud storage reads them: `*` matches any run of characters
 * within one path segment, `**` any run including `/`, `?` one character other than `/`, `[abc]`/`[a-z]`/`[!a]`
 * one character of (or not of) a set. The part before the first wildcard is a literal prefix, which is what
 * a listing asks the server for; the pattern then filters what comes back.
 */

const WILDCARD = /[*?[]/;

export function hasWildcard(text: string): boolean {
  return WILDCARD.test(text);
}

/** The text before the first wildcard character. */
export function literalPrefix(pattern: string): string {
  const index = pattern.search(WILDCARD);
  return index < 0 ? pattern : pattern.slice(0, index);
}

/** A RegExp that matches a whole name against `pattern`. */
export function wildcardRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` also matches no directory at all, so `a/**/b` matches `a/b`.
        if (pattern[i + 1] === '/') {
          i++;
          source += '(?:.*/)?';
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let set = pattern.slice(i + 1, close);
      const negate = set.startsWith('!') || set.startsWith('^');
      if (negate) set = set.slice(1);
      source += `[${negate ? '^' : ''}${set.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else {
      source += char.replace(/[.+^${}()|\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}
