// The service worker: keeps the trader app's shell (its page, script, styles, manifest, icons)
// so the app opens with no network, where it shows the positions last seen, read-only. The
// build (ui/app-shell.ts) fills in the shell's files and a version made from their contents:
// each deploy gets its own cache, takes over open pages at once and deletes the old cache.
// It never touches the API (nothing of a session is cached, no request is kept to send
// later), the ops console or the public status page: those always go to the network.

// Only the service worker's own types; the DOM types this program is checked with lack them.
interface ExtendableEvent extends Event {
	waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
	readonly request: Request;
	respondWith(r: Promise<Response>): void;
}
interface ServiceWorkerScope {
	skipWaiting(): Promise<void>;
	clients: { claim(): Promise<void> };
	addEventListener(type: "install" | "activate", listener: (e: ExtendableEvent) => void): void;
	addEventListener(type: "fetch", listener: (e: FetchEvent) => void): void;
}

const scope = self as unknown as ServiceWorkerScope;
const VERSION = "__SHELL_VERSION__";
const SHELL: string[] = ["__SHELL_FILES__"];
const PREFIX = "lifeboat-shell-";
const CACHE = PREFIX + VERSION;
/** Always the network's: the API, the machine and ops paths, the public status page. */
const NETWORK_ONLY = /^\/(api|ops|sync|oms|status)(\/|$)/;

scope.addEventListener("install", (e) => {
	e.waitUntil(
		caches
			.open(CACHE)
			.then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: "reload" }))))
			.then(() => scope.skipWaiting()),
	);
});

scope.addEventListener("activate", (e) => {
	e.waitUntil(
		caches
			.keys()
			.then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
			.then(() => scope.clients.claim()),
	);
});

scope.addEventListener("fetch", (e) => {
	const req = e.request;
	const url = new URL(req.url);
	if (req.method !== "GET" || url.origin !== location.origin || NETWORK_ONLY.test(url.pathname)) return;
	const cached = (path: string) => caches.open(CACHE).then((cache) => cache.match(path));
	if (req.mode === "navigate") {
		// Network first: online, every page load gets the current deploy; offline, the cached page.
		e.respondWith(fetch(req).catch(() => cached("/").then((r) => r ?? Response.error())));
	} else if (SHELL.includes(url.pathname)) {
		// The build's files have content-hashed names: the cached copy is the right one.
		e.respondWith(cached(url.pathname).then((r) => r ?? fetch(req)));
	}
});
