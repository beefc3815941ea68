/**
 * The ONNX protobuf messages the course writes, made from plain values: node attributes, nodes, typed
 * graph inputs and outputs with symbolic dimensions, and whole models to and from bytes. The graph builder
 * (./builder) and the quantizer (./quantize) both speak through these.
 */
import { onnx } from "onnx-proto";
import { ONNX_DATA_TYPE, type ElementType } from "./tensor";

/** Opset of the default ONNX domain the course targets (LayerNormalization arrived in 17). */
export const ONNX_OPSET = 17;

/**
 * ONNX IR version of the files: 8, the newest the `onnx-proto` schema knows (ONNX 1.10); opset 17 is
 * specified for IR 8 and onnxruntime reads it.
 */
export const ONNX_IR_VERSION = 8;

/** A float attribute, told apart from an integer one (JavaScript has one number type). */
export interface FloatAttribute {
  readonly float: number;
}

/** A list-of-floats attribute. */
export interface FloatsAttribute {
  readonly floats: readonly number[];
}

/**
 * A node attribute: an integer, a list of integers, a string, `float(x)`, `floats([...])`, or a tensor
 * (for `Constant` and `ConstantOfShape`).
 */
export type AttributeValue = number | readonly number[] | string | FloatAttribute | FloatsAttribute | onnx.ITensorProto;

/** Marks a number as a float attribute: `{ epsilon: float(1e-5) }`. */
export function float(value: number): FloatAttribute {
  if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`float attribute: expected a number, got ${String(value)}`);
  return { float: value };
}

/** Marks numbers as a list-of-floats attribute. */
export function floats(values: readonly number[]): FloatsAttribute {
  return { floats: [...values] };
}

function isNumberList(value: AttributeValue): value is readonly number[] {
  return Array.isArray(value);
}

/** One attribute as an `AttributeProto`; integers must be integers (floats go through {@link float}). */
export function attributeProto(name: string, value: AttributeValue): onnx.AttributeProto {
  const type = onnx.AttributeProto.AttributeType;
  const integer = (v: number, what: string) => {
    if (!Number.isSafeInteger(v)) throw new TypeError(`ONNX attribute ${name}: ${what} ${v} is not an integer; wrap floats in float(…) / floats([…])`);
    return v;
  };
  if (typeof value === "number") return onnx.AttributeProto.create({ name, type: type.INT, i: integer(value, "value") });
  if (typeof value === "string") return onnx.AttributeProto.create({ name, type: type.STRING, s: new TextEncoder().encode(value) });
  if (isNumberList(value)) return onnx.AttributeProto.create({ name, type: type.INTS, ints: value.map((v, i) => integer(v, `item ${i}`)) });
  if (value !== null && typeof value === "object") {
    if ("float" in value) return onnx.AttributeProto.create({ name, type: type.FLOAT, f: value.float });
    if ("floats" in value) return onnx.AttributeProto.create({ name, type: type.FLOATS, floats: [...value.floats] });
    if ("dataType" in value) return onnx.AttributeProto.create({ name, type: type.TENSOR, t: value });
  }
  throw new TypeError(`ONNX attribute ${name}: unsupported value ${JSON.stringify(value)}`);
}

/** A `NodeProto`: `opType` reading `inputs` ("" for a skipped optional input) and writing `outputs`. */
export function nodeProto(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, name?: string, domain = ""): onnx.NodeProto {
  return onnx.NodeProto.create({
    opType,
    domain,
    name: name ?? outputs[0] ?? opType,
    input: [...inputs],
    output: [...outputs],
    attribute: Object.entries(attributes).map(([key, value]) => attributeProto(key, value)),
  });
}

/** A dimension: a fixed size, or a name (`"batch_size"`) for a size known only at run time. */
export type Dim = number | string;

/** A typed graph input or output with its (possibly symbolic) shape. */
export function valueInfoProto(name: string, type: ElementType, dims: readonly Dim[]): onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ONNX_DATA_TYPE[type],
        shape: {
          dim: dims.map((d, i) => {
            if (typeof d === "string" && d.length > 0) return { dimParam: d };
            if (typeof d === "number" && Number.isInteger(d) && d >= 0) return { dimValue: d };
            throw new RangeError(`ONNX value ${JSON.stringify(name)}: dims[${i}] = ${JSON.stringify(d)} must be a size ≥ 0 or a non-empty name`);
          }),
        },
      },
    },
  });
}

/** Metadata of a model file. */
export interface ModelMetadata {
  /** Written as `producer_name` (default "llm-course"). */
  producerName?: string;
  /** A sentence on what the model is, stored as `doc_string`. */
  docString?: string;
  /** Key–value pairs stored as `metadata_props` (shown by Netron). */
  properties?: Readonly<Record<string, string>>;
}

/** A `ModelProto` around `graph`, opset {@link ONNX_OPSET} of the default domain, IR {@link ONNX_IR_VERSION}. */
export function modelProto(graph: onnx.IGraphProto, metadata: ModelMetadata = {}, opset = ONNX_OPSET): onnx.ModelProto {
  return onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: opset }],
    producerName: metadata.producerName ?? "llm-course",
    producerVersion: "0.1.0",
    docString: metadata.docString ?? "",
    metadataProps: Object.entries(metadata.properties ?? {}).map(([key, value]) => ({ key, value })),
    graph,
  });
}

/** The bytes of an `.onnx` file. */
export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** A model read back from the bytes of an `.onnx` file. */
export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("decodeModel: expected the bytes of an .onnx file (a Uint8Array or Buffer)");
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new Error(`decodeModel: not an ONNX model (${(error as Error).message})`);
  }
}
