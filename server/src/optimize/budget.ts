// Tokens and money. Prices are per model and per million tokens, given by the user (they change too often to
// ship); a money budget without a price for the model is refused up front rather than silently not enforced.

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ModelPrice {
  /** USD per million input (prompt) tokens. */
  inputPerMillion: number;
  outputPerMillion: number;
}

export type Prices = Record<string, ModelPrice>;

export interface Spend extends TokenUsage {
  /** Undefined when a model without a price was used. */
  costUsd?: number;
}

export function costOf(usage: TokenUsage, model: string | undefined, prices: Prices | undefined): number | undefined {
  if (usage.inputTokens === 0 && usage.outputTokens === 0) return 0;
  const price = model === undefined ? undefined : prices?.[model];
  if (!price) return undefined;
  return (usage.inputTokens * price.inputPerMillion + usage.outputTokens * price.outputPerMillion) / 1e6;
}

export function addSpend(total: Spend, usage: TokenUsage, cost: number | undefined): Spend {
  const costUsd = total.costUsd === undefined || cost === undefined ? undefined : total.costUsd + cost;
  return { inputTokens: total.inputTokens + usage.inputTokens, outputTokens: total.outputTokens + usage.outputTokens, ...(costUsd !== undefined ? { costUsd } : {}) };
}

export const NO_SPEND: Spend = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

export function formatSpend(spend: Spend): string {
  const tokens = spend.inputTokens + spend.outputTokens;
  return `${tokens.toLocaleString('en-US')} tokens${spend.costUsd !== undefined ? `, $${spend.costUsd.toFixed(spend.costUsd < 1 ? 4 : 2)}` : ', cost unknown (no price for the model)'}`;
}
