// The bench's knobs (environment variables; `npm run bench -- --help` lists them) and the
// fixed parts of its set-up.
import { accessSync, constants } from "node:fs";
import { tmpdir } from "node:os";
import { TEST_TOTP_SECRET } from "../scripts/fixtures.ts";

/** Seconds per load run. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Clients the accept runs spread their square-offs over. */
export const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 100);
/** Traders in each surge (the bench creates twice as many: one set a surge). */
export const TRADERS = Number(process.env.BENCH_TRADERS ?? 50);
/** How long the OMS simulator holds its events to post them together (0: one request per event). */
export const EVENT_BATCH_MS = Number(process.env.BENCH_EVENT_BATCH_MS ?? 20);
/** Whether the current user can write in `dir`. */
const writable = (dir: string) => {
	try {
		accessSync(dir, constants.W_OK);
		return true;
	} catch {
		return false;
	}
};

/**
 * Where the throwaway state lives: in memory (/dev/shm) where the machine has it. On disk, the
 * local runtime waits for each Durable Object commit to reach the disk on the thread that runs
 * every Worker and object, so the disk's sync time, not our code, set the pace of the accept
 * runs (bench/NOTES.md).
 */
export const DATA_DIR = process.env.BENCH_DATA_DIR ?? (writable("/dev/shm") ? "/dev/shm" : tmpdir());
/** BENCH_WRITE=0: print the tables only, leave BENCHMARKS.md alone. */
export const WRITE_REPORT = process.env.BENCH_WRITE !== "0";

export const PASSWORD = "bench-password";
export const TOTP_SECRET = TEST_TOTP_SECRET;
