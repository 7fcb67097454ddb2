// What the browser tests share: Chromium, screenshots at both widths with an accessibility
// check, sign-in through the real screens, their own clients in Postgres, the ops switch.
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, expect, inject } from "vitest";
import {
	clientSeed,
	over,
	type PositionRow,
	setFailover as postFailover,
	sealCredentials,
	TEST_TOTP_SECRET,
	totpCode,
	uid as sharedUid,
} from "../../scripts/fixtures.ts";
import { localSecrets } from "../../src/config/local-secrets.ts";
import { withPg, writeSeedRows } from "../../scripts/seed.ts";
import { CHROMIUM_PATH } from "./chromium.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
export const SCREENSHOTS = `${root}/test-results/screenshots`;
export const site = () => inject("siteUrl");

/**
 * One browser for a test file: launched before its tests (failover then set as asked, if asked),
 * closed after them with Lifeboat back in standby for the next file.
 */
export function browserForFile(opts: { failover?: boolean } = {}): () => Browser {
	let browser: Browser | undefined;
	beforeAll(async () => {
		browser = await launch();
		if (opts.failover !== undefined) await setFailover(opts.failover);
	});
	afterAll(async () => {
		await browser?.close();
		await setFailover(false).catch(() => undefined);
	});
	return () => {
		if (!browser) throw new Error("the browser is launched in beforeAll");
		return browser;
	};
}

export function launch(): Promise<Browser> {
	return chromium.launch({
		executablePath: CHROMIUM_PATH,
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
			"--disable-quic",
			"--no-first-run",
		],
	});
}

/** `ip`: the address the site counts this browser's sign-ins against (its own per-address limit). */
export async function openPage(browser: Browser, width = 360, colorScheme: "light" | "dark" = "light", ip?: string): Promise<Page> {
	// bypassCSP: axe is injected as an inline script, which the site's CSP would (rightly) refuse.
	const context = await browser.newContext({
		viewport: { width, height: 780 },
		bypassCSP: true,
		colorScheme,
		...(ip ? { extraHTTPHeaders: { "cf-connecting-ip": ip } } : {}),
	});
	const page = await context.newPage();
	await page.goto(site());
	return page;
}

interface AxeResult {
	violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
}

