// Every ops action waits here for its reason and a confirmation.
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "./format";

/** An action waiting for its reason and confirmation. */
export interface Pending {
	title: string;
	explain: string;
	confirm: string;
	run: (reason: string) => Promise<unknown>;
}

export function ConfirmDialog(props: { action: Pending; onDone: (ok: boolean) => void }) {
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

/** A button whose action waits for a reason and a confirmation (ConfirmDialog) before it runs. */
export function ActionButton(props: { label: string; action: Pending; ask: (p: Pending) => void; danger?: boolean; disabled?: boolean }) {
	return (
		<button type="button" class={props.danger ? "danger" : undefined} disabled={props.disabled} onClick={() => props.ask(props.action)}>
			{props.label}
		</button>
	);
}
