import type { Status } from "../api";
import { ago, clock } from "../format";

/** Always on top: who is in charge, whether exits can reach the exchange, and how fresh the replicated data is. */
export function Banner(props: { status: Status | null; unreachable: boolean }) {
	const { status, unreachable } = props;
	const mode = unreachable ? "offline" : (status?.mode ?? "checking");
	const stale = status?.data.lagSeconds != null && status.data.stale;
	// Only while active: in standby exits are not taken here anyway.
	const omsDown = mode === "active" && status?.oms?.reachable === false;
	return (
		<header class={`banner ${mode}`}>
			<p role="status" aria-live="polite" data-testid="mode">
				{mode === "offline" && "Lifeboat cannot be reached right now. Retrying…"}
				{mode === "checking" && "Checking who is in charge…"}
				{mode === "active" && (
					<>
						<strong>Lifeboat is active.</strong> Your broker's main platform is down: you can exit your positions here.
					</>
				)}
				{mode === "standby" && (
					<>
						<strong>Your broker's main platform is working.</strong> Trade there
						{status?.primaryUrl ? (
							<>
								{" "}
								(<a href={status.primaryUrl}>open the main platform</a>)
							</>
						) : null}
						. Here you can sign in and look; exits open only during an outage.
					</>
				)}
			</p>
			{omsDown && (
				<p class="oms-down" role="alert" data-testid="oms">
					<strong>Exits cannot reach the exchange right now.</strong> Your broker's order system is not answering
					{status?.oms?.since ? ` (since ${clock(status.oms.since)})` : ""}. New exits are paused until it answers again; exits you already
					placed are kept, and you can still cancel them.
				</p>
			)}
			<p class="freshness">
				{status?.data.asOf ? `Data as of ${clock(status.data.asOf)}` : "Data time unknown"}
				{stale && status?.data.lagSeconds != null && (
					<strong class="warn"> · Warning: data is {ago(status.data.lagSeconds)} behind. Positions may have changed.</strong>
				)}
			</p>
		</header>
	);
}
