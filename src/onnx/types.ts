/**
 * Plain typed views of the ONNX protobuf messages (field names are the proto names in camelCase).
 * Repeated fields are always arrays after reading; optional singular fields are absent when unset.
 * int64 fields are `number` when the value is a safe integer and `bigint` otherwise (e.g. INT64_MAX in a
 * Slice attribute), so a model round-trips without losing precision. Shape-like int64 fields (dims, dimValue,
 * versions) are always `number`: a value beyond 2^53 there is rejected as a format error.
 */
export type Int64 = number | bigint;

export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: number;
}

/** TensorProto.DataType */
export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
}

/** AttributeProto.AttributeType */
export enum AttributeType {
  UNDEFINED = 0,
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  GRAPH = 5,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8,
  TENSORS = 9,
  GRAPHS = 10,
  SPARSE_TENSOR = 11,
  SPARSE_TENSORS = 12,
  TYPE_PROTO = 13,
  TYPE_PROTOS = 14,
}

export interface TensorProto {
  dims: number[];
  dataType?: number;
  segment?: { begin?: Int64; end?: Int64 };
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: Int64[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData: StringStringEntryProto[];
  /** 0 = DEFAULT, 1 = EXTERNAL */
  dataLocation?: number;
  doubleData: number[];
  uint64Data: Int64[];
  metadataProps: StringStringEntryProto[];
}

export interface SparseTensorProto {
  values?: TensorProto;
  indices?: TensorProto;
  dims: number[];
}

export interface TensorShapeDimension {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TensorShapeProto {
  dim: TensorShapeDimension[];
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: TensorShapeProto };
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  sparseTensorType?: { elemType?: number; shape?: TensorShapeProto };
  denotation?: string;
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  docString?: string;
  metadataProps: StringStringEntryProto[];
}

export interface AttributeProto {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  sparseTensor?: SparseTensorProto;
  tp?: TypeProto;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  sparseTensors: SparseTensorProto[];
  typeProtos: TypeProto[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  domain?: string;
  overload?: string;
  attribute: AttributeProto[];
  docString?: string;
  metadataProps: StringStringEntryProto[];
}

export interface TensorAnnotation {
  tensorName?: string;
  quantParameterTensorNames: StringStringEntryProto[];
}

export interface GraphProto {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  sparseInitializer: SparseTensorProto[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  quantizationAnnotation: TensorAnnotation[];
  metadataProps: StringStringEntryProto[];
}

export interface TrainingInfoProto {
  initialization?: GraphProto;
  algorithm?: GraphProto;
  initializationBinding: StringStringEntryProto[];
  updateBinding: StringStringEntryProto[];
}

export interface FunctionProto {
  name?: string;
  input: string[];
  output: string[];
  attribute: string[];
  attributeProto: AttributeProto[];
  node: NodeProto[];
  docString?: string;
  opsetImport: OperatorSetIdProto[];
  domain?: string;
  overload?: string;
  valueInfo: ValueInfoProto[];
  metadataProps: StringStringEntryProto[];
}

export interface ModelProto {
  irVersion?: number;
  opsetImport: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
  metadataProps: StringStringEntryProto[];
  trainingInfo: TrainingInfoProto[];
  functions: FunctionProto[];
}

/** A clear error about a malformed or unsupported model or tensor file, naming the file and what is wrong. */
export class OnnxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxFormatError';
  }
}
