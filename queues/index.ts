// The Worker's queue handler: one entry point, dispatched by queue name.
import type { OrderMessage, RecordMessage } from "../src/types";

export type QueueMessage = OrderMessage | RecordMessage;

export async function queue(batch: MessageBatch<QueueMessage>, _env: Env, _ctx: ExecutionContext): Promise<void> {
	// Consumers arrive with issue 5 (relay) and the records writer; until then messages are retried, never dropped.
	for (const msg of batch.messages) msg.retry({ delaySeconds: 30 });
	console.warn(JSON.stringify({ event: "queue.no_consumer", queue: batch.queue, count: batch.messages.length }));
}
