import * as fs from 'node:fs';
import * as path from 'node:path';

/** A path named by a model or config tried to leave its folder. */
export class PathEscapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathEscapeError';
  }
}

/**
 * Resolves `relative` (a path written in a model or config) inside `baseDir` and refuses anything that would
 * leave it: absolute paths, drive letters, `..` segments that climb out, and symlinks pointing outside.
 * `what` names the thing for the error message (e.g. "tensor 'W': external data location").
 */
export function resolveInside(baseDir: string, relative: string, what = 'path'): string {
  const shown = JSON.stringify(relative);
  if (!relative || relative.includes('\0')) throw new PathEscapeError(`${what} ${shown} is empty or invalid`);
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative) || /^[a-zA-Z]:/.test(relative)) {
    throw new PathEscapeError(`${what} ${shown} is absolute; it must be relative to ${baseDir}`);
  }
  const normal = path.normalize(relative.replace(/\\/g, '/'));
  if (normal === '..' || normal.startsWith(`..${path.sep}`) || normal.startsWith('../')) {
    throw new PathEscapeError(`${what} ${shown} escapes its folder ${baseDir}`);
  }
  const base = path.resolve(baseDir);
  const full = path.resolve(base, normal);
  if (!isInside(base, full)) throw new PathEscapeError(`${what} ${shown} escapes its folder ${baseDir}`);
  // A symlink inside the folder may still point outside it.
  if (fs.existsSync(full)) {
    const realBase = fs.realpathSync(base);
    const realFull = fs.realpathSync(full);
    if (!isInside(realBase, realFull)) throw new PathEscapeError(`${what} ${shown} leads outside its folder ${baseDir} (through a symbolic link)`);
  }
  return full;
}

function isInside(base: string, full: string): boolean {
  const rel = path.relative(base, full);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
