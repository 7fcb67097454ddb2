// The one module that talks to the Lifeboat API (contract: shared spec api.md). Plain fetch
// wrappers typed with the Worker's own types: the routes behind them are not in AppType yet.
import type { Order, OrderType, Position } from "../../src/contract";

export type { Order, OrderType, Position };

export interface Status {
	mode: "standby" | "active";
	failover: { active: boolean; since: string | null; reason: string | null; source: "auto" | "manual" };
	/** stale: lag above staleAfterSeconds, or nothing known. */
	data: { asOf: string | null; lagSeconds: number | null; staleAfterSeconds: number; stale: boolean };
	primaryUrl?: string | null;
}

export interface Me {
	clientId: string;
	name: string;
}

/** The API answered with a problem+json (or at least an error status). */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		readonly detail: string,
	) {
		super(`${status} ${code}: ${detail}`);
	}
}

/** The request never got an answer: it may or may not have reached the server. */
export class NetworkError extends Error {}

async function request<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
	const headers: Record<string, string> = { accept: "application/json" };
	if (body !== undefined) headers["content-type"] = "application/json";
	if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
	let res: Response;
	try {
		res = await fetch(path, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			credentials: "same-origin",
		});
	} catch (err) {
		throw new NetworkError(String(err));
	}
	if (res.status === 204) return undefined as T;
	const text = await res.text();
	let data: { code?: string; detail?: string } | undefined;
	try {
		data = text ? JSON.parse(text) : undefined;
	} catch {
		data = undefined;
	}
	if (!res.ok) throw new ApiError(res.status, data?.code ?? `HTTP_${res.status}`, data?.detail ?? res.statusText);
	return data as T;
}

export const api = {
	status: () => request<Status>("GET", "/api/status"),
	me: () => request<Me>("GET", "/api/me"),
	login: (clientId: string, password: string) =>
		request<{ challengeId: string; factor: "totp"; expiresAt: string }>("POST", "/api/auth/login", { clientId, password }),
	totp: (challengeId: string, code: string) => request<Me & { expiresAt: string }>("POST", "/api/auth/totp", { challengeId, code }),
	logout: () => request<void>("POST", "/api/auth/logout"),
	positions: () => request<{ asOf: string; positions: Position[] }>("GET", "/api/positions"),
	orders: () => request<{ orders: Order[] }>("GET", "/api/orders"),
	squareOff: (body: ExitBody, key: string) => request<SquareOffResult>("POST", "/api/square-offs", body, key),
	squareOffAll: (key: string) => request<SquareOffResult>("POST", "/api/square-offs/all", {}, key),
	cancel: (orderId: string, key: string) =>
		request<{ order: Order }>("POST", `/api/orders/${encodeURIComponent(orderId)}/cancel`, undefined, key),
	cancelAll: (key: string) => request<{ orders: Order[] }>("POST", "/api/orders/cancel-all", undefined, key),
};

export interface ExitBody {
	positionId: string;
	quantity: number;
	orderType: OrderType;
	price?: string;
}

export interface SquareOffResult {
	squareOffId: string;
	orders: Order[];
}

/** Answers worth repeating with the same Idempotency-Key: no answer, still in flight, or a server hiccup. */
export function isRetryable(err: unknown): boolean {
	if (err instanceof NetworkError) return true;
	return (
		err instanceof ApiError &&
		(err.code === "IDEMPOTENCY_KEY_IN_FLIGHT" || err.status === 502 || err.status === 504 || err.code === "INTERNAL_ERROR")
	);
}

/**
 * Sends one intent (one Idempotency-Key) until it gets a definite answer or runs out of
 * tries. The server replays the first answer for a repeated key, so no retry can place a
 * second exit. `onRetry` tells the trader what is going on between tries.
 */
export async function sendIntent<T>(send: () => Promise<T>, onRetry: (attempt: number) => void, delaysMs = [1000, 2000, 4000]): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await send();
		} catch (err) {
			if (!isRetryable(err) || attempt >= delaysMs.length) throw err;
			onRetry(attempt + 1);
			await new Promise((r) => setTimeout(r, delaysMs[attempt]));
		}
	}
}

export const newKey = () => crypto.randomUUID();
