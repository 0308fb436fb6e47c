import type { ExploreValue } from '../dsl/config';

/**
 * `<name>.exploration.json` (schema: schemas/report.exploration.schema.json). Written by `lutdla explore`,
 * rendered by the exploration panel. Fields may be added; existing ones keep their names and units.
 */
export interface ExplorationPoint {
  id: number;
  settings: Record<string, ExploreValue>; // axis path -> value
  figures: Record<string, number | null>; // latency (s), area (mm2), energy (J), power (W), accuracy_drop (pp) ...
  feasible: boolean; // meets every constraint
  pareto: boolean; // on the Pareto front of the objectives (among feasible points)
  note?: string; // e.g. 'no conversion report for c=32 v=2 l2 int8'
}

export interface ExplorationReport {
  kind: 'exploration';
  version: 1;
  config: string; // file name of the .lutdla config
  objectives: string[];
  constraints: { metric: string; op: string; value: number }[];
  axes: { path: string; values: ExploreValue[] }[];
  points: ExplorationPoint[];
  wallTimeS: number;
  /** Added fields: what the sweep ran on, and notes (axes without effect, points without an accuracy figure...). */
  model?: string;
  accelerator?: string;
  figures?: string[]; // names of the figures every point carries, with units in figureUnits
  figureUnits?: Record<string, string>;
  accuracySources?: string[]; // conversion reports used for accuracy_drop
  workers?: number;
  notes?: string[];
}
