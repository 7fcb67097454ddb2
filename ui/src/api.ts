// The one module that talks to the Lifeboat API (contract: shared spec api.md), through Hono's
// typed client: paths, request bodies and success answers come from the Worker's routes
// (AppType). Refusals are problem+json (not in AppType): they become ApiError here.
import { type ClientResponse, hc, type InferRequestType, type InferResponseType } from "hono/client";
import type { AppType } from "../../src";
import type { Order, OrderType, Position } from "../../src/contract";

export type { Order, OrderType, Position };

const { api: routes } = hc<AppType>("/", { headers: { accept: "application/json" }, init: { credentials: "same-origin" } });

type SquareOffs = (typeof routes)["square-offs"];

export type Status = InferResponseType<typeof routes.status.$get>;
export type Me = InferResponseType<typeof routes.me.$get>;
export type ExitBody = InferRequestType<SquareOffs["$post"]>["json"];
export type SquareOffResult = InferResponseType<SquareOffs["$post"]>;

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

/** The success body of one call; an error status throws ApiError, no answer NetworkError. */
async function answer<T>(send: () => Promise<ClientResponse<T>>): Promise<T> {
	let res: ClientResponse<T>;
	try {
		res = await send();
	} catch (err) {
		throw new NetworkError(String(err));
	}
	if (res.status === 204) return null as T;
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

/** State-changing trader requests carry the intent's Idempotency-Key. */
const keyed = (key: string) => ({ headers: { "idempotency-key": key } });

export const api = {
	status: () => answer(() => routes.status.$get()),
	me: () => answer(() => routes.me.$get()),
	login: (clientId: string, password: string) => answer(() => routes.auth.login.$post({ json: { clientId, password } })),
	totp: (challengeId: string, code: string) => answer(() => routes.auth.totp.$post({ json: { challengeId, code } })),
	logout: () => answer(() => routes.auth.logout.$post()),
	positions: () => answer(() => routes.positions.$get()),
	orders: () => answer(() => routes.orders.$get()),
	squareOff: (body: ExitBody, key: string) => answer(() => routes["square-offs"].$post({ json: body }, keyed(key))),
	squareOffAll: (key: string) => answer(() => routes["square-offs"].all.$post({ json: {} }, keyed(key))),
	cancel: (orderId: string, key: string) =>
		answer(() => routes.orders[":orderId"].cancel.$post({ param: { orderId: encodeURIComponent(orderId) } }, keyed(key))),
	cancelAll: (key: string) => answer(() => routes.orders["cancel-all"].$post(undefined, keyed(key))),
};

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
