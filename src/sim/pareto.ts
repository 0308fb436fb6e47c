/**
 * Pareto front (all objectives minimised) of the rows whose `eligible` flag is set and whose objective values
 * are all finite. Rows are sorted lexicographically, so any row that dominates another comes before it; a row is
 * checked only against the front found so far (a dominated dominator implies a front member that dominates).
 * Equal rows do not dominate each other: both stay on the front.
 */
export function paretoFront(values: readonly (readonly number[])[], eligible: readonly boolean[]): boolean[] {
  const out = new Array<boolean>(values.length).fill(false);
  const ids: number[] = [];
  values.forEach((v, i) => {
    if (eligible[i] && v.every((x) => Number.isFinite(x))) ids.push(i);
  });
  ids.sort((a, b) => {
    const va = values[a];
    const vb = values[b];
    for (let k = 0; k < va.length; k++) if (va[k] !== vb[k]) return va[k] - vb[k];
    return a - b;
  });
  const front: number[] = [];
  for (const i of ids) {
    const v = values[i];
    let dominated = false;
    for (const f of front) {
      const w = values[f];
      let le = true;
      let lt = false;
      for (let k = 0; k < v.length; k++) {
        if (w[k] > v[k]) {
          le = false;
          break;
        }
        if (w[k] < v[k]) lt = true;
      }
      if (le && lt) {
        dominated = true;
        break;
      }
    }
    if (!dominated) {
      front.push(i);
      out[i] = true;
    }
  }
  return out;
}
