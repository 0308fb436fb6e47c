/**
 * Technology table: per-operation energy (pJ) and area (um^2) of the circuits the hardware model counts, per
 * process node. Every figure names its source; "estimate" marks a figure we derived rather than read.
 *
 * Sources
 *  [H14]  M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, 45 nm, 0.9 V:
 *         energy: int add 8b 0.03 pJ, 16b 0.05, 32b 0.1; fp add 16b 0.4, 32b 0.9; int mult 8b 0.2, 32b 3.1;
 *         fp mult 16b 1.1, 32b 3.7; SRAM read (64 bit) 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ;
 *         DRAM 1.3-2.6 nJ per 64-bit access (20-40 pJ/bit).
 *         area: int add 8b 36 um^2, 16b 67, 32b 137; fp add 16b 1360, 32b 4184; int mult 8b 282, 32b 3495;
 *         fp mult 16b 1640, 32b 7700.
 *  [NG45] NanGate FreePDK45 Open Cell Library: DFF_X1 flip-flop 4.522 um^2 (per register bit).
 *  [M07]  K. Mistry et al., "A 45nm logic technology...", IEDM 2007: 6T SRAM cell 0.346 um^2.
 *  [T28]  TSMC 28 nm high-density 6T SRAM cell 0.127 um^2 (28HPM/HPL, 2011 disclosures).
 *  [W16]  S.-Y. Wu et al., "A 7nm CMOS platform technology...", IEDM 2016: 6T SRAM cell 0.027 um^2.
 *  [SB17] A. Stillmaker, B. Baas, "Scaling equations for the accurate prediction of CMOS device performance
 *         from 180 nm to 7 nm", Integration 58 (2017): classical scaling overstates gains below 45 nm.
 *  [CACTI] N. Muralimanohar et al., CACTI 6.0 (HPL-2009-85): array efficiency (cells / macro area) of
 *         ~0.6-0.8 for the sizes used here; we take 0.7. Access energy = fixed decode part + per-bit part.
 *
 * Scaling to 28 nm and 7 nm (the 45 nm logic figures are measured; others are derived):
 *  - area factor = SRAM bitcell area ratio ([T28]/[M07] = 0.367, [W16]/[M07] = 0.078): logic density tracked
 *    SRAM density across these nodes closely enough for a first-order model;
 *  - energy factor = C * V^2 with C scaling as the square root of the area factor (non-ideal wire capacitance,
 *    the correction [SB17] argues for) and nominal VDD 0.9 V (45 nm, as [H14]), 0.9 V (28 nm), 0.75 V (7 nm):
 *    28 nm: sqrt(0.367) = 0.61; 7 nm: sqrt(0.078) * (0.75/0.9)^2 = 0.19.
 *  Nodes between table entries are interpolated in log-log; outside 7..45 nm the nearest entry is scaled
 *  (area ~ node^2, energy ~ node) and the result is flagged as extrapolated.
 */

export interface TechNode {
  nm: number;
  source: string;
  areaFactor: number; // vs 45 nm logic
  energyFactor: number; // vs 45 nm
  sramCellUm2: number; // 6T bitcell
  sramLeakNWPerBit: number; // estimate
  logicLeakMWPerMM2: number; // estimate
  dramPJPerBit: number;
}

export const TECH_NODES: readonly TechNode[] = [
  { nm: 45, source: '[H14] [NG45] [M07]', areaFactor: 1, energyFactor: 1, sramCellUm2: 0.346, sramLeakNWPerBit: 0.05, logicLeakMWPerMM2: 5, dramPJPerBit: 20 },
  { nm: 28, source: 'derived from 45 nm: [T28] [SB17]', areaFactor: 0.367, energyFactor: 0.61, sramCellUm2: 0.127, sramLeakNWPerBit: 0.04, logicLeakMWPerMM2: 8, dramPJPerBit: 20 },
  { nm: 7, source: 'derived from 45 nm: [W16] [SB17]', areaFactor: 0.078, energyFactor: 0.19, sramCellUm2: 0.027, sramLeakNWPerBit: 0.02, logicLeakMWPerMM2: 15, dramPJPerBit: 20 },
];
// Leakage figures are estimates (low-power libraries; [CACTI] LSTP-class cells leak tens of pW per bit);
// DRAM energy is the interface, not the logic node: [H14]'s 20 pJ/bit for every node unless memory.dramEnergy says otherwise.

export const SRAM_ARRAY_EFFICIENCY = 0.7; // [CACTI]

/** Figures at 45 nm (before scaling). */
const E45 = {
  intAdd: [[8, 0.03], [16, 0.05], [32, 0.1]] as const,
  intAddArea: [[8, 36], [16, 67], [32, 137]] as const,
  fpAdd: { 16: 0.4, 32: 0.9 },
  fpAddArea: { 16: 1360, 32: 4184 },
  fpMult: { 16: 1.1, 32: 3.7 },
  fpMultArea: { 16: 1640, 32: 7700 },
  intMult8: 0.2,
  intMult32: 3.1,
  intMultArea8: 282,
  intMultArea32: 3495,
  regBitArea: 4.522, // [NG45]
  regBitEnergy: 0.005, // estimate: a few fJ per clocked bit in FreePDK45-class flip-flops
  sram64: [[8 * 1024, 10], [32 * 1024, 20], [1024 * 1024, 100]] as const, // bytes -> pJ per 64-bit read [H14]
};

