import type { GemmLayerInfo } from '../onnx/layerInfo';
import type { LutParams, Workload } from './workload';

/** Output size of one spatial dim of a convolution. */
export function convOut(size: number, kernel: number, stride: number, padBegin: number, padEnd = padBegin, dilation = 1): number {
  return Math.floor((size + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** A 2-D convolution as GEMMs through im2col: M = batch * output pixels, K = Cin/groups * kh * kw, N = Cout/groups. */
export function convGemm(
  name: string,
  o: { cin: number; cout: number; kernel: number | [number, number]; stride?: number; pad?: number; groups?: number; h: number; w: number; batch?: number },
): GemmLayerInfo & { outH: number; outW: number } {
  const [kh, kw] = typeof o.kernel === 'number' ? [o.kernel, o.kernel] : o.kernel;
  const s = o.stride ?? 1;
  const p = o.pad ?? 0;
  const g = o.groups ?? 1;
  if (o.cin % g || o.cout % g) throw new RangeError(`${name}: channels ${o.cin}/${o.cout} are not divisible by groups ${g}`);
  const outH = convOut(o.h, kh, s, p);
  const outW = convOut(o.w, kw, s, p);
  return { name, op: 'Conv', m: (o.batch ?? 1) * outH * outW, k: (o.cin / g) * kh * kw, n: o.cout / g, groups: g, outH, outW };
}

/**
 * A ResNet-18-shaped workload (ImageNet, 224 x 224, batch 1): conv1, four stages of two basic blocks with 1x1
 * downsampling convolutions, and the classifier: 21 GEMM layers. Generated, so benchmarks and tests need no file.
 */
export function resnet18Layers(size = 224): GemmLayerInfo[] {
  const layers: GemmLayerInfo[] = [];
  const c1 = convGemm('conv1', { cin: 3, cout: 64, kernel: 7, stride: 2, pad: 3, h: size, w: size });
  layers.push(c1);
  let h = convOut(c1.outH, 3, 2, 1); // max pool
  let ch = 64;
  [64, 128, 256, 512].forEach((width, stage) => {
    for (let block = 0; block < 2; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      const a = convGemm(`layer${stage + 1}.${block}.conv1`, { cin: ch, cout: width, kernel: 3, stride, pad: 1, h, w: h });
      const b = convGemm(`layer${stage + 1}.${block}.conv2`, { cin: width, cout: width, kernel: 3, pad: 1, h: a.outH, w: a.outW });
      layers.push(a, b);
      if (stride !== 1 || ch !== width) layers.push(convGemm(`layer${stage + 1}.${block}.downsample`, { cin: ch, cout: width, kernel: 1, stride, h, w: h }));
      h = a.outH;
      ch = width;
    }
  });
  layers.push({ name: 'fc', op: 'Gemm', m: 1, k: 512, n: 1000, groups: 1 });
  return layers.map(({ name, op, m, k, n, groups }) => ({ name, op, m, k, n, groups }));
}

export function resnet18Workload(lut: LutParams, size = 224): Workload {
  return { name: 'resnet18', layers: resnet18Layers(size).map((l) => ({ ...l, lut: { ...lut } })), dense: [], notes: ['generated ResNet-18-shaped workload'] };
}
