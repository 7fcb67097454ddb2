// The Worker's queue handler: one entry point, dispatched by queue name.
import type { OrderMessage, RecordMessage } from "../src/types";
import { consumeDeadRecords, consumeRecords } from "./records";

export type QueueMessage = OrderMessage | RecordMessage;

export async function queue(batch: MessageBatch<QueueMessage>, env: Env, _ctx: ExecutionContext): Promise<void> {
	switch (batch.queue) {
		case "lifeboat-records":
			return consumeRecords(batch as MessageBatch<RecordMessage>, env);
		case "lifeboat-records-dlq":
			return consumeDeadRecords(batch as MessageBatch<RecordMessage>, env);
		default:
			// The orders consumers arrive with issue 5 (relay); until then messages are retried, never dropped.
			for (const msg of batch.messages) msg.retry({ delaySeconds: 30 });
			console.warn(JSON.stringify({ event: "queue.no_consumer", queue: batch.queue, count: batch.messages.length }));
	}
}
