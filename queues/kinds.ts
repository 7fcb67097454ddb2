// Every queue of an environment is named QUEUE_PREFIX + one of these kinds (wrangler.toml), so
// the handler finds a batch's consumer by the kind, whatever the environment calls its queues.
// A shard of a queue (src/queue-shards.ts) adds its number: `lifeboat-production-orders-2`, with
// its dead-letter queue `lifeboat-production-orders-2-dlq`; its kind is still orders (orders-dlq).
// A new queue: its kind here, its consumer in queues/index.ts, its producer and consumers in each
// section of wrangler.toml (test/node/environments.test.ts checks they agree).
export const QUEUE_KINDS = ["orders", "orders-dlq", "records", "records-dlq", "notices", "notices-dlq"] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

/** The kind of a queue of this environment, or null for a name that is not one of ours. */
export function queueKind(queueName: string, prefix: string): QueueKind | null {
	if (!prefix || !queueName.startsWith(prefix)) return null;
	const named = /^([a-z]+(?:-[a-z]+)*?)(?:-\d+)?(-dlq)?$/.exec(queueName.slice(prefix.length));
	const kind = named ? `${named[1]}${named[2] ?? ""}` : "";
	return (QUEUE_KINDS as readonly string[]).includes(kind) ? (kind as QueueKind) : null;
}

/** The name this environment gives a queue of that kind (its first shard). */
export function queueName(env: { QUEUE_PREFIX: string }, kind: QueueKind): string {
	return env.QUEUE_PREFIX + kind;
}
