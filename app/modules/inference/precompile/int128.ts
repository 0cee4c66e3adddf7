/** Bounds of Solidity's int128 (TensorLib.Number fields). */
export const INT128_MAX = 2n ** 127n - 1n
export const INT128_MIN = -(2n ** 127n)
