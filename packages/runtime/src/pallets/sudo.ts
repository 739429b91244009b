import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { DispatchError, type DispatchErrorValue, dispatchErrorToCodecInput } from "../frame/errors.js";
import { type Origin, ROOT, signed } from "../frame/origin.js";
import { type Pallet, palletErrors, palletEvents, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";
import { lookupAddress } from "./balances.js";
import { ensureSigned } from "./system.js";

/** Dispatches a decoded runtime call with an origin (provided by the runtime: sudo nests calls). */
export type CallDispatcher = (ctx: BlockContext, origin: Origin, call: Codec) => void;
/** The weight of a decoded runtime call. */
export type CallWeigher = (call: Codec) => bigint;

/**
 * `pallet_sudo`: one key may dispatch any call as root. The inner call's failure is reported in the
 * `Sudid` event, the sudo extrinsic itself succeeds (as upstream).
 */
export function createSudo(
  registry: TypeRegistry,
  index: number,
  deps: { dispatch: CallDispatcher; weigh: CallWeigher },
) {
  const P = "Sudo";
  const Key = new StorageValue(registry, P, "Key", "AccountId32", {
    modifier: "Optional",
    docs: ["The `AccountId` of the sudo key."],
  });
  const errors = palletErrors(P, index, ["RequireSudo"] as const);
  const result = { name: "sudo_result", type: "Result<Null, DispatchError>", typeName: "DispatchResult" };
  const events = palletEvents(registry, P, index, [
    { name: "Sudid", fields: [result], docs: ["A sudo call just took place."] },
    {
      name: "KeyChanged",
      fields: [
        { name: "old", type: "Option<AccountId32>", typeName: "Option<T::AccountId>" },
        { name: "new", type: "AccountId32", typeName: "T::AccountId" },
      ],
      docs: ["The sudo key has been updated."],
    },
    { name: "KeyRemoved", fields: [], docs: ["The key was permanently removed."] },
    { name: "SudoAsDone", fields: [result], docs: ["A [sudo_as](Pallet::sudo_as) call just took place."] },
  ] as const);

  const ensureSudo = (s: StateAccess, origin: Origin): Uint8Array => {
    const who = ensureSigned(origin);
    const key = Key.getOption(s);
    if (!key || Buffer.compare(Buffer.from(key.toU8a()), Buffer.from(who)) !== 0) throw errors.error("RequireSudo");
    return who;
  };

  /** Runs the inner call in its own storage layer: its failure is rolled back and reported, not propagated. */
  const runInner = (ctx: BlockContext, origin: Origin, call: Codec): unknown => {
    ctx.state.startTransaction();
    try {
      deps.dispatch(ctx, origin, call);
      ctx.state.commitTransaction();
      return { Ok: null };
    } catch (e) {
      ctx.state.rollbackTransaction();
      if (e instanceof DispatchError) return { Err: dispatchErrorToCodecInput(e.type.error as DispatchErrorValue) };
      throw e;
    }
  };
  const callArg = { name: "call", type: "Call", typeName: "Box<<T as Config>::RuntimeCall>" };
  const base = 10n * WEIGHT_REF_TIME_PER_MICROS;

  const pallet: Pallet = {
    name: P,
    index,
    crate: "pallet_sudo",
    storage: [Key],
    calls: [
      {
        name: "sudo",
        index: 0,
        args: [callArg],
        docs: ["Authenticates the sudo key and dispatches a function call with `Root` origin."],
        paysFee: false,
        weight: (args) => base + deps.weigh(args[0]!),
        dispatch(ctx, origin, args) {
          ensureSudo(ctx.state, origin);
          events.emit(ctx, "Sudid", runInner(ctx, ROOT, args[0]!));
        },
      },
      {
        name: "sudo_unchecked_weight",
        index: 1,
        args: [callArg, { name: "weight", type: "Weight", typeName: "Weight" }],
        docs: ["Dispatches a call with `Root` origin, with the weight given by the caller."],
        paysFee: false,
        weight: (args) => (args[1] as unknown as { refTime: { toBigInt(): bigint } }).refTime.toBigInt(),
        dispatch(ctx, origin, args) {
          ensureSudo(ctx.state, origin);
          events.emit(ctx, "Sudid", runInner(ctx, ROOT, args[0]!));
        },
      },
      {
        name: "set_key",
        index: 2,
        args: [{ name: "new", type: "MultiAddress", typeName: "AccountIdLookupOf<T>" }],
        docs: ["Authenticates the current sudo key and sets the given AccountId as the new sudo key."],
        paysFee: false,
        weight: () => base,
        dispatch(ctx, origin, args) {
          const old = origin.kind === "root" ? Key.getOption(ctx.state)?.toU8a() : ensureSudo(ctx.state, origin);
          const next = lookupAddress(args[0]!);
          Key.putRaw(ctx.state, next);
          events.emit(ctx, "KeyChanged", old ?? null, next);
        },
      },
      {
        name: "sudo_as",
        index: 3,
        args: [{ name: "who", type: "MultiAddress", typeName: "AccountIdLookupOf<T>" }, callArg],
        docs: ["Dispatches a call with a `Signed` origin from a given account."],
        paysFee: false,
        weight: (args) => base + deps.weigh(args[1]!),
        dispatch(ctx, origin, args) {
          ensureSudo(ctx.state, origin);
          events.emit(ctx, "SudoAsDone", runInner(ctx, signed(lookupAddress(args[0]!)), args[1]!));
        },
      },
      {
        name: "remove_key",
        index: 4,
        args: [],
        docs: ["Permanently removes the sudo key."],
        paysFee: false,
        weight: () => base,
        dispatch(ctx, origin) {
          ensureSudo(ctx.state, origin);
          Key.kill(ctx.state);
          events.emit(ctx, "KeyRemoved");
        },
      },
    ],
    events: events.meta,
    errors: errors.meta,
  };
  return {
    pallet,
    storage: { Key },
    genesis(s: StateAccess, key: Uint8Array | undefined) {
      if (key) Key.putRaw(s, key);
    },
    /** Whether the call needs no fee because it is a sudo call by the sudo key (FRAME's `Pays::No` for the key). */
    isKey(s: StateAccess, who: Uint8Array): boolean {
      const key = Key.getOption(s);
      return key !== undefined && Buffer.compare(Buffer.from(key.toU8a()), Buffer.from(who)) === 0;
    },
  };
}
