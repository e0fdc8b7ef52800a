/**
 * A full garbage collection right after a bulk load — the dataset loaded at start-up, DEBUG RELOAD,
 * DEBUG POPULATE — while the server is blocked or LOADING anyway.
 *
 * Why: loading a million keys grows the heap tenfold in a second, so V8's first major GC afterwards is
 * already due and comes with the next burst of allocation. Its atomic pause on such a heap is 50–100 ms
 * (marking ~100 MB of small objects), and the next burst was typically the first BGSAVE: in the
 * persistence benchmark (POPULATE, SAVE, BGSAVE) it landed inside the BGSAVE in half the runs. Collected
 * here, the heap's next limit is set from the live size and that GC is not waiting to happen.
 *
 * Not after a replica's full sync: there the collection's parallel marking competed with the master for
 * the two cores and lengthened the master's stall during the sync (BENCHMARKS.md).
 *
 * Needs `--expose-gc` (SERVER_NODE_FLAGS); without it this does nothing.
 */
export function collectAfterBulkLoad(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
