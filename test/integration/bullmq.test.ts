import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FlowProducer, Job, Queue, QueueEvents, Worker } from "bullmq";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * BullMQ — a real consumer of Lua scripts (cmsgpack, cjson, ZADD scores beyond 2^32), streams (QueueEvents
 * reads the events stream with XREAD BLOCK) and blocking commands (the worker's BZPOPMIN on the marker
 * set) — through ioredis against `tandem server`, and the same suite against Debian's redis-server, so a
 * failure on Tandem alone points at Tandem. Every wait is for an event or a condition, bounded.
 */

type Kind = "tandem" | "redis";

const TIMEOUT = 20_000;

/** Resolves with the promise's value, or rejects naming `what` after `ms`. */
function within<T>(what: string, promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface EventRecord {
  event: string;
  jobId: string;
  detail: unknown;
}

for (const kind of ["tandem", "redis"] as Kind[]) {
  describe(`BullMQ on ${kind === "tandem" ? "tandem server" : "redis-server"}`, {
    skip: kind === "redis" ? NO_REDIS : false,
  }, () => {
    let server: ServerProcess;
    const closers: (() => Promise<unknown>)[] = [];
    const workerErrors: Error[] = [];
    let queueSeq = 0;

    const connection = () => ({
      host: "127.0.0.1",
      port: server.port,
      // Workers and QueueEvents block on the connection: BullMQ requires no per-request retry limit.
      maxRetriesPerRequest: null,
    });

    /** A fresh queue name with its Queue and a QueueEvents reading the events stream from its start. */
    async function setup(prefix: string) {
      const name = `${prefix}-${++queueSeq}`;
      const queue = new Queue(name, { connection: connection() });
      // lastEventId 0: events emitted before the first XREAD BLOCK are not lost.
      const events = new QueueEvents(name, { connection: connection(), lastEventId: "0-0" });
      closers.push(
        () => events.close(),
        () => queue.close(),
      );
      const seen: EventRecord[] = [];
      for (const event of ["completed", "failed", "delayed", "retries-exhausted", "waiting-children"]) {
        events.on(event as "completed", (args: { jobId: string } & Record<string, unknown>) => {
          const { jobId, ...detail } = args;
          seen.push({ event, jobId, detail });
        });
      }
      await within("QueueEvents to connect", events.waitUntilReady());
      await within("Queue to connect", queue.waitUntilReady());
      return { name, queue, events, seen };
    }

    function worker<R>(name: string, fn: (job: Job) => Promise<R>, concurrency = 1): Worker {
      const w = new Worker(name, fn, { connection: connection(), concurrency });
      w.on("error", (err) => workerErrors.push(err));
      closers.push(() => w.close());
      return w;
    }

    before(async () => {
      server = kind === "tandem" ? await startTandem() : await startRedis();
    });

    after(async () => {
      for (const close of closers.reverse())
        await within("a BullMQ client to close", close()).catch(() => {});
      await server?.stop();
    });

    it("plain, delayed and prioritized jobs; return values through QueueEvents; job counts", {
      timeout: TIMEOUT,
    }, async () => {
      const { name, queue, events, seen } = await setup("basic");
      const plain = await queue.add("plain", { n: 1 });
      const delayed = await queue.add("delayed", { n: 2 }, { delay: 400 });
      const low = await queue.add("prio", { n: 3 }, { priority: 5 });
      const high = await queue.add("prio", { n: 4 }, { priority: 1 });
      // No worker yet: every job sits in the set its options chose.
      assert.deepEqual(await queue.getJobCounts("waiting", "delayed", "prioritized", "active", "completed"), {
        waiting: 1,
        delayed: 1,
        prioritized: 2,
        active: 0,
        completed: 0,
      });
      assert.equal(await delayed.getState(), "delayed");
      assert.equal(await low.getState(), "prioritized");
      // Priority order in the prioritized set: lower number first (scores priority * 2^32 + counter).
      assert.deepEqual(
        (await queue.getPrioritized()).map((j) => j.id),
        [high.id, low.id],
      );

      const order: string[] = [];
      worker(name, async (job) => {
        order.push(String(job.id));
        return { doubled: job.data.n * 2, name: job.name };
      });
      const results = await within(
        "all four jobs to finish",
        Promise.all([plain, delayed, low, high].map((j) => j.waitUntilFinished(events, TIMEOUT))),
      );
      assert.deepEqual(results, [
        { doubled: 2, name: "plain" },
        { doubled: 4, name: "delayed" },
        { doubled: 6, name: "prio" },
        { doubled: 8, name: "prio" },
      ]);
      // One worker at concurrency 1: the waiting job, then priorities 1 and 5. (The delayed job joins the
      // wait list when due, ahead of prioritized jobs, so where it lands depends on the worker's pace.)
      assert.deepEqual(
        order.filter((id) => id !== delayed.id),
        [plain.id, high.id, low.id],
      );
      assert.equal(order.length, 4);
      const done = await Job.fromId(queue, String(delayed.id));
      assert.ok(done, "the delayed job is kept after completion");
      assert.ok(
        (done.processedOn ?? 0) >= done.timestamp + 400,
        `a delayed job never runs before its delay: added ${done.timestamp}, processed ${done.processedOn}`,
      );
      assert.deepEqual(done.returnvalue, { doubled: 4, name: "delayed" });
      assert.equal(await done.getState(), "completed");

      // QueueEvents saw every completion (from the events stream) with its return value.
      await waitFor("four completed events", () => seen.filter((e) => e.event === "completed").length === 4);
      const completed = new Map(
        seen
          .filter((e) => e.event === "completed")
          .map((e) => [e.jobId, (e.detail as { returnvalue: unknown }).returnvalue]),
      );
      assert.deepEqual(completed.get(String(high.id)), { doubled: 8, name: "prio" });
      assert.deepEqual(completed.get(String(plain.id)), { doubled: 2, name: "plain" });
      assert.ok(
        seen.some((e) => e.event === "delayed" && e.jobId === delayed.id),
        "a delayed event for the delayed job",
      );
      assert.deepEqual(
        await queue.getJobCounts("waiting", "delayed", "prioritized", "active", "completed", "failed"),
        { waiting: 0, delayed: 0, prioritized: 0, active: 0, completed: 4, failed: 0 },
      );
    });

    it("concurrency > 1: a worker runs several jobs at once", { timeout: TIMEOUT }, async () => {
      const { name, queue, events } = await setup("concurrency");
      const state = { active: 0, max: 0 };
      worker(
        name,
        async (job) => {
          state.active++;
          state.max = Math.max(state.max, state.active);
          // Each job waits until three run together (or fails after its bound): with concurrency 1 the
          // first job would never see a second one.
          try {
            await waitFor("three jobs active together", () => state.max >= 3, {
              timeoutMs: 8000,
              intervalMs: 5,
            });
          } finally {
            state.active--;
          }
          return job.data.i * 10;
        },
        3,
      );
      const jobs = await queue.addBulk([0, 1, 2, 3, 4, 5].map((i) => ({ name: "c", data: { i } })));
      const values = await within(
        "six concurrent jobs to finish",
        Promise.all(jobs.map((j) => j.waitUntilFinished(events, TIMEOUT))),
      );
      assert.deepEqual(values, [0, 10, 20, 30, 40, 50]);
      assert.equal(state.max, 3, "at most `concurrency` jobs run at once, and that many did");
    });

    it("attempts with backoff: a job fails once then succeeds; another exhausts its attempts", {
      timeout: TIMEOUT,
    }, async () => {
      const { name, queue, events, seen } = await setup("retry");
      const attemptsSeen: Record<string, number[]> = {};
      const w = worker(
        name,
        async (job) => {
          (attemptsSeen[job.name] ??= []).push(job.attemptsMade);
          if (job.name === "flaky" && job.attemptsMade === 0) throw new Error("first try fails");
          if (job.name === "doomed") throw new Error(`always fails (attempt ${job.attemptsMade + 1})`);
          return `ok after ${job.attemptsMade + 1}`;
        },
        2,
      );
      const localFailures: string[] = [];
      w.on("failed", (job, err) => localFailures.push(`${job?.name}:${err.message}`));
      const flaky = await queue.add("flaky", {}, { attempts: 3, backoff: { type: "fixed", delay: 200 } });
      const doomed = await queue.add(
        "doomed",
        {},
        { attempts: 2, backoff: { type: "exponential", delay: 100 } },
      );

      assert.equal(await within("the flaky job", flaky.waitUntilFinished(events, TIMEOUT)), "ok after 2");
      await assert.rejects(
        within("the doomed job", doomed.waitUntilFinished(events, TIMEOUT)),
        /always fails \(attempt 2\)/,
      );
      assert.deepEqual(attemptsSeen, { flaky: [0, 1], doomed: [0, 1] });
      const f = await Job.fromId(queue, String(flaky.id));
      assert.equal(f?.attemptsMade, 2);
      assert.equal(f?.returnvalue, "ok after 2");
      const d = await Job.fromId(queue, String(doomed.id));
      assert.equal(d?.attemptsMade, 2);
      assert.equal(d?.failedReason, "always fails (attempt 2)");
      assert.equal(d?.stacktrace?.length, 2, "one stack trace per failed attempt");
      assert.equal(await d?.getState(), "failed");
      await waitFor("the failed and retries-exhausted events", () =>
        seen.some((e) => e.event === "retries-exhausted" && e.jobId === doomed.id),
      );
      const failed = seen.filter((e) => e.event === "failed");
      assert.deepEqual(
        failed.map((e) => [e.jobId, (e.detail as { failedReason: string }).failedReason]),
        [[doomed.id, "always fails (attempt 2)"]],
      );
      // Each retry with a backoff went through the delayed set.
      assert.ok(seen.some((e) => e.event === "delayed" && e.jobId === flaky.id));
      assert.equal(localFailures.filter((x) => x.startsWith("flaky:")).length, 1);
      assert.equal(localFailures.filter((x) => x.startsWith("doomed:")).length, 2);
      assert.deepEqual(await queue.getJobCounts("completed", "failed", "delayed", "waiting"), {
        completed: 1,
        failed: 1,
        delayed: 0,
        waiting: 0,
      });
      assert.deepEqual(
        (await queue.getFailed()).map((j) => j.id),
        [doomed.id],
      );
    });

    it("removeOnComplete removes finished jobs (all, or all but the newest `count`)", {
      timeout: TIMEOUT,
    }, async () => {
      const { name, queue, seen } = await setup("remove");
      // Concurrency 1 completes the jobs in order, so which ones the count keeps is known.
      worker(name, async (job) => `result-${job.data.i}`);
      const removed = await queue.add("gone", { i: 1 }, { removeOnComplete: true });
      const capped = await queue.addBulk(
        [2, 3, 4, 5].map((i) => ({ name: "capped", data: { i }, opts: { removeOnComplete: { count: 2 } } })),
      );
      // The jobs may be gone by the time a waitUntilFinished would look: the events carry the results.
      await waitFor("five completed events", () => seen.filter((e) => e.event === "completed").length === 5);
      assert.deepEqual(
        seen
          .filter((e) => e.event === "completed")
          .map((e) => [e.jobId, (e.detail as { returnvalue: unknown }).returnvalue]),
        [removed, ...capped].map((j) => [j.id, `result-${j.data.i}`]),
      );
      assert.equal(await Job.fromId(queue, String(removed.id)), undefined);
      assert.equal(await Job.fromId(queue, String(capped[0].id)), undefined);
      assert.equal(await queue.getCompletedCount(), 2);
      assert.deepEqual((await queue.getCompleted()).map((j) => [j.id, j.returnvalue]).sort(), [
        [capped[2].id, "result-4"],
        [capped[3].id, "result-5"],
      ]);
    });

    it("a job scheduler (repeatable job) fires repeatedly until removed", { timeout: TIMEOUT }, async () => {
      const { name, queue, seen } = await setup("repeat");
      const ticks: number[] = [];
      worker(name, async (job) => {
        ticks.push(job.data.tick);
        return ticks.length;
      });
      const first = await queue.upsertJobScheduler(
        "ticker",
        { every: 150 },
        { name: "tick", data: { tick: 7 } },
      );
      assert.ok(first, "upsertJobScheduler returned the first job");
      const schedulers = await queue.getJobSchedulers();
      assert.equal(schedulers.length, 1);
      assert.equal(schedulers[0].key, "ticker");
      assert.equal(schedulers[0].every, 150);
      await within(
        "three scheduled runs",
        waitFor("three completed runs", () => seen.filter((e) => e.event === "completed").length >= 3, {
          timeoutMs: TIMEOUT,
        }),
        TIMEOUT,
      );
      assert.deepEqual(ticks.slice(0, 3), [7, 7, 7]);
      assert.equal(await queue.removeJobScheduler("ticker"), true);
      assert.deepEqual(await queue.getJobSchedulers(), []);
      assert.equal(await queue.getJobSchedulersCount(), 0);
    });

    it("FlowProducer: the parent runs after its children and sees their results", {
      timeout: TIMEOUT,
    }, async () => {
      const { name, queue, events, seen } = await setup("flow");
      const flow = new FlowProducer({ connection: connection() });
      closers.push(() => flow.close());
      const tree = await flow.add({
        name: "sum",
        queueName: name,
        data: {},
        children: [
          { name: "part", queueName: name, data: { n: 20 } },
          { name: "part", queueName: name, data: { n: 22 } },
        ],
      });
      assert.equal(await tree.job.getState(), "waiting-children");
      assert.equal(tree.children?.length, 2);
      const deps = await tree.job.getDependenciesCount();
      assert.equal(deps.unprocessed, 2);

      worker(
        name,
        async (job) => {
          if (job.name === "part") return job.data.n;
          const values = Object.values(await job.getChildrenValues<number>());
          return { sum: values.reduce((a, b) => a + b, 0), children: values.length };
        },
        2,
      );
      const result = await within("the parent job", tree.job.waitUntilFinished(events, TIMEOUT));
      assert.deepEqual(result, { sum: 42, children: 2 });
      const parent = await Job.fromId(queue, String(tree.job.id));
      assert.deepEqual(await parent?.getDependenciesCount(), {
        processed: 2,
        unprocessed: 0,
        failed: 0,
        ignored: 0,
      });
      // The children completed before the parent did, as the events stream recorded them.
      const completedOrder = seen.filter((e) => e.event === "completed").map((e) => e.jobId);
      assert.equal(completedOrder.at(-1), tree.job.id);
      assert.equal(completedOrder.length, 3);
    });

    it("no worker or connection errors were reported", () => {
      assert.deepEqual(
        workerErrors.map((e) => e.message),
        [],
      );
    });
  });
}
