/**
 * Two 4-bit codes per byte. The layout follows ONNX's INT4 type: signed two's-complement nibbles, element
 * 2i in the low 4 bits of byte i and element 2i + 1 in the high 4 bits; an odd count leaves the last high
 * nibble 0. (llama.cpp's Q4_0 orders nibbles differently inside a block; the byte count is the same.)
 */
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Codes in −8…7 packed two per byte: ceil(n / 2) bytes. */
export const packInt4 = offLimitsDuringChecks("packInt4", function packInt4(codes: ArrayLike<number>): Uint8Array {
  if (codes === null || typeof codes !== "object" || typeof codes.length !== "number") throw new TypeError("packInt4: expected an array of integer codes");
  const out = new Uint8Array(Math.ceil(codes.length / 2));
  for (let i = 0; i < codes.length; i++) {
    const q = codes[i]!;
    if (!Number.isInteger(q) || q < -8 || q > 7) throw new RangeError(`packInt4: code ${i} is ${q}; int4 holds integers from −8 to 7`);
    out[i >> 1] |= (q & 0x0f) << ((i & 1) * 4);
  }
  return out;
});

/** The first `length` codes of packed bytes, back in −8…7. */
export const unpackInt4 = offLimitsDuringChecks("unpackInt4", function unpackInt4(packed: Uint8Array, length: number = packed.length * 2): Int8Array {
  if (!(packed instanceof Uint8Array)) throw new TypeError("unpackInt4: expected a Uint8Array");
  if (!Number.isInteger(length) || length < 0 || Math.ceil(length / 2) !== packed.length) {
    throw new RangeError(`unpackInt4: ${packed.length} bytes hold ${2 * packed.length - 1} or ${2 * packed.length} codes, not ${length}`);
  }
  const out = new Int8Array(length);
  for (let i = 0; i < length; i++) {
    const nibble = (packed[i >> 1]! >> ((i & 1) * 4)) & 0x0f;
    out[i] = nibble >= 8 ? nibble - 16 : nibble;
  }
  return out;
});
