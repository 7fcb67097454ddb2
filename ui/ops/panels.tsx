// The overview's panels: failover (state, probes, lag, actions) and orders (by status, failed and unknown).
import { type Overview, opsApi } from "./api";
import { ActionButton, type Pending } from "./dialog";
import { age, ago } from "./format";

export function FailoverPanel(props: { o: Overview; now: number; ask: (p: Pending) => void }) {
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
				<ActionButton
					label="Failover on"
					danger
					disabled={f.phase === "active" && f.source === "manual"}
					ask={props.ask}
					action={{
						title: "Turn failover ON",
						explain: "Lifeboat starts taking square-offs for every client and holds that until you clear the override.",
						confirm: "Turn failover on",
						run: (r) => opsApi.failover(true, r),
					}}
				/>
				<ActionButton
					label="Failover off"
					disabled={f.phase !== "active" && f.source === "manual"}
					ask={props.ask}
					action={{
						title: "Turn failover OFF",
						explain: "Lifeboat stops taking new square-offs, waits for orders in flight (fence), then hands back to the primary.",
						confirm: "Turn failover off",
						run: (r) => opsApi.failover(false, r),
					}}
				/>
				<ActionButton
					label="Back to automatic"
					disabled={f.source === "auto"}
					ask={props.ask}
					action={{
						title: "Back to automatic",
						explain: "The manual override ends; the health probes decide again from their next rounds.",
						confirm: "Back to automatic",
						run: (r) => opsApi.automatic(r),
					}}
				/>
			</div>
		</section>
	);
}

export function OrdersPanel(props: { o: Overview; onClient: (id: string) => void }) {
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
				{notices ? `${notices.sent} sent, ${notices.pending} waiting, ${notices.failed} failed` : "unknown (Postgres unavailable)"}
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
