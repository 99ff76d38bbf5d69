/** Float64 reference for embedding lookup and its gradient. */

/** out[i] = table[tokens[i]] (zero row for tokens >= vocab). */
export function embeddingRef(
  tokens: ArrayLike<number>,
  table: ArrayLike<number>,
  vocab: number,
  dim: number,
): Float64Array {
  const out = new Float64Array(tokens.length * dim);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] >= vocab) continue;
    for (let j = 0; j < dim; j++) out[i * dim + j] = table[tokens[i] * dim + j];
  }
  return out;
}

/** dtable[v] = sum of dout[i] over tokens[i] = v. */
export function embeddingBackwardRef(
  tokens: ArrayLike<number>,
  dout: ArrayLike<number>,
  vocab: number,
  dim: number,
): Float64Array {
  const d = new Float64Array(vocab * dim);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] >= vocab) continue;
    for (let j = 0; j < dim; j++) d[tokens[i] * dim + j] += dout[i * dim + j];
  }
  return d;
}
