/**
 * Node 20 lacks `Promise.withResolvers` (V8 11.3); libp2p 3 calls it unguarded. This module installs it.
 * Import it first in every entry point (`import "@parapipe/primitives/polyfill"`) and pass it to the test
 * runner (`node --import @parapipe/primitives/polyfill --test`).
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T | PromiseLike<T>) => void; reject: (e?: unknown) => void };

if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>["resolve"];
      let reject!: Resolvers<T>["reject"];
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
