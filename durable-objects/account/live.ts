// The client's live sockets (hibernation API): GET /api/orders/live, pushed every order and
// position change.
import type { LiveMessage } from "../../src/contract";

export function acceptLive(ctx: DurableObjectState): Response {
	const pair = new WebSocketPair();
	ctx.acceptWebSocket(pair[1]);
	return new Response(null, { status: 101, webSocket: pair[0] });
}

export function broadcast(ctx: DurableObjectState, msg: LiveMessage): void {
	const text = JSON.stringify(msg);
	for (const ws of ctx.getWebSockets()) {
		try {
			ws.send(text);
		} catch {
			// A socket closing under us: it leaves the list on its own.
		}
	}
}
