/** Public API of the data readers (see dataset.ts for the Dataset, the readers for the formats). */
export { DataError } from './errors';
export { resolveInside, PathEscapeError } from './safePath';
export type { ArraySource, ElementType } from './array';
export { openArray, readLabels, planInput, checkRange, resolveDataPath, makePreprocessor, Dataset } from './dataset';
export type { OpenOptions, DatasetOptions, Preprocess, ModelInput, InputPlan, Batch } from './dataset';
export { encodeNpy, parseNpyHeader } from './npy';
export { NpzFile, encodeZip } from './npz';
export { readTensorFile, readTestDataSet, testDataSets, testDataArray } from './tensorFiles';
