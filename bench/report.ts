/** Prints one benchmark figure next to its target, in one aligned line. */
export function reportFigure(name: string, value: number, unit: string, target: string, meets: boolean): void {
  const shown = Math.abs(value) >= 1e5 ? value.toExponential(3) : value.toFixed(value < 10 ? 3 : 1);
  const mark = meets ? 'ok  ' : 'MISS';
  console.log(`${mark} ${name.padEnd(58)} ${`${shown} ${unit}`.padStart(20)}   target ${target}`);
}

/** Median wall time in ms of `fn` over `runs` runs after `warmup` runs. */
export async function medianMs(fn: () => unknown | Promise<unknown>, runs = 15, warmup = 3): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
