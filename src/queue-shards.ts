// The orders and records queues are sharded by client: one queue takes at most 5,000 messages
// a second (docs/capacity.md), so each kind has as many queues as its producer bindings say
// (ORDERS, ORDERS_1, ORDERS_2, ...; RECORDS, RECORDS_1, ...), every one with its consumer and
// dead-letter queue. A client's messages always go to the same shard. Nothing relies on the
// order of deliveries (Queues never promised it); what must happen in order for a client, the
// client's Account serializes. So changing the shard count moves clients between shards safely.
import type { OrderMessage, RecordMessage } from "./contract";

type Sharded = "ORDERS" | "RECORDS";

/** The producer binding of shard i. */
const bindingName = (kind: Sharded, i: number) => (i === 0 ? kind : `${kind}_${i}`);

function shards<T>(env: Env, kind: Sharded): Queue<T>[] {
	const bindings = env as unknown as Record<string, Queue<T> | undefined>;
	const out: Queue<T>[] = [];
	for (let q = bindings[bindingName(kind, 0)]; q; q = bindings[bindingName(kind, out.length)]) out.push(q);
	return out;
}

/** FNV-1a: a stable, fast, well-spread hash of the client id. */
export function shardOf(clientId: string, count: number): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < clientId.length; i++) h = Math.imul(h ^ clientId.charCodeAt(i), 0x01000193);
	return (h >>> 0) % count;
}

function pick<T>(all: Queue<T>[], clientId: string | null): Queue<T> {
	const q = all[clientId === null ? 0 : shardOf(clientId, all.length)];
	if (!q) throw new Error("no queue bound");
	return q;
}

/** Messages of no client (an ops audit entry, say) go to the first shard. */
export const ordersQueue = (env: Env, clientId: string | null) => pick(shards<OrderMessage>(env, "ORDERS"), clientId);
export const recordsQueue = (env: Env, clientId: string | null) => pick(shards<RecordMessage>(env, "RECORDS"), clientId);
export const shardCounts = (env: Env) => ({ orders: shards(env, "ORDERS").length, records: shards(env, "RECORDS").length });
