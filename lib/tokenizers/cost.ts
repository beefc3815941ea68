/**
 * Tokens are the unit APIs bill: a price per million input tokens, usually a higher one per million output
 * tokens (each output token is a full forward pass of the model).
 */
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Prices in currency units (e.g. US dollars) per million tokens. */
export interface TokenPrice {
  inputPerMillion: number;
  outputPerMillion: number;
  /** Price of input tokens served from the provider's prompt cache, when it has one. */
  cachedInputPerMillion?: number;
}

/**
 * gpt-4o prices as shown on the course slides (OpenAI's pricing page, 2024), in US dollars per million
 * tokens; prices change, check the provider's page before quoting them.
 */
export const SLIDE_PRICES_USD: Readonly<Record<string, TokenPrice>> = {
  "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 },
  "gpt-4o-2024-05-13": { inputPerMillion: 5, outputPerMillion: 15 },
};

/** The price of `tokens` tokens at `pricePerMillion` per million: `tokenCost(1_500, 2.5)` → 0.00375. */
export const tokenCost = offLimitsDuringChecks("tokenCost", function tokenCost(tokens: number, pricePerMillion: number): number {
  if (!Number.isFinite(tokens) || tokens < 0) throw new RangeError(`tokenCost: tokens must be a number ≥ 0, got ${tokens}`);
  if (!Number.isFinite(pricePerMillion) || pricePerMillion < 0) {
    throw new RangeError(`tokenCost: pricePerMillion must be a number ≥ 0, got ${pricePerMillion}`);
  }
  return (tokens * pricePerMillion) / 1_000_000;
});

/** Token counts of one or many API calls. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of `inputTokens` read from the prompt cache. Default 0. */
  cachedInputTokens?: number;
}

/** The cost of a usage at a price: input (cached part at the cached price when there is one) plus output. */
export const apiCost = offLimitsDuringChecks("apiCost", function apiCost(usage: TokenUsage, price: TokenPrice): number {
  const cached = usage.cachedInputTokens ?? 0;
  if (cached > usage.inputTokens) {
    throw new RangeError(`apiCost: cachedInputTokens (${cached}) cannot exceed inputTokens (${usage.inputTokens})`);
  }
  const cachedPrice = price.cachedInputPerMillion ?? price.inputPerMillion;
  return tokenCost(usage.inputTokens - cached, price.inputPerMillion) + tokenCost(cached, cachedPrice) + tokenCost(usage.outputTokens, price.outputPerMillion);
});
