import { render } from "preact";
import { useEffect, useState } from "preact/hooks";

interface Status {
	mode: "standby" | "active";
	failover: { active: boolean; since: string | null; reason: string | null; source: "auto" | "manual" };
	data: { asOf: string | null; lagSeconds: number | null; staleAfterSeconds: number; stale: boolean };
}

function StatusBanner() {
	const [status, setStatus] = useState<Status | null>(null);
	const [error, setError] = useState<string | null>(null);
	useEffect(() => {
		let stop = false;
		const load = async () => {
			try {
				const res = await fetch("/api/status");
				if (!res.ok) throw new Error(`status ${res.status}`);
				if (!stop) {
					setStatus(await res.json());
					setError(null);
				}
			} catch (e) {
				if (!stop) setError(String(e));
			}
		};
		load();
		const timer = setInterval(load, 10_000);
		return () => {
			stop = true;
			clearInterval(timer);
		};
	}, []);
	if (error)
		return (
			<div class="banner standby" role="status">
				Cannot reach Lifeboat: {error}
			</div>
		);
	if (!status)
		return (
			<div class="banner standby" role="status">
				Checking…
			</div>
		);
	return (
		<div class={`banner ${status.mode}`} role="status" aria-live="polite">
			{status.mode === "active"
				? "Lifeboat is active: you can square off your positions here."
				: "The primary platform is in charge. You can sign in and look; exits open here only during an outage."}
			{status.data.asOf && <span> · Data as of {new Date(status.data.asOf).toLocaleTimeString()}</span>}
			{status.data.stale && (
				<div class="stale-warning" role="alert">
					{status.data.lagSeconds === null
						? "The data shown here has no known age: check positions against your last contract note."
						: `The data shown here is ${Math.round(status.data.lagSeconds / 60)} min behind the primary: positions may have changed since.`}
				</div>
			)}
		</div>
	);
}

render(
	<>
		<StatusBanner />
		<main>
			<h1>Lifeboat</h1>
		</main>
	</>,
	document.getElementById("app")!,
);
