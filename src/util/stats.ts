/** Mean and standard error of the paired differences a[i] - b[i]. */
export function pairedGain(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; se: number } {
  const n = a.length;
  let avg = 0;
  for (let i = 0; i < n; i++) avg += a[i] - b[i];
  avg /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (a[i] - b[i] - avg) ** 2;
  return { mean: avg, se: Math.sqrt(v / Math.max(n - 1, 1) / n) };
}
