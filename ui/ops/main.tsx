// The ops console (GET /ops/): the whole site at a glance, refreshed every few seconds, and the
// actions ops take during an outage, each with a reason and a confirmation. Sign-in is Cloudflare
// Access in production (nothing to type); locally the "Ops token" field.
import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type ClientView, type Overview, OpsError, opsApi, setToken } from "./api";
import { LagChart, ProbeTimeline } from "./charts";

const REFRESH_MS = 4000;

const ago = (iso: string | null, now: number) => {
	if (!iso) return "never";
	const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
	return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};
const age = (seconds: number) =>
	seconds < 90 ? `${seconds} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
const errorText = (err: unknown) => (err instanceof OpsError ? `${err.detail} (${err.code})` : String(err));

/** An action waiting for its reason and confirmation. */
interface Pending {
	title: string;
	explain: string;
	confirm: string;
	run: (reason: string) => Promise<unknown>;
}

function ConfirmDialog(props: { action: Pending; onDone: (ok: boolean) => void }) {
	const ref = useRef<HTMLDialogElement>(null);
	const [reason, setReason] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	useEffect(() => {
		const d = ref.current;
		if (d && !d.open) d.showModal();
		return () => d?.close();
	}, []);
	const submit = async (e: Event) => {
		e.preventDefault();
		if (!reason.trim()) return setError("Give a reason: it goes into the audit trail with your name.");
		setBusy(true);
		setError(null);
		try {
			await props.action.run(reason.trim());
			props.onDone(true);
		} catch (err) {
			setError(errorText(err));
			setBusy(false);
		}
	};
	return (
		<dialog
			ref={ref}
			aria-labelledby="confirm-title"
			onCancel={(e) => {
				e.preventDefault();
				props.onDone(false);
			}}
		>
			<form onSubmit={submit}>
				<h2 id="confirm-title">{props.action.title}</h2>
				<p>{props.action.explain}</p>
				<label for="reason">Reason (recorded in the audit trail)</label>
				<textarea id="reason" required maxLength={500} rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
				{error && (
					<p role="alert" class="bad">
						{error}
					</p>
				)}
				<div class="buttons">
					<button type="button" onClick={() => props.onDone(false)} disabled={busy}>
						Cancel
					</button>
					<button type="submit" class="danger" disabled={busy}>
						{busy ? "Working…" : props.action.confirm}
					</button>
				</div>
			</form>
		</dialog>
	);
}

function SignIn(props: { onSignedIn: (o: Overview) => void; accessTried: boolean }) {
	const [value, setValue] = useState("");
	const [error, setError] = useState<string | null>(null);
	const submit = async (e: Event) => {
		e.preventDefault();
		setToken(value.trim());
		try {
			props.onSignedIn(await opsApi.overview());
		} catch (err) {
			setToken(null);
			setError(err instanceof OpsError && err.status === 401 ? "That ops token was not accepted." : errorText(err));
		}
	};
	return (
		<main class="signin">
			<h1>Lifeboat ops console</h1>
			<p>In production this page sits behind Cloudflare Access: signing in there is enough. Without Access, give the ops token.</p>
			{!props.accessTried && <p>Checking for a Cloudflare Access sign-in…</p>}
			<form onSubmit={submit}>
				<label for="ops-token">Ops token</label>
				<input id="ops-token" type="password" autoComplete="off" required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
				{error && (
					<p role="alert" class="bad">
						{error}
					</p>
				)}
				<button type="submit" class="primary">
					Sign in
				</button>
			</form>
		</main>
	);
}

function FailoverPanel(props: { o: Overview; now: number; ask: (p: Pending) => void }) {
	const f = props.o.failover;
	const label =
		f.phase === "active"
			? "ACTIVE: Lifeboat takes square-offs"
			: f.phase === "fencing"
				? "FENCING: handing back"
				: "STANDBY: primary in charge";
	return (
		<section aria-labelledby="failover-h" class={`card failover ${f.phase}`}>
			<h2 id="failover-h">Failover</h2>
			<p class="state" data-testid="failover-state">
				{label}
			</p>
			<dl>
				<dt>Since</dt>
				<dd>
					{f.since ? new Date(f.since).toLocaleString() : "never"} ({ago(f.since, props.now)})
				</dd>
				<dt>Decided by</dt>
				<dd>{f.source === "manual" ? "ops (manual override, holds until cleared)" : "the health probes (automatic)"}</dd>
				<dt>Reason</dt>
				<dd data-testid="failover-reason">{f.reason ?? "none"}</dd>
				{f.outboxReady && (
					<>
						<dt>Outbox</dt>
						<dd>ready for the primary</dd>
					</>
				)}
			</dl>
			<div class="buttons">
				<button
					type="button"
					class="danger"
					disabled={f.phase === "active" && f.source === "manual"}
					onClick={() =>
						props.ask({
							title: "Turn failover ON",
							explain: "Lifeboat starts taking square-offs for every client and holds that until you clear the override.",
							confirm: "Turn failover on",
							run: (r) => opsApi.failover(true, r),
						})
					}
				>
					Failover on
				</button>
				<button
					type="button"
					disabled={f.phase !== "active" && f.source === "manual"}
					onClick={() =>
						props.ask({
							title: "Turn failover OFF",
							explain: "Lifeboat stops taking new square-offs, waits for orders in flight (fence), then hands back to the primary.",
							confirm: "Turn failover off",
							run: (r) => opsApi.failover(false, r),
						})
					}
				>
					Failover off
				</button>
				<button
					type="button"
					disabled={f.source === "auto"}
					onClick={() =>
						props.ask({
							title: "Back to automatic",
							explain: "The manual override ends; the health probes decide again from their next rounds.",
							confirm: "Back to automatic",
							run: (r) => opsApi.automatic(r),
						})
					}
				>
					Back to automatic
				</button>
			</div>
		</section>
	);
}

function OrdersPanel(props: { o: Overview; onClient: (id: string) => void }) {
	const { orders, failedOrders, failedOrdersTotal, deadLetters, notices, db } = props.o;
	return (
		<section aria-labelledby="orders-h" class="card wide">
			<h2 id="orders-h">Orders</h2>
			{!db.up && <p class="bad">Postgres is not answering: order figures are unavailable.</p>}
			{orders && (
				<table class="counts">
					<caption>Backup orders by status ({orders.total} in all)</caption>
					<thead>
						<tr>
							{Object.keys(orders.byStatus).map((s) => (
								<th scope="col" key={s}>
									{s}
								</th>
							))}
						</tr>
					</thead>
					<tbody>
						<tr>
							{Object.entries(orders.byStatus).map(([s, n]) => (
								<td key={s} class={s === "FAILED" && n > 0 ? "bad" : undefined}>
									{n}
								</td>
							))}
						</tr>
					</tbody>
				</table>
			)}
			<p>
				Dead letters: {deadLetters ? `${deadLetters.lastHour} in the last hour, ${deadLetters.total} in all` : "unknown"} · Notices:{" "}
				{notices ? `${notices.sent} sent, ${notices.failed} failed` : "not reported"}
			</p>
			<h3>Needing ops: failed or outcome unknown {failedOrdersTotal !== null && `(${failedOrdersTotal})`}</h3>
			{failedOrders && failedOrders.length === 0 && <p>None.</p>}
			{failedOrders && failedOrders.length > 0 && (
				<div class="scroll">
					<table>
						<thead>
							<tr>
								<th scope="col">Client</th>
								<th scope="col">Symbol</th>
								<th scope="col">Order</th>
								<th scope="col">Problem</th>
								<th scope="col">Reason</th>
								<th scope="col">Age</th>
							</tr>
						</thead>
						<tbody>
							{failedOrders.map((f) => (
								<tr key={f.id}>
									<td>
										<button type="button" class="link" onClick={() => props.onClient(f.clientId)}>
											{f.clientId}
										</button>
									</td>
									<td>{f.symbol}</td>
									<td>
										{f.side} {f.quantity}
									</td>
									<td class={f.problem === "failed" ? "bad" : "warn"}>{f.problem === "failed" ? "FAILED" : "outcome unknown"}</td>
									<td>{f.reason}</td>
									<td>{age(f.ageSeconds)}</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
		</section>
	);
}

function ClientPanel(props: { clientId: string; setClientId: (id: string) => void; ask: (p: Pending) => void; version: number }) {
	const [input, setInput] = useState(props.clientId);
	const [view, setView] = useState<ClientView | null>(null);
	const [error, setError] = useState<string | null>(null);
	useEffect(() => setInput(props.clientId), [props.clientId]);
	useEffect(() => {
		if (!props.clientId) return;
		let live = true;
		setError(null);
		opsApi
			.client(props.clientId)
			.then((v) => live && setView(v))
			.catch((err) => {
				if (!live) return;
				setView(null);
				setError(errorText(err));
			});
		return () => {
			live = false;
		};
	}, [props.clientId, props.version]);
	const id = props.clientId;
	return (
		<section aria-labelledby="client-h" class="card wide">
			<h2 id="client-h">Client</h2>
			<form
				class="inline"
				onSubmit={(e) => {
					e.preventDefault();
					props.setClientId(input.trim());
				}}
			>
				<label for="client-id">Client id</label>
				<input id="client-id" value={input} required maxLength={64} onInput={(e) => setInput(e.currentTarget.value)} />
				<button type="submit">Look up</button>
			</form>
			{error && (
				<p role="alert" class="bad">
					{error}
				</p>
			)}
			{view && view.clientId === id && (
				<div>
					<p data-testid="client-status">
						<strong>{view.clientId}</strong>:{" "}
						{view.opsDisabled
							? `DISABLED by ${view.opsDisabled.operator} (${view.opsDisabled.reason})`
							: view.status === "disabled"
								? "disabled on the primary"
								: "enabled"}
					</p>
					<div class="buttons">
						{view.opsDisabled ? (
							<button
								type="button"
								onClick={() =>
									props.ask({
										title: `Enable ${id}`,
										explain: "The client can sign in again (old sessions stay ended).",
										confirm: "Enable client",
										run: (r) => opsApi.enable(id, r),
									})
								}
							>
								Enable client
							</button>
						) : (
							<button
								type="button"
								class="danger"
								onClick={() =>
									props.ask({
										title: `Disable ${id}`,
										explain:
											"Every session of this client ends now, its live connections close, sign-in and square-offs are refused until enabled.",
										confirm: "Disable client",
										run: (r) => opsApi.disable(id, r),
									})
								}
							>
								Disable client
							</button>
						)}
						<button
							type="button"
							class="danger"
							onClick={() =>
								props.ask({
									title: `Cancel all open orders of ${id}`,
									explain:
										"Every live order of this client (Lifeboat's and the primary's) gets a cancel, as the client's own cancel-all would.",
									confirm: "Cancel all orders",
									run: (r) => opsApi.cancelAll(id, r),
								})
							}
						>
							Cancel all open orders
						</button>
					</div>
					<h3>Positions (as of {view.asOf ? new Date(view.asOf).toLocaleTimeString() : "unknown"})</h3>
					{view.positions.length === 0 ? (
						<p>No open positions.</p>
					) : (
						<div class="scroll">
							<table>
								<thead>
									<tr>
										<th scope="col">Symbol</th>
										<th scope="col">Product</th>
										<th scope="col">Net qty</th>
										<th scope="col">Avg price</th>
										<th scope="col">Pending exit</th>
									</tr>
								</thead>
								<tbody>
									{view.positions.map((p) => (
										<tr key={p.id}>
											<td>{p.symbol}</td>
											<td>{p.product}</td>
											<td>{p.netQty}</td>
											<td>{p.avgPrice}</td>
											<td>{p.pendingExitQty}</td>
										</tr>
									))}
								</tbody>
							</table>
						</div>
					)}
					<h3>Orders</h3>
					{view.orders.length === 0 ? (
						<p>No orders.</p>
					) : (
						<div class="scroll">
							<table>
								<thead>
									<tr>
										<th scope="col">Symbol</th>
										<th scope="col">Side</th>
										<th scope="col">Qty</th>
										<th scope="col">Status</th>
										<th scope="col">Reason</th>
										<th scope="col">Updated</th>
									</tr>
								</thead>
								<tbody>
									{view.orders.map((o) => (
										<tr key={o.id}>
											<td>{o.symbol}</td>
											<td>{o.side}</td>
											<td>
												{o.filledQty}/{o.quantity}
											</td>
											<td>{o.status}</td>
											<td>{o.reason ?? ""}</td>
											<td>{new Date(o.updatedAt).toLocaleTimeString()}</td>
										</tr>
									))}
								</tbody>
							</table>
						</div>
					)}
				</div>
			)}
		</section>
	);
}

function Console(props: { first: Overview; onSignedOut: () => void }) {
	const [o, setO] = useState(props.first);
	const [error, setError] = useState<string | null>(null);
	const [pending, setPending] = useState<Pending | null>(null);
	const [clientId, setClientId] = useState("");
	const [version, setVersion] = useState(0);
	const refresh = useCallback(async () => {
		try {
			setO(await opsApi.overview());
			setError(null);
		} catch (err) {
			if (err instanceof OpsError && err.status === 401) return props.onSignedOut();
			setError(errorText(err));
		}
	}, [props.onSignedOut]);
	useEffect(() => {
		const t = setInterval(refresh, REFRESH_MS);
		return () => clearInterval(t);
	}, [refresh]);
	const now = Date.parse(o.at);
	const primary = o.probes.filter((p) => p.kind === "primary");
	const omsProbes = o.probes.filter((p) => p.kind === "oms");
	return (
		<>
			<header class="top">
				<h1>Lifeboat ops</h1>
				<p>
					Signed in as <strong data-testid="operator">{o.operator}</strong> · updated {new Date(o.at).toLocaleTimeString()}
					{error && (
						<span role="status" class="bad">
							{" "}
							· refresh failed: {error}
						</span>
					)}
				</p>
			</header>
			<main class="grid">
				<FailoverPanel o={o} now={now} ask={setPending} />
				<section aria-labelledby="oms-h" class="card">
					<h2 id="oms-h">Broker OMS</h2>
					<p class={o.oms.reachable ? "good state" : "bad state"} data-testid="oms-state">
						{o.oms.reachable ? "Reachable" : "UNREACHABLE: square-offs refused"}
					</p>
					<p>
						{o.oms.since ? `Since ${ago(o.oms.since, now)}` : "No change since the site started"}
						{o.oms.consecutiveFail > 0 && `; ${o.oms.consecutiveFail} failed checks in a row`}
					</p>
					{omsProbes.map((p) => (
						<ProbeTimeline key={p.target} target="OMS health" points={p.points} now={now} />
					))}
				</section>
				<section aria-labelledby="probes-h" class="card">
					<h2 id="probes-h">Primary health probes (last hour)</h2>
					{primary.length === 0 && <p>No probes in the last hour.</p>}
					{primary.map((p) => (
						<div key={p.target}>
							<h3 class="url">{p.target}</h3>
							<ProbeTimeline target={p.target} points={p.points} now={now} />
						</div>
					))}
				</section>
				<section aria-labelledby="lag-h" class="card">
					<h2 id="lag-h">Replication</h2>
					<p class={o.replication.stale ? "bad state" : "good state"}>
						{o.replication.lagSeconds === null ? "Lag unknown" : `Lag ${o.replication.lagSeconds} s`}
						{o.replication.stale && " (stale)"}
					</p>
					<LagChart history={o.replication.history} staleAfterSeconds={o.replication.staleAfterSeconds} now={now} />
				</section>
				<OrdersPanel o={o} onClient={setClientId} />
				<ClientPanel clientId={clientId} setClientId={setClientId} ask={setPending} version={version} />
			</main>
			{pending && (
				<ConfirmDialog
					action={pending}
					onDone={(ok) => {
						setPending(null);
						if (ok) {
							setVersion((v) => v + 1);
							void refresh();
						}
					}}
				/>
			)}
		</>
	);
}

function App() {
	const [first, setFirst] = useState<Overview | null>(null);
	const [accessTried, setAccessTried] = useState(false);
	// Behind Access the first call just works; otherwise it is a 401 and the token field is the way in.
	useEffect(() => {
		opsApi
			.overview()
			.then(setFirst)
			.catch(() => undefined)
			.finally(() => setAccessTried(true));
	}, []);
	const signOut = useCallback(() => {
		setToken(null);
		setFirst(null);
	}, []);
	return first ? <Console first={first} onSignedOut={signOut} /> : <SignIn onSignedIn={setFirst} accessTried={accessTried} />;
}

const root = document.getElementById("app");
if (root) render(<App />, root);
