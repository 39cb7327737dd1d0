/**
 * A series thumbnail: its first image rendered by cornerstone into a small element once visible,
 * kept as a data: URL image (the element is then released). Series without pixels show their kind.
 */
import { useEffect, useRef, useState } from 'react';
import { courier, invoke } from '../../api/courier.ts';
import { cornerstone, imageIdFor, initCornerstone, loadImage } from '../viewer/cornerstone.ts';
import { objectKind } from '../viewer/sopClasses.ts';

const cache = new Map<number, string>();
let queue: Promise<void> = Promise.resolve();

/** A 64×64 preview of a series. */
export function SeriesThumbnail({ seriesId }: { seriesId: number }) {
  const box = useRef<HTMLDivElement>(null);
  const [src, setSrc] = useState<string | null>(() => cache.get(seriesId) ?? null);
  const [label, setLabel] = useState<string | null>(null);

  useEffect(() => {
    if (src || !box.current) return;
    let live = true;
    const el = box.current;
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      // One thumbnail at a time, so a big library does not flood the decoders.
      queue = queue.then(async () => {
        if (!live) return;
        const r = await render(seriesId, el);
        if (!live) return;
        if (r.src) setSrc(r.src);
        else setLabel(r.label);
      });
    });
    observer.observe(el);
    return () => {
      live = false;
      observer.disconnect();
    };
  }, [seriesId, src]);

  if (src) return <img className="thumb" src={src} alt="" width={64} height={64} />;
  return (
    <div className="thumb" ref={box}>
      {label && <span className="thumb-label">{label}</span>}
    </div>
  );
}

async function render(seriesId: number, box: HTMLDivElement): Promise<{ src?: string; label: string | null }> {
  try {
    const instances = await invoke('library.instances', { seriesId });
    const first = instances.find((i) => i.hasPixels);
    if (!first) return { label: instances[0] ? objectKind(instances[0].SOPClassUID) : null };
    initCornerstone();
    const target = document.createElement('div');
    target.className = 'thumb-render';
    box.appendChild(target);
    cornerstone.enable(target);
    try {
      const image = await loadImage(imageIdFor(courier.instanceUrl(first.id), first.frames > 1 ? 0 : null));
      const rendered = new Promise<void>((r) => target.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, () => r(), { once: true }));
      cornerstone.displayImage(target, image);
      await rendered;
      const src = cornerstone.getEnabledElement(target).canvas.toDataURL('image/png');
      cache.set(seriesId, src);
      return { src, label: null };
    } finally {
      cornerstone.disable(target);
      target.remove();
    }
  } catch {
    return { label: '?' };
  }
}
