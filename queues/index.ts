// The Worker's queue handler: one entry point, dispatched by the queue's kind (queues/kinds.ts).
import type { NoticeMessage, OrderMessage, RecordMessage } from "../src/contract";
import { log } from "../src/observability/log";
import { type QueueKind, queueKind } from "./kinds";
import { consumeDeadNotices, consumeNotices } from "./notices";
import { consumeDeadOrders, consumeOrders } from "./orders";
import { consumeDeadRecords, consumeRecords } from "./records";

export type QueueMessage = OrderMessage | RecordMessage | NoticeMessage;

type Consumer = (batch: MessageBatch<QueueMessage>, env: Env) => Promise<void>;

const CONSUMERS: Record<QueueKind, Consumer> = {
	orders: (batch, env) => consumeOrders(batch as MessageBatch<OrderMessage>, env),
	"orders-dlq": (batch, env) => consumeDeadOrders(batch as MessageBatch<OrderMessage>, env),
	records: (batch, env) => consumeRecords(batch as MessageBatch<RecordMessage>, env),
	"records-dlq": (batch, env) => consumeDeadRecords(batch as MessageBatch<RecordMessage>, env),
	notices: (batch, env) => consumeNotices(batch as MessageBatch<NoticeMessage>, env),
	"notices-dlq": (batch, env) => consumeDeadNotices(batch as MessageBatch<NoticeMessage>, env),
};

export async function queue(batch: MessageBatch<QueueMessage>, env: Env, _ctx: ExecutionContext): Promise<void> {
	const kind = queueKind(batch.queue, env.QUEUE_PREFIX);
	if (kind) return CONSUMERS[kind](batch, env);
	// A queue that is not this environment's: retried, never dropped.
	for (const msg of batch.messages) msg.retry({ delaySeconds: 30 });
	log("queue.no_consumer", { queue: batch.queue, prefix: env.QUEUE_PREFIX, count: batch.messages.length }, "warn");
}
