// The one place the rest of the Worker learns whether failover is on. KV is a cache that
// may be stale or missing (a 2025 outage failed most KV reads for hours); the Failover
// Durable Object is the truth.
//
// Fast reads (default) take the KV copy unless it is missing, unreadable, of an old shape,
// or older than a version this isolate has already seen; then they ask the Durable Object.
// KV can lag a transition by its propagation (up to ~60 s) plus cacheTtl, so anything that
// must not act on a stale answer (accepting a square-off, the fence) reads `consistent`:
// the Durable Object's answer, reused by this isolate for at most CONSISTENT_MAX_AGE_MS so a
// surge of square-offs does not queue on the one Failover object (about 1,000 requests/s), and
// asked through one of FAILOVER_READ_COPIES read copies (durable-objects/failover-read-copy.ts)
// so that many isolates do not either. The fence waits longer than that before it hands over.
import { log } from "../observability/log";
import type { FailoverState } from "../contract";

export const FAILOVER_KV_KEY = "failover";
export const FAILOVER_INSTANCE = "global";

/** The KV key an instance mirrors to: only the real ("global") instance writes the key readers use. */
export function failoverKvKey(instance: string): string {
	return instance === FAILOVER_INSTANCE ? FAILOVER_KV_KEY : `${FAILOVER_KV_KEY}:${instance}`;
}

/** Seconds an edge location may reuse a KV read; 30 is the smallest KV accepts. */
const KV_CACHE_TTL_SECONDS = 30;

/** How long an isolate reuses the Durable Object's answer for `consistent` reads. */
export const CONSISTENT_MAX_AGE_MS = 1000;

/** Read copies when FAILOVER_READ_COPIES is not set. */
const DEFAULT_READ_COPIES = 16;

let highestVersionSeen = -1;
let lastFromObject: { state: FailoverState; at: number } | null = null;

export function failoverStub(env: Env) {
	return env.FAILOVER.getByName(FAILOVER_INSTANCE);
}

/** This isolate's read copy: one picked at random for the isolate's life spreads the isolates over them. */
let readCopyIndex: number | null = null;
function readCopyStub(env: Env) {
	const copies = Math.max(1, Math.floor(Number(env.FAILOVER_READ_COPIES) || DEFAULT_READ_COPIES));
	readCopyIndex ??= Math.floor(Math.random() * 1_000_000);
	return env.FAILOVER_READS.getByName(`copy-${readCopyIndex % copies}`);
}

function isFailoverState(value: unknown): value is FailoverState {
	if (typeof value !== "object" || value === null) return false;
	const v = value as Record<string, unknown>;
	// A copy written before the OMS's reachability was part of the state has no `oms`: of an old shape.
	const oms = v.oms as Record<string, unknown> | null | undefined;
	return (
		typeof v.active === "boolean" &&
		typeof v.version === "number" &&
		typeof v.phase === "string" &&
		typeof oms === "object" &&
		oms !== null &&
		typeof oms.reachable === "boolean"
	);
}

function remember(state: FailoverState): FailoverState {
	highestVersionSeen = Math.max(highestVersionSeen, state.version);
	return state;
}

/** The state as the Durable Object reported it when asked at `askedAt` (reads, transitions made through this isolate). */
export function rememberFromObject(state: FailoverState, askedAt = Date.now()): FailoverState {
	if (!lastFromObject || state.version >= lastFromObject.state.version) lastFromObject = { state, at: askedAt };
	return remember(state);
}

export async function readFailover(env: Env, opts: { consistent?: boolean } = {}): Promise<FailoverState> {
	if (!opts.consistent) {
		try {
			const cached = await env.FLAGS.get<unknown>(FAILOVER_KV_KEY, { type: "json", cacheTtl: KV_CACHE_TTL_SECONDS });
			if (isFailoverState(cached) && cached.version >= highestVersionSeen) return remember(cached);
			log("failover.kv_fallback", {
				why: cached === null ? "missing" : isFailoverState(cached) ? "older than seen" : "unrecognised",
				kvVersion: isFailoverState(cached) ? cached.version : null,
				highestVersionSeen,
			});
		} catch (err) {
			log("failover.kv_read_failed", { message: String(err) }, "warn");
		}
	}
	if (opts.consistent) {
		if (lastFromObject && Date.now() - lastFromObject.at < CONSISTENT_MAX_AGE_MS) return lastFromObject.state;
		const { state, askedAt } = await readCopyStub(env).state();
		rememberFromObject(state, askedAt);
		// A copy may predate a transition this isolate made itself: the newer state wins.
		const newest = lastFromObject as { state: FailoverState } | null;
		return newest && newest.state.version > state.version ? newest.state : state;
	}
	return rememberFromObject(await failoverStub(env).state());
}
