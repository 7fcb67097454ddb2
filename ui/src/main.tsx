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

const newestFirst = (a: Order, b: Order) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);

function Trading(props: { me: Me; status: Status | null; onSignedOut: (notice?: string) => void }) {
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
			if (err instanceof ApiError && err.code === "UNAUTHENTICATED") onSignedOut("Your session has ended. Please sign in again.");
		},
		[onSignedOut],
	);

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

	const loadPositions = useCallback(() => api.positions().then(setPositions, failed), [failed]);
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
			position: (p) =>
				setPositions((d) => (d ? { ...d, positions: d.positions.map((x) => (x.id === p.id ? p : x)).filter((x) => x.netQty !== 0) } : d)),
			mode: setLive,
			refresh: () => {
				loadOrders();
				loadPositions();
			},
		});
	}, [loadOrders, loadPositions, mergeOrders]);

	const placed = (r: SquareOffResult) => {
		mergeOrders(r.orders, false);
		setAnnouncement(`${r.orders.length} exit ${r.orders.length === 1 ? "order" : "orders"} placed.`);
		loadPositions();
	};

	const signOut = async () => {
		await api.logout().catch(() => undefined);
		onSignedOut("You have signed out.");
	};

	const canExit = props.status?.mode === "active";
	return (
		<>
			<div class="section-head">
				<h1 tabIndex={-1} ref={heading}>
					{props.me.name} <span class="muted">({props.me.clientId})</span>
				</h1>
				<button type="button" onClick={signOut}>
					Sign out
				</button>
			</div>
			{!canExit && <p class="notice">Exits are off while the main platform is in charge.</p>}
			<Positions
				data={positions}
				staleAfterSeconds={props.status?.data.staleAfterSeconds ?? DEFAULT_STALE_AFTER_SECONDS}
				canExit={canExit}
				onExit={setExiting}
				onExitAll={() => setExitAll(true)}
			/>
			<Orders orders={orders} live={live} error={ordersError} onChanged={(o) => mergeOrders(o)} />
			<div class="sr-only" role="log" aria-live="polite" data-testid="announcer">
				{announcement}
			</div>
			{exiting && <ExitDialog position={exiting} onClose={() => setExiting(null)} onPlaced={placed} />}
			{exitAll && positions && <ExitAllDialog positions={positions.positions} onClose={() => setExitAll(false)} onPlaced={placed} />}
		</>
	);
}

function App() {
	const { status, unreachable } = useStatus();
	const [me, setMe] = useState<Me | null | "checking">("checking");
	const [notice, setNotice] = useState<string | undefined>();
	useEffect(() => {
		api.me().then(setMe, () => setMe(null));
	}, []);
	const signedOut = useCallback((n?: string) => {
		setNotice(n);
		setMe(null);
	}, []);
	return (
		<>
			<Banner status={status} unreachable={unreachable} />
			<main>
				{me === "checking" ? (
					<p class="muted">Loading…</p>
				) : me ? (
					<Trading me={me} status={status} onSignedOut={signedOut} />
				) : (
					<SignIn onSignedIn={setMe} notice={notice} />
				)}
			</main>
		</>
	);
}

render(<App />, document.getElementById("app")!);
