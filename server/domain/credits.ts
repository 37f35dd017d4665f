/** 1 credit = 1,000,000 creditMicro; amounts are kept as integer creditMicro and shown as both. */
export const MICRO_PER_CREDIT = 1_000_000n;

/** The most any one grant may add: keeps every balance well inside JSON's exact integers. */
export const MAX_GRANT_MICRO = 1_000_000_000n * MICRO_PER_CREDIT;

export function toCreditAmount(micro: bigint): { credits: number; creditMicro: number } {
  return { credits: Number(micro) / Number(MICRO_PER_CREDIT), creditMicro: Number(micro) };
}

/**
 * A decimal number of credits (`12.5`, `0.000001`, `3`) as creditMicro; undefined when it is not a plain
 * non-negative decimal with at most six decimal places, or is over MAX_GRANT_MICRO.
 */
export function parseCredits(text: string): bigint | undefined {
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!match) return undefined;
  const micro = BigInt(match[1]!) * MICRO_PER_CREDIT + BigInt((match[2] ?? '').padEnd(6, '0'));
  return micro <= MAX_GRANT_MICRO ? micro : undefined;
}
