/**
 * Timestamps of every candidate as it moves through the relay-side pipeline, taken without changing the nodes:
 * the observer wraps the instance methods the nodes call (`network.reqresp.request`, `network.gossip.publish`,
 * `pvf.execute`), listens to `onAuthored` reports and receives the validators' injected logger.
 *
 * | stage      | where it is taken                                                                            |
 * |------------|----------------------------------------------------------------------------------------------|
 * | advertised | the collator sends its first `collation-advertise` request for the candidate                  |
 * | fetched    | a validator's `collation-fetch` request resolves with the collation                          |
 * | PVF        | `pvf.execute` of that validator settles: the worker's own execution time (`ms`) and wall time |
 * | seconded   | the validator publishes its `Seconded` statement (right after it counted its own vote)       |
 * | backed     | the first validator logs "Candidate backed" (its statement table reached the backing quorum) |
 * | on chain   | an author's `onAuthored` report lists it in `backed` (pending availability in that block)     |
 * | included   | an author's `onAuthored` report lists it in `included` (enacted, `Paras.Heads` changed)       |
 *
 * All times are `performance.now()` of this one process (validators and collator share the clock).
 */
import { topicName } from "@parapipe/network";
import type { Logger } from "@parapipe/node";
import { blake2_256, registry, toHex } from "@parapipe/primitives";
import type { Codec } from "@polkadot/types/types";
import { PROTOCOLS, type RelayValidatorNode, TOPICS } from "./relayValidator.js";

/** One PVF execution of a candidate at one validator. */
export interface PvfRun {
  validator: number;
  outcome: string;
  /** Execution time measured inside the worker (absent for a timeout). */
  workerMs?: number;
  /** Queue + transfer + execution, as the validator waited for it. */
  wallMs: number;
}

/** What the observer saw of one candidate (times in ms, `performance.now()`). */
export interface CandidateTrace {
  hash: string;
  relayParent: string;
  advertised?: number;
  accepted?: number;
  acceptedBy?: number;
  fetched?: number;
  fetchedBy?: number;
  povHash?: string;
  pvf: PvfRun[];
  seconded?: number;
  secondedBy?: number;
  valid: Array<{ validator: number; t: number }>;
  backed?: number;
  backedAt?: number;
}

/** An `onAuthored` report with its arrival time and the block hash (when the author made it its best). */
export interface AuthoredRecord {
  t: number;
  author: number;
  number: number;
  hash?: string;
  backed: string[];
  included: string[];
  timedOut: string[];
  rejected: Array<{ candidate: string; code: string }>;
}

/** Collects candidate traces and authored-block records from one relay network and its collator. */
export class PipelineObserver {
  readonly candidates = new Map<string, CandidateTrace>();
  readonly authored: AuthoredRecord[] = [];
  /** "Candidate refused" reasons logged by the validators, counted. */
  readonly refusals = new Map<string, number>();
  private readonly byPov = new Map<string, string>();
  private readonly validatorOfPeer = new Map<string, number>();

  private trace(hash: string, relayParent = ""): CandidateTrace {
    let c = this.candidates.get(hash);
    if (!c) {
      c = { hash, relayParent, pvf: [], valid: [] };
      this.candidates.set(hash, c);
    }
    if (!c.relayParent && relayParent) c.relayParent = relayParent;
    return c;
  }

  /** The logger to inject into validator `index` (records "Candidate backed" and "Candidate refused"). */
  logger(index: number): Logger {
    const log: Logger = {
      debug: () => {},
      info: (obj, msg) => {
        if (msg === "Candidate backed" && typeof obj["candidate"] === "string") {
          const c = this.trace(obj["candidate"]);
          if (c.backed === undefined) {
            c.backed = performance.now();
            c.backedAt = index;
          }
        } else if (msg === "Candidate refused") {
          const why = String(obj["why"]).split(":")[0]!;
          this.refusals.set(why, (this.refusals.get(why) ?? 0) + 1);
        }
      },
      warn: () => {},
      error: () => {},
      child: () => log,
    };
    return log;
  }

