import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Collects a job's output files under temporary names in the destination folder and renames them all at the end,
 * so a cancelled or crashed job leaves nothing half-written. Temporary files are removed on abort.
 */
export class AtomicOutput {
  private readonly pending: { temp: string; final: string }[] = [];
  private committed = false;
  private createdDir: string | undefined;

  constructor(readonly dir: string) {}

  /** Ensures the folder exists (remembering whether we created it, so abort can remove it again). */
  prepare(): void {
    if (!fs.existsSync(this.dir)) {
      fs.mkdirSync(this.dir, { recursive: true });
      this.createdDir = this.dir;
    }
  }

  /** Writes `data` to a temporary sibling of `name`; returns the final path it will have after commit(). */
  write(name: string, data: string | Uint8Array): string {
    if (path.basename(name) !== name) throw new Error(`output name must be a plain file name: ${name}`);
    this.prepare();
    const final = path.join(this.dir, name);
    const temp = path.join(this.dir, `.${name}.${process.pid}.partial`);
    fs.writeFileSync(temp, data);
    this.pending.push({ temp, final });
    return final;
  }

  /** Renames every temporary file to its final name. */
  commit(): string[] {
    const done: string[] = [];
    for (const { temp, final } of this.pending) {
      fs.renameSync(temp, final);
      done.push(final);
    }
    this.committed = true;
    this.pending.length = 0;
    return done;
  }

  /** Removes every temporary file (and the folder, if this job created it and it is empty). */
  abort(): void {
    if (this.committed) return;
    for (const { temp } of this.pending) fs.rmSync(temp, { force: true });
    this.pending.length = 0;
    if (this.createdDir) {
      try {
        if (fs.readdirSync(this.createdDir).length === 0) fs.rmdirSync(this.createdDir);
      } catch {
        // best effort: the folder may be gone or in use
      }
    }
  }
}
