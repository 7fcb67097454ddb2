import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../i18n";

/** A native modal <dialog>: the browser traps focus, Esc closes, and the rest is inert. */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren }) {
	const ref = useRef<HTMLDialogElement>(null);
	useEffect(() => {
		const d = ref.current;
		if (d && !d.open) d.showModal();
		return () => d?.close();
	}, []);
	return (
		<dialog
			ref={ref}
			aria-labelledby="dialog-title"
			onClose={props.onClose}
			onCancel={(e) => {
				e.preventDefault();
				props.onClose();
			}}
		>
			<h2 id="dialog-title">{props.title}</h2>
			{props.children}
		</dialog>
	);
}

/** Ends a dialog's flow: takes the focus when it appears, since the button that had it is gone. */
export function CloseButton(props: { onClose: () => void }) {
	const ref = useRef<HTMLButtonElement>(null);
	useEffect(() => ref.current?.focus(), []);
	return (
		<button type="button" class="primary" onClick={props.onClose} ref={ref}>
			{t.close}
		</button>
	);
}
