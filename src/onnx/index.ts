/** Public API of the ONNX layer. onnxruntime is only loaded by runtime.ts / analysis.ts (import them directly). */
export * from './types';
export { readModel, readModelBytes, writeModel, cloneModel, collectTensors, metadataOf, setMetadata } from './model';
export * from './tensor';
export * from './builder';
export { foldConstants, foldBatchNorm, foldForConversion, constantsOf, consumerCounts } from './fold';
