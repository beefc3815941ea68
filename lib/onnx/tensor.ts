/**
 * ONNX tensors from and to JavaScript typed arrays: the element types the course's graphs use, the
 * `TensorProto` of an initializer (numbers stored as little-endian `raw_data`, as the ONNX exporters of
 * PyTorch write them), and the numbers back out of a `TensorProto` (for the quantizer and the tests).
 */
import { onnx } from "onnx-proto";

/** Element types of the course's graphs, named as onnxruntime-node names them. */
export type ElementType = "float32" | "uint8" | "int8" | "int32" | "int64" | "bool";

/** A typed array holding one of the {@link ElementType}s (bool as 0/1 bytes in a Uint8Array). */
export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

/** ONNX's `TensorProto.DataType` code of each element type. */
export const ONNX_DATA_TYPE: Readonly<Record<ElementType, number>> = Object.freeze({
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
});

/** Bytes per element of each type. */
export const ELEMENT_BYTES: Readonly<Record<ElementType, number>> = Object.freeze({ float32: 4, uint8: 1, int8: 1, int32: 4, int64: 8, bool: 1 });

/** The element type of an ONNX data-type code, or an error naming the code. */
export function elementTypeOf(code: number): ElementType {
  for (const [name, value] of Object.entries(ONNX_DATA_TYPE)) if (value === code) return name as ElementType;
  throw new RangeError(`ONNX data type ${code} is not one of the course's element types (${Object.keys(ONNX_DATA_TYPE).join(", ")})`);
}

/** The element type a typed array stands for; a Uint8Array is uint8 unless `bool` is asked for. */
export function elementTypeOfData(data: TensorData, asBool = false): ElementType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array) return asBool ? "bool" : "uint8";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof BigInt64Array) return "int64";
  throw new TypeError(`ONNX tensor: data must be a Float32Array, Uint8Array, Int8Array, Int32Array or BigInt64Array, got ${Object.prototype.toString.call(data)}`);
}

// raw_data is little-endian by the ONNX specification; typed arrays use the machine's order.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkDims(dims: readonly number[], where: string): number {
  if (!Array.isArray(dims)) throw new TypeError(`${where}: dims must be an array of sizes, got ${typeof dims}`);
  let size = 1;
  dims.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${where}: dims[${i}] = ${d} is not a size (an integer ≥ 0)`);
    size *= d;
  });
  return size;
}

/**
 * A `TensorProto` named `name` holding `data` with shape `dims` ([] for a scalar). The element type comes
 * from the array (`type: "bool"` marks a Uint8Array of 0/1 as booleans); the sizes must agree.
 */
export function tensorProto(name: string, data: TensorData, dims: readonly number[], type?: ElementType): onnx.TensorProto {
  if (!LITTLE_ENDIAN) throw new Error("ONNX tensor: this machine is big-endian; raw_data must be little-endian");
  const where = `ONNX tensor ${JSON.stringify(name)}`;
  const size = checkDims(dims, where);
  const elementType = type ?? elementTypeOfData(data);
  const expected = elementTypeOfData(data, elementType === "bool");
  if (expected !== elementType) throw new TypeError(`${where}: a ${expected} array cannot hold ${elementType} values`);
  if (data.length !== size) throw new RangeError(`${where}: ${data.length} values do not fill shape [${dims.join(", ")}] (${size} values)`);
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: ONNX_DATA_TYPE[elementType],
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  });
}

/** A tensor's numbers, shape and element type as JavaScript values. */
export interface TensorValues {
  type: ElementType;
  dims: number[];
  data: TensorData;
}

function toNumber(value: number | { toNumber(): number }): number {
  return typeof value === "number" ? value : value.toNumber();
}

/** The numbers of a `TensorProto`, from `raw_data` or from the typed fields (`float_data`, `int32_data`, `int64_data`). */
export function tensorValues(proto: onnx.ITensorProto): TensorValues {
  const type = elementTypeOf(proto.dataType ?? 0);
  const dims = (proto.dims ?? []).map(toNumber);
  const size = dims.reduce((a, b) => a * b, 1);
  const where = `ONNX tensor ${JSON.stringify(proto.name ?? "")}`;
  let data: TensorData;
  if (proto.rawData && proto.rawData.length > 0) {
    const bytes = proto.rawData;
    if (bytes.length !== size * ELEMENT_BYTES[type]) throw new RangeError(`${where}: raw_data has ${bytes.length} bytes, shape [${dims.join(", ")}] of ${type} needs ${size * ELEMENT_BYTES[type]}`);
    // Copied so that the array is aligned and owns its buffer.
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    data = type === "float32" ? new Float32Array(buffer)
      : type === "int8" ? new Int8Array(buffer)
      : type === "int32" ? new Int32Array(buffer)
      : type === "int64" ? new BigInt64Array(buffer)
      : new Uint8Array(buffer);
  } else if (type === "float32") {
    data = Float32Array.from(proto.floatData ?? []);
  } else if (type === "int64") {
    data = BigInt64Array.from((proto.int64Data ?? []).map((v) => BigInt(String(v))));
  } else {
    // ONNX stores int8, uint8, int32 and bool in int32_data when raw_data is absent.
    const values = proto.int32Data ?? [];
    data = type === "int8" ? Int8Array.from(values) : type === "int32" ? Int32Array.from(values) : Uint8Array.from(values);
  }
  if (data.length !== size) throw new RangeError(`${where}: ${data.length} values for shape [${dims.join(", ")}] (${size} values)`);
  return { type, dims, data };
}

/** Bytes taken by a tensor's numbers. */
export function tensorByteLength(proto: onnx.ITensorProto): number {
  const dims = (proto.dims ?? []).map(toNumber);
  return dims.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[elementTypeOf(proto.dataType ?? 0)];
}
