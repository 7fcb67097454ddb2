// Vite's `?raw` imports: a file's text (the tests check config against the code that relies on it).
declare module "*?raw" {
	const text: string;
	export default text;
}
