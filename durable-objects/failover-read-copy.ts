// A read copy of the failover state. Accepting a square-off needs the state as the Failover
// object has it, not KV's copy; one object takes about 1,000 requests a second, and every isolate
// asks once a second. So isolates ask one of FAILOVER_READ_COPIES copies (src/failover/state.ts),
// and each copy asks the Failover object at most every COPY_MAX_AGE_MS. The answer carries when
// the Failover object was asked, so an isolate's reuse window (CONSISTENT_MAX_AGE_MS) counts from
// then: the state a square-off is checked against is never older than it was without copies.
import { DurableObject } from "cloudflare:workers";
import type { FailoverState } from "../src/contract";
import { failoverStub } from "../src/failover/state";
import { countedEnv } from "../src/observability/platform-calls";

/** How long a copy answers from what it last got (well inside an isolate's one-second reuse). */
const COPY_MAX_AGE_MS = 250;

export interface CopiedState {
	state: FailoverState;
	/** Epoch ms when the Failover object was asked. */
	askedAt: number;
}

export class FailoverReadCopy extends DurableObject<Env> {
	private copy: CopiedState | null = null;
	private asking: Promise<CopiedState> | null = null;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, countedEnv(env));
	}

	async state(): Promise<CopiedState> {
		if (this.copy && Date.now() - this.copy.askedAt < COPY_MAX_AGE_MS) return this.copy;
		// Callers arriving while the Failover object is asked share that one call.
		this.asking ??= (async () => {
			const askedAt = Date.now();
			const state = await failoverStub(this.env).state();
			this.copy = { state, askedAt };
			return this.copy;
		})().finally(() => {
			this.asking = null;
		});
		return this.asking;
	}
}
