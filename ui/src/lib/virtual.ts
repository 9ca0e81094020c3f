/** The window of rows worth rendering: the visible ones plus `overscan` on each side. */
export interface RowWindow {
  start: number;
  end: number;
  /** Space above and below the rendered rows, in pixels, so the scroll height stays right. */
  padTop: number;
  padBottom: number;
}

/** Which rows of `count` fixed-height rows are visible at `scrollTop` in a viewport `height` tall. */
export function visibleRows(
  count: number,
  rowHeight: number,
  scrollTop: number,
  height: number,
  overscan = 5,
): RowWindow {
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(height, rowHeight)) / rowHeight);
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, last + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (count - end) * rowHeight };
}

/** How many tiles fit across a container, given the tiles' minimum width and the gap between them. */
export function columnsFor(width: number, minTileWidth: number, gap: number): number {
  return Math.max(1, Math.floor((width + gap) / (minTileWidth + gap)));
}
