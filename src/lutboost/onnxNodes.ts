import { AttributeType, type AttributeProto, type NodeProto, type ValueInfoProto } from '../onnx/types';

/**
 * The few ONNX node / attribute / value-info constructors the LUT export and the onnxruntime kernels need
 * (plain objects of src/onnx/types, encoded by src/onnx's writer).
 */

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

function attribute(name: string, value: AttrValue): AttributeProto {
  const a: AttributeProto = { name, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] };
  if (typeof value === 'number') {
    a.type = AttributeType.INT;
    a.i = value;
  } else if (Array.isArray(value)) {
    a.type = AttributeType.INTS;
    a.ints = value;
  } else if (typeof value === 'string') {
    a.type = AttributeType.STRING;
    a.s = new Uint8Array(Buffer.from(value, 'utf8'));
  } else if ('float' in value) {
    a.type = AttributeType.FLOAT;
    a.f = value.float;
  } else {
    a.type = AttributeType.FLOATS;
    a.floats = value.floats;
  }
  return a;
}

export function makeNode(opType: string, inputs: string[], outputs: string[], name: string, attrs: Record<string, AttrValue> = {}): NodeProto {
  return {
    opType,
    input: inputs,
    output: outputs,
    name,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    metadataProps: [],
  };
}

/** A tensor value-info; dims may be numbers, symbolic names, or undefined (unknown). */
export function makeValueInfo(name: string, elemType: number, dims: (number | string | undefined)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) },
      },
    },
    metadataProps: [],
  };
}
