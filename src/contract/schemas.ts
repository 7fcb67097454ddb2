// The zod schemas of bodies that cross a boundary; their TypeScript types are inferred here and
// re-exported from the contract (as types only, so the UI's bundle carries no zod).
import { z } from "zod";
import { toPaise } from "../trading/rules.ts";
import { MAX_OMS_EVENTS_PER_REQUEST, OMS_EVENT_TYPES, ORDER_TYPES, SEGMENTS } from "./index.ts";

/** A price: a positive amount with at most 2 decimals, as a string or a number; carried as a string. */
const Price = z
	.union([z.string(), z.number()])
	.refine((p) => toPaise(p) !== null, "price must be a positive amount with at most 2 decimals")
	.transform(String);

export const SquareOffBody = z
	.object({
		positionId: z.string().min(1).max(100),
		quantity: z.number().int().positive().optional(),
		orderType: z.enum(ORDER_TYPES).default("MARKET"),
		price: Price.optional(),
		/** Exit a long option while a short option of the same underlying stays open (its hedge). */
		allowUnhedged: z.boolean().optional(),
	})
	.strict()
	.refine((b) => (b.orderType === "LIMIT") === (b.price !== undefined), {
		message: "a LIMIT order needs a price; a MARKET order takes none",
		path: ["price"],
	});

export const SquareOffAllBody = z.object({ segment: z.enum(SEGMENTS).optional() }).strict();

/** What the OMS reports back on POST /oms/events (signed like relay requests). */
export const OmsEventBody = z
	.object({
		/** Unique per event: a repeat of the same id is a duplicate and changes nothing. */
		eventId: z.string().min(1).max(200),
		orderId: z.string().min(1).max(100),
		/** The client the order belongs to (the OMS got it in the RelayOrder): routes the event to its Account. */
		clientId: z.string().min(1).max(100),
		type: z.enum(OMS_EVENT_TYPES),
		/** For FILL: this fill's quantity and price. */
		fillQty: z.number().int().positive().optional(),
		fillPrice: z
			.string()
			.refine((p) => toPaise(p) !== null, "fillPrice must be a positive amount with at most 2 decimals")
			.optional(),
		reason: z.string().max(500).optional(),
		at: z.string().min(1).max(50),
	})
	.refine((e) => e.type !== "FILL" || e.fillQty !== undefined, "a FILL carries fillQty");

export const OmsEventBatch = z.object({ events: z.array(OmsEventBody).min(1).max(MAX_OMS_EVENTS_PER_REQUEST) }).strict();

export type OmsEvent = z.output<typeof OmsEventBody>;
export type SquareOffRequest = ({ kind: "one" } & z.output<typeof SquareOffBody>) | ({ kind: "all" } & z.output<typeof SquareOffAllBody>);
