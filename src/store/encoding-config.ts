import { isCanonicalInt64 } from "./canonical-int.js";
/**
 * The thresholds at which Redis 7.0 moves a value from its compact encoding to the general one
 * (hash-max-listpack-*, zset-max-listpack-*, set-max-intset-entries, list-max-listpack-size). Our values
 * keep one representation each, but they track which encoding Redis would have for the same history (so
 * OBJECT ENCODING and DUMP answer as Redis), and that depends on these numbers at the time of each write.
 *
 * Process-wide, like Redis's `server` globals: values read it on every write without holding a reference to
 * a server. The server keeps it in step with CONFIG SET. Defaults are Redis 7.0's.
 */
export const encodingConfig = {
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  /** list-max-listpack-size: negative = node size class (-1 4 KiB ... -5 64 KiB), positive = entries. */
  listMaxListpackSize: -2,
};

/** Redis's cap on intset sizes (setTypeAdd, the RDB loader): set-max-intset-entries beyond 2^30 acts as 2^30. */
export function maxIntsetEntries(): number {
  const n = encodingConfig.setMaxIntsetEntries;
  return Math.min(n, 2 ** 30);
}

export { isCanonicalInt64 };
