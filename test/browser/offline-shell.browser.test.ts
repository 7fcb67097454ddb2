// Installable and opens offline: the service worker keeps the app shell, the page shows the
// positions last seen (read-only, with their time) under an offline banner and offers no
// exit; nothing of the API is cached or sent later; /status and /ops are never the worker's;
// a new deploy's worker takes over open pages, deletes the old shell and tells the page.
import type { BrowserContext, Page, Request } from "playwright-core";
import { describe, expect, it } from "vitest";
import { itemAt } from "../../scripts/fixtures.ts";
import { hasChromium } from "./chromium.ts";
import { checkScreen, createBrowserClient, browserForFile, openPage, signIn, site } from "./harness.ts";

const SAVED = "lifeboat.lastPositions";

/** Waits until the service worker controls the page; its cache's name and entries (paths). */
async function shellCache(page: Page) {
	await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
	return page.evaluate(async () => {
		const names = (await caches.keys()).filter((n) => n.startsWith("lifeboat-shell-"));
		const entries = await Promise.all(names.map(async (n) => (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname)));
		return { names, entries: entries.flat() };
	});
}

describe.skipIf(!hasChromium)("offline app shell", () => {
	const browser = browserForFile({ failover: true });

	/** Every request that would place or cancel something, from the page or its worker. */
	function watchOrders(context: BrowserContext) {
		const sent: string[] = [];
		const watch = (r: Request) => {
			if (r.method() === "POST" && /\/api\/(square-offs|orders)/.test(r.url())) sent.push(r.url());
		};
		context.on("request", watch);
		return sent;
	}

	it("is installable: a manifest with icons, and a worker that keeps only the app's own files", async () => {
		const page = await openPage(browser(), 360);
		const manifest = await page.evaluate(async () => {
			const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
			return link ? ((await (await fetch(link.href)).json()) as { start_url: string; display: string; icons: { sizes: string }[] }) : null;
		});
		expect(manifest?.start_url).toBe("/");
		expect(manifest?.display).toBe("standalone");
		expect(manifest?.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(["192x192", "512x512"]));

		const cache = await shellCache(page);
		expect(cache.names).toHaveLength(1);
		expect(cache.entries).toContain("/");
		expect(cache.entries.some((p) => /^\/assets\/index-.*\.js$/.test(p))).toBe(true);
		expect(cache.entries.filter((p) => /^\/(api|ops|status|sync|oms)(\/|$)/.test(p))).toEqual([]);

		// The page itself goes through the worker (network first); /status and /ops never do.
		expect((await page.reload())?.fromServiceWorker()).toBe(true);
		for (const path of ["/status", "/ops/health"]) {
			const res = await page.goto(`${site()}${path}`);
			expect(res?.fromServiceWorker(), path).toBe(false);
		}
	});

	it("opens offline with the last positions seen, read-only with their time, and never sends an exit", async () => {
		const client = await createBrowserClient([
			{ segment: "EQ", netQty: 250_000 },
			{ segment: "FUT", netQty: -150, lotSize: 75 },
		]);
		const page = await openPage(browser(), 360);
		const context = page.context();
		const sent = watchOrders(context);
		await signIn(page, client);
		const symbols = client.positions.map((p) => p.symbol);
		for (const s of symbols) await page.locator(".position", { hasText: s }).waitFor();
		const asOf = (await page.getByTestId("positions-asof").textContent())?.match(/\d\d:\d\d:\d\d/)?.[0];
		expect(asOf).toBeTruthy();
		await shellCache(page);
		// What an answer of the API carries stays out of the worker's cache.
		expect((await shellCache(page)).entries.filter((p) => p.startsWith("/api"))).toEqual([]);

		await context.setOffline(true);
		const res = await page.reload();
		expect(res?.fromServiceWorker()).toBe(true);
		await page.getByTestId("mode").getByText("You are offline.").waitFor();
		expect(await page.locator("header.banner").getAttribute("class")).toContain("offline");
		const offlineNote = page.getByTestId("offline-positions");
		await offlineNote.waitFor();
		expect(await offlineNote.textContent()).toContain(`as of ${asOf}`);
		expect(await page.getByRole("heading", { name: client.name }).isVisible()).toBe(true);
		for (const s of symbols) await page.locator(".position", { hasText: s }).waitFor();
		expect(await page.locator(".position", { hasText: itemAt(symbols, 0) }).textContent()).toContain("2,50,000 long");
		// Read-only: no exit, exit all or cancel to press at all.
		expect(await page.getByRole("button", { name: /^Exit|^Cancel/ }).count()).toBe(0);
		await checkScreen(page, "offline-positions");

		// Back online: the session is still good, the live screen returns; nothing was sent meanwhile.
		await context.setOffline(false);
		await page.getByRole("button", { name: "Exit all" }).waitFor({ timeout: 30_000 });
		await page.getByText(/Positions as of \d\d:\d\d:\d\d/).waitFor();
		expect(sent).toEqual([]);

		// Offline while signed in: the exit buttons go off (nothing is kept to send later).
		await context.setOffline(true);
		await page.getByTestId("mode").getByText("You are offline.").waitFor();
		expect(await page.getByRole("button", { name: "Exit all" }).isDisabled()).toBe(true);
		expect(await page.getByRole("button", { name: `Exit ${itemAt(symbols, 0)}` }).isDisabled()).toBe(true);
		await context.setOffline(false);
		await page.getByTestId("mode").getByText("Lifeboat is active").waitFor({ timeout: 30_000 });
		expect(sent).toEqual([]);

		// Signing out removes them from this browser: offline, there is nothing to show.
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
		expect(await page.evaluate((key) => localStorage.getItem(key), SAVED)).toBeNull();
		await context.setOffline(true);
		await page.reload();
		await page.getByTestId("mode").getByText("You are offline.").waitFor();
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
		expect(await page.locator(".position").count()).toBe(0);
	});

	it("a new deploy's worker takes over the open page at once, deletes the old shell and says so", async () => {
		const page = await openPage(browser(), 360);
		const before = await shellCache(page);
		expect(before.names).toHaveLength(1);
		// What an older deploy left behind.
		await page.evaluate(() => caches.open("lifeboat-shell-0ld0dep10y000000").then((c) => c.put("/", new Response("old shell"))));
		// A deploy changes sw.js's bytes (its version: test/node/app-shell.test.ts), and the browser
		// installs it as a new worker; another script URL takes the same path through the lifecycle.
		await page.evaluate(() => navigator.serviceWorker.register("/sw.js?next-deploy"));
		await page.getByText("A new version of Lifeboat is ready.").waitFor({ timeout: 30_000 });
		// The page changes hands first; the new worker then clears out every other shell.
		await page.waitForFunction(
			async (kept) => JSON.stringify((await caches.keys()).filter((n) => n.startsWith("lifeboat-shell-"))) === JSON.stringify(kept),
			before.names,
			{ polling: 100, timeout: 10_000 },
		);
		await page.getByRole("button", { name: "Reload" }).click();
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
		expect(await page.getByText("A new version of Lifeboat is ready.").count()).toBe(0);
	});
});
