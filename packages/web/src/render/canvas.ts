/**
 * Keeps a canvas's backing store at its CSS size times the device pixel ratio, calling `redraw` after each change.
 * Returns the function that stops watching.
 */
export function fitCanvasToBox(canvas: HTMLCanvasElement, redraw: () => void): () => void {
  const resize = () => {
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * dpr);
    canvas.height = Math.round(canvas.clientHeight * dpr);
    redraw();
  };
  const ro = new ResizeObserver(resize);
  ro.observe(canvas);
  resize();
  return () => ro.disconnect();
}
