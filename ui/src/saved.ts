// The last positions the trader saw, kept in this browser so the app can show them, read-only,
// when it opens without a network. One client's at a time; removed on sign-out and when the
// session ends, so the next person on a shared device does not see them.
import type { Position } from "./api";

export interface SavedPositions {
	clientId: string;
	name: string;
	asOf: string;
	positions: Position[];
}

const KEY = "lifeboat.lastPositions";

export function savePositions(saved: SavedPositions) {
	try {
		localStorage.setItem(KEY, JSON.stringify(saved));
	} catch {
		// Storage full or refused: the offline view will have nothing, nothing else breaks.
	}
}

export function loadPositions(): SavedPositions | null {
	try {
		const s = JSON.parse(localStorage.getItem(KEY) ?? "null") as SavedPositions | null;
		return s && typeof s.clientId === "string" && typeof s.asOf === "string" && Array.isArray(s.positions) ? s : null;
	} catch {
		return null;
	}
}

export function clearPositions() {
	try {
		localStorage.removeItem(KEY);
	} catch {
		// Nothing stored to clear.
	}
}
