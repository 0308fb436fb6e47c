// Hardware model speed: fast mode per configuration of a ResNet-18-sized network, a 10,000-configuration sweep
// over worker threads, and the reference mode's simulated cycles per second.
import { medianMs, reportFigure } from './report';
import { DEFAULT_ACCELERATOR, DEFAULT_LUT } from '../src/sim/defaults';
import { runExploration } from '../src/sim/explore';
import { resnet18Workload } from '../src/sim/network';
import { planLayer } from '../src/sim/plan';
import { referenceLayer } from '../src/sim/reference';
import { evaluate, simulateWorkload } from '../src/sim/simulate';
import type { ExploreConfig } from '../src/dsl/config';

async function main(): Promise<void> {
  const w = resnet18Workload(DEFAULT_LUT);
  const fastMs = await medianMs(() => evaluate(w, DEFAULT_ACCELERATOR), 41, 10);
  reportFigure(`fast mode, ResNet-18 (${w.layers.length} GEMMs), one configuration`, fastMs, 'ms', '< 5 ms', fastMs < 5);
  const fullMs = await medianMs(() => simulateWorkload(w, DEFAULT_ACCELERATOR), 21, 5);
  reportFigure('full simulate report incl. 2 baselines, ResNet-18', fullMs, 'ms', '(info)', true);

  // 10,000 configurations: 10 x 10 x 10 x 10 over c, lanes, LUT memory and DRAM bandwidth.
  const explore: ExploreConfig = {
    axes: [
      { path: 'lut.centroids', values: [4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048] },
      { path: 'accelerator.imm.lanes', values: [8, 16, 24, 32, 48, 64, 96, 128, 192, 256] },
      { path: 'accelerator.memory.lut', values: [32, 48, 64, 96, 128, 192, 256, 384, 512, 1024].map((k) => k * 1024) },
      { path: 'accelerator.memory.dram', values: [4, 6.4, 8, 12.8, 16, 25.6, 32, 51.2, 64, 100].map((g) => g * 1e9) },
    ],
    constraints: [{ metric: 'area', op: '<=', value: 2 }],
    minimize: ['latency', 'energy', 'area'],
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage(); // process-wide: includes the worker threads
  const rep = await runExploration({ workload: w, base: DEFAULT_ACCELERATOR, explore, configName: 'bench', baseLut: DEFAULT_LUT, workers: 2 });
  const sweepS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  reportFigure(`sweep of ${rep.points.length} configurations, 2 workers (${rep.points.filter((p) => p.pareto).length} on the front)`, sweepS, 's', '< 10 s', sweepS < 10);
  reportFigure('  the same sweep, CPU time of all threads', (cpu.user + cpu.system) / 1e6, 's', '(info: shared cores)', true);

  // Reference mode: a mid-sized ResNet-18 layer; wall-clock and CPU-time rates (the machine is shared).
  const layer = w.layers.find((l) => l.name === 'layer2.0.downsample')!;
  const p = planLayer(layer, DEFAULT_ACCELERATOR);
  let cycles = 0;
  let cpuS = 0;
  const refMs = await medianMs(() => {
    const c0 = process.cpuUsage();
    cycles = referenceLayer(p).cycles;
    const d = process.cpuUsage(c0);
    cpuS = (d.user + d.system) / 1e6;
  }, 31, 40); // a run takes about a millisecond: measure after the JIT has settled, not while it compiles
  const rate = cycles / (refMs / 1000);
  reportFigure(`reference mode, ${cycles} cycles (${layer.name}), wall clock`, rate, 'cycles/s', '>= 2e7', rate >= 2e7);
  reportFigure('reference mode, per CPU second (last run)', cycles / cpuS, 'cycles/s', '(info: shared cores)', true);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
