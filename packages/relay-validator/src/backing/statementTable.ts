import { toHex } from "@parapipe/primitives";

/** A backing statement kind (Polkadot: Seconded carries the full candidate, Valid its hash; Invalid as a vote against). */
export type StatementKind = "Seconded" | "Valid" | "Invalid";

/** A signed statement whose signature the caller has already verified. */
export interface CheckedStatement {
  kind: StatementKind;
  candidateHash: Uint8Array;
  validatorIndex: number;
  signature: Uint8Array;
}

/** A validator caught signing both for and against one candidate (upstream: double voting, reported to disputes). */
export interface Misbehaviour {
  kind: "DoubleVote";
  validatorIndex: number;
  candidateHash: Uint8Array;
  statements: [CheckedStatement, CheckedStatement];
}

/** The outcome of importing a statement. */
export type ImportOutcome =
  | { status: "new"; backedNow: boolean }
  | { status: "duplicate" }
  | { status: "notInGroup" }
  | { status: "misbehaviour"; misbehaviour: Misbehaviour };

interface CandidateVotes {
  group: number;
  groupSize: number;
  votes: Map<number, CheckedStatement>;
  against: Map<number, CheckedStatement>;
  backed: boolean;
}

/**
 * The backing statement table: per candidate, the validity votes of its backing group; a candidate is backed
 * at `min(groupSize, minimumBackingVotes)` votes (Seconded or Valid) from members of the group assigned to its
 * core. A validator that votes both for and against one candidate is caught and its votes are not counted.
 */
export class StatementTable {
  private readonly candidates = new Map<string, CandidateVotes>();
  private readonly offenders = new Set<number>();

  constructor(
    private readonly opts: {
      minimumBackingVotes: number;
      /** Members of a backing group (validator indexes). */
      groupMembers(group: number): readonly number[];
    },
  ) {}

  /** Starts tracking a candidate for the group backing it (called with its first Seconded statement). */
  track(candidateHash: Uint8Array, group: number): void {
    const key = toHex(candidateHash);
    if (this.candidates.has(key)) return;
    this.candidates.set(key, {
      group,
      groupSize: this.opts.groupMembers(group).length,
      votes: new Map(),
      against: new Map(),
      backed: false,
    });
  }

  /** Imports a checked statement. Statements for untracked candidates must be tracked first. */
  import(s: CheckedStatement): ImportOutcome {
    const c = this.candidates.get(toHex(s.candidateHash));
    if (!c || !this.opts.groupMembers(c.group).includes(s.validatorIndex)) return { status: "notInGroup" };
    const forVote = c.votes.get(s.validatorIndex);
    const againstVote = c.against.get(s.validatorIndex);
    if (s.kind === "Invalid") {
      if (againstVote) return { status: "duplicate" };
      c.against.set(s.validatorIndex, s);
      if (forVote) return this.caught(c, forVote, s);
      return { status: "new", backedNow: false };
    }
    if (forVote) return { status: "duplicate" };
    c.votes.set(s.validatorIndex, s);
    if (againstVote) return this.caught(c, s, againstVote);
    const wasBacked = c.backed;
    c.backed = this.validVotes(c).length >= this.quorum(c);
    return { status: "new", backedNow: c.backed && !wasBacked };
  }

  private caught(c: CandidateVotes, a: CheckedStatement, b: CheckedStatement): ImportOutcome {
    this.offenders.add(a.validatorIndex);
    c.backed = this.validVotes(c).length >= this.quorum(c);
    return {
      status: "misbehaviour",
      misbehaviour: {
        kind: "DoubleVote",
        validatorIndex: a.validatorIndex,
        candidateHash: a.candidateHash,
        statements: [a, b],
      },
    };
  }

  /** `min(groupSize, minimumBackingVotes)` (polkadot `effective_minimum_backing_votes`). */
  quorum(c: { groupSize: number }): number {
    return Math.max(1, Math.min(c.groupSize, this.opts.minimumBackingVotes));
  }

  private validVotes(c: CandidateVotes): CheckedStatement[] {
    return [...c.votes.values()].filter((v) => !this.offenders.has(v.validatorIndex));
  }

  /** Whether a candidate has reached its quorum of honest votes. */
  isBacked(candidateHash: Uint8Array): boolean {
    return this.candidates.get(toHex(candidateHash))?.backed ?? false;
  }

  /** The counted votes of a candidate (in validator-index order), for the BackedCandidate. */
  validityVotes(candidateHash: Uint8Array): CheckedStatement[] {
    const c = this.candidates.get(toHex(candidateHash));
    if (!c) return [];
    return this.validVotes(c).sort((a, b) => a.validatorIndex - b.validatorIndex);
  }

  /** Validators caught double voting. */
  get misbehaving(): ReadonlySet<number> {
    return this.offenders;
  }

  /** Forgets candidates (pruning on finality or when they leave the scope). */
  forget(candidateHash: Uint8Array): void {
    this.candidates.delete(toHex(candidateHash));
  }
}
