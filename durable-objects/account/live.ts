// The client's live sockets (hibernation API): GET /api/orders/live, pushed every order and
// position change. Each socket belongs to the session that opened it (its tag and its
// attachment say which, and both survive hibernation), and lives no longer than that session:
// logout and a disabled client close it at once, expiry and the idle timeout through the alarm.
import { LIVE_SESSION_ENDED, type LiveMessage } from "../../src/contract";
import { problemResponse } from "../../src/http/problem";
import { sessionRefusedDetail } from "../../src/auth/session";
import type { Book } from "./schema";
import { sessionCheck, touchSession } from "./sessions";

export const SOCKETS_PER_SESSION = 5;
export const SOCKETS_PER_CLIENT = 20;

interface Attachment {
	sessionId: string;
}

const sessionTag = (sessionId: string) => `session:${sessionId}`;

/** Accepts a socket for a live session, within the caps; anything else is a problem answer. */
export async function acceptLive(book: Book, sessionId: string, nowSeconds: number): Promise<Response> {
	const { ctx, sql } = book;
	const check = touchSession(sql, sessionId, nowSeconds);
	if (!check.ok) return problemResponse(401, "UNAUTHENTICATED", sessionRefusedDetail(check.reason));
	if (ctx.getWebSockets(sessionTag(sessionId)).length >= SOCKETS_PER_SESSION) {
		return problemResponse(429, "TOO_MANY_CONNECTIONS", `at most ${SOCKETS_PER_SESSION} live connections per session; close one first`);
	}
	if (ctx.getWebSockets().length >= SOCKETS_PER_CLIENT) {
		return problemResponse(429, "TOO_MANY_CONNECTIONS", `at most ${SOCKETS_PER_CLIENT} live connections per client; close one first`);
	}
	const pair = new WebSocketPair();
	ctx.acceptWebSocket(pair[1], [sessionTag(sessionId)]);
	pair[1].serializeAttachment({ sessionId } satisfies Attachment);
	const live = sessionCheck(sql, sessionId, nowSeconds);
	if (live.ok) await book.alarm.wakeBy(live.endsAt * 1000);
	return new Response(null, { status: 101, webSocket: pair[0] });
}

function close(ws: WebSocket, reason: string) {
	try {
		ws.close(LIVE_SESSION_ENDED, reason);
	} catch {
		// Already closing.
	}
}

export function closeSessionSockets(ctx: DurableObjectState, sessionId: string, reason: string): void {
	for (const ws of ctx.getWebSockets(sessionTag(sessionId))) close(ws, reason);
}

export function closeAllSockets(ctx: DurableObjectState, reason: string): void {
	for (const ws of ctx.getWebSockets()) close(ws, reason);
}

/**
 * Closes every socket whose session is no longer live (the alarm's part); the time (ms) by
 * which the alarm must come back for the sockets left open, or null if none are.
 */
export function closeEndedSessions(ctx: DurableObjectState, sql: SqlStorage, nowSeconds: number): number | null {
	let next: number | null = null;
	for (const ws of ctx.getWebSockets()) {
		const { sessionId } = (ws.deserializeAttachment() ?? { sessionId: "" }) as Attachment;
		const check = sessionCheck(sql, sessionId, nowSeconds);
		if (!check.ok) close(ws, sessionRefusedDetail(check.reason));
		else next = Math.min(next ?? Number.POSITIVE_INFINITY, check.endsAt * 1000);
	}
	return next;
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
