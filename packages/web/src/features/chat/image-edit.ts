/** The image editor's canvas operations (ImageEditor.vue): each changes the canvas in place. */

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Replaces the canvas content with a new one of w x h drawn by `paint` from a copy of the old. */
export function redraw(
  c: HTMLCanvasElement,
  w: number,
  h: number,
  paint: (ctx: CanvasRenderingContext2D, old: HTMLCanvasElement) => void,
): void {
  const old = document.createElement('canvas');
  old.width = c.width;
  old.height = c.height;
  old.getContext('2d')!.drawImage(c, 0, 0);
  c.width = w;
  c.height = h;
  paint(c.getContext('2d')!, old);
}

/** A quarter turn clockwise. */
export function rotate(c: HTMLCanvasElement): void {
  redraw(c, c.height, c.width, (ctx, old) => {
    ctx.translate(old.height, 0);
    ctx.rotate(Math.PI / 2);
    ctx.drawImage(old, 0, 0);
  });
}

export function crop(c: HTMLCanvasElement, b: Box): void {
  redraw(c, Math.round(b.w), Math.round(b.h), (ctx, old) =>
    ctx.drawImage(old, -Math.round(b.x), -Math.round(b.y)),
  );
}

/** A pointer (or any client point) in canvas pixels, kept inside the canvas. */
export function canvasPoint(c: HTMLCanvasElement, e: { clientX: number; clientY: number }) {
  const r = c.getBoundingClientRect();
  return {
    x: Math.max(0, Math.min(c.width, ((e.clientX - r.left) / r.width) * c.width)),
    y: Math.max(0, Math.min(c.height, ((e.clientY - r.top) / r.height) * c.height)),
  };
}

/** The box between two points. */
export const boxOf = (a: { x: number; y: number }, b: { x: number; y: number }): Box => ({
  x: Math.min(a.x, b.x),
  y: Math.min(a.y, b.y),
  w: Math.abs(b.x - a.x),
  h: Math.abs(b.y - a.y),
});

/** Mosaic cells: about 1/60 of the longer side, at least 6 px. */
export const mosaicCell = (c: HTMLCanvasElement) => Math.max(6, Math.round(Math.max(c.width, c.height) / 60));

/**
 * Pixelates a box (马赛克): each `cell` x `cell` square becomes its average colour, so what was
 * there cannot be read back.
 */
export function pixelate(c: HTMLCanvasElement, b: Box, cell = mosaicCell(c)): void {
  const x0 = Math.max(0, Math.floor(b.x));
  const y0 = Math.max(0, Math.floor(b.y));
  const w = Math.min(c.width, Math.ceil(b.x + b.w)) - x0;
  const h = Math.min(c.height, Math.ceil(b.y + b.h)) - y0;
  if (w < 1 || h < 1) return;
  const ctx = c.getContext('2d')!;
  const img = ctx.getImageData(x0, y0, w, h);
  const d = img.data;
  for (let by = 0; by < h; by += cell)
    for (let bx = 0; bx < w; bx += cell) {
      const [ex, ey] = [Math.min(bx + cell, w), Math.min(by + cell, h)];
      const sum = [0, 0, 0, 0];
      for (let y = by; y < ey; y++)
        for (let x = bx; x < ex; x++) for (let k = 0; k < 4; k++) sum[k]! += d[(y * w + x) * 4 + k]!;
      const n = (ex - bx) * (ey - by);
      for (let y = by; y < ey; y++)
        for (let x = bx; x < ex; x++)
          for (let k = 0; k < 4; k++) d[(y * w + x) * 4 + k] = Math.round(sum[k]! / n);
    }
  ctx.putImageData(img, x0, y0);
}

/** Text size: about 1/12 of the shorter side, at least 16 px. */
export const textSize = (c: HTMLCanvasElement) => Math.max(16, Math.round(Math.min(c.width, c.height) / 12));

/**
 * Draws a line of text centred on (x, y) in `color`, outlined in black (white for black text)
 * so it reads on any background.
 */
export function drawText(
  ctx: CanvasRenderingContext2D,
  text: string,
  at: { x: number; y: number },
  color: string,
  size: number,
): void {
  ctx.save();
  ctx.font = `bold ${size}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.lineJoin = 'round';
  ctx.lineWidth = Math.max(2, size / 10);
  ctx.strokeStyle = color === '#000000' ? '#ffffff' : '#000000';
  ctx.strokeText(text, at.x, at.y);
  ctx.fillStyle = color;
  ctx.fillText(text, at.x, at.y);
  ctx.restore();
}
