// The Worker's queue handler: one entry point, dispatched by queue name.
import type { NoticeMessage, OrderMessage, RecordMessage } from "../src/contract";
import { log } from "../src/observability/log";
import { consumeDeadNotices, consumeNotices } from "./notices";
import { consumeDeadOrders, consumeOrders } from "./orders";
import { consumeDeadRecords, consumeRecords } from "./records";

export type QueueMessage = OrderMessage | RecordMessage | NoticeMessage;

export async function queue(batch: MessageBatch<QueueMessage>, env: Env, _ctx: ExecutionContext): Promise<void> {
	switch (batch.queue) {
		case "lifeboat-records":
			return consumeRecords(batch as MessageBatch<RecordMessage>, env);
		case "lifeboat-records-dlq":
			return consumeDeadRecords(batch as MessageBatch<RecordMessage>, env);
		case "lifeboat-orders":
			return consumeOrders(batch as MessageBatch<OrderMessage>, env);
		case "lifeboat-orders-dlq":
			return consumeDeadOrders(batch as MessageBatch<OrderMessage>, env);
		case "lifeboat-notices":
			return consumeNotices(batch as MessageBatch<NoticeMessage>, env);
		case "lifeboat-notices-dlq":
			return consumeDeadNotices(batch as MessageBatch<NoticeMessage>, env);
		default:
			// An unknown queue: retried, never dropped.
			for (const msg of batch.messages) msg.retry({ delaySeconds: 30 });
			log("queue.no_consumer", { queue: batch.queue, count: batch.messages.length }, "warn");
	}
}
