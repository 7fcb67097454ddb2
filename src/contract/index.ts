// The contract: what crosses a boundary (API bodies, Durable Object RPC results, queue
// messages, stored rows). Constant tuples are the source; the TypeScript types, drizzle's
// `text({ enum })` columns, the zod enums and the UI's tables are derived from them.

export const SIDES = ["BUY", "SELL"] as const;
export const PRODUCTS = ["MIS", "NRML", "CNC", "MTF"] as const;
export const SEGMENTS = ["EQ", "FUT", "OPT"] as const;
export const ORDER_TYPES = ["MARKET", "LIMIT"] as const;
/** Live: may still reach or sit at the exchange. */
export const OPEN_STATUSES = ["PENDING", "SENT", "OPEN"] as const;
export const FINAL_STATUSES = ["COMPLETE", "REJECTED", "CANCELLED", "FAILED"] as const;
export const ORDER_STATUSES = [...OPEN_STATUSES, ...FINAL_STATUSES] as const;

export type Side = (typeof SIDES)[number];
export type Product = (typeof PRODUCTS)[number];
export type Segment = (typeof SEGMENTS)[number];
export type OrderType = (typeof ORDER_TYPES)[number];
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const isFinal = (s: OrderStatus) => (FINAL_STATUSES as readonly OrderStatus[]).includes(s);

/** `IN (...)` of a status tuple, for SQL that cannot bind a list (SQLite in a Durable Object). */
export const sqlList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(", ");

/** What a Durable Object refuses, in the domain's words; the routes give each code its HTTP status. */
export const REFUSAL_CODES = [
	"UNAUTHENTICATED",
	"POSITIONS_UNAVAILABLE",
	"POSITION_NOT_FOUND",
	"QTY_EXCEEDS_POSITION",
	"NOTHING_TO_EXIT",
	"NOT_LOT_MULTIPLE",
	"PRICE_NOT_ON_TICK",
	"PRICE_OUTSIDE_BAND",
	"ORDER_NOT_FOUND",
	"ORDER_NOT_CANCELLABLE",
	"IDEMPOTENCY_KEY_REUSED",
	"IDEMPOTENCY_KEY_IN_FLIGHT",
	"WOULD_UNHEDGE",
	"CONFIG_INCOMPLETE",
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Every stable `code` of a problem+json answer. */
export const PROBLEM_CODES = [
	...REFUSAL_CODES,
	"ACCOUNT_LOCKED",
	"BATCH_TOO_LARGE",
	"CLIENT_DISABLED",
	"CLIENT_NOT_FOUND",
	"CROSS_SITE_REQUEST",
	"GATEWAY_LOOP",
	"HTTP_ERROR",
	"IDEMPOTENCY_KEY_INVALID",
	"IDEMPOTENCY_KEY_REQUIRED",
	"INTERNAL_ERROR",
	"INVALID_BODY",
	"INVALID_CHANGE_EVENT",
	"INVALID_CREDENTIALS",
	"INVALID_CURSOR",
	"INVALID_OTP",
	"INVALID_REQUEST",
	"INVALID_SIGNATURE",
	"MALFORMED_REQUEST",
	"NOT_FOUND",
	"OMS_UNAVAILABLE",
	"PAYLOAD_TOO_LARGE",
	"PRIMARY_ACTIVE",
	"PRIMARY_UNAVAILABLE",
	"PRIMARY_UNREACHABLE",
	"RATE_LIMITED",
	"REPLICATION_CONFLICT",
	"SIGN_IN_UNAVAILABLE",
	"TOO_MANY_CONNECTIONS",
	"UNKNOWN_CURSOR",
	"UNKNOWN_FIELD",
	"UNKNOWN_TABLE",
	"UPGRADE_REQUIRED",
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface Refusal {
	code: RefusalCode;
	detail: string;
}

/** What a Durable Object answers: the result's fields, or a refusal. Idempotent replays store it as is. */
export type Outcome<T extends object = object> = ({ ok: true } & T) | Refused;
export type Refused = { ok: false; refusal: Refusal };

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
	/** Whether the broker's OMS answers its health check; `since`: when that last changed (null: never). */
	oms: OmsReachability;
}

export type Transition = "activated" | "fenced" | "deactivated";

export interface OmsReachability {
	reachable: boolean;
	since: string | null;
}

export type OmsTransition = "unreachable" | "reachable";

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
	oms: OmsMetrics;
}

export interface OmsMetrics extends OmsReachability {
	/** The health URL probed; null when none is configured. */
	url: string | null;
	consecutiveFail: number;
	consecutiveOk: number;
	transitions: Record<OmsTransition, number>;
	/** Relay failures that asked for an early probe (Failover.omsSuspect). */
	suspects: number;
	/** The last OMS health probe, and when it ran. */
	lastProbe: (ProbeResult & { at: string }) | null;
}

/** The Failover object's last hour of probes (per URL, primary and OMS) and replication lag samples. */
export interface FailoverHistory {
	metrics: FailoverMetrics;
	probes: { target: string; kind: "primary" | "oms"; points: { at: string; ok: boolean; latencyMs: number }[] }[];
	lag: { at: string; lagSeconds: number | null }[];
}

/** An Account's ops-side facts: whether ops disabled the client, by whom, why, since when. */
export interface OpsDisabled {
	at: string;
	operator: string;
	reason: string;
}

