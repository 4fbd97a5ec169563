/**
 * Rough token count of a text: one token per four characters. chatq ships no tokenizer (each
 * provider has its own), so context budgeting errs on the generous side of this estimate. The claim
 * budgets the history with the same formula in SQL: chatq_approx_tokens, infra/sql/functions/turn_history.sql.
 */
export const approxTokens = (text: string): number => Math.ceil(text.length / 4);
