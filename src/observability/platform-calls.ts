// What the site asks of the platform, counted where the code calls it: inbound requests,
// Durable Object calls (the Failover object's share too), queue messages and consumer
// invocations, KV reads. Only when COUNT_PLATFORM_CALLS is "on" (the bench's local stack, where
// one isolate runs the Worker, the Durable Objects and the consumers, so one set of counters
// sees everything); GET /ops/metrics shows them then. Elsewhere env passes through untouched.

export const PLATFORM_CALLS = [
	"inboundRequests",
	"doCalls",
	"failoverObjectCalls",
	"orderQueueMessages",
	"recordQueueMessages",
	"consumerInvocations",
	"kvReads",
] as const;
export type PlatformCall = (typeof PLATFORM_CALLS)[number];

const counts = Object.fromEntries(PLATFORM_CALLS.map((k) => [k, 0])) as Record<PlatformCall, number>;

export const countingPlatformCalls = (env: Pick<Env, "COUNT_PLATFORM_CALLS">) => env.COUNT_PLATFORM_CALLS === "on";

export function countCall(env: Pick<Env, "COUNT_PLATFORM_CALLS">, kind: PlatformCall, n = 1): void {
	if (countingPlatformCalls(env)) counts[kind] += n;
}

export const platformCalls = (): Readonly<Record<PlatformCall, number>> => ({ ...counts });

/** Wraps an object so that calling one of its methods counts first (`count` sees the method's name and arguments); `wrap` may replace what a call returns. */
function onCall<T extends object>(
	target: T,
	count: (method: string, args: unknown[]) => void,
	wrap = (_method: string, result: unknown) => result,
): T {
	return new Proxy(target, {
		get(t, key) {
			const value: unknown = Reflect.get(t, key);
			if (typeof key !== "string" || key === "then" || typeof value !== "function") return value;
			return (...args: unknown[]) => {
				count(key, args);
				return wrap(key, Reflect.apply(value, t, args));
			};
		},
	});
}

/** env whose bindings count their calls (env itself when counting is off). */
export function countedEnv(env: Env): Env {
	if (!countingPlatformCalls(env)) return env;
	const objects = (ns: DurableObjectNamespace, failover: boolean) =>
		onCall(
			ns,
			() => {},
			(method, stub) =>
				method === "get" || method === "getByName"
					? onCall(stub as DurableObjectStub, () => {
							counts.doCalls++;
							if (failover) counts.failoverObjectCalls++;
						})
					: stub,
		);
	const queue = (q: Queue, kind: PlatformCall) =>
		onCall(q, (method, args) => {
			counts[kind] += method === "sendBatch" ? ((args[0] as unknown[] | undefined)?.length ?? 0) : 1;
		});
	return new Proxy(env, {
		get(target, key) {
			const value: unknown = Reflect.get(target, key);
			if (typeof value !== "object" || value === null) return value;
			// Queue shards: ORDERS, ORDERS_1, ...; RECORDS, RECORDS_1, ... (src/queue-shards.ts).
			if (typeof key === "string" && /^ORDERS(_\d+)?$/.test(key)) return queue(value as Queue, "orderQueueMessages");
			if (typeof key === "string" && /^RECORDS(_\d+)?$/.test(key)) return queue(value as Queue, "recordQueueMessages");
			switch (key) {
				case "ACCOUNTS":
				case "FAILOVER_READS":
					return objects(value as DurableObjectNamespace, false);
				case "FAILOVER":
					return objects(value as DurableObjectNamespace, true);
				case "FLAGS":
					return onCall(value as KVNamespace, (method) => {
						if (method === "get" || method === "getWithMetadata") counts.kvReads++;
					});
				default:
					return value;
			}
		},
	});
}
