// One client, read-only (positions and orders), with the actions ops take for it.
import { useEffect, useState } from "preact/hooks";
import { type ClientView, opsApi } from "./api";
import { ActionButton, type Pending } from "./dialog";
import { errorText } from "./format";

export function ClientPanel(props: { clientId: string; setClientId: (id: string) => void; ask: (p: Pending) => void; version: number }) {
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
							<ActionButton
								label="Enable client"
								ask={props.ask}
								action={{
									title: `Enable ${id}`,
									explain: "The client can sign in again (old sessions stay ended).",
									confirm: "Enable client",
									run: (r) => opsApi.enable(id, r),
								}}
							/>
						) : (
							<ActionButton
								label="Disable client"
								danger
								ask={props.ask}
								action={{
									title: `Disable ${id}`,
									explain:
										"Every session of this client ends now, its live connections close, sign-in and square-offs are refused until enabled.",
									confirm: "Disable client",
									run: (r) => opsApi.disable(id, r),
								}}
							/>
						)}
						<ActionButton
							label="Cancel all open orders"
							danger
							ask={props.ask}
							action={{
								title: `Cancel all open orders of ${id}`,
								explain:
									"Every live order of this client (Lifeboat's and the primary's) gets a cancel, as the client's own cancel-all would.",
								confirm: "Cancel all orders",
								run: (r) => opsApi.cancelAll(id, r),
							}}
						/>
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
