/**
 * The seeds' slide "Représenter un scalaire" encodes π in three formats and prints, under each, the
 * formula (−1)^sign × 2^(stored exponent − bias) × significand = value:
 *
 *   FP32:  (−1)^0 × 2^(128−127) × 1.5707964 = 3.1415927     correct
 *   FP16:  (−1)^0 × 2^(128−127) × 1.571     = 3.141         wrong
 *   BF16:  (−1)^0 × 2^(128−127) × 1.5703125 = 3.140625      correct
 *
 * What the FP16 line gets wrong:
 * - the exponent: FP16's exponent field has 5 bits and a bias of 15, so it cannot hold 128; π is stored
 *   with the field 10000 = 16 and the factor is 2^(16−15). The slide copied FP32's 8-bit field and bias 127.
 * - the significand: 1.571 is π/2 written to four digits, not what the 10 mantissa bits store. They
 *   hold 1001001000 = 584 (0.5707963 × 1024 = 584.495…, rounded to 584), so the significand is
 *   1 + 584/1024 = 1.5703125, and fp16(π) = 3.140625 (0x4248), the very value BF16 gives.
 * The printed value 3.141 is right, as 3.140625 rounded to four digits, but it hides that FP16 and BF16
 * land on the same number here. That is a coincidence of π's bits: the three extra FP16 mantissa bits
 * round to 000 (584 = 73 × 8, and BF16 keeps 73/128). FP16 is more precise than BF16 in general
 * (ε = 2^−10 against 2^−7), not on π.
 */
import { floatLayout, FloatLayout } from "./floatLayout";

/** One line of the slide, as printed. */
export interface PiSlideLine {
  readonly format: "fp32" | "fp16" | "bf16";
  /** The formula exactly as the slide writes it. */
  readonly printed: string;
  readonly storedExponent: number;
  readonly bias: number;
  /** Significand and value as the slide prints them (strings keep the printed digits). */
  readonly significand: string;
  readonly value: string;
}

/** The three lines of the seeds' π slide. */
export const SEEDS_PI_SLIDE: readonly PiSlideLine[] = [
  { format: "fp32", printed: "(-1)^0 × 2^(128-127) × 1.5707964 = 3.1415927", storedExponent: 128, bias: 127, significand: "1.5707964", value: "3.1415927" },
  { format: "fp16", printed: "(-1)^0 × 2^(128-127) × 1.571 = 3.141", storedExponent: 128, bias: 127, significand: "1.571", value: "3.141" },
  { format: "bf16", printed: "(-1)^0 × 2^(128-127) × 1.5703125 = 3.140625", storedExponent: 128, bias: 127, significand: "1.5703125", value: "3.140625" },
];

/** A slide line checked against the computed encoding. */
export interface PiCheck {
  readonly slide: PiSlideLine;
  /** π encoded in the line's format. */
  readonly computed: FloatLayout;
  /** True when every printed number agrees with the computed one to the digits printed. */
  readonly correct: boolean;
  /** What disagrees, in French words for the notebook's table (empty when correct). */
  readonly problems: readonly string[];
}

/** Whether `exact`, rounded to as many significant digits as `printed` shows, reads `printed`. */
export function agreesToPrintedDigits(printed: string, exact: number): boolean {
  const digits = printed.replace(/^[-+]?0*\.?0*/, "").replace(/\./g, "").length;
  return Number(exact.toPrecision(Math.max(1, digits))) === Number(printed);
}

/** The seeds' π slide, line by line, against π encoded by this library (see the module comment). */
export function piExample(): PiCheck[] {
  return SEEDS_PI_SLIDE.map((slide) => {
    const computed = floatLayout(Math.PI, slide.format);
    const problems: string[] = [];
    if (slide.storedExponent !== computed.storedExponent || slide.bias !== computed.bias) {
      problems.push(
        `exposant : le support écrit 2^(${slide.storedExponent}-${slide.bias}) ; ${slide.format} stocke ${computed.exponentField} = ${computed.storedExponent} avec un biais de ${computed.bias}, donc 2^(${computed.storedExponent}-${computed.bias})`,
      );
    }
    if (!agreesToPrintedDigits(slide.significand, computed.significand ?? NaN)) {
      problems.push(`mantisse : le support écrit ${slide.significand} ; les bits de mantisse ${computed.mantissaField} donnent ${computed.significand}`);
    }
    if (!agreesToPrintedDigits(slide.value, computed.value)) {
      problems.push(`valeur : le support écrit ${slide.value} ; ${slide.format}(π) = ${computed.value}`);
    }
    return { slide, computed, correct: problems.length === 0, problems };
  });
}
