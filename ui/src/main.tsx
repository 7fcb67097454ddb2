import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, type Me, type Order, type Position, type SquareOffResult, type Status } from "./api";
import { Banner } from "./components/Banner";
import { ExitAllDialog } from "./components/ExitAllDialog";
import { ExitDialog } from "./components/ExitDialog";
import { Orders, describeOrder } from "./components/Orders";
import { Positions } from "./components/Positions";
import { SignIn } from "./components/SignIn";
import { connectLive, type LiveMode } from "./live";
import { isFinal } from "../../src/contract";
import { onLangChange, t } from "./i18n";
import { installShell } from "./install";
import { problemSentence } from "./messages";
import { clearPositions, loadPositions as loadSaved, type SavedPositions, savePositions } from "./saved";
import { when } from "./format";

const STATUS_POLL_MS = 10_000;
const DEFAULT_STALE_AFTER_SECONDS = 120;

function useStatus() {
	const [status, setStatus] = useState<Status | null>(null);
	const [unreachable, setUnreachable] = useState(false);
	useEffect(() => {
		let stop = false;
		const load = () =>
			api.status().then(
				(s) => {
					if (stop) return;
					setStatus(s);
					setUnreachable(false);
				},
				() => {
					if (!stop) setUnreachable(true);
				},
			);
		load();
		const timer = setInterval(load, STATUS_POLL_MS);
		const onVisible = () => document.visibilityState === "visible" && load();
		document.addEventListener("visibilitychange", onVisible);
		addEventListener("online", load);
		return () => {
			stop = true;
			clearInterval(timer);
			document.removeEventListener("visibilitychange", onVisible);
			removeEventListener("online", load);
		};
	}, []);
	return { status, unreachable };
}

/** Whether the browser says it has no network (it fires online/offline as that changes). */
function useOffline() {
	const [offline, setOffline] = useState(!navigator.onLine);
	useEffect(() => {
		const update = () => setOffline(!navigator.onLine);
		addEventListener("online", update);
		addEventListener("offline", update);
		return () => {
			removeEventListener("online", update);
			removeEventListener("offline", update);
		};
	}, []);
	return offline;
}

const newestFirst = (a: Order, b: Order) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);

function Trading(props: { me: Me; status: Status | null; offline: boolean; onSignedOut: (notice?: string) => void }) {
	const [positions, setPositions] = useState<{ asOf: string; positions: Position[] } | null>(null);
	const [orders, setOrders] = useState<Order[] | null>(null);
	const [ordersError, setOrdersError] = useState<unknown>(null);
	const [live, setLive] = useState<LiveMode>("connecting");
	const [announcement, setAnnouncement] = useState("");
	const [exiting, setExiting] = useState<Position | null>(null);
	const [exitAll, setExitAll] = useState(false);
	const known = useRef(new Map<string, Order>());
	const heading = useRef<HTMLHeadingElement>(null);
	const { onSignedOut } = props;

	const failed = useCallback(
		(err: unknown) => {
			if (err instanceof ApiError && err.code === "UNAUTHENTICATED") onSignedOut(problemSentence("UNAUTHENTICATED"));
		},
		[onSignedOut],
	);
	const { clientId, name } = props.me;

	/** Takes order updates in any order and any number of times: the newest version of each wins. */
	const mergeOrders = useCallback((incoming: Order[], announce = true) => {
		const said: string[] = [];
		for (const o of incoming) {
			const old = known.current.get(o.id);
			if (old && old.updatedAt > o.updatedAt) continue;
			if (announce && old?.status !== o.status) said.push(describeOrder(o));
			known.current.set(o.id, o);
		}
		setOrders([...known.current.values()].sort(newestFirst));
		if (said.length) setAnnouncement(said.join(". "));
	}, []);

	const loadPositions = useCallback(
		() =>
			api.positions().then((p) => {
				setPositions(p);
				savePositions({ clientId, name, ...p });
			}, failed),
		[failed, clientId, name],
	);
	const loadOrders = useCallback(
		() =>
			api.orders().then(
				(r) => {
					mergeOrders(r.orders, known.current.size > 0);
					setOrdersError(null);
				},
				(err) => {
					setOrdersError(err);
					failed(err);
				},
			),
		[mergeOrders, failed],
	);

	useEffect(() => {
		heading.current?.focus();
		loadPositions();
		return connectLive({
			order: (o) => {
				mergeOrders([o]);
				// A fill or a final state changes what is open: ask for the positions again.
				if (o.filledQty > 0 || isFinal(o.status)) loadPositions();
			},
			// A position replication opened appears; one closed (net quantity 0) goes.
			position: (p) =>
				setPositions((d) => {
					if (!d) return d;
					const known = d.positions.some((x) => x.id === p.id);
					const positions = known ? d.positions.map((x) => (x.id === p.id ? p : x)) : [...d.positions, p];
					return { ...d, positions: positions.filter((x) => x.netQty !== 0) };
				}),
			mode: setLive,
			refresh: () => {
				loadOrders();
				loadPositions();
			},
		});
	}, [loadOrders, loadPositions, mergeOrders]);

	const placed = (r: SquareOffResult) => {
		mergeOrders(r.orders, false);
		setAnnouncement(t.exitsPlaced(r.orders.length));
		loadPositions();
	};

	const signOut = async () => {
		await api.logout().catch(() => undefined);
		onSignedOut(t.signedOut);
	};

	// Offline nothing is placed, now or later: the buttons are off until the network and the status are back.
	const canExit = props.status?.mode === "active" && !props.offline;
	return (
		<>
			<div class="section-head">
				<h1 tabIndex={-1} ref={heading}>
					{props.me.name} <span class="muted">({props.me.clientId})</span>
				</h1>
				<button type="button" onClick={signOut}>
					{t.signOut}
				</button>
			</div>
			{props.status?.mode !== "active" && <p class="notice">{t.exitsOff}</p>}
			<Positions
				data={positions}
				staleAfterSeconds={props.status?.data.staleAfterSeconds ?? DEFAULT_STALE_AFTER_SECONDS}
				canExit={canExit}
				onExit={setExiting}
				onExitAll={() => setExitAll(true)}
			/>
			<Orders orders={orders} live={live} error={ordersError} offline={props.offline} onChanged={(o) => mergeOrders(o)} />
			<div class="sr-only" role="log" aria-live="polite" data-testid="announcer">
				{announcement}
			</div>
			{exiting && <ExitDialog position={exiting} offline={props.offline} onClose={() => setExiting(null)} onPlaced={placed} />}
			{exitAll && positions && (
				<ExitAllDialog positions={positions.positions} offline={props.offline} onClose={() => setExitAll(false)} onPlaced={placed} />
			)}
		</>
	);
}

