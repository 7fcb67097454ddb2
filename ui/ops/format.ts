// How the console words times and errors.
import { OpsError } from "./api";

export const ago = (iso: string | null, now: number) => {
	if (!iso) return "never";
	const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
	return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};
export const age = (seconds: number) =>
	seconds < 90 ? `${seconds} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
export const errorText = (err: unknown) => (err instanceof OpsError ? `${err.detail} (${err.code})` : String(err));