function piecewiseLinear(points: readonly (readonly [number, number])[], x: number): number {
  if (x <= points[0][0]) return (points[0][1] * x) / points[0][0];
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  const [xa, ya] = points[points.length - 2];
  const [xb, yb] = points[points.length - 1];
  return yb + ((yb - ya) * (x - xb)) / (xb - xa);
}

function logLog(points: readonly (readonly [number, number])[], x: number): number {
  const lx = Math.log(x);
  let i = 1;
  while (i < points.length - 1 && x > points[i][0]) i++;
  const [x0, y0] = points[i - 1];
  const [x1, y1] = points[i];
  const slope = (Math.log(y1) - Math.log(y0)) / (Math.log(x1) - Math.log(x0));
  return Math.exp(Math.log(y0) + slope * (lx - Math.log(x0)));
}

/** Resolved technology: cost functions at one node. */
export interface Technology {
  nm: number;
  extrapolated: boolean;
  source: string;
  /** Integer adder / subtractor / comparator of `bits` (a comparator is a subtractor's carry chain). */
  addPJ(bits: number): number;
  addUm2(bits: number): number;
  multPJ(bits: number): number;
  multUm2(bits: number): number;
  fpAddPJ(bits: 16 | 32): number;
  fpAddUm2(bits: 16 | 32): number;
  fpMultPJ(bits: 16 | 32): number;
  fpMultUm2(bits: 16 | 32): number;
  regBitPJ: number;
  regBitUm2: number;
  /** One SRAM access of `widthBits` to an array of `bytes`. */
  sramPJ(bytes: number, widthBits: number): number;
  sramUm2PerBit: number;
  sramLeakWPerBit: number;
  logicLeakWPerUm2: number;
  dramPJPerBit: number;
}

export function technology(nm: number): Technology {
  if (!(nm > 0) || !Number.isFinite(nm)) throw new RangeError(`technology node must be a positive number of nm, got ${nm}`);
  const nodes = [...TECH_NODES].sort((a, b) => a.nm - b.nm);
  let node: TechNode;
  let extrapolated = false;
  const exact = nodes.find((n) => n.nm === nm);
  if (exact) node = exact;
  else if (nm < nodes[0].nm || nm > nodes[nodes.length - 1].nm) {
    const near = nm < nodes[0].nm ? nodes[0] : nodes[nodes.length - 1];
    const r = nm / near.nm;
    extrapolated = true;
    node = { ...near, nm, source: `extrapolated from ${near.nm} nm`, areaFactor: near.areaFactor * r * r, energyFactor: near.energyFactor * r, sramCellUm2: near.sramCellUm2 * r * r };
  } else {
    let i = 1;
    while (nodes[i].nm < nm) i++;
    const a = nodes[i - 1];
    const b = nodes[i];
    const f = (Math.log(nm) - Math.log(a.nm)) / (Math.log(b.nm) - Math.log(a.nm));
    const geo = (x: number, y: number): number => Math.exp(Math.log(x) + f * (Math.log(y) - Math.log(x)));
    node = {
      nm, source: `interpolated between ${a.nm} and ${b.nm} nm`, areaFactor: geo(a.areaFactor, b.areaFactor), energyFactor: geo(a.energyFactor, b.energyFactor),
      sramCellUm2: geo(a.sramCellUm2, b.sramCellUm2), sramLeakNWPerBit: geo(a.sramLeakNWPerBit, b.sramLeakNWPerBit),
      logicLeakMWPerMM2: geo(a.logicLeakMWPerMM2, b.logicLeakMWPerMM2), dramPJPerBit: geo(a.dramPJPerBit, b.dramPJPerBit),
    };
  }
  const ef = node.energyFactor;
  const af = node.areaFactor;
  const multExpE = Math.log(E45.intMult32 / E45.intMult8) / Math.log(4);
  const multExpA = Math.log(E45.intMultArea32 / E45.intMultArea8) / Math.log(4);
  return {
    nm,
    extrapolated,
    source: node.source,
    addPJ: (b) => piecewiseLinear(E45.intAdd, b) * ef,
    addUm2: (b) => piecewiseLinear(E45.intAddArea, b) * af,
    multPJ: (b) => E45.intMult8 * Math.pow(b / 8, multExpE) * ef,
    multUm2: (b) => E45.intMultArea8 * Math.pow(b / 8, multExpA) * af,
    fpAddPJ: (b) => E45.fpAdd[b] * ef,
    fpAddUm2: (b) => E45.fpAddArea[b] * af,
    fpMultPJ: (b) => E45.fpMult[b] * ef,
    fpMultUm2: (b) => E45.fpMultArea[b] * af,
    regBitPJ: E45.regBitEnergy * ef,
    regBitUm2: E45.regBitArea * af,
    // CACTI-style split: a quarter of a 64-bit access is decode/sense overhead, the rest scales with width.
    sramPJ: (bytes, w) => logLog(E45.sram64, Math.max(bytes, 64)) * (0.25 + (0.75 * w) / 64) * ef,
    sramUm2PerBit: node.sramCellUm2 / SRAM_ARRAY_EFFICIENCY,
    sramLeakWPerBit: node.sramLeakNWPerBit * 1e-9,
    logicLeakWPerUm2: node.logicLeakMWPerMM2 * 1e-3 * 1e-6,
    dramPJPerBit: node.dramPJPerBit,
  };
}
