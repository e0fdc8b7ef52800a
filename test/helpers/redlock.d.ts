/** The part of redlock 4's API the tests use (the package ships no types). */
declare module "redlock" {
  import type { Redis } from "ioredis";

  interface Lock {
    value: string;
    extend(ttl: number): Promise<Lock>;
    unlock(): Promise<void>;
  }
  export default class Redlock {
    constructor(
      clients: Redis[],
      options?: { retryCount?: number; driftFactor?: number; retryDelay?: number },
    );
    lock(resource: string, ttl: number): Promise<Lock>;
  }
}
