/**
 * Node/V8 options every `tandem server` process runs with. bin/tandem's shebang carries the same list (a
 * shebang cannot import it); `tandem up` and the test helpers pass it when they start servers with
 * `node bin/tandem`.
 *
 * --max-semi-space-size=2: V8's young generation defaults to 16 MiB semi-spaces. A data store keeps most of
 * what it allocates (keys and values), so each scavenge copies nearly a full semi-space: 40–65 ms pauses after
 * bulk writes, seen as the master's stall during a full sync and as replica-lag spikes. 2 MiB semi-spaces
 * promote survivors sooner, in pauses of a few ms (test/bench/replication-bench.ts; BENCHMARKS.md).
 *
 * --expose-gc: the server runs one full collection right after a bulk load, while it is blocked or
 * LOADING anyway (src/server/collect-after-bulk-load.ts).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=2", "--expose-gc"];
