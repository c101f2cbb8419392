/**
 * Larger objects first, in bounded memory: items are pulled from a (possibly endless, lazily listed) source
 * into a max-heap of at most `lookahead` entries, and the largest one held is handed out next. A job therefore
 * starts its big objects early and finishes on small ones (a short tail), while never holding more than
 * `lookahead` entries, however many objects the source yields.
 */

export async function* largestFirst<T>(
  source: Iterable<T> | AsyncIterable<T>,
  sizeOf: (item: T) => number,
  lookahead: number,
): AsyncGenerator<T> {
  const heap: { size: number; item: T }[] = [];
  const push = (item: T): void => {
    heap.push({ size: sizeOf(item), item });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as { size: number }).size >= (heap[i] as { size: number }).size) break;
      [heap[parent], heap[i]] = [heap[i] as (typeof heap)[number], heap[parent] as (typeof heap)[number]];
      i = parent;
    }
  };
  const pop = (): T => {
    const top = heap[0] as (typeof heap)[number];
    const last = heap.pop() as (typeof heap)[number];
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let largest = i;
        if (left < heap.length && (heap[left] as { size: number }).size > (heap[largest] as { size: number }).size) largest = left;
        if (right < heap.length && (heap[right] as { size: number }).size > (heap[largest] as { size: number }).size) largest = right;
        if (largest === i) break;
        [heap[largest], heap[i]] = [heap[i] as (typeof heap)[number], heap[largest] as (typeof heap)[number]];
        i = largest;
      }
    }
    return top.item;
  };
  for await (const item of source) {
    push(item);
    if (heap.length >= lookahead) yield pop();
  }
  while (heap.length > 0) yield pop();
}
