/**
 * Turns the sweep into recommended `TransferManager` defaults, one setting per direction that is good on every
 * profile swept: for each (chunk size, concurrency) the score is its worst throughput, across profiles, as a
 * fraction of that profile's best cell. The highest score wins; settings within 5 % of it (about the
 * run-to-run noise of one cell) count as equal, and then fewer connections, then smaller chunks, win (kinder
 * to the server, less memory per stream upload).
 */
import type { Recommendation, SweepCell } from './results.js';

const TIE = 0.05;

export function recommendDefaults(cells: readonly SweepCell[]): Recommendation[] {
  const out: Recommendation[] = [];
  for (const direction of ['download', 'upload'] as const) {
    const mine = cells.filter((c) => c.direction === direction);
    if (mine.length === 0) continue;
    const profiles = [...new Set(mine.map((c) => c.profile))];
    const best = new Map(profiles.map((p) => [p, Math.max(...mine.filter((c) => c.profile === p).map((c) => c.mibps))]));
    const settings = [...new Map(mine.map((c) => [`${c.chunkSize}x${c.concurrency}`, { chunkSize: c.chunkSize, concurrency: c.concurrency }])).values()];
    const scored = settings
      .map((s) => {
        const fractions = profiles.map((p) => {
          const cell = mine.find((c) => c.profile === p && c.chunkSize === s.chunkSize && c.concurrency === s.concurrency);
          return { profile: p, fraction: cell ? cell.mibps / (best.get(p) ?? 1) : 0 };
        });
        return { ...s, fractions, score: Math.min(...fractions.map((f) => f.fraction)) };
      })
      .sort((a, b) => b.score - a.score);
    const top = scored[0];
    if (!top) continue;
    const pick = scored
      .filter((s) => s.score >= top.score - TIE)
      .sort((a, b) => a.concurrency - b.concurrency || a.chunkSize - b.chunkSize)[0] ?? top;
    const detail = pick.fractions.map((f) => `${Math.round(f.fraction * 100)} % of the best on ${f.profile}`).join(', ');
    out.push({
      direction,
      chunkSize: pick.chunkSize,
      concurrency: pick.concurrency,
      reason: `${detail} (the fewest connections within ${TIE * 100} % of the top score)`,
    });
  }
  return out;
}
