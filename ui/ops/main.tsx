// The ops console (GET /ops/): the whole site at a glance, refreshed every few seconds, and the
// actions ops take during an outage, each with a reason and a confirmation. Sign-in is Cloudflare
// Access in production (nothing to type); locally the "Ops token" field.
import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { type Overview, OpsError, opsApi, setToken } from "./api";
import { LagChart, ProbeTimeline } from "./charts";
import { ClientPanel } from "./client-panel";
import { ConfirmDialog, type Pending } from "./dialog";
import { ago, errorText } from "./format";
import { FailoverPanel, OrdersPanel } from "./panels";

const REFRESH_MS = 4000;
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
