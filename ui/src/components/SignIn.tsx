import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, type Me } from "../api";
import { t } from "../i18n";
import { describeError } from "../messages";

/**
 * Both factors: client id + password, then the TOTP code. The server tells whether the password
 * was right only together with the code (a stranger must not learn it on its own), so a refused
 * code sends the trader back to enter both again, with the client id kept.
 */
export function SignIn(props: { onSignedIn: (me: Me) => void; notice?: string }) {
	const [challenge, setChallenge] = useState<string | null>(null);
	const [clientId, setClientId] = useState("");
	const [error, setError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const heading = useRef<HTMLHeadingElement>(null);
	useEffect(() => heading.current?.focus(), [challenge]);

	const submit = async (e: Event) => {
		e.preventDefault();
		if (busy) return;
		const form = new FormData(e.currentTarget as HTMLFormElement);
		setBusy(true);
		setError(null);
		try {
			if (!challenge) {
				const id = String(form.get("clientId")).trim().toUpperCase();
				setClientId(id);
				const res = await api.login(id, String(form.get("password")));
				setChallenge(res.challengeId);
			} else {
				props.onSignedIn(await api.totp(challenge, String(form.get("code")).replace(/\s/g, "")));
			}
		} catch (err) {
			setError(describeError(err));
			if (err instanceof ApiError && err.code === "INVALID_OTP") setChallenge(null);
		} finally {
			setBusy(false);
		}
	};

	return (
		<section class="card narrow" aria-labelledby="signin-title">
			<h1 id="signin-title" tabIndex={-1} ref={heading}>
				{challenge ? t.codeTitle : t.signInTitle}
			</h1>
			{props.notice && !challenge && <p class="notice">{props.notice}</p>}
			<form onSubmit={submit} key={challenge ? "totp" : "password"}>
				{challenge ? (
					<>
						<label for="code">{t.codeLabel}</label>
						<input id="code" name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,7}" maxLength={7} required />
					</>
				) : (
					<>
						<label for="clientId">{t.clientId}</label>
						<input
							id="clientId"
							name="clientId"
							autoComplete="username"
							autoCapitalize="characters"
							spellcheck={false}
							defaultValue={clientId}
							required
						/>
						<label for="password">{t.password}</label>
						<input id="password" name="password" type="password" autoComplete="current-password" required />
					</>
				)}
				<p class="error" role="alert">
					{error}
				</p>
				<button type="submit" class="primary" disabled={busy}>
					{busy ? t.checkingCredentials : challenge ? t.verifyCode : t.continue}
				</button>
				{challenge && (
					<button type="button" class="link" onClick={() => setChallenge(null)}>
						{t.startAgain}
					</button>
				)}
			</form>
		</section>
	);
}
