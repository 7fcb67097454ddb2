// The console's calls to /ops, through Hono's typed client (paths, bodies and answers come
// from the Worker's routes). Behind Cloudflare Access the browser's Access cookie makes the
// edge add the signed assertion to every request; locally the operator types the ops token,
// which is kept in memory only (never stored, never in the page).
import { type ClientResponse, hc, type InferResponseType } from "hono/client";
import type { AppType } from "../../src";

let token: string | null = null;
export const setToken = (t: string | null) => {
	token = t;
};

const { ops } = hc<AppType>("/", {
	headers: (): Record<string, string> =>
		token ? { accept: "application/json", authorization: `Bearer ${token}` } : { accept: "application/json" },
	init: { credentials: "same-origin" },
});

export type Overview = InferResponseType<typeof ops.overview.$get>;
export type ClientView = InferResponseType<(typeof ops.clients)[":clientId"]["$get"]>;

export class OpsError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		readonly detail: string,
	) {
		super(detail);
	}
}

async function answer<T>(send: () => Promise<ClientResponse<T>>): Promise<T> {
	let res: ClientResponse<T>;
	try {
		res = await send();
	} catch {
		throw new OpsError(0, "NETWORK", "no answer from Lifeboat: check the connection");
	}
	const data = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
	if (!res.ok) throw new OpsError(res.status, data.code ?? `HTTP_${res.status}`, data.detail ?? res.statusText);
	return data as T;
}

const param = (clientId: string) => ({ param: { clientId: encodeURIComponent(clientId) } });

export const opsApi = {
	overview: () => answer(() => ops.overview.$get()),
	failover: (active: boolean, reason: string) => answer(() => ops.failover.$post({ json: { active, reason } })),
	automatic: (reason: string) => answer(() => ops.failover.automatic.$post({ json: { reason } })),
	client: (clientId: string) => answer(() => ops.clients[":clientId"].$get(param(clientId))),
	disable: (clientId: string, reason: string) =>
		answer(() => ops.clients[":clientId"].disable.$post({ ...param(clientId), json: { reason } })),
	enable: (clientId: string, reason: string) =>
		answer(() => ops.clients[":clientId"].enable.$post({ ...param(clientId), json: { reason } })),
	cancelAll: (clientId: string, reason: string) =>
		answer(() => ops.clients[":clientId"]["cancel-all"].$post({ ...param(clientId), json: { reason } })),
};