/** What the app shows with no network: the positions last seen here, read-only, with their time. */
function OfflinePositions(props: { saved: SavedPositions }) {
	const { saved } = props;
	return (
		<>
			<h1>
				{saved.name} <span class="muted">({saved.clientId})</span>
			</h1>
			<p class="notice" data-testid="offline-positions">
				{t.offlinePositions(when(saved.asOf))}
			</p>
			<Positions data={saved} staleAfterSeconds={Number.POSITIVE_INFINITY} canExit={false} />
		</>
	);
}

type Screen =
	| { view: "checking" }
	| { view: "signIn"; notice?: string }
	| { view: "trading"; me: Me }
	/** Opened with no network: the positions last seen here, until the session can be checked. */
	| { view: "offline"; saved: SavedPositions };

function App() {
	const { status, unreachable } = useStatus();
	const offline = useOffline();
	const [, setLang] = useState("");
	const [screen, setScreen] = useState<Screen>({ view: "checking" });
	const [newVersion, setNewVersion] = useState(false);
	useEffect(() => onLangChange(setLang), []);
	useEffect(() => installShell(() => setNewVersion(true)), []);
	const signedIn = useCallback((me: Me) => {
		// Another client's positions never stay behind on this device.
		if (loadSaved()?.clientId !== me.clientId) clearPositions();
		setScreen({ view: "trading", me });
	}, []);
	const checkSession = useCallback(() => {
		api.me().then(signedIn, (err) => {
			// No session: whatever was saved goes. No answer (offline, or the site down): the saved positions, if any.
			const saved = err instanceof ApiError && err.status === 401 ? null : loadSaved();
			if (saved) return setScreen({ view: "offline", saved });
			clearPositions();
			setScreen({ view: "signIn" });
		});
	}, [signedIn]);
	useEffect(checkSession, []);
	// Opened offline and the network is back (a status arrived): the session decides what to show.
	const showingSaved = screen.view === "offline";
	useEffect(() => {
		if (showingSaved && !offline && status) checkSession();
	}, [showingSaved, offline, status, checkSession]);
	const signedOut = useCallback((notice?: string) => {
		clearPositions();
		setScreen({ view: "signIn", notice });
	}, []);
	return (
		<>
			<Banner status={status} unreachable={unreachable} offline={offline} />
			{newVersion && (
				<p class="notice update" role="status">
					{t.newVersion}{" "}
					<button type="button" class="link" onClick={() => location.reload()}>
						{t.reload}
					</button>
				</p>
			)}
			<main>
				{screen.view === "checking" && <p class="muted">{t.loading}</p>}
				{screen.view === "signIn" && <SignIn onSignedIn={signedIn} notice={screen.notice} />}
				{screen.view === "offline" && <OfflinePositions saved={screen.saved} />}
				{screen.view === "trading" && <Trading me={screen.me} status={status} offline={offline || unreachable} onSignedOut={signedOut} />}
			</main>
		</>
	);
}

render(<App />, document.getElementById("app")!);
