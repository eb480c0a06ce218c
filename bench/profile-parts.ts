/** A V8 CPU profile (--cpu-prof) summed by package: bench/profile.ts and bench/rate-profile.ts. */
export interface Profile { nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[]; samples: number[]; timeDeltas: number[] }

/** µs of self time per request by package (node_modules), our file, or node:internal module. */
export function byPart(profile: Profile, requests: number): [string, number][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const loading = (id: number) => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (/modules\/(cjs|esm)|cjs-module-lexer|tsx\/dist/.test(frame.url) || frame.functionName === 'compileForInternalLoader') return true;
    }
    return false;
  };
  const partOf = (id: number) => {
    const { url, functionName } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') return undefined;
    if (loading(id)) return undefined;
    if (functionName === '(garbage collector)') return 'GC';
    const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1]!;
    const ours = /\/(src|bench)\/(.*)$/.exec(url);
    if (ours) return `${ours[1]}/${ours[2]}`;
    if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/')[0]!;
    return functionName || '(native)';
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const part = partOf(id);
    if (part) totals.set(part, (totals.get(part) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const busy = [...totals.values()].reduce((sum, us) => sum + us, 0);
  return [['main thread, busy (all below)', busy / requests] as [string, number], ...[...totals].map(([part, us]): [string, number] => [part, us / requests]).sort((a, b) => b[1] - a[1]).slice(0, 30)];
}
