// The service worker (ui/sw.ts, built to /sw.js) keeps the app shell so the app opens without
// a network. A new deploy brings a new worker that takes over open pages at once; a page that
// was already running the old build is told, so the trader reloads when it suits them.
const UPDATE_CHECK_MS = 5 * 60_000;

export function installShell(onNewVersion: () => void) {
	// Where there is no /sw.js (the Vite dev server), registering fails quietly.
	if (!("serviceWorker" in navigator)) return;
	const sw = navigator.serviceWorker;
	let hadWorker = sw.controller !== null;
	sw.addEventListener("controllerchange", () => {
		if (hadWorker) onNewVersion();
		hadWorker = true;
	});
	sw.register("/sw.js").then(
		// Pages stay open for hours in an outage: look for a new deploy now and then, not only on a reload.
		(reg) => setInterval(() => reg.update().catch(() => undefined), UPDATE_CHECK_MS),
		() => undefined,
	);
}