/** The reason an order of unknown outcome carries while the OMS is asked whether it holds it. */
export const OUTCOME_UNKNOWN_REASON = "no definite answer from the OMS yet: confirming with the exchange whether it has this order";

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
	/** The OMS must refuse the order after this (an exit placed late is a different trade). */
	expiresAt: string;
}

/** What `GET {OMS_URL}/orders/{orderId}` says of an order whose placement had no definite answer. */
export type OmsLookup =
	| { found: false }
	| { found: true; status: "OPEN" | "COMPLETE" | "CANCELLED" | "REJECTED"; filledQty: number; avgPrice?: Price; reason?: string };

/** One period Lifeboat was in charge, from entering active to being back in standby (the status page lists the last ten). */
export interface Activation {
	startedAt: string;
	/** Null while it lasts (fencing included). */
	endedAt: string | null;
	/** How it started: by the probes, or switched on by ops. */
	source: "auto" | "manual";
}

/** Messages on the orders queue: one per order to place or cancel on the OMS. */
export type OrderMessage =
	| { kind: "place"; order: RelayOrder; acceptedAt: string }
	| { kind: "cancel"; orderId: string; clientId: string; requestedAt: string }
	/** Ask the OMS whether it holds an order whose placement got no definite answer. */
	| { kind: "check"; orderId: string; clientId: string; requestedAt: string };

/** Every action the audit trail records. /ops/metrics counts some of them. */
export type AuditAction =
	| "auth.login_succeeded"
	| "auth.login_failed"
	| "auth.locked"
	| "auth.second_factor_locked"
	| "auth.totp_failed"
	| "auth.logout"
	| "squareoff.accepted"
	| "squareoff.refused"
	| "order.cancel_requested"
	| "order.primary_cancelled"
	| "order.sent"
	| "order.rejected"
	| "order.failed"
	| "order.outcome_unknown"
	| "order.hedge_kept"
	| "order.relay_retry"
	| "failover.activated"
	| "failover.deactivated"
	| "failover.fenced"
	| "oms.unreachable"
	| "oms.reachable"
	// Ops console actions: actor "ops:<operator>", detail { operator, reason, ... }.
	| "ops.failover_on"
	| "ops.failover_off"
	| "ops.failover_automatic"
	| "ops.client_disabled"
	| "ops.client_enabled"
	| "ops.orders_cancelled"
	| "ops.client_viewed";

export interface AuditEntry {
	/** Unique and stable: a redelivered entry with the same id is written once. */
	id: string;
	at: string;
	clientId: string | null;
	/** Who acted: "client:<id>", "ops:<operator>" (or "ops"), "system", "oms". */
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

/** One row for Postgres: an order version with its event, or an audit entry. */
export type RecordEntry =
	| { kind: "order"; order: OrderRecord; event: { fillQty?: number; fillPrice?: Price } }
	| { kind: "audit"; entry: AuditEntry };
/**
 * A records queue message: many entries packed in one (what producers send: the queue's limit is
 * messages a second, not bytes), or a single entry (still read, as sent before packing).
 */
export type RecordMessage = RecordEntry | { kind: "records"; records: RecordEntry[] };
/** Bytes of entries packed into one records message (the queue takes up to 128 KB a message). */
export const MAX_RECORDS_MESSAGE_BYTES = 100_000;

export function assertNever(x: never): never {
	throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}

/** POST /oms/events takes one event, or up to this many as `{ events: [...] }`. */
export const MAX_OMS_EVENTS_PER_REQUEST = 500;

export const OMS_EVENT_TYPES = ["ACK", "FILL", "REJECT", "CANCELLED"] as const;
/** What applying one OMS event did (POST /oms/events answers it per event). */
export const OMS_EVENT_RESULTS = ["applied", "unchanged", "duplicate", "unknown_order"] as const;
export type OmsEventResult = (typeof OMS_EVENT_RESULTS)[number];

/** Why an Account no longer accepts a session. */
export type SessionRefusedReason = "UNKNOWN" | "REVOKED" | "IDLE_TIMEOUT" | "EXPIRED" | "CLIENT_DISABLED";
export type SessionCheck = { ok: true } | { ok: false; reason: SessionRefusedReason };

/** A signed-in trader's session as a trading call carries it to the Account (which checks it). */
export interface SessionRef {
	clientId: string;
	sessionId: string;
	nowSeconds: number;
}

/**
 * What the relay learned from the OMS about one order. `unknown`: an attempt got no definite
 * answer, so the OMS may hold the order (it keeps counting until the OMS says).
 */
export type RelayOutcome =
	| { kind: "sent" }
	| { kind: "rejected"; reason: string }
	| { kind: "unknown"; reason: string }
	/** The relay gave up placing it (its dead letter): FAILED, unless the OMS may hold it. */
	| { kind: "gave_up" }
	/** The OMS refused it as expired (it does not hold it): FAILED. */
	| { kind: "expired" };

/** The close code of a live socket whose session ended (logout, revocation, disabled client, expiry). */
export const LIVE_SESSION_ENDED = 4401;
/** How GET /api/orders/live tells the client's Account which (verified) session opens the socket. */
export const LIVE_SESSION_HEADER = "x-lifeboat-session";

/** Pushed to the client's live sockets. */
export type LiveMessage = { type: "order"; order: Order } | { type: "position"; position: Position };

export * from "./notices.ts";
export type { OmsEvent, SquareOffRequest } from "./schemas.ts";
