// Types that cross a boundary: API bodies, Durable Object RPC results, queue messages.
// Both sides import them from here.

export type Side = "BUY" | "SELL";
export type Product = "MIS" | "NRML" | "CNC" | "MTF";
export type Segment = "EQ" | "FUT" | "OPT";
export type OrderType = "MARKET" | "LIMIT";
export type OrderStatus = "PENDING" | "SENT" | "OPEN" | "COMPLETE" | "REJECTED" | "CANCELLED" | "FAILED";

export const FINAL_STATUSES: readonly OrderStatus[] = ["COMPLETE", "REJECTED", "CANCELLED", "FAILED"];
export const isFinal = (s: OrderStatus) => FINAL_STATUSES.includes(s);

/** Prices travel as decimal strings ("123.45") so no float rounding creeps in. */
export type Price = string;

export interface Position {
	id: string;
	exchange: string;
	segment: Segment;
	symbol: string;
	underlying: string;
	product: Product;
	netQty: number;
	avgPrice: Price;
	ltp?: Price;
	lotSize: number;
	tickSize: Price;
	freezeQty: number | null;
	priceBandLow?: Price;
	priceBandHigh?: Price;
	pendingExitQty: number;
}

export interface Order {
	id: string;
	squareOffId: string | null;
	positionId: string | null;
	exchange: string;
	symbol: string;
	side: Side;
	quantity: number;
	filledQty: number;
	orderType: OrderType;
	price?: Price;
	product: Product;
	status: OrderStatus;
	reason?: string;
	createdAt: string;
	updatedAt: string;
}

/** `fencing`: on the way back to standby; square-offs are refused (active is false) while in-flight orders settle. */
export type FailoverPhase = "standby" | "active" | "fencing";

export interface FailoverState {
	active: boolean;
	since: string | null;
	reason: string | null;
	source: "auto" | "manual";
	/** Grows by one on every change, so a reader can tell a stale copy from the current one. */
	version: number;
	phase: FailoverPhase;
	/** Set when a failback finished its fence: the outbox up to `outboxUpTo` (seq) is the primary's to take. */
	outboxReady: boolean;
	outboxUpTo: number | null;
}

export type Transition = "activated" | "fenced" | "deactivated";

/** One health check of one URL of the primary. */
export interface ProbeResult {
	url: string;
	ok: boolean;
	status: number | null;
	latencyMs: number;
	error: string | null;
}

export interface FailoverMetrics {
	state: FailoverState;
	consecutiveFail: number;
	consecutiveOk: number;
	roundsUp: number;
	roundsDown: number;
	transitions: Record<Transition, number>;
	lastRoundAt: string | null;
	probes: ProbeResult[];
}

/** One health URL of the primary (PRIMARY_HEALTH_URLS). */
export interface HealthTarget {
	url: string;
	expectStatus: number;
	bodyIncludes?: string;
}

/** What the relay needs to place one order on the OMS (api.md "Order relay"). */
export interface RelayOrder {
	orderId: string;
	clientId: string;
	exchange: string;
	symbol: string;
	side: Side;
	quantity: number;
	orderType: OrderType;
	price?: Price;
	product: Product;
	marketProtection?: number;
}

/** Messages on the orders queue: one per order to place or cancel on the OMS. */
export type OrderMessage =
	| { kind: "place"; order: RelayOrder; acceptedAt: string }
	| { kind: "cancel"; orderId: string; clientId: string; requestedAt: string };

/** Every action the audit trail records. /ops/metrics counts some of them. */
export type AuditAction =
	| "auth.login_succeeded"
	| "auth.login_failed"
	| "auth.locked"
	| "auth.totp_failed"
	| "auth.logout"
	| "squareoff.accepted"
	| "squareoff.refused"
	| "order.cancel_requested"
	| "order.primary_cancelled"
	| "order.sent"
	| "order.rejected"
	| "order.failed"
	| "order.relay_retry"
	| "failover.activated"
	| "failover.deactivated"
	| "failover.fenced";

export interface AuditEntry {
	/** Unique and stable: a redelivered entry with the same id is written once. */
	id: string;
	at: string;
	clientId: string | null;
	/** Who acted: "client:<id>", "ops", "system", "oms". */
	actor: string;
	action: AuditAction;
	detail: Record<string, unknown>;
}

/** A snapshot of a backup order at one version, as the Durable Object last knew it. */
export interface OrderRecord extends Order {
	clientId: string;
	version: number;
	avgFillPrice?: Price;
}

/** Messages on the records queue: what the queue side writes to Postgres. */
export type RecordMessage =
	| { kind: "order"; order: OrderRecord; event: { fillQty?: number; fillPrice?: Price } }
	| { kind: "audit"; entry: AuditEntry };

export function assertNever(x: never): never {
	throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}

/** What the OMS reports back on POST /oms/events (signed like relay requests). */
export interface OmsEvent {
	/** Unique per event: a repeat of the same id is a duplicate and changes nothing. */
	eventId: string;
	orderId: string;
	/** The client the order belongs to (the OMS got it in the RelayOrder): routes the event to its Account. */
	clientId: string;
	type: "ACK" | "FILL" | "REJECT" | "CANCELLED";
	/** For FILL: this fill's quantity and price. */
	fillQty?: number;
	fillPrice?: Price;
	reason?: string;
	at: string;
}

/** POST /oms/events takes one event, or up to this many as `{ events: [...] }`. */
export const MAX_OMS_EVENTS_PER_REQUEST = 500;

/** What an Account answers a trader request with: the HTTP status and body, replayed as is for a repeated Idempotency-Key. */
/** A signed-in trader's session as a trading call carries it to the Account (which checks it). */
export interface SessionRef {
	clientId: string;
	sessionId: string;
	nowSeconds: number;
}

export interface ApiResult {
	status: number;
	body: unknown;
	/** true: body is a problem+json document. */
	problem: boolean;
}

export type SquareOffRequest =
	| { kind: "one"; positionId: string; quantity?: number; orderType: OrderType; price?: Price }
	| { kind: "all"; segment?: Segment };

/** What the relay learned from the OMS about one order. */
export type RelayOutcome = { kind: "sent" } | { kind: "rejected"; reason: string } | { kind: "failed"; reason: string };

/** Pushed to the client's live sockets. */
export type LiveMessage = { type: "order"; order: Order } | { type: "position"; position: Position };