  /** Hooks validator `index` (call after `init`, before `start`). */
  observeValidator(node: RelayValidatorNode, index: number): void {
    this.validatorOfPeer.set(node.network.peerId, index);
    const reqresp = node.network.reqresp;
    const request = reqresp.request.bind(reqresp);
    reqresp.request = async (peer, name, bytes, opts) => {
      const res = await request(peer, name, bytes, opts);
      if (name === PROTOCOLS.fetchCollation) {
        const t = performance.now();
        const req = registry.createType("CollationFetchRequest", bytes) as unknown as { candidateHash: Codec };
        const col = registry.createType("CollationResponse", res) as unknown as { pov: Codec };
        const c = this.trace(req.candidateHash.toHex());
        if (c.fetched === undefined) {
          c.fetched = t;
          c.fetchedBy = index;
        }
        this.notePov(c.hash, (col.pov as unknown as { toU8a(bare: boolean): Uint8Array }).toU8a(true));
      } else if (name === PROTOCOLS.pov) {
        const req = registry.createType("PovFetchRequest", bytes) as unknown as { candidateHash: Codec };
        this.notePov(req.candidateHash.toHex(), res);
      }
      return res;
    };

    const gossip = node.network.gossip;
    const publish = gossip.publish.bind(gossip);
    const statementTopic = topicName(node.genesisHash, "relay", TOPICS.statement);
    gossip.publish = (topic, bytes) => {
      if (topic === statementTopic) this.noteStatement(bytes, performance.now());
      return publish(topic, bytes);
    };

    const pvf = node.pvf;
    const execute = pvf.execute.bind(pvf);
    pvf.execute = async (code, params) => {
      const start = performance.now();
      const pending = execute(code, params);
      // Decoded while the worker runs, so the observer adds nothing to the node's wait.
      const p = registry.createType("ValidationParams", params) as unknown as { blockData: Codec };
      const povHash = toHex(blake2_256((p.blockData as unknown as { toU8a(bare: boolean): Uint8Array }).toU8a(true)));
      const out = await pending;
      const wallMs = performance.now() - start;
      const hash = this.byPov.get(povHash);
      if (hash) {
        this.trace(hash).pvf.push({
          validator: index,
          outcome: out.kind,
          workerMs: out.kind === "timeout" ? undefined : out.ms,
          wallMs,
        });
      }
      return out;
    };

    node.onAuthored((r) => {
      const t = performance.now();
      const best = node.chain.best;
      this.authored.push({
        t,
        author: index,
        number: r.number,
        hash: best.number === r.number ? toHex(best.hash) : undefined,
        backed: r.backed.map(toHex),
        included: r.included.map(toHex),
        timedOut: r.timedOut.map(toHex),
        rejected: r.rejected.map((x) => ({ candidate: toHex(x.candidateHash), code: x.code })),
      });
    });
  }

  /** Hooks the collator's relay node: its advertisements (call before the collator builds anything). */
  observeCollator(node: RelayValidatorNode): void {
    const reqresp = node.network.reqresp;
    const request = reqresp.request.bind(reqresp);
    reqresp.request = async (peer, name, bytes, opts) => {
      if (name !== PROTOCOLS.advertise) return request(peer, name, bytes, opts);
      const ad = registry.createType("CollationAdvertisement", bytes) as unknown as {
        candidateHash: Codec;
        relayParent: Codec;
      };
      const c = this.trace(ad.candidateHash.toHex(), ad.relayParent.toHex());
      c.advertised ??= performance.now();
      const res = await request(peer, name, bytes, opts);
      const reply = registry.createType("AdvertisementReply", res) as unknown as { type: string };
      if (reply.type === "Accepted" && c.accepted === undefined) {
        c.accepted = performance.now();
        c.acceptedBy = this.validatorOfPeer.get(peer);
      }
      return res;
    };
  }

  private notePov(candidate: string, pov: Uint8Array): void {
    const povHash = toHex(blake2_256(pov));
    this.byPov.set(povHash, candidate);
    this.trace(candidate).povHash ??= povHash;
  }

  private noteStatement(bytes: Uint8Array, t: number): void {
    const m = registry.createType("StatementMessage", bytes) as unknown as {
      statement: { payload: { type: string; value: Codec }; validatorIndex: { toNumber(): number } };
    };
    const { payload, validatorIndex } = m.statement;
    const c = this.trace(payload.value.toHex());
    if (payload.type === "Seconded" && c.seconded === undefined) {
      c.seconded = t;
      c.secondedBy = validatorIndex.toNumber();
    } else if (payload.type === "Valid") {
      c.valid.push({ validator: validatorIndex.toNumber(), t });
    }
  }
}
