// Notices to clients (src/notices): what the queue, Postgres and the gateway carry.

/** The transitions clients are told about: Lifeboat on, and Lifeboat back in standby. */
export const NOTICE_KINDS = ["activated", "deactivated"] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
/** How a notice reaches a client: SMS to the mobile when there is one, else e-mail. */
export const NOTICE_CHANNELS = ["sms", "email"] as const;
export type NoticeChannel = (typeof NOTICE_CHANNELS)[number];
/** A notice's life in Postgres (`notices.status`); queued and sending count as queued in the metrics. */
export const NOTICE_STATUSES = ["queued", "sending", "sent", "failed"] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];

/** One transition clients are told about; `id` is unique for ever (a notice is sent once per client and id). */
export interface NoticeTransition {
	id: string;
	kind: NoticeKind;
	at: string;
	/** Only these clients (drills and tests on a shared database); null = every client. */
	clientIds: string[] | null;
}

/** Messages on the notices queue. */
export type NoticeMessage =
	/** One page of clients: records a notice for each and queues its send, then queues the next page. */
	| {
			kind: "fanout";
			transition: NoticeTransition;
			/** The last client id of the previous page (null: the first page). */
			after: string | null;
			/** Notices queued by the previous pages, and when the first page ran (null: this is it): the throttle's schedule. */
			position: number;
			startMs: number | null;
	  }
	/** Hand one client's notice of one transition to the gateway (once: a dedupe record per pair). */
	| { kind: "send"; transitionId: string; clientId: string };

/** What the gateway gets (POST NOTIFY_URL, signed with NOTIFY_HMAC_SECRET). */
export interface NoticePayload {
	/** `<transitionId>:<clientId>`, also the Idempotency-Key header: the gateway can drop a repeat. */
	noticeId: string;
	clientId: string;
	kind: NoticeKind;
	channel: NoticeChannel;
	to: string;
	/** Our template id; the gateway maps it to its DLT-registered template (docs/runbook.md). */
	templateId: string;
	variables: Record<string, string>;
}
