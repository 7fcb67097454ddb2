// Every queue of an environment is named QUEUE_PREFIX + one of these kinds (wrangler.toml), so
// the handler finds a batch's consumer by the kind, whatever the environment calls its queues.
// A new queue: its kind here, its consumer in queues/index.ts, its producer and consumers in each
// section of wrangler.toml (test/node/environments.test.ts checks they agree).
export const QUEUE_KINDS = ["orders", "orders-dlq", "records", "records-dlq", "notices", "notices-dlq"] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

/** The kind of a queue of this environment, or null for a name that is not one of ours. */
export function queueKind(queueName: string, prefix: string): QueueKind | null {
	if (!prefix || !queueName.startsWith(prefix)) return null;
	const kind = queueName.slice(prefix.length);
	return (QUEUE_KINDS as readonly string[]).includes(kind) ? (kind as QueueKind) : null;
}

/** The name this environment gives a queue of that kind. */
export function queueName(env: { QUEUE_PREFIX: string }, kind: QueueKind): string {
	return env.QUEUE_PREFIX + kind;
}
