/** Layer-name patterns of `keep` and `layer "pattern" { }`: `*` any run of characters, `?` one; else literal. */
export function globToRegExp(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's');
}

export function globMatch(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}
