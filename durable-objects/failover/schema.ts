// The Failover object's tables: its state (one row), the OMS's reachability (one row), the last
// probes, the last hour of probes and lag for the ops console, the activations, the notices not
// yet handed to their queue, and the config guard's last finding.
import type { FailoverPhase } from "../../src/contract";

export type StateRow = {
	active: number;
	since: string | null;
	reason: string | null;
	source: "auto" | "manual";
	version: number;
	phase: FailoverPhase;
	outbox_ready: number;
	outbox_up_to: number | null;
	fence_started: number | null;
	consecutive_fail: number;
	consecutive_ok: number;
	rounds_up: number;
	rounds_down: number;
	to_active: number;
	to_fencing: number;
	to_standby: number;
	mirrored_version: number;
	last_round_at: number | null;
	overrides: string;
};

export type OmsRow = {
	reachable: number;
	since: string | null;
	consecutive_fail: number;
	consecutive_ok: number;
	to_unreachable: number;
	to_reachable: number;
	suspects: number;
	last_url: string | null;
	last_ok: number | null;
	last_status: number | null;
	last_latency_ms: number | null;
	last_error: string | null;
	last_at: number | null;
};

export function migrate(sql: SqlStorage): void {
	sql.exec(`CREATE TABLE IF NOT EXISTS state (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			active INTEGER NOT NULL DEFAULT 0,
			since TEXT,
			reason TEXT,
			source TEXT NOT NULL DEFAULT 'auto',
			version INTEGER NOT NULL DEFAULT 0,
			phase TEXT NOT NULL DEFAULT 'standby',
			outbox_ready INTEGER NOT NULL DEFAULT 0,
			outbox_up_to INTEGER,
			fence_started INTEGER,
			consecutive_fail INTEGER NOT NULL DEFAULT 0,
			consecutive_ok INTEGER NOT NULL DEFAULT 0,
			rounds_up INTEGER NOT NULL DEFAULT 0,
			rounds_down INTEGER NOT NULL DEFAULT 0,
			to_active INTEGER NOT NULL DEFAULT 0,
			to_fencing INTEGER NOT NULL DEFAULT 0,
			to_standby INTEGER NOT NULL DEFAULT 0,
			mirrored_version INTEGER NOT NULL DEFAULT -1,
			last_round_at INTEGER,
			overrides TEXT NOT NULL DEFAULT '{}'
		)`);
	sql.exec("INSERT OR IGNORE INTO state (id) VALUES (1)");
	sql.exec(`CREATE TABLE IF NOT EXISTS probe (
			url TEXT PRIMARY KEY, ok INTEGER NOT NULL, status INTEGER, latency_ms INTEGER NOT NULL, error TEXT, at INTEGER NOT NULL
		)`);
	// A table of its own (not columns of state): objects created before it need no ALTER.
	sql.exec(`CREATE TABLE IF NOT EXISTS oms (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			reachable INTEGER NOT NULL DEFAULT 1,
			since TEXT,
			consecutive_fail INTEGER NOT NULL DEFAULT 0,
			consecutive_ok INTEGER NOT NULL DEFAULT 0,
			to_unreachable INTEGER NOT NULL DEFAULT 0,
			to_reachable INTEGER NOT NULL DEFAULT 0,
			suspects INTEGER NOT NULL DEFAULT 0,
			last_url TEXT,
			last_ok INTEGER,
			last_status INTEGER,
			last_latency_ms INTEGER,
			last_error TEXT,
			last_at INTEGER
		)`);
	sql.exec("INSERT OR IGNORE INTO oms (id) VALUES (1)");
	// The last hour of probes (primary URLs and the OMS) and of replication lag, for the ops console.
	sql.exec(`CREATE TABLE IF NOT EXISTS probe_history (
			at INTEGER NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, ok INTEGER NOT NULL, latency_ms INTEGER NOT NULL
		)`);
	sql.exec("CREATE INDEX IF NOT EXISTS probe_history_at ON probe_history (at)");
	sql.exec("CREATE TABLE IF NOT EXISTS lag_history (at INTEGER PRIMARY KEY, lag_seconds INTEGER)");

	sql.exec(`CREATE TABLE IF NOT EXISTS activation (
			seq INTEGER PRIMARY KEY AUTOINCREMENT,
			uid TEXT NOT NULL UNIQUE,
			started_at TEXT NOT NULL,
			ended_at TEXT,
			source TEXT NOT NULL
		)`);
	// Transitions whose notices the notices queue has not taken yet (client_ids: JSON scope, null = everyone).
	sql.exec(`CREATE TABLE IF NOT EXISTS notice_dispatch (
			transition_id TEXT PRIMARY KEY,
			kind TEXT NOT NULL,
			at TEXT NOT NULL,
			client_ids TEXT
		)`);

	// The config guard's last finding ("" = none), so ops are alerted once per change.
	sql.exec("CREATE TABLE IF NOT EXISTS config_guard (id INTEGER PRIMARY KEY CHECK (id = 1), problems TEXT NOT NULL DEFAULT '')");
	sql.exec("INSERT OR IGNORE INTO config_guard (id) VALUES (1)");
}

export const stateRow = (sql: SqlStorage) => sql.exec<StateRow>("SELECT * FROM state WHERE id = 1").one();
export const omsRow = (sql: SqlStorage) => sql.exec<OmsRow>("SELECT * FROM oms WHERE id = 1").one();