/** axe-core on the page as it is now: serious and critical violations, in words. */
export async function seriousViolations(page: Page): Promise<string[]> {
	await page.addScriptTag({ path: axePath });
	const result = await page.evaluate(() => (globalThis as unknown as { axe: { run(): Promise<unknown> } }).axe.run());
	return (result as AxeResult).violations
		.filter((v) => v.impact === "serious" || v.impact === "critical")
		.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/**
 * One screen: screenshots at 360 px and 1280 px, no sideways scrolling at either width,
 * and no serious accessibility violation.
 */
export async function checkScreen(page: Page, name: string) {
	mkdirSync(SCREENSHOTS, { recursive: true });
	const original = page.viewportSize() ?? { width: 360, height: 780 };
	for (const width of [360, 1280]) {
		await page.setViewportSize({ width, height: 800 });
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		expect(overflow, `${name} scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
		await page.screenshot({ path: `${SCREENSHOTS}/${name}-${width}.png`, fullPage: true });
	}
	await page.setViewportSize(original);
	expect(await seriousViolations(page), `${name}: accessibility`).toEqual([]);
}

export function setFailover(active: boolean) {
	const reason = active ? "browser test: primary down" : "browser test: primary back";
	return postFailover(over(site()), active, reason, { token: localSecrets.OPS_TOKEN });
}

export async function omsControl(patch: Record<string, unknown>) {
	const res = await fetch(`${inject("stackOmsUrl")}/__control`, { method: "POST", body: JSON.stringify(patch) });
	if (!res.ok) throw new Error(`oms control ${res.status}`);
}

export const uid = (prefix: string) => sharedUid(prefix, 8);

export interface BrowserPosition {
	segment: "EQ" | "FUT" | "OPT";
	netQty: number;
	lotSize?: number;
	freezeQty?: number | null;
	optionType?: "CE" | "PE";
	/** A pending LIMIT order on the primary exiting this much of the position (replicated in, read-only here). */
	primaryExit?: number;
}

export interface BrowserClient {
	clientId: string;
	password: string;
	totpSecret: string;
	name: string;
	positions: { id: string; symbol: string }[];
}

/** A client of its own (password + TOTP seed the way the primary replicates them) with positions. */
export async function createBrowserClient(positions: BrowserPosition[]): Promise<BrowserClient> {
	const clientId = uid("B");
	const password = `pw-${clientId.toLowerCase()}`;
	const totpSecret = TEST_TOTP_SECRET;
	const name = `Browser ${clientId}`;
	const rows = clientSeed(
		{
			clientId,
			name,
			positions: positions.map((p) => ({
				...p,
				instrument: {
					segment: p.segment,
					optionType: p.segment === "OPT" ? p.optionType : null,
					lotSize: p.lotSize,
					freezeQty: p.freezeQty,
				},
				avgPrice: "95.00",
			})),
		},
		await sealCredentials(password, totpSecret, localSecrets),
		{
			symbol: (p) =>
				`${p.segment === "EQ" ? "EQ" : "NIFTY"}${uid("")}${p.segment === "OPT" ? (p.optionType ?? "CE") : p.segment === "FUT" ? "FUT" : ""}`,
			positionId: () => uid("P"),
		},
	);
	const instrumentOf = (position: PositionRow) => {
		const instrument = rows.instruments.find((i) => i.id === position.instrumentId);
		if (!instrument) throw new Error(`no instrument seeded for position ${position.id}`);
		return instrument;
	};
	await withPg(inject("stackDatabaseUrl"), async (db) => {
		await writeSeedRows(db, rows);
		// clientSeed writes one position row per spec, in the order given.
		for (const [i, position] of rows.positions.entries()) {
			const primaryExit = positions[i]?.primaryExit;
			if (!primaryExit) continue;
			const instrument = instrumentOf(position);
			const order = {
				orderId: uid("PRI"),
				clientId,
				exchange: instrument.exchange,
				symbol: instrument.symbol,
				side: position.netQty > 0 ? "SELL" : "BUY",
				quantity: primaryExit,
				orderType: "LIMIT",
				price: "90.00",
				product: position.product,
			};
			await db.query(
				`INSERT INTO orders (id, client_id, origin, position_id, exchange, symbol, side, quantity, order_type, price, product, status)
				 VALUES ($1, $2, 'primary', $3, $4, $5, $6, $7, $8, $9, $10, 'OPEN')`,
				[
					order.orderId,
					clientId,
					position.id,
					order.exchange,
					order.symbol,
					order.side,
					order.quantity,
					order.orderType,
					order.price,
					order.product,
				],
			);
			await omsControl({ existingOrders: [order] }); // the broker's OMS holds it, open
		}
	});
	return {
		clientId,
		password,
		totpSecret,
		name,
		positions: rows.positions.map((p) => ({ id: p.id, symbol: instrumentOf(p).symbol })),
	};
}

/** Both factors through the real screens; `onTotpScreen` runs while the code step shows. */
export async function signIn(page: Page, client: BrowserClient, onTotpScreen?: () => Promise<void>) {
	await page.getByLabel("Client ID").fill(client.clientId);
	await page.getByLabel("Password").fill(client.password);
	await page.getByRole("button", { name: "Continue" }).click();
	await page.getByRole("heading", { name: "Enter your code" }).waitFor();
	await onTotpScreen?.();
	await page.getByLabel(/6-digit code/).fill(await totpCode(client.totpSecret));
	await page.getByRole("button", { name: "Verify code" }).click();
	await page.getByRole("heading", { name: new RegExp(client.name) }).waitFor();
}

/** Waits until the Orders list holds exactly `count` orders, all in `status`. */
export async function waitForOrders(page: Page, count: number, status: string, timeout = 30_000) {
	await page.waitForFunction(
		({ count, status }) => {
			const rows = Array.from(document.querySelectorAll<HTMLElement>("[data-order-id]"));
			return rows.length === count && rows.every((r) => r.dataset.status === status);
		},
		{ count, status },
		{ timeout },
	);
}

export async function orderRows(page: Page) {
	return page.$$eval("[data-order-id]", (rows) =>
		rows.map((r) => ({ text: r.textContent ?? "", status: (r as HTMLElement).dataset.status })),
	);
}
