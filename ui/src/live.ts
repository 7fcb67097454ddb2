// Order and position updates: the WebSocket at /api/orders/live, reconnecting with backoff,
// and polling GET /api/orders while the socket is down (some networks block WebSockets). A
// socket closed because its session ended is not reopened.
import { LIVE_SESSION_ENDED } from "../../src/contract";
import type { Order, Position } from "./api";

export type LiveMode = "connecting" | "live" | "polling";

export interface LiveHandlers {
	order(o: Order): void;
	position(p: Position): void;
	mode(m: LiveMode): void;
	/** Fetch the full lists: on (re)connect, to catch what was missed, and on every poll. */
	refresh(): void;
}

export const POLL_MS = 5000;

export function connectLive(h: LiveHandlers): () => void {
	let ws: WebSocket | null = null;
	let failures = 0;
	let stopped = false;
	let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
	let pollTimer: ReturnType<typeof setInterval> | undefined;

	const startPolling = () => {
		if (pollTimer) return;
		h.mode("polling");
		h.refresh();
		pollTimer = setInterval(h.refresh, POLL_MS);
	};
	const stopPolling = () => {
		clearInterval(pollTimer);
		pollTimer = undefined;
	};

	const open = () => {
		if (stopped) return;
		const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/orders/live`;
		try {
			ws = new WebSocket(url);
		} catch {
			return retry();
		}
		ws.onopen = () => {
			failures = 0;
			stopPolling();
			h.mode("live");
			h.refresh();
		};
		ws.onmessage = (ev) => {
			try {
				const msg = JSON.parse(String(ev.data)) as { type: string; order?: Order; position?: Position };
				if (msg.type === "order" && msg.order) h.order(msg.order);
				else if (msg.type === "position" && msg.position) h.position(msg.position);
			} catch {
				// Not ours to understand: ignore it rather than break the live view.
			}
		};
		ws.onclose = (ev) => {
			ws = null;
			// The session ended (signed out elsewhere, revoked, expired): no reconnecting; the
			// refresh's 401 takes the trader back to sign-in.
			if (ev.code === LIVE_SESSION_ENDED) {
				stopped = true;
				stopPolling();
				h.refresh();
				return;
			}
			retry();
		};
	};

	const retry = () => {
		if (stopped) return;
		failures++;
		startPolling();
		clearTimeout(reconnectTimer);
		reconnectTimer = setTimeout(open, Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)));
	};

	h.mode("connecting");
	open();
	return () => {
		stopped = true;
		clearTimeout(reconnectTimer);
		stopPolling();
		if (ws) {
			ws.onclose = null;
			ws.close();
		}
	};
}
