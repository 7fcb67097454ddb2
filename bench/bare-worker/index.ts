// The bench's bare Worker: no code of ours, a 404 for everything. Served by `wrangler dev` with
// the site's flags in the same run, it is the runtime's own ceiling on this machine.
export default {
	fetch: () => new Response(null, { status: 404 }),
};
